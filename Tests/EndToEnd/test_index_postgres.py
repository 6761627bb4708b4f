"""The index on PostgreSQL, where that engine differs from SQLite: its full-text index.
Every other index behaviour runs on both engines (`--index=postgres` in scripts/test.sh)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from harness import Registry, images
from harness.index_api import api, eventually

pytestmark = pytest.mark.pier_only


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def test_pushed_documents_go_straight_into_the_full_text_tree_not_a_pending_list(make_server, postgres):
    """GIN's fast update queues writes in a list every search reads whole until a vacuum;
    the index turns it off, so after pushes nothing is pending and a search reads the tree."""
    url = postgres.new_database()
    srv = make_server("pier", config={"index": {"database": url}})
    reg = Registry(srv.url)
    for i in range(6):
        reg.push(f"team/service-{i}", "v1", images.image(i + 1))
    assert eventually(lambda: api(srv, "/api/v1/search?q=service").json()["count"] == 6)
    name = database_name(url)
    postgres.sql(name, "CREATE EXTENSION IF NOT EXISTS pgstattuple")
    pending = postgres.sql(name, "SELECT pending_tuples FROM pgstatginindex('search_documents_by_document')")
    assert pending.strip() == "0"
    assert [r["name"] for r in api(srv, "/api/v1/search?q=service-3").json()["results"]] == ["team/service-3"]
