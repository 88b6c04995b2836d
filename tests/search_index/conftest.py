"""Fixtures for the search core tests: a small corpus of real Chinese documents and a built index.

Plain Python only: the core needs no Django.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from search_index.indexer import build_index

CORPUS: list[dict] = [
    {
        "key": "ebook:1",
        "type": "ebook",
        "title": "国有企业改革四十年",
        "people": "王建国",
        "summary": "本书回顾了国有企业改革的历程，记录长春一汽等老工业基地的变迁。",
        "body": "第一章 国有企业改革的起点。第二章 现代企业制度。",
        "columns": ["qiangguo-zhilu"],
        "district": "lvyuan",
        "tags": ["改革开放", "老工业基地"],
        "date": "2019-10-01",
        "url": "/books/1/",
        "cover": "/media/covers/1.webp",
    },
    {
        "key": "ebook:2",
        "type": "ebook",
        "title": "东北经济漫谈",
        "people": "李明",
        "summary": "国有资产管理的经验，以及民营经济的发展。",
        "body": "这里谈到国有的土地制度，后面很远的章节才讲到民营企业的融资。",
        "columns": ["qiangguo-zhilu"],
        "district": "",
        "tags": [],
        "date": "2020-05-04",
        "url": "/books/2/",
        "cover": "",
    },
    {
        "key": "episode:31",
        "type": "episode",
        "title": "白山黑水 第3集",
        "people": "",
        "summary": "东北抗日联军在白山黑水间坚持斗争。",
        "body": "",
        "columns": ["huihuang-licheng"],
        "district": "",
        "tags": ["抗联精神"],
        "date": "2021-06-01",
        "url": "/videos/7/3/",
        "cover": "",
    },
    {
        "key": "episode:32",
        "type": "episode",
        "title": "白山黑水 第4集",
        "people": "",
        "summary": "东北抗日联军在白山黑水间坚持斗争。",
        "body": "",
        "columns": ["huihuang-licheng"],
        "district": "",
        "tags": ["抗联精神"],
        "date": "2021-06-08",
        "url": "/videos/7/4/",
        "cover": "",
    },
    {
        "key": "news:5",
        "type": "news",
        "title": "南关区开展三会一课专题学习",
        "people": "南关区委组织部",
        "summary": "坚定四个自信，推进党史学习教育走深走实。<script>alert(1)</script>",
        "body": "社区党员参加两学一做学习教育，代码ＡＢＣ１２３。",
        "columns": ["sige-zixin", "sishi-xuexi"],
        "district": "nanguan",
        "tags": ["三会一课", "四个自信"],
        "date": "2021-07-01",
        "url": "/news/5/",
        "cover": "",
    },
    {
        "key": "site:6",
        "type": "site",
        "title": "杨靖宇烈士陵园",
        "people": "",
        "summary": "纪念东北抗日联军杨靖宇将军的爱国主义教育基地。",
        "body": "位于通化，是红色教育基地。",
        "columns": ["huihuang-licheng"],
        "district": "",
        "tags": ["红色基因"],
        "date": "",
        "url": "/map/6/",
        "cover": "",
    },
    {
        "key": "periodical:7",
        "type": "periodical",
        "title": "黨史博覽",
        "people": "编辑部",
        "summary": "介紹黨史知識的刊物。",
        "body": "",
        "columns": ["sishi-xuexi"],
        "district": "chaoyang",
        "tags": [],
        "date": "2022-01-01",
        "url": "/periodicals/7/",
        "cover": "",
    },
    {
        "key": "series:8",
        "type": "series",
        "title": "中国梦 我的梦",
        "people": "长春电视台",
        "summary": "讲述普通人追逐中国梦的故事。",
        "body": "",
        "columns": ["zhongguo-meng"],
        "district": "nanguan",
        "tags": ["中国梦"],
        "date": "2018-03-01",
        "url": "/videos/8/",
        "cover": "",
    },
]


@pytest.fixture(scope="session")
def corpus() -> list[dict]:
    return [dict(doc) for doc in CORPUS]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, corpus: list[dict]) -> Path:
    """A read-only index over CORPUS shared by query tests (tests that write build their own)."""
    index_dir = tmp_path_factory.mktemp("index")
    build_index(corpus, index_dir)
    return index_dir
