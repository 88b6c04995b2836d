"""Hot words (log, decay, pins, blocks, the daily refresh, pre-render data) and the queue tasks that keep the index live."""

import json
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from content_models.models import EBookPage, VideoSeriesPage
from search_index import hotwords
from search_index.indexer import index_info
from search_index.models import HotWord, HotWordBlock, HotWordPin, QueryLog, SearchTerm
from search_index.tasks import index_item, rebuild_index
from site_builder.tasks import rebuild_site


def get_json(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def run_worker() -> None:
    # In-process, to keep these tests quick; test_scheduling runs db_worker as a real separate process.
    call_command("db_worker", "--backend", "queue", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def search_tasks():
    return DBTaskResult.objects.filter(task_path__in=[index_item.module_path, rebuild_index.module_path])


def test_slugs_are_stable_url_safe_and_distinct():
    slug = hotwords.slug_for("四个自信")
    assert slug == hotwords.slug_for("四个自信") and slug.startswith("sigezixin-")
    assert slug.replace("-", "").isalnum() and slug.isascii()
    assert hotwords.slug_for("实事") != hotwords.slug_for("时事")  # same pinyin, different words


def test_only_sensible_queries_are_logged_as_plain_words_and_nothing_about_who(built_index, client):
    book = EBookPage.objects.live().public().filter(district_only=False).first()
    browser = "Mozilla/5.0 (Linux; Android 14; 红旗手机)"
    client.get("/search/", {"q": book.title}, REMOTE_ADDR="192.0.2.77", HTTP_USER_AGENT=browser)
    client.get("/search/", {"q": f"title:{book.title} AND 读本"}, REMOTE_ADDR="192.0.2.77", HTTP_USER_AGENT=browser)
    client.get("/search/", {"q": "党" * 10_000})
    client.get("/search/", {"q": "title:*"})
    client.get("/search/", {"q": ""})
    assert sorted(QueryLog.objects.values_list("text", flat=True)) == sorted([book.title.lower(), f"{book.title.lower()} 读本"])
    assert {f.name for f in QueryLog._meta.get_fields()} == {"id", "text", "day", "visitor"}
    stored = json.dumps(list(QueryLog.objects.values()), default=str, ensure_ascii=False)
    assert "192.0.2.77" not in stored and "红旗手机" not in stored and "Android" not in stored
    # Two searches by one person are not linkable: the visitor mark includes the text.
    assert QueryLog.objects.values("visitor").distinct().count() == 2


def test_hot_words_rank_by_decayed_count_with_pins_first_and_blocks_nowhere(built_index, client, settings):
    settings.HOT_WORD_REQUIRE_APPROVAL = False
    books = list(EBookPage.objects.live().public().filter(district_only=False).order_by("pk")[:3])
    today = hotwords.today()
    old, recent, blocked = books[0].title, books[1].title, books[2].title

    def visitors(text: str, count: int, days_ago: int) -> list[QueryLog]:
        return [QueryLog(text=text, day=today - timedelta(days=days_ago), visitor=f"v{n}") for n in range(count)]

    QueryLog.objects.bulk_create(
        visitors(old, 8, 20) + visitors(recent, 5, 0) + visitors(blocked, 9, 0) + visitors("没有这个词的结果", 9, 0)
    )
    HotWordPin.objects.create(word="党员", order=1)
    # Blocking part of a word hides every word containing it, not just the word itself.
    part = blocked[1:-1]
    assert part not in old and part not in recent
    HotWordBlock.objects.create(word=part)
    call_command("refresh_hot_words", stdout=StringIO())
    words = [entry["word"] for entry in get_json(client, "/api/hotwords/")]
    assert words[0] == "党员"
    assert words.index(recent) < words.index(old)  # 5 visitors today beat 8 twenty days ago (half-life 7 days)
    assert blocked not in words and "没有这个词的结果" not in words
    assert blocked not in get_json(client, "/api/suggest/", q=blocked[:2])


def test_a_hot_word_page_drops_an_item_that_leaves_the_public_set(built_index, client):
    book = EBookPage.objects.live().public().filter(district_only=False).order_by("pk").first()
    HotWordPin.objects.create(word=book.title, order=0)

    def hot_entry() -> tuple[dict, set[str]]:
        entry = get_json(client, "/api/hotwords/", with_results="1")[0]
        assert entry["word"] == book.title and entry["url"] == f"/hot/{entry['slug']}/"
        return entry, {result["url"] for result in entry["results"]}

    entry, urls = hot_entry()
    assert book.site_path in urls  # indexed and public: its hot word shows it
    book.district_only = True
    book.save_revision().publish()
    DBTaskResult.objects.exclude(pk__in=search_tasks().values("pk")).delete()  # the site rebuild is not ours to test
    run_worker()
    assert search_tasks().get().status == TaskResultStatus.SUCCESSFUL, search_tasks().get().traceback

    entry, urls = hot_entry()
    assert book.site_path not in urls
    assert hotwords.hot_word_pages(built_index)[0]["slug"] == entry["slug"]
    page = client.get(entry["url"])
    assert page.status_code == 200 and book.site_path not in page.content.decode()


def test_reading_hot_words_keeps_the_log_and_the_daily_refresh_prunes_it_and_rebuilds_only_on_change(
    db, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SEARCH_INDEX_DIR = tmp_path / "no-index"
    HotWordPin.objects.create(word="党史学习教育", order=0)  # an editor's pin refreshes the list at once
    today = hotwords.today()
    QueryLog.objects.create(text="旧", day=today - timedelta(days=settings.HOT_WORD_WINDOW_DAYS), visitor="a")
    QueryLog.objects.create(text="新", day=today, visitor="a")
    for _ in range(3):
        assert json.loads(Client().get("/api/hotwords/").content)[0]["word"] == "党史学习教育"
        assert Client().get("/api/hotwords/", {"with_results": "1"}).status_code == 503  # no index built yet
    assert QueryLog.objects.count() == 2  # a GET changes nothing
    DBTaskResult.objects.all().delete()

    def daily() -> dict:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("refresh_hot_words", stdout=out)
        return json.loads(out.getvalue())

    assert daily() == {"pruned": 1, "pending": 0, "shown": ["党史学习教育"], "changed": False}
    assert list(QueryLog.objects.values_list("text", flat=True)) == ["新"]
    assert not DBTaskResult.objects.exists()  # the list did not change: no rebuild
    HotWordPin.objects.filter(word="党史学习教育").update(order=5)
    HotWordPin.objects.bulk_create([HotWordPin(word="三会一课", status=HotWord.Status.PINNED, order=1)])
    assert daily()["shown"] == ["三会一课", "党史学习教育"]
    assert DBTaskResult.objects.get().task_path == rebuild_site.module_path


def test_unpublishing_removes_item_and_episodes_through_the_worker(built_index, client):
    series = VideoSeriesPage.objects.live().public().filter(district_only=False).first()
    episodes = series.episodes.count()
    before = index_info(built_index)["doc_count"]
    assert any(hit["url"] == series.site_path for hit in get_json(client, "/api/search/", q=series.title)["hits"])
    series.unpublish()
    assert search_tasks().filter(status=TaskResultStatus.READY).count() == 1
    DBTaskResult.objects.exclude(pk__in=search_tasks().values("pk")).delete()  # the site rebuild is not ours to test
    run_worker()
    result = search_tasks().get()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    assert result.return_value["deleted"] == 1 + episodes
    assert index_info(built_index)["doc_count"] == before - 1 - episodes
    assert series.site_path not in json.dumps(get_json(client, "/api/search/", q=series.title))

    series.save_revision().publish()
    DBTaskResult.objects.exclude(pk__in=search_tasks().values("pk")).delete()
    run_worker()
    assert index_info(built_index)["doc_count"] == before


def test_a_new_dictionary_term_rebuilds_the_index_in_the_background(built_index):
    old = index_info(built_index)
    SearchTerm.objects.create(word="红旗渠精神")
    DBTaskResult.objects.exclude(pk__in=search_tasks().values("pk")).delete()
    assert search_tasks().count() == 1, list(DBTaskResult.objects.values_list("task_path", flat=True))
    run_worker()
    assert search_tasks().get().status == TaskResultStatus.SUCCESSFUL, search_tasks().get().traceback
    new = index_info(built_index)
    assert new["generation"] != old["generation"]
    assert new["dictionary_version"] != old["dictionary_version"]
    assert new["doc_count"] == old["doc_count"]


def test_a_burst_of_changes_queues_one_index_rebuild_and_a_later_change_another(built_index):
    DBTaskResult.objects.all().delete()
    for word in ("红旗渠精神", "北大荒精神", "大庆精神"):
        SearchTerm.objects.create(word=word)
    assert search_tasks().filter(task_path=rebuild_index.module_path).count() == 1
    run_worker()
    assert search_tasks().get().status == TaskResultStatus.SUCCESSFUL, search_tasks().get().traceback
    SearchTerm.objects.create(word="铁人精神")
    assert search_tasks().filter(status=TaskResultStatus.READY).count() == 1


def test_item_changes_behind_a_waiting_rebuild_queue_nothing_more_and_are_found_after_it(built_index, client):
    # Seeding queued 3,310 item updates behind the rebuild its first column asked for; the rebuild reads them all.
    DBTaskResult.objects.all().delete()
    SearchTerm.objects.create(word="红旗渠精神")
    books = list(EBookPage.objects.live().public().filter(district_only=False).order_by("pk")[:2])
    for number, book in enumerate(books):
        book.title = f"红旗渠精神读本（第{number + 1}卷）"
        book.save_revision().publish()
    assert [task.task_path for task in search_tasks()] == [rebuild_index.module_path]
    DBTaskResult.objects.exclude(pk__in=search_tasks().values("pk")).delete()
    run_worker()
    assert search_tasks().get().status == TaskResultStatus.SUCCESSFUL, search_tasks().get().traceback
    hits = {hit["url"] for hit in get_json(client, "/api/search/", q="红旗渠精神读本")["hits"]}
    assert {book.site_path for book in books} <= hits
    # With no rebuild waiting, a change queues its own update again.
    books[0].title = "红旗渠精神读本（修订）"
    books[0].save_revision().publish()
    assert search_tasks().filter(task_path=index_item.module_path, status=TaskResultStatus.READY).count() == 1


def test_search_answers_when_the_query_log_cannot_be_written(built_index, client, monkeypatch):
    from django.db import OperationalError

    def database_away(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(QueryLog.objects, "bulk_create", database_away)
    data = get_json(client, "/api/search/", q="延安精神")
    assert data["total"] > 0
    assert not QueryLog.objects.exists()


def test_builder_plans_prerendered_hot_pages_from_the_search_api(built_index, live_server):
    from site_builder.hotwords import plan_hot_pages
    from site_builder.pages import SiteConfig, plan_site
    from site_builder.source import CMSClient, fetch_catalogue, load_hot_words

    HotWordPin.objects.create(word="党员", order=0)
    client = CMSClient(live_server.url + "/api/v2/")
    entries = load_hot_words(live_server.url + "/api/hotwords/", client, "/search/")
    plan = plan_site(fetch_catalogue(client), SiteConfig(search_url="/search/"), entries)  # hot pages name only its pages
    plan_hot_pages(plan, entries)
    page = next(page for page in plan.pages if page.template == "hot")
    assert page.path == hotwords.hot_word_entry("党员")["url"] and page.template == "hot"
    assert page.context["hot"].results
