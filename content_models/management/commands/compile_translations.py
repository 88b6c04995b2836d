"""compile_translations: the project's .po catalogues (LOCALE_PATHS) to .mo in pure Python, no gettext needed."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def compile_catalogues(locale_dirs: list[Path]) -> list[Path]:
    """Write a .mo beside every .po under the given locale folders; returns the .mo files written."""
    written = []
    for folder in locale_dirs:
        for po_file in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
            catalogue = polib.pofile(str(po_file))
            if catalogue.fuzzy_entries():
                raise CommandError(f"{po_file}：有标为 fuzzy 的条目，请确认译文后去掉 fuzzy 标记再编译。")
            mo_file = po_file.with_suffix(".mo")
            catalogue.save_as_mofile(str(mo_file))
            written.append(mo_file)
    return written


class Command(BaseCommand):
    help = "把项目的翻译目录（LOCALE_PATHS 下的 .po）编译成 .mo；纯 Python，不需要安装 gettext。"

    def handle(self, *args, **options) -> None:
        for mo_file in compile_catalogues([Path(p) for p in settings.LOCALE_PATHS]):
            self.stdout.write(f"已编译 {mo_file}")
