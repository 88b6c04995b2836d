"""The demo member (13900000001 / dangshi-demo-2021, 南关区) and their community, for `seed_demo --users`."""

from __future__ import annotations

from content_models.taxonomy import District

from .models import Community, Member

DEMO_PHONE = "13900000001"
DEMO_PASSWORD = "dangshi-demo-2021"
DEMO_NAME = "王建国"
DEMO_COMMUNITY = "全安街道民康社区"
DEMO_INVITATION_CODE = "MINKANG2021"


def create_demo_member() -> tuple[Member, str]:
    """The demo member, created once (a later run changes nothing); returns it and the line to print."""
    district = District.objects.get(name="南关区")
    community, _ = Community.objects.get_or_create(
        district=district, name=DEMO_COMMUNITY, defaults={"invitation_code": DEMO_INVITATION_CODE}
    )
    member = Member.objects.filter(phone=DEMO_PHONE).first()
    if member is None:
        member = Member(phone=DEMO_PHONE, name=DEMO_NAME, district=district, community=community)
        member.set_password(DEMO_PASSWORD)
        member.save()
    return member, f"演示党员：{DEMO_PHONE} / {DEMO_PASSWORD}（{district.name}）"
