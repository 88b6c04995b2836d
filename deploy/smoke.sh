#!/usr/bin/env bash
# The production path end to end on loopback: PostgreSQL, gunicorn, the queue worker and Debian's nginx with
# production settings (cms.settings.production, deploy/env.example's values, plain HTTP instead of TLS), the tiny
# demo catalogue, then deploy/smoke_checks.py talks to nginx as members and an editor do. Prints PASS/FAIL lines
# and exits non-zero on any failure; every process it started and its database are gone when it ends.
#
#   bash deploy/smoke.sh                 # as root it installs nginx (and brotli) when missing
#   SMOKE_KEEP=1 bash deploy/smoke.sh    # keep the work folder (logs, build) to look at afterwards
#
# SMOKE_POSTGRES (postgres://postgres@127.0.0.1:5432) is the server; the database dangshi_smoke is created and
# dropped here, so the test suites' databases are never touched.
set -euo pipefail
source "$(dirname "$0")/stack.sh"

say "checks through nginx"
"$PY" deploy/smoke_checks.py --public "$STACK_PUBLIC" --admin "$STACK_ADMIN" \
  --private-file "$STACK_PRIVATE_FILE" --media-root "$STACK_WORK/var/media" \
  --security-headers deploy/nginx/security_headers.conf --username admin --password dangshi-demo-2021
