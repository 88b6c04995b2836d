"""seed_demo: load the deterministic demo catalogue (tiny for tests, seed for the seed's full figures)."""

import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone
from tqdm import tqdm

from activities.quiz_demo import seed_quiz_bank
from content_models.demo_data import SCALES
from content_models.seeding import seed
from members.demo import create_demo_member
from members.demo_history import seed_study_history

DEMO_USERS = [
    # (username, password, group or None for superuser)
    ("admin", "dangshi-demo-2021", None),
    ("nanguan", "dangshi-demo-2021", "南关区编辑"),
]


class Command(BaseCommand):
    help = "创建演示内容（按固定随机种子生成，可重复运行，不会重复创建）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
        parser.add_argument("--seed", dest="seed_value", type=int, default=2021, help="随机种子，同一种子生成相同内容。")
        parser.add_argument("--users", action="store_true", help="同时创建演示账号并打印登录信息。")

    def handle(self, *args, scale: str, seed_value: int, users: bool, **options) -> None:
        bars: list[tqdm] = []
        show = sys.stderr.isatty() and options["verbosity"] > 0

        def progress(name: str, total: int):
            bar = tqdm(total=total, desc=name, unit="条", disable=not show, leave=True)
            bars.append(bar)
            return bar.update

        created = seed(scale, seed_value, progress)
        for bar in bars:
            bar.close()
        summary = "，".join(f"{name} {count}" for name, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"演示内容（{scale}）已就绪，本次新建：{summary}"))
        if users:
            self.create_users()
        # The 「学习统计」 dashboard's history: a year at the seed's totals (last year, complete), or four recent weeks.
        if scale == "seed":
            call_command("seed_learning_history", year=timezone.localdate().year - 1, items_per_day=300, stdout=self.stdout)
        else:
            call_command("seed_learning_history", days=28, visits=2800, visitors=900, minutes=5600, items_per_day=8,
                         stdout=self.stdout)

    def create_users(self) -> None:
        User = get_user_model()
        for username, password, group in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_superuser = user.is_staff = group is None
                user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            role = "超级管理员" if group is None else group
            self.stdout.write(f"演示账号：{username} / {password}（{role}）")
        member, line = create_demo_member()
        seed_quiz_bank()  # the 每日答题 demo bank
        self.stdout.write(line)
        seed_study_history(member)  # so the archive page shows figures right away
