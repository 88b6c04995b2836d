"""Question banks in the admin through HTTP: creating banks and questions, the district editors' share (their
district's banks only), and the spreadsheet import (admin upload and `manage.py import_questions`): per-row Chinese
errors, all or nothing, a second import changing nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from activities.models import Question, QuestionBank
from activities.quiz_demo import BANK_NAME
from content_models.models import LibraryItemPage
from content_models.taxonomy import District

pytestmark = pytest.mark.django_db
HEADER = ["题库", "题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "出处编号"]


def nanguan_editor(client):
    user = get_user_model().objects.create_user("nanguan-quiz", password="pw")
    user.groups.add(Group.objects.get(name="南关区编辑"))
    client.force_login(user)
    return client


def xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, data: bytes, action: str, name: str = "题库.xlsx"):
    return client.post("/admin/quiz/import/", {"sheet": SimpleUploadedFile(name, data), "action": action})


def good_rows(source_id: int) -> list[list]:
    return [
        ["长春红色历史", "单选", "长春是哪一年解放的？", "1945年", "1948年", "1949年", "", "B", "1948年10月长春和平解放。", source_id],
        ["长春红色历史", "多选", "下列哪些是吉林的红色地标？", "杨靖宇烈士陵园", "长春解放纪念碑", "井冈山", "", "A, B", "", ""],
        ["长春红色历史", "判断", "第一汽车制造厂于1953年在长春奠基。", "", "", "", "", "正确", "1953年7月15日，一汽在长春奠基。", ""],
    ]


def test_a_city_editor_creates_a_bank_and_a_question_with_its_source(admin_client_zh, tiny_catalogue):
    for path in ("/admin/quiz/banks/new/", "/admin/quiz/questions/new/", "/admin/quiz/import/"):
        assert admin_client_zh.get(path).status_code == 200, path
    response = admin_client_zh.post("/admin/quiz/banks/new/", {"name": "抗联精神专项测评", "district": "", "description": ""})
    assert response.status_code == 302
    bank = QuestionBank.objects.get(name="抗联精神专项测评")
    assert bank.district is None and not bank.daily
    book = LibraryItemPage.objects.get(slug="ebook-0004")
    data = {"bank": bank.pk, "kind": Question.SINGLE, "active": "on", "text": "杨靖宇将军是哪里人？",
            "choices": "河南确山\n吉林濛江\n辽宁本溪", "answer": "Z", "explanation": "杨靖宇，河南确山人。", "source": book.pk}
    refused = admin_client_zh.post("/admin/quiz/questions/new/", data)
    assert refused.status_code == 200 and "答案应为选项字母（A–C）" in refused.content.decode()
    assert admin_client_zh.post("/admin/quiz/questions/new/", {**data, "answer": "a"}).status_code == 302
    question = Question.objects.get(text="杨靖宇将军是哪里人？")
    assert (question.answer, question.source_id, question.choice_list()) == ("A", book.pk, ["河南确山", "吉林濛江", "辽宁本溪"])
    listing = admin_client_zh.get("/admin/quiz/questions/").content.decode()
    assert "杨靖宇将军是哪里人" in listing and "中国共产党第一次全国代表大会" in listing


def test_a_district_editor_keeps_to_their_districts_banks(client, tiny_catalogue):
    nanguan, kuancheng = District.objects.get(slug="nanguan"), District.objects.get(slug="kuancheng")
    theirs = QuestionBank.objects.create(name="宽城区党史知识", district=kuancheng)
    foreign = Question.objects.create(bank=theirs, kind=Question.TRUE_FALSE, text="宽城区的一道题。", answer="A")
    city = Question.objects.get(text__startswith="中国共产党第一次全国代表大会")
    nanguan_editor(client)
    response = client.post("/admin/quiz/banks/new/", {"name": "南关区红色地标", "district": "", "description": ""})
    assert response.status_code == 200 and not QuestionBank.objects.filter(name="南关区红色地标").exists()
    response = client.post("/admin/quiz/banks/new/", {"name": "南关区红色地标", "district": kuancheng.pk, "description": ""})
    assert response.status_code == 200 and not QuestionBank.objects.filter(name="南关区红色地标").exists()
    assert client.post("/admin/quiz/banks/new/", {"name": "南关区红色地标", "district": nanguan.pk, "daily": "on"}).status_code == 302
    own = QuestionBank.objects.get(name="南关区红色地标")
    banks = client.get("/admin/quiz/banks/").content.decode()
    assert "南关区红色地标" in banks and BANK_NAME not in banks and "宽城区党史知识" not in banks
    data = {"bank": theirs.pk, "kind": Question.TRUE_FALSE, "text": "南关区有红色地标。", "answer": "A", "choices": ""}
    assert client.post("/admin/quiz/questions/new/", data).status_code == 200  # another district's bank: not offered
    assert client.post("/admin/quiz/questions/new/", {**data, "bank": own.pk}).status_code == 302
    questions = client.get("/admin/quiz/questions/").content.decode()
    assert "南关区有红色地标" in questions and "宽城区的一道题" not in questions and city.text[:10] not in questions
    for question in (foreign, city):
        assert client.get(f"/admin/quiz/questions/edit/{question.pk}/").status_code == 404
    assert client.get(f"/admin/quiz/banks/edit/{theirs.pk}/").status_code == 404


def test_a_good_sheet_is_imported_and_importing_it_again_changes_nothing(admin_client_zh, tiny_catalogue):
    source = LibraryItemPage.objects.get(slug="ebook-0001")
    data = xlsx(good_rows(source.pk))
    checked = upload(admin_client_zh, data, "check").content.decode()
    assert "题目共 3 行：将新建 3" in checked and "检查通过" in checked and not QuestionBank.objects.filter(name="长春红色历史").exists()
    written = upload(admin_client_zh, data, "write").content.decode()
    assert "题目共 3 行：已新建 3" in written
    bank = QuestionBank.objects.get(name="长春红色历史")
    assert bank.district is None and bank.daily
    rows = {q.text: (q.kind, q.answer, q.choice_list(), q.source_id) for q in bank.questions.all()}
    assert rows == {
        "长春是哪一年解放的？": (Question.SINGLE, "B", ["1945年", "1948年", "1949年"], source.pk),
        "下列哪些是吉林的红色地标？": (Question.MULTIPLE, "AB", ["杨靖宇烈士陵园", "长春解放纪念碑", "井冈山"], None),
        "第一汽车制造厂于1953年在长春奠基。": (Question.TRUE_FALSE, "A", ["正确", "错误"], None),
    }
    again = upload(admin_client_zh, data, "write").content.decode()
    assert "已新建 0，已更新 0，无变化 3" in again and Question.objects.filter(bank=bank).count() == 3


def test_bad_rows_are_named_in_chinese_and_nothing_is_written(admin_client_zh, tiny_catalogue):
    rows = good_rows(LibraryItemPage.objects.get(slug="ebook-0001").pk) + [
        ["长春红色历史", "填空", "长春的别称是____。", "", "", "", "", "春城", "", ""],
        ["长春红色历史", "单选", "", "甲", "乙", "", "", "A", "", ""],
        ["长春红色历史", "单选", "只有一个选项的题？", "甲", "", "", "", "A", "", ""],
        ["长春红色历史", "单选", "答案不在选项里的题？", "甲", "乙", "", "", "D", "", ""],
        ["长春红色历史", "单选", "出处不存在的题？", "甲", "乙", "", "", "A", "", 999999],
        ["长春红色历史", "单选", "长春是哪一年解放的？", "1945年", "1948年", "", "", "B", "", ""],
    ]
    for action in ("check", "write"):
        html = upload(admin_client_zh, xlsx(rows), action).content.decode()
        assert "未导入任何内容" in html
        for message in ("第 5 行", "应为 单选、多选 或 判断", "第 6 行", "必须填写", "第 7 行", "请至少填写两个选项",
                        "第 8 行", "答案应为选项字母（A–B）", "第 9 行", "没有编号为 999999 的资源",
                        "第 10 行", "与第 2 行是同一题库的同一道题"):
            assert message in html, message
    assert not QuestionBank.objects.filter(name="长春红色历史").exists()
    assert not Question.objects.filter(text="长春是哪一年解放的？").exists()
    missing = upload(admin_client_zh, xlsx([["长春红色历史", "判断", "题", "A"]], ["题库", "题型", "题目", "正确答案"]), "check")
    assert "表头缺少这一列" in missing.content.decode()
    assert "不支持 .txt 文件" in upload(admin_client_zh, b"x", "check", "题库.txt").content.decode()


def test_a_district_editors_import_fills_their_districts_bank(client, tiny_catalogue):
    nanguan_editor(client)
    csv_sheet = "题库,题型,题目,选项,答案,解析\n南关区党史,单选,南关区位于长春市的哪个方向？,\"东南\n西北\",A,\n"
    html = upload(client, csv_sheet.encode("utf-8-sig"), "write", "题库.csv").content.decode()
    assert "已新建 1" in html and "您只能导入到南关区的题库" in html
    bank = QuestionBank.objects.get(name="南关区党史")
    assert bank.district.slug == "nanguan" and bank.questions.get().choice_list() == ["东南", "西北"]


def test_the_import_questions_command(tiny_catalogue, tmp_path):
    good = tmp_path / "题库.xlsx"
    good.write_bytes(xlsx(good_rows(LibraryItemPage.objects.get(slug="ebook-0001").pk)))
    out = io.StringIO()
    call_command("import_questions", str(good), "--dry-run", stdout=out)
    assert "将新建 3" in out.getvalue() and not QuestionBank.objects.filter(name="长春红色历史").exists()
    call_command("import_questions", str(good), stdout=out)
    assert QuestionBank.objects.get(name="长春红色历史").questions.count() == 3
    bad = tmp_path / "坏表.xlsx"
    bad.write_bytes(xlsx([["长春红色历史", "单选", "新题？", "甲", "乙", "", "", "E", "", ""]]))
    with pytest.raises(CommandError, match="未导入任何内容"):
        call_command("import_questions", str(bad), stderr=io.StringIO())
    assert not Question.objects.filter(text="新题？").exists()


def test_the_quiz_menu_is_shown_to_organisers_only(client, tiny_catalogue):
    menu = nanguan_editor(client).get("/admin/").content.decode()  # the sidebar's items, as JSON
    assert all(f'"url": "/admin/quiz/{path}/"' in menu for path in ("banks", "questions", "import"))
    reviewer = get_user_model().objects.create_user("visitor", password="pw")
    reviewer.groups.add(Group.objects.get(name="市级审核"))  # may use the admin, but is no district's editor
    client.force_login(reviewer)
    assert '"url": "/admin/quiz/import/"' not in client.get("/admin/").content.decode()
    assert client.get("/admin/quiz/import/").status_code in (302, 403)
    assert client.get("/admin/quiz/questions/").status_code in (302, 403)
