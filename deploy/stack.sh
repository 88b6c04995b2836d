#!/usr/bin/env bash
# The production stack on loopback, shared by deploy/smoke.sh and bench/bench_load.py: PostgreSQL (its own database),
# gunicorn, the queue worker and Debian's nginx with production settings (deploy/env.example's values, plain HTTP
# instead of TLS) and the tiny demo catalogue; the worker has been started on the first builds of the index and site.
#
#   source deploy/stack.sh               # from a script: the stack runs until that script exits
#   bash deploy/stack.sh COMMAND ARGS…   # run COMMAND against it, then stop everything; exits with its status
#
# For COMMAND it exports STACK_PUBLIC and STACK_ADMIN (nginx's two origins), STACK_WORK (the work folder: var/,
# logs) and STACK_PRIVATE_FILE (a login-only file under var/media). Knobs: SMOKE_POSTGRES
# (postgres://postgres@127.0.0.1:5432) and SMOKE_DATABASE (dangshi_smoke; created here and dropped at exit),
# SMOKE_KEEP=1 keeps the work folder, STACK_SETTINGS (cms.settings.production), GUNICORN_WORKERS (2) and
# GUNICORN_THREADS (4), STACK_NGINX_SET (more render.py values, e.g. "SEARCH_RATE=1000r/s SEARCH_BURST=1000").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)
PY="$REPO/.venv/bin/python"
POSTGRES=${SMOKE_POSTGRES:-postgres://postgres@127.0.0.1:5432}
DB_NAME=${SMOKE_DATABASE:-dangshi_smoke}
STARTED=$SECONDS

say() { printf '== [%3d s] %s\n' "$((SECONDS - STARTED))" "$*"; }
die() { printf 'FAIL %s\n' "$*"; exit 1; }
manage() { "$PY" manage.py "$@"; }
sql() { PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 -d "$POSTGRES/postgres" -c "$1" >/dev/null; }
answers() { "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1" 2>/dev/null; }

# -- what it needs: the venv, Debian's nginx (`make nginx` installs it, with brotli, as root), psql --------------
[ -x "$PY" ] || make install
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || make -s nginx
[ -x "$NGINX" ] || die "nginx is missing: sudo make nginx"
command -v psql >/dev/null 2>&1 || die "psql is missing: sudo apt-get install postgresql-client"
if ! pg_isready -d "$POSTGRES/postgres" -q 2>/dev/null && command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  for _ in $(seq 1 30); do pg_isready -d "$POSTGRES/postgres" -q && break; sleep 1; done
fi
pg_isready -d "$POSTGRES/postgres" -q || die "PostgreSQL does not answer at $POSTGRES"

# -- a work folder nginx's unprivileged workers can read, free loopback ports ----------------------------------
WORK=$(mktemp -d /tmp/dangshi-smoke.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/var" "$WORK/nginx"
read -r APP_PORT PUBLIC_PORT ADMIN_PORT < <("$PY" -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')

PIDS=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  sql "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" 2>/dev/null || true
  if [ "$status" != 0 ]; then
    for log in gunicorn worker nginx/error; do
      [ -s "$WORK/$log.log" ] && { echo "-- last lines of $log.log"; tail -n 25 "$WORK/$log.log"; }
    done
  fi
  if [ -n "${SMOKE_KEEP:-}" ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
  echo "$(basename "$0" .sh): $([ "$status" = 0 ] && echo PASSED || echo FAILED) in $((SECONDS - STARTED)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- production settings: deploy/env.example's values, then what differs on loopback without TLS -------------
while IFS='=' read -r key value; do
  [[ $key =~ ^[A-Z][A-Z0-9_]*$ ]] && export "$key=$value"
done < deploy/env.example
DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_SECRET_KEY
export DJANGO_SETTINGS_MODULE=${STACK_SETTINGS:-cms.settings.production}
export DATABASE_URL="$POSTGRES/$DB_NAME"
export DANGSHI_VAR_DIR="$WORK/var"
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export WAGTAILADMIN_BASE_URL="http://127.0.0.1:$ADMIN_PORT"
export PUBLIC_SITE_URL="http://127.0.0.1:$PUBLIC_PORT"
export SEARCH_URL=/search/
export SITE_PUBLISH_TARGET=
export DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0
export SITE_REBUILD_DELAY_SECONDS=0.5
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
export GUNICORN_BIND="127.0.0.1:$APP_PORT" GUNICORN_WORKERS=${GUNICORN_WORKERS:-2} GUNICORN_THREADS=${GUNICORN_THREADS:-4} GUNICORN_PROC_NAME=dangshi-smoke

say "database $DB_NAME and its migrations"
sql "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
sql "CREATE DATABASE $DB_NAME"
setup() { manage "$@" >>"$WORK/setup.log" 2>&1 || { tail -n 30 "$WORK/setup.log"; die "manage.py $*"; }; }
setup migrate --noinput
setup createcachetable
say "the tiny demo catalogue and its users"
setup seed_demo --scale tiny --users
say "the admin's static files (collectstatic, for WhiteNoise)"
setup collectstatic --noinput

say "gunicorn on :$APP_PORT, nginx on :$PUBLIC_PORT (public) and :$ADMIN_PORT (editors)"
"$PY" -m gunicorn -c deploy/gunicorn.conf.py cms.wsgi >"$WORK/gunicorn.log" 2>&1 &
PIDS+=($!)
NGINX_SET=()
for value in ${STACK_NGINX_SET:-}; do NGINX_SET+=(--set "$value"); done
"$PY" deploy/nginx/render.py deploy/nginx/nginx.env.example --standalone "$WORK/nginx" --output "$WORK/nginx/nginx.conf" \
  --set TLS=0 --set SERVER_NAME=127.0.0.1 --set ADMIN_SERVER_NAME=127.0.0.1 \
  --set PUBLIC_LISTEN="127.0.0.1:$PUBLIC_PORT" --set ADMIN_LISTEN="127.0.0.1:$ADMIN_PORT" --set ADMIN_ALLOW=127.0.0.1 \
  --set SITE_ROOT="$WORK/var/site" --set MEDIA_ROOT="$WORK/var/media" --set APP_UPSTREAM="127.0.0.1:$APP_PORT" "${NGINX_SET[@]}"
"$NGINX" -q -t -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" || die "nginx -t"
"$NGINX" -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
for _ in $(seq 1 60); do
  answers "$WAGTAILADMIN_BASE_URL/api/v2/columns/" && break
  sleep 1
done
answers "$WAGTAILADMIN_BASE_URL/api/v2/columns/" || die "the content API does not answer through nginx"

say "the queue worker builds the first search index and site"
# seed_demo's saves queued dozens of index rebuilds and item updates for a worker that was not running yet;
# one full rebuild of each covers them all.
PRIVATE_FILE=$(manage shell -c "
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.images import get_image_model
from search_index.tasks import rebuild_index
from site_builder.tasks import rebuild_site
DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()
rebuild_index.enqueue(reason='smoke')
rebuild_site.enqueue(reason='smoke')
print(get_image_model().objects.get(title='内部资料封面').file.name)  # seed_demo's file in a login-only collection
" 2>>"$WORK/setup.log" | tail -n 1) || die "enqueue the first builds"
"$PY" manage.py db_worker --backend queue --no-reload --interval 0.5 --worker-id smoke >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
[ -f "$WORK/var/media/$PRIVATE_FILE" ] || die "the private demo file $PRIVATE_FILE is not in MEDIA_ROOT"

export STACK_PUBLIC="http://127.0.0.1:$PUBLIC_PORT" STACK_ADMIN="$WAGTAILADMIN_BASE_URL" STACK_WORK="$WORK" \
  STACK_PRIVATE_FILE="$PRIVATE_FILE"
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then
  "$@"
fi
