"""gunicorn settings for the CMS host and the search nodes (`gunicorn -c deploy/gunicorn.conf.py cms.wsgi`).

Loopback only: nginx in front terminates TLS, buffers slow clients and is the one public listener.
Threaded sync workers: requests are short (a search, an admin page), the database and the index
release the GIL, and a few threads per worker ride out a slow publish without more processes.
Every value can be overridden from the environment (GUNICORN_*), e.g. in deploy/env.example.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Django, Wagtail and jieba's dictionary are loaded once and shared copy-on-write; a recycled worker
# starts in milliseconds. (Code changes need `systemctl restart`, not a HUP.)
preload_app = True
# A worker that stops answering its heartbeat for this long is killed and replaced; no request here
# should take half a minute (imports and builds run in the queue worker).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open (keepalive in its upstream block)
# Recycle workers now and then (slow leaks in long-lived processes); the jitter keeps them from all
# restarting at once. Rarely: a new worker reopens the search index and rebuilds its per-term tables, and
# at 2,000 requests that made the load bench's p95 4.2 s instead of 0.26 s (bench/bench_load.py).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = int(max_requests * 0.1)
# Headers and request line limits; nginx's client_max_body_size bounds bodies.
limit_request_line = 4094
limit_request_fields = 100
# gunicorn sets wsgi.url_scheme from nginx's X-Forwarded-Proto only when it comes from here.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "dangshi")
# gunicorn ≥ 25's runtime control socket defaults to one path under $HOME for every instance (the CMS and
# a search node on one machine would collide, and the units give no writable home): systemd manages them.
control_socket_disable = True

# Logs: JSON lines on stdout for journald (cms/jsonlog.py). The access lines carry method, path without
# the query string, status, size and time, never the client's address (nginx keeps that).
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "1") == "1" else None
errorlog = "-"
logger_class = "cms.jsonlog.GunicornLogger"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "cms.jsonlog.JsonFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
    },
    "root": {"level": "WARNING", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}
