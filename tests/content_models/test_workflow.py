"""District editors submit for review; the city reviewers (市级审核) approve (it goes live) or reject (it does not)."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from wagtail.models import GroupPagePermission, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from content_models.models import Column, NewsPage, SectionPage
from content_models.seeding import ensure_districts
from content_models.workspaces import CITY_EDITORS, CITY_REVIEWERS, REVIEW_WORKFLOW


@pytest.fixture
def people(db):
    """A 南关区 editor, a city reviewer (with an e-mail address for notifications) and a live 南关区 news page."""
    ensure_districts()
    User = get_user_model()
    editor = User.objects.create_user("nanguan", "nanguan@example.cn", "pw")
    editor.groups.add(Group.objects.get(name="南关区编辑"))
    reviewer = User.objects.create_user("shenhe", "shenhe@example.cn", "pw", first_name="审核员")
    reviewer.groups.add(Group.objects.get(name=CITY_REVIEWERS))
    section = SectionPage.objects.get(district__slug="nanguan")
    page = NewsPage(title="南关区党史宣讲", slug="xuanjiang", date=date(2024, 7, 1), body="<p>宣讲。</p>", live=False)
    page.columns = [Column.objects.first()]
    section.add_child(instance=page)
    page.save_revision().publish()
    return editor, reviewer, page


def edit_form(title: str, action: str) -> dict:
    form = nested_form_data({
        "title": title, "slug": "xuanjiang", "date": "2024-07-01", "source": "南关区委组织部",
        "body": '{"blocks":[{"key":"a","type":"unstyled","text":"宣讲。","depth":0,"inlineStyleRanges":[],"entityRanges":[]}],"entityMap":{}}',
        "summary": "", "tags": "", "comments": inline_formset([]),
    })
    form["columns"] = [str(Column.objects.first().pk)]
    form[action] = "1"
    return form


def submit(client, editor, page, title: str, django_capture_on_commit_callbacks) -> WorkflowState:
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/pages/{page.pk}/edit/", edit_form(title, "action-submit"))
    assert response.status_code == 302
    return WorkflowState.objects.get(base_content_type__isnull=False, object_id=str(page.pk), status="in_progress")


@pytest.mark.django_db
def test_district_sections_carry_the_review_workflow_and_district_editors_lack_publish(people):
    section = SectionPage.objects.get(district__slug="nanguan")
    assert section.get_workflow().name == REVIEW_WORKFLOW
    city_workflow = SectionPage.objects.get(district__isnull=True).get_workflow()
    assert city_workflow is None or city_workflow.name != REVIEW_WORKFLOW  # city editors publish directly
    codenames = set(GroupPagePermission.objects.filter(group__name="南关区编辑").values_list("permission__codename", flat=True))
    assert "publish_page" not in codenames and {"add_page", "change_page"} <= codenames
    assert GroupPagePermission.objects.filter(group__name=CITY_EDITORS, permission__codename="publish_page").exists()


@pytest.mark.django_db
def test_approved_submission_goes_live_and_reviewers_are_notified(client, people, django_capture_on_commit_callbacks):
    editor, reviewer, page = people
    state = submit(client, editor, page, "南关区党史宣讲（更新）", django_capture_on_commit_callbacks)
    page.refresh_from_db()
    assert page.title == "南关区党史宣讲" and page.has_unpublished_changes  # still the old title live
    assert any(reviewer.email in m.to for m in mail.outbox), [m.to for m in mail.outbox]

    client.force_login(reviewer)
    task_state = state.current_task_state
    response = client.post(f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/", {"comment": "同意发布"})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live and page.title == "南关区党史宣讲（更新）" and not page.has_unpublished_changes
    state.refresh_from_db()
    assert state.status == "approved"


@pytest.mark.django_db
def test_rejected_submission_with_a_comment_does_not_go_live(client, people, django_capture_on_commit_callbacks):
    editor, reviewer, page = people
    state = submit(client, editor, page, "未经核实的标题", django_capture_on_commit_callbacks)
    client.force_login(reviewer)
    task_state = state.current_task_state
    client.post(f"/admin/pages/workflow/action/{page.pk}/reject/{task_state.pk}/", {"comment": "请核实史实后再提交"})
    page.refresh_from_db()
    assert page.title == "南关区党史宣讲"
    state.refresh_from_db()
    task_state.refresh_from_db()
    assert state.status == "needs_changes" and task_state.comment == "请核实史实后再提交"


@pytest.mark.django_db
def test_district_editor_cannot_publish_directly(client, people):
    editor, _reviewer, page = people
    client.force_login(editor)
    client.post(f"/admin/pages/{page.pk}/edit/", edit_form("绕过审核的标题", "action-publish"))
    page.refresh_from_db()
    assert page.title == "南关区党史宣讲"
    assert client.post(f"/admin/pages/{page.pk}/unpublish/").status_code in (302, 403)
    page.refresh_from_db()
    assert page.live

