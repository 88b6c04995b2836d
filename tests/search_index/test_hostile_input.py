"""Hostile and odd queries: all are plain text, none raises, each is cut to a bounded query before any work."""

from __future__ import annotations

import pytest

from search_index.analysis import MAX_QUERY_WORDS
from search_index.query import MAX_QUERY_CHARS, search, suggest

HOSTILE = [
    "",
    "   ",
    "党" * 10_000,
    "a b " * 5_000,
    "title:*",
    "*",
    "?",
    " OR ".join(["a", "b"] * 1000),
    '"国有企业',
    "国有企业\"')(",
    "<script>alert(1)</script>",
    "😀🇨🇳👍",
    "sigezixin",
    "dang shi xue xi",
    "\x00\x1f\u200b",
    "NOT AND OR",
    "ｔｉｔｌｅ：＊",
    "%s%n{0}",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_query_is_bounded_and_escaped(built_index, q):
    result = search(built_index, q)
    assert len(result.words) <= MAX_QUERY_WORDS
    assert len(result.query) <= MAX_QUERY_CHARS
    for hit in result.hits:
        assert "<script" not in hit.snippet_html
        assert "<script" not in hit.title_html
    assert "<script" not in result.query_html


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_prefix_suggests_without_error(built_index, q):
    assert isinstance(suggest(built_index, q), list)


def test_field_syntax_is_just_text(built_index):
    # With a query parser, title:* would match every document with a title.
    assert search(built_index, "title:*").total == 0
    assert search(built_index, "*").total == 0


def test_script_query_is_echoed_escaped(built_index):
    result = search(built_index, "<script>alert(1)</script>")
    assert result.query_html == "&lt;script&gt;alert(1)&lt;/script&gt;"
