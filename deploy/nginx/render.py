"""Render the nginx site (deploy/nginx/dangshi.conf.j2) from an operator's values; see nginx.env.example.

    python deploy/nginx/render.py /etc/dangshi/nginx.env > /etc/nginx/sites-available/dangshi
    python deploy/nginx/render.py deploy/nginx/nginx.env.example --set TLS=0 --standalone /tmp/ngx > /tmp/ngx/nginx.conf

--set overrides a value; --standalone DIR wraps the site in a whole nginx.conf whose pid, logs and temporary files
live in DIR (for `nginx -c`, as deploy/smoke.sh and the tests run it). Values are checked before anything is
written: a stray `;` or brace would change what nginx does, not just fail.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

HERE = Path(__file__).resolve().parent
TEMPLATE = "dangshi.conf.j2"
# Debian's package paths (apt-get install nginx libnginx-mod-http-brotli-filter).
NGINX_MODULES = Path("/usr/lib/nginx/modules")
BROTLI_MODULE = NGINX_MODULES / "ngx_http_brotli_filter_module.so"
MIME_TYPES = Path("/etc/nginx/mime.types")
TEXT_TYPES = (
    "text/css text/plain text/xml text/javascript application/javascript application/json application/geo+json "
    "application/xml application/rss+xml application/atom+xml application/manifest+json image/svg+xml"
)

# name: default ("" = empty; None = must be given, except where the TLS switch makes it unused).
DEFAULTS: dict[str, str | None] = {
    "TLS": "1",
    "SERVER_NAME": None,
    "ADMIN_SERVER_NAME": None,
    "PUBLIC_LISTEN": "",
    "ADMIN_LISTEN": "",
    "HTTP_LISTEN": "80 [::]:80",
    "TLS_CERTIFICATE": "",
    "TLS_CERTIFICATE_KEY": "",
    "ADMIN_TLS_CERTIFICATE": "",
    "ADMIN_TLS_CERTIFICATE_KEY": "",
    "ACME_ROOT": "",
    "SITE_ROOT": "/srv/dangshi/var/site",
    "SITE_BUCKET_URL": "",
    "MEDIA_ROOT": "/srv/dangshi/var/media",
    "APP_UPSTREAM": "127.0.0.1:8000",
    "SEARCH_UPSTREAM": "",
    "ADMIN_ALLOW": "",
    "PUBLIC_MAX_BODY_SIZE": "1m",
    "ADMIN_MAX_BODY_SIZE": "200m",
    "SEARCH_RATE": "2r/s",
    "SEARCH_BURST": "20",
    "SUGGEST_RATE": "5r/s",
    "SUGGEST_BURST": "30",
    "LOGIN_RATE": "10r/m",
    "LOGIN_BURST": "10",
    # The page-view and study beacons, per address: a community centre's members share one (a beat per member
    # per 30 s, a view per page), so the burst is generous; a refused beacon only loses a count.
    "BEACON_RATE": "5r/s",
    "BEACON_BURST": "60",
    # Members' activity POSTs (check-in, sign-up, attendance code, 心得) per address: a centre's members may all
    # tap 打卡 or enter the code in the same minute of an event.
    "ACTION_RATE": "5r/s",
    "ACTION_BURST": "80",
    "REFLECTION_MAX_BODY_SIZE": "32m",
    "BROTLI": "auto",
    "ACCESS_LOG": "/var/log/nginx/dangshi.access.log",
    "CONF_DIR": str(HERE),
}
UNSAFE = re.compile(r"[;{}\"'`\\$#\r\n]")
RATE = re.compile(r"\d+r/[sm]")
SIZE = re.compile(r"\d+[kKmMgG]?")
UPSTREAM = re.compile(r"(?:unix:/\S+|\[[0-9a-fA-F:]+\]:\d+|[A-Za-z0-9.-]+:\d+)")


class ConfigError(ValueError):
    """A value an operator must fix; the message names it."""


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments and blank lines skipped, one pair of surrounding quotes removed)."""
    values = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals:
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def error_style_hashes(errors_dir: Path) -> str:
    """CSP sources allowing the inline <style> of nginx's own error pages, by SHA-256."""
    sources = set()
    for page in sorted(errors_dir.glob("*.html")):
        for style in re.findall(r"<style>(.*?)</style>", page.read_text(encoding="utf-8"), re.S):
            sources.add(f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'")
    return " ".join(sorted(sources)) or "'none'"


def brotli_enabled(setting: str) -> bool:
    """BROTLI=auto: on when Debian's libnginx-mod-http-brotli-filter is installed (it enables the module)."""
    return setting == "1" or (setting == "auto" and BROTLI_MODULE.exists())


def words(value: str) -> list[str]:
    return value.split()


def check(values: dict[str, str]) -> None:
    """Refuse anything that would not render into the configuration the operator meant."""
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; the settings are listed in nginx.env.example")
    for name, value in values.items():
        if UNSAFE.search(value):
            raise ConfigError(f"{name}={value!r}: quotes, ; {{ }} $ # and backslashes are not allowed")
    if values["TLS"] not in ("0", "1"):
        raise ConfigError("TLS must be 1 (production: HTTPS, HTTP redirects) or 0 (plain HTTP, loopback tests)")
    if values["BROTLI"] not in ("auto", "0", "1"):
        raise ConfigError("BROTLI must be auto, 1 or 0")
    missing = [name for name, default in DEFAULTS.items() if default is None and not values.get(name)]
    if values["TLS"] == "1":
        missing += [name for name in ("TLS_CERTIFICATE", "TLS_CERTIFICATE_KEY") if not values[name]]
    if missing:
        raise ConfigError(f"set {', '.join(missing)}")
    for name in ("SEARCH_RATE", "SUGGEST_RATE", "LOGIN_RATE", "BEACON_RATE", "ACTION_RATE"):
        if not RATE.fullmatch(values[name]):
            raise ConfigError(f"{name}={values[name]!r}: a rate like 2r/s or 10r/m")
    for name in ("SEARCH_BURST", "SUGGEST_BURST", "LOGIN_BURST", "BEACON_BURST", "ACTION_BURST"):
        if not values[name].isdigit():
            raise ConfigError(f"{name}={values[name]!r}: a whole number of requests")
    for name in ("PUBLIC_MAX_BODY_SIZE", "ADMIN_MAX_BODY_SIZE", "REFLECTION_MAX_BODY_SIZE"):
        if not SIZE.fullmatch(values[name]):
            raise ConfigError(f"{name}={values[name]!r}: a size like 1m or 200m")
    for name in ("APP_UPSTREAM", "SEARCH_UPSTREAM"):
        for server in words(values[name]):
            if not UPSTREAM.fullmatch(server):
                raise ConfigError(f"{name}: {server!r} is not host:port or unix:/path")
    for network in words(values["ADMIN_ALLOW"]):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"ADMIN_ALLOW: {network!r} is not an address or network (10.1.0.0/16)") from None
    bucket = urlsplit(values["SITE_BUCKET_URL"])
    if values["SITE_BUCKET_URL"] and (bucket.scheme not in ("http", "https") or not bucket.hostname
                                      or bucket.query or bucket.fragment or " " in values["SITE_BUCKET_URL"]):
        raise ConfigError(f"SITE_BUCKET_URL={values['SITE_BUCKET_URL']!r}: https://host/prefix of a public-read bucket")
    for name in ("SITE_ROOT", "MEDIA_ROOT", "CONF_DIR"):
        if not values[name].startswith("/") or " " in values[name]:
            raise ConfigError(f"{name}={values[name]!r}: an absolute path without spaces")


def context(values: dict[str, str]) -> dict:
    """The template's variables from checked values, with the defaults that depend on the TLS switch."""
    tls = values["TLS"] == "1"
    suffix = " ssl http2" if tls else ""
    public_listen = [address + suffix for address in words(values["PUBLIC_LISTEN"] or ("443 [::]:443" if tls else "80"))]
    admin_listen = [address + suffix for address in words(values["ADMIN_LISTEN"])] or public_listen
    http_listen = words(values["HTTP_LISTEN"]) if tls else []
    admin_allow = words(values["ADMIN_ALLOW"])
    if admin_allow:
        admin_allow = list(dict.fromkeys([*admin_allow, "127.0.0.1", "::1"]))
    bucket = urlsplit(values["SITE_BUCKET_URL"])
    return {
        "tls": tls,
        "server_name": values["SERVER_NAME"],
        "admin_server_name": values["ADMIN_SERVER_NAME"],
        "public_listen": public_listen,
        "admin_listen": admin_listen,
        "http_listen": http_listen,
        # Every address once, for the catch-all server that answers unknown host names.
        "default_listen": list(dict.fromkeys(public_listen + admin_listen + http_listen)),
        "tls_certificate": values["TLS_CERTIFICATE"],
        "tls_certificate_key": values["TLS_CERTIFICATE_KEY"],
        "admin_tls_certificate": values["ADMIN_TLS_CERTIFICATE"] or values["TLS_CERTIFICATE"],
        "admin_tls_certificate_key": values["ADMIN_TLS_CERTIFICATE_KEY"] or values["TLS_CERTIFICATE_KEY"],
        "acme_root": values["ACME_ROOT"],
        "site_root": values["SITE_ROOT"].rstrip("/"),
        "bucket_origin": f"{bucket.scheme}://{bucket.netloc}" if bucket.netloc else "",
        "bucket_host": bucket.netloc,
        "bucket_prefix": bucket.path.rstrip("/"),
        "media_root": values["MEDIA_ROOT"].rstrip("/"),
        "app_upstream": words(values["APP_UPSTREAM"]),
        "search_upstream": words(values["SEARCH_UPSTREAM"] or values["APP_UPSTREAM"]),
        "admin_allow": admin_allow,
        "public_max_body_size": values["PUBLIC_MAX_BODY_SIZE"],
        "admin_max_body_size": values["ADMIN_MAX_BODY_SIZE"],
        "search_rate": values["SEARCH_RATE"],
        "search_burst": values["SEARCH_BURST"],
        "suggest_rate": values["SUGGEST_RATE"],
        "suggest_burst": values["SUGGEST_BURST"],
        "login_rate": values["LOGIN_RATE"],
        "login_burst": values["LOGIN_BURST"],
        "beacon_rate": values["BEACON_RATE"],
        "beacon_burst": values["BEACON_BURST"],
        "action_rate": values["ACTION_RATE"],
        "action_burst": values["ACTION_BURST"],
        "reflection_max_body_size": values["REFLECTION_MAX_BODY_SIZE"],
        "brotli": brotli_enabled(values["BROTLI"]),
        "text_types": TEXT_TYPES,
        "access_log": values["ACCESS_LOG"],
        "conf_dir": values["CONF_DIR"].rstrip("/"),
        "error_style_hashes": error_style_hashes(Path(values["CONF_DIR"]) / "errors"),
    }


def render_site(values: dict[str, str]) -> str:
    """The site file for Debian's /etc/nginx/sites-enabled/ (inside the http {} block)."""
    merged = {name: default or "" for name, default in DEFAULTS.items()} | values
    check(merged)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    return environment.get_template(TEMPLATE).render(context(merged))


def standalone(site: str, prefix: Path, brotli: bool) -> str:
    """A whole nginx.conf around `site` with its pid, error log and temporary files under `prefix`."""
    temp = {name: prefix / "tmp" / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)  # nginx makes the last level itself
    lines = [f"load_module {BROTLI_MODULE};"] if brotli else []
    lines += [
        "worker_processes 2;",
        f"pid {prefix / 'nginx.pid'};",
        f"error_log {prefix / 'error.log'} warn;",
        "events {",
        "    worker_connections 1024;",
        "}",
        "http {",
        f"    include {MIME_TYPES};",
        "    default_type application/octet-stream;",
        "    types_hash_max_size 2048;",
        "    sendfile on;",
        "    tcp_nopush on;",
        *(f"    {name}_temp_path {path};" for name, path in temp.items()),
        *("    " + line if line else "" for line in site.splitlines()),
        "}",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the nginx site of 党史学习资源库 from an env file of values.")
    parser.add_argument("env_file", type=Path, help="KEY=VALUE lines, as deploy/nginx/nginx.env.example")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one value")
    parser.add_argument("--standalone", type=Path, metavar="DIR", help="a whole nginx.conf with its files in DIR")
    parser.add_argument("--output", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    try:
        values = read_env_file(args.env_file)
        for pair in args.set:
            key, equals, value = pair.partition("=")
            if not equals:
                raise ConfigError(f"--set {pair!r}: expected KEY=VALUE")
            values[key] = value
        if args.standalone:
            values["ACCESS_LOG"] = str(args.standalone.resolve() / "access.log")
        text = render_site(values)
        if args.standalone:
            text = standalone(text, args.standalone.resolve(), brotli_enabled(values.get("BROTLI", "auto")))
    except (ConfigError, OSError) as error:
        print(f"render.py: {error}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
