# Two commands on a fresh machine: `make demo` (set up + run the demo) and `make test` (install + whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1

.PHONY: install browser nginx demo test lint smoke bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Debian's chromium drives the browser tests, with a CJK font for readable screenshots;
# installed when missing (needs root, as on CI).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium fonts-wqy-microhei"; fi; fi

# axe-core (pinned in package-lock.json), injected by the browser tests to check accessibility; npm from Debian when missing.
node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; fi
	npm ci --no-audit --no-fund --silent
	touch $@

# Debian's nginx (and its brotli module when Debian has one) for the nginx tests and deploy/smoke.sh; installed when
# missing (needs root, as on CI).
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx \
	    $$(apt-cache show libnginx-mod-http-brotli-filter >/dev/null 2>&1 && echo libnginx-mod-http-brotli-filter) >/dev/null; \
	  else echo "nginx is missing: sudo apt-get install nginx libnginx-mod-http-brotli-filter"; fi; fi

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --scale tiny --users
	$(PY) manage.py run_demo --host $(HOST)

lint: install
	$(VENV)/bin/ruff check .

test: install browser node_modules/.installed nginx lint
	$(VENV)/bin/pytest

# The production path on loopback: PostgreSQL (127.0.0.1:5432), gunicorn, the worker and nginx, checked through nginx.
smoke: install nginx
	bash deploy/smoke.sh

bench: install
	$(PY) bench/bench_cms.py --scale seed

clean:
	rm -rf var build .pytest_cache
