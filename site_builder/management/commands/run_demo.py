"""run_demo: the whole system on one machine — CMS and API, the task worker, and the public site on one origin
(the built pages with search routed to the CMS, as nginx does in production)."""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content_models.tasks import ensure_publish_scheduler
from search_index.tasks import rebuild_index
from site_builder.dev_server import make_server
from site_builder.tasks import rebuild_site


class Command(BaseCommand):
    help = "演示：启动内容管理后台与接口、后台任务进程，并提供构建好的静态网站。按 Ctrl-C 结束。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000, help="内容管理后台端口")
        parser.add_argument("--site-port", type=int, default=8080, help="公开网站端口（静态页面与搜索）")

    def handle(self, *args, host: str, port: int, site_port: int, **options) -> None:
        cms_url, site_url = f"http://{host}:{port}", f"http://{host}:{site_port}"
        # Search links are site-relative: the search pages are on the site's own origin.
        env = {**os.environ, "WAGTAILADMIN_BASE_URL": cms_url, "PUBLIC_SITE_URL": site_url, "SEARCH_URL": "/search/",
               "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "cms.settings.dev")}
        site_dir = Path(settings.SITE_BUILD_DIR)
        site_dir.mkdir(parents=True, exist_ok=True)
        try:
            router = make_server(site_dir, cms_url, host, site_port)
        except OSError as error:
            raise CommandError(f"公开网站端口 {host}:{site_port} 无法使用：{error}") from error
        threading.Thread(target=router.serve_forever, daemon=True).start()
        # A plain `kill` (or a supervisor stopping the demo) ends the children too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        processes = [
            subprocess.Popen([*manage, "runserver", "--noreload", f"{host}:{port}"], env=env),
            subprocess.Popen([*manage, "db_worker", "--backend", "queue", "--no-reload", "--interval", "0.5"], env=env),
            # Uploaded episode videos and audio are transcoded apart, as in production (dangshi-media-worker).
            subprocess.Popen([*manage, "db_worker", "--backend", "queue", "--queue-name", "media", "--no-reload", "--interval", "1",
                              "--worker-id", "media"], env=env),
        ]
        try:
            self.wait_for(f"{cms_url}/api/v2/columns/")
            # The worker takes them in order: the search index first, so the site's hot-word pages have results.
            rebuild_index.enqueue(reason="演示启动")
            rebuild_site.enqueue(reason="演示启动")
            ensure_publish_scheduler()
            self.stdout.write(self.style.SUCCESS(
                f"\n网站（党员看到的唯一网址）：{site_url}/（首次构建需要几秒）\n"
                f"搜索：{site_url}/search/?q=延安精神\n"
                f"内容管理后台：{cms_url}/admin/\n接口：{cms_url}/api/v2/\n"
                "在后台发布内容后，几秒内网站随之更新。按 Ctrl-C 结束。\n"
            ))
            while all(process.poll() is None for process in processes):
                time.sleep(1)
            self.stderr.write("有一个演示进程意外退出，正在结束其余进程。")
        except KeyboardInterrupt:
            pass
        finally:
            router.shutdown()
            router.server_close()
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)

    def wait_for(self, url: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"内容管理后台在 {seconds:.0f} 秒内没有启动：{url}")
