"""``manage.py build_site``: build the static site on the CMS host, reading this CMS's API over HTTP."""

import argparse
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from site_builder.__main__ import BUSY_HINT, EXIT_BUSY, add_site_options, add_wait_option, site_config
from site_builder.build import BuildError, build_site
from site_builder.lock import SiteBusy, site_lock
from site_builder.source import CMSUnavailable
from site_builder.tasks import cms_site_config


class Command(BaseCommand):
    help = "从内容管理系统的公开接口生成静态网站（与 python -m site_builder build 相同）。"

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(settings.SITE_BUILD_DIR), help="输出目录（默认 SITE_BUILD_DIR）")
        parser.add_argument("--api", default=settings.CMS_API_URL, help="内容接口地址（默认 CMS_API_URL，需 CMS 正在运行）")
        add_site_options(parser)
        parser.add_argument("--full", action="store_true", help="完整构建：重新获取并生成全部内容（默认只处理变化的部分）")
        add_wait_option(parser)
        config = cms_site_config()
        parser.set_defaults(site_url=config.site_url, search_url=config.search_url, hot_words=config.hot_words_source)

    def handle(self, *args, **options):
        config = site_config(argparse.Namespace(**options))
        try:
            # The same lock as the worker's rebuild and `python -m site_builder build|publish` on this folder.
            with site_lock(options["out"], wait=options["wait"], doing="构建"):
                result = build_site(options["api"], Path(options["out"]), progress=sys.stderr.isatty(), config=config, full=options["full"])
        except SiteBusy as error:
            raise CommandError(f"{error}{BUSY_HINT}", returncode=EXIT_BUSY) from error
        except (CMSUnavailable, BuildError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {result.pages} 个页面（{result.files} 个文件；{'增量' if result.incremental else '完整'}构建，"
                f"重新生成 {result.rendered} 个页面、写入 {len(result.written)} 个文件），用时 {result.seconds:.1f} 秒，"
                f"删除过期文件 {len(result.removed)} 个：{options['out']}"
            )
        )

