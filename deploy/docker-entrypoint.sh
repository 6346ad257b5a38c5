#!/bin/sh
# Dream Pixel's container entrypoint: one image, one role per container.
#
#   app             the Reflex + REST backend on 0.0.0.0:8000 (BACKEND_HOST, BACKEND_PORT); Reflex keeps
#                   its state in Redis when REDIS_URL is set
#   worker          an arq worker
#   migrate         apply the database migrations (safe from every replica: advisory lock)
#   create-buckets  create the S3 buckets named by S3_BUCKET_IMAGES / S3_BUCKET_INVOICES (idempotent)
#   nginx-env FILE  write the nginx template's values that follow from the settings (page CSP, upload cap)
#   live            exit 0 when this container's backend answers GET /api/health/live (liveness)
#   ready           exit 0 when it answers GET /api/health/ready (its dependencies answer)
#   worker-health   exit 0 when this installation's workers are alive
#   healthcheck     what the image's HEALTHCHECK runs: `live` for an app, `worker-health` for a worker
#   anything else   run as a command (e.g. `python -m dreampixel check`, `sh`)
set -eu

ROLE_FILE="${TMPDIR:-/tmp}/dreampixel-role"
BACKEND_PORT="${BACKEND_PORT:-8000}"
BACKEND_HOST="${BACKEND_HOST:-0.0.0.0}"

role="${1:-app}"
if [ "$#" -gt 0 ]; then shift; fi

case "$role" in
  app)
    echo app > "$ROLE_FILE"
    # What `reflex run --env prod --backend-only` starts, minus its checks and build step (the
    # frontend was exported once, at image build): Granian serving the Reflex app's ASGI factory.
    # One server process per container by default; scale with replicas (GRANIAN_WORKERS for more).
    # (Reflex reads its internal switches with two leading underscores.)
    export REFLEX_ENV_MODE=prod REFLEX_BACKEND_ONLY=true __REFLEX_SKIP_COMPILE=true
    exec python -m granian --interface asgi --factory --host "$BACKEND_HOST" --port "$BACKEND_PORT" \
      --workers "${GRANIAN_WORKERS:-1}" --log-level warning "$@" dreampixel.dreampixel:app
    ;;
  worker)
    echo worker > "$ROLE_FILE"
    exec python -m dreampixel worker "$@"
    ;;
  migrate)
    exec python -m dreampixel migrate "$@"
    ;;
  create-buckets)
    exec python -m deploy.create_buckets "$@"
    ;;
  nginx-env)
    exec python -m deploy.nginx_env "$@"
    ;;
  live | ready)
    exec python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$BACKEND_PORT/api/health/$role', timeout=4)"
    ;;
  worker-health)
    exec python -m dreampixel worker-health "$@"
    ;;
  healthcheck)
    # docker exec starts a fresh process: the role the container was started with is read back.
    case "$(cat "$ROLE_FILE" 2>/dev/null || true)" in
      app)
        exec "$0" live
        ;;
      worker)
        exec "$0" worker-health
        ;;
      *)
        exit 0  # a one-shot command or a shell: nothing long-running to check
        ;;
    esac
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
