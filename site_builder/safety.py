"""What the theme's templates put into HTML from data, made safe in one place: URL schemes, rich text, search snippets.

Nothing is trusted for having come through our own API: a row written straight into the database, an old
import or a compromised CMS must not get script into the static site or the search pages. The templates
use these as Jinja filters (JINJA_FILTERS; the builder and search_index.views both register them) and
have no `|safe` of their own.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markupsafe import Markup

SAFE_SCHEMES = frozenset({"http", "https"})

# The news body's editor features (h2 h3 bold italic ol ul link document-link image) as Wagtail renders them.
RICH_TEXT_TAGS = {"h2", "h3", "b", "strong", "i", "em", "ol", "ul", "li", "a", "p", "br", "img"}
RICH_TEXT_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}}

_rich_text = nh3.Cleaner(
    tags=RICH_TEXT_TAGS,
    attributes=RICH_TEXT_ATTRIBUTES,
    url_schemes=set(SAFE_SCHEMES),  # relative URLs pass unchanged
    link_rel="noopener",
    strip_comments=True,
)
_snippet = nh3.Cleaner(tags={"mark"}, attributes={}, link_rel=None)

# Browsers drop ASCII tab and newline anywhere in a URL and C0 controls and spaces around it.
_IGNORED_IN_URL = re.compile(r"[\t\n\r]")
_URL_EDGES = "".join(chr(c) for c in range(0x21))


def _scheme(url: str) -> str | None:
    """The scheme a browser would see in `url` (lower case), or None for a relative URL."""
    probe = _IGNORED_IN_URL.sub("", url).strip(_URL_EDGES)
    head = re.split(r"[/?#]", probe, maxsplit=1)[0]
    return head.split(":", 1)[0].lower() if ":" in head else None


def safe_url(value: object) -> str:
    """`value` if it is an http(s) or relative URL, else "" (javascript:, data:, vbscript:, any other scheme).

    The check also runs on the value with HTML entities decoded, so "javascript&#58;…" cannot slip through
    somewhere the value ends up decoded.
    """
    return _checked_url(value) if isinstance(value, str) else ""


@lru_cache(maxsize=65536)  # a build checks ~150,000 URLs, most of them the same few thousand paths
def _checked_url(value: str) -> str:
    if not value.strip(_URL_EDGES):
        return ""
    for form in (value, html.unescape(value)):
        scheme = _scheme(form)
        if scheme is not None and scheme not in SAFE_SCHEMES:
            return ""
    return value.strip(_URL_EDGES)


def safe_srcset(value: object) -> str:
    """An <img srcset> with every candidate URL checked by safe_url(); "" if any fails."""
    if not isinstance(value, str):
        return ""
    candidates = [candidate.strip() for candidate in value.split(",") if candidate.strip()]
    if any(not safe_url(candidate.split()[0]) for candidate in candidates):
        return ""
    return ", ".join(candidates)


def rich_text(value: object) -> Markup:
    """Editor HTML cleaned with nh3: the editor's tags only, no event handlers, links and images http(s) or relative,
    links with rel="noopener"; unbalanced tags come out balanced."""
    return Markup(_rich_text.clean(value)) if isinstance(value, str) else Markup("")


def marked_snippet(value: object) -> Markup:
    """A search snippet or title (already-escaped text with <mark> around the matches): every other tag removed."""
    return Markup(_snippet.clean(value)) if isinstance(value, str) else Markup("")


def html_safe_json(data: bytes) -> bytes:
    """JSON with <, > and & as \\u escapes: the same value, and harmless if a page ever inlines the file."""
    return data.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


JINJA_FILTERS = {"safe_url": safe_url, "safe_srcset": safe_srcset, "rich_text": rich_text, "marked_snippet": marked_snippet}
