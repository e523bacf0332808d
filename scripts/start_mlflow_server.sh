#!/usr/bin/env bash
# Start a local MLflow tracking server: SQLite metadata + a local artifact folder,
# bound to 127.0.0.1 unless told otherwise. Runs in the foreground (Ctrl-C stops it).
#
# Usage:
#   scripts/start_mlflow_server.sh [--port 5000] [--host 127.0.0.1] [--data-dir .mlflow-server] [--workers 1]
# Environment overrides (same meaning as the flags):
#   MLFLOW_PORT, MLFLOW_HOST, MLFLOW_DATA_DIR, MLFLOW_WORKERS, MLFLOW_BIN (path to the `mlflow` executable)
#
# Then point clients at it:   export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
# Health check:               curl http://127.0.0.1:5000/health   -> OK
#
# Production shape (not what this script starts; see README "Skills, references and scripts"):
#   mlflow server \
#     --backend-store-uri postgresql://mlflow@db-host:5432/mlflow \   # Postgres/MySQL: concurrent writers, backups
#     --artifacts-destination s3://my-bucket/mlflow \                  # or gs://, wasbs://; credentials from the
#     --host 0.0.0.0 --allowed-hosts mlflow.example.com                # environment/instance role, never flags
#   and put authentication (a reverse proxy or `--app-name basic-auth`) in front of it.
#   SQLite is fine for one machine and a handful of users; it serialises writes.
set -euo pipefail

PORT="${MLFLOW_PORT:-5000}"
HOST="${MLFLOW_HOST:-127.0.0.1}"
DATA_DIR="${MLFLOW_DATA_DIR:-.mlflow-server}"
WORKERS="${MLFLOW_WORKERS:-1}"

die() { echo "start_mlflow_server: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a value."; PORT="$2"; shift 2 ;;
    --host) [ $# -ge 2 ] || die "--host needs a value."; HOST="$2"; shift 2 ;;
    --data-dir) [ $# -ge 2 ] || die "--data-dir needs a value."; DATA_DIR="$2"; shift 2 ;;
    --workers) [ $# -ge 2 ] || die "--workers needs a value."; WORKERS="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (try --help)." ;;
  esac
done

[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "port '$PORT' is not a number between 1 and 65535."
[[ "$WORKERS" =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] || die "workers '$WORKERS' is not a positive number."
if [ "$HOST" != "127.0.0.1" ] && [ "$HOST" != "localhost" ] && [ "$HOST" != "::1" ]; then
  # Binding beyond loopback exposes an unauthenticated server; say so loudly.
  echo "start_mlflow_server: warning: binding to $HOST exposes MLflow without authentication." >&2
fi

# Prefer the mlflow next to this repository's virtualenv, then PATH.
REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${MLFLOW_BIN:-}" ]; then
  MLFLOW="$MLFLOW_BIN"
elif [ -x "$REPO_ROOT/.venv/bin/mlflow" ]; then
  MLFLOW="$REPO_ROOT/.venv/bin/mlflow"
else
  MLFLOW="$(command -v mlflow || true)"
fi
[ -n "$MLFLOW" ] && [ -x "$MLFLOW" ] || die "the mlflow executable was not found (pip install mlflow, or set MLFLOW_BIN)."

mkdir -p "$DATA_DIR/artifacts" || die "cannot create data directory '$DATA_DIR'."
DATA_DIR="$(cd "$DATA_DIR" && pwd)"

echo "start_mlflow_server: metadata sqlite:///$DATA_DIR/mlflow.db, artifacts $DATA_DIR/artifacts, http://$HOST:$PORT" >&2
# exec: the server replaces this shell, so stopping this process stops MLflow.
exec "$MLFLOW" server \
  --backend-store-uri "sqlite:///$DATA_DIR/mlflow.db" \
  --artifacts-destination "$DATA_DIR/artifacts" \
  --serve-artifacts \
  --host "$HOST" \
  --port "$PORT" \
  --workers "$WORKERS"
