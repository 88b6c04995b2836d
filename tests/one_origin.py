"""The tiny catalogue as members reach it: built site and search pages on one origin, through the dev router."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

from django.core.management import call_command

from site_builder.build import build_site
from site_builder.dev_server import OneOriginServer, make_server
from site_builder.pages import SiteConfig


@contextmanager
def running(server: OneOriginServer) -> Iterator[str]:
    """Serve in a thread; yields the server's base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextmanager
def one_origin(cms_api_url: str, folder: Path, settings) -> Iterator[str]:
    """Index the catalogue, start the router in front of the live CMS, build the site for its address; yields it."""
    settings.SEARCH_INDEX_DIR = folder / "search-index"
    call_command("build_search_index", verbosity=0)
    with running(make_server(folder / "site", urljoin(cms_api_url, "/"), port=0)) as url:
        build_site(cms_api_url, folder / "site", config=SiteConfig(site_url=url, search_url="/search/", hot_words_source=None))
        yield url
