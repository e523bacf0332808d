#!/usr/bin/env bash
# `make bench`: every benchmark measures mlproof against a peer in the same run and prints a ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench-results
for bench in scripts/bench/bench_*.py; do
  [ -e "$bench" ] || continue
  echo "== $bench"
  PATH="$PWD/.tools/node_modules/.bin:$PATH" .venv/bin/python "$bench"
done
