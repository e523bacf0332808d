#!/usr/bin/env bash
# Start an MLflow tracking server, bound to 127.0.0.1 unless told otherwise. Runs in the foreground
# (Ctrl-C stops it). Two shapes:
#   * local (default): SQLite metadata + an artifact folder under --data-dir;
#   * shared: a Postgres (or MySQL) backend store + an object-store artifact root, e.g.
#       --backend-store-uri postgresql://mlflow@db-host:5432/mlflow --artifacts-destination s3://bucket/mlflow
#     Postgres handles concurrent writers and backups; SQLite serialises writes (fine for one machine).
#
# Usage:
#   scripts/start_mlflow_server.sh [--port 5000] [--host 127.0.0.1] [--data-dir .mlflow-server] [--workers 1]
#                                  [--backend-store-uri URI] [--artifacts-destination URI]
# Environment overrides (same meaning as the flags):
#   MLFLOW_PORT, MLFLOW_HOST, MLFLOW_DATA_DIR, MLFLOW_WORKERS, MLFLOW_BACKEND_STORE_URI,
#   MLFLOW_ARTIFACTS_DESTINATION, MLFLOW_BIN (path to the `mlflow` executable)
# The server proxies artifacts (--serve-artifacts), so clients need no object-store credentials; the
# server reads its own from the environment (AWS_* / MLFLOW_S3_ENDPOINT_URL, an instance role, ...),
# never from flags. The database password belongs in ~/.pgpass or PGPASSWORD, not in the URI; a
# password in the URI is masked in this script's output. The shared shape needs a database driver
# and boto3 next to mlflow: with SQLAlchemy 2.1 a bare postgresql:// means psycopg 3
# (pip install "psycopg[binary]"); write postgresql+psycopg2:// to use psycopg2.
#
# Then point clients at it:   export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
# Health check:               curl http://127.0.0.1:5000/health   -> OK
# Beyond loopback, add --allowed-hosts and authentication (a reverse proxy or `--app-name basic-auth`).
set -euo pipefail

PORT="${MLFLOW_PORT:-5000}"
HOST="${MLFLOW_HOST:-127.0.0.1}"
DATA_DIR="${MLFLOW_DATA_DIR:-.mlflow-server}"
WORKERS="${MLFLOW_WORKERS:-1}"
BACKEND_STORE_URI="${MLFLOW_BACKEND_STORE_URI:-}"
ARTIFACTS_DESTINATION="${MLFLOW_ARTIFACTS_DESTINATION:-}"

die() { echo "start_mlflow_server: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a value."; PORT="$2"; shift 2 ;;
    --host) [ $# -ge 2 ] || die "--host needs a value."; HOST="$2"; shift 2 ;;
    --data-dir) [ $# -ge 2 ] || die "--data-dir needs a value."; DATA_DIR="$2"; shift 2 ;;
    --workers) [ $# -ge 2 ] || die "--workers needs a value."; WORKERS="$2"; shift 2 ;;
    --backend-store-uri) [ $# -ge 2 ] || die "--backend-store-uri needs a value."; BACKEND_STORE_URI="$2"; shift 2 ;;
    --artifacts-destination) [ $# -ge 2 ] || die "--artifacts-destination needs a value."; ARTIFACTS_DESTINATION="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (try --help)." ;;
  esac
done

[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "port '$PORT' is not a number between 1 and 65535."
[[ "$WORKERS" =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] || die "workers '$WORKERS' is not a positive number."

# Mask a password in a URI (scheme://user:secret@host -> scheme://user:***@host) and cut it short.
shown() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' | cut -c1-80; }

if [ -n "$BACKEND_STORE_URI" ]; then
  case "$BACKEND_STORE_URI" in
    postgresql://*|postgresql+*://*|mysql://*|mysql+*://*|mssql+*://*|sqlite:///*) ;;
    *) die "backend store '$(shown "$BACKEND_STORE_URI")' is not a postgresql://, mysql://, mssql+...:// or sqlite:/// URI." ;;
  esac
fi
if [ -n "$ARTIFACTS_DESTINATION" ]; then
  case "$ARTIFACTS_DESTINATION" in
    s3://*|gs://*|wasbs://*|abfss://*|hdfs://*|file://*|/*) ;;
    *) die "artifacts destination '$(shown "$ARTIFACTS_DESTINATION")' is not an s3://, gs://, wasbs://, abfss://, hdfs://, file:// URI or an absolute path." ;;
  esac
fi
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

# Local pieces live under --data-dir; a remote store or object store needs no folder here.
if [ -z "$BACKEND_STORE_URI" ] || [ -z "$ARTIFACTS_DESTINATION" ]; then
  mkdir -p "$DATA_DIR" || die "cannot create data directory '$DATA_DIR'."
  DATA_DIR="$(cd "$DATA_DIR" && pwd)"
fi
if [ -z "$BACKEND_STORE_URI" ]; then BACKEND_STORE_URI="sqlite:///$DATA_DIR/mlflow.db"; fi
if [ -z "$ARTIFACTS_DESTINATION" ]; then
  mkdir -p "$DATA_DIR/artifacts" || die "cannot create data directory '$DATA_DIR/artifacts'."
  ARTIFACTS_DESTINATION="$DATA_DIR/artifacts"
fi

echo "start_mlflow_server: metadata $(shown "$BACKEND_STORE_URI"), artifacts $(shown "$ARTIFACTS_DESTINATION"), http://$HOST:$PORT" >&2
# exec: the server replaces this shell, so stopping this process stops MLflow.
exec "$MLFLOW" server \
  --backend-store-uri "$BACKEND_STORE_URI" \
  --artifacts-destination "$ARTIFACTS_DESTINATION" \
  --serve-artifacts \
  --host "$HOST" \
  --port "$PORT" \
  --workers "$WORKERS"
