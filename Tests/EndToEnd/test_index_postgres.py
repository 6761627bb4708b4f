"""The index on PostgreSQL, where that engine differs from SQLite: its full-text index, the
statements it keeps prepared, and PgBouncer between Pier and the server. Every other index
behaviour runs on both engines (`--index=postgres` in scripts/test.sh)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import pytest

from harness import Registry, images
from harness.index_api import api, eventually
from harness.pgbouncer import PgBouncer, missing_pgbouncer
from harness.tools import in_ci

pytestmark = pytest.mark.pier_only


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def push_services(srv, count: int) -> None:
    reg = Registry(srv.url)
    for i in range(count):
        reg.push(f"team/service-{i}", "v1", images.image(i + 1))
    assert eventually(lambda: api(srv, "/api/v1/search?q=service").json()["count"] == count)


def found(srv, query: str, **params) -> list[str]:
    r = api(srv, "/api/v1/search", params={"q": query, **params})
    assert r.status_code == 200, r.text
    return [hit["name"] for hit in r.json()["results"]]


@pytest.fixture
def pgbouncer(postgres, tmp_path):
    reason = missing_pgbouncer()
    if reason:
        if in_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    bouncer = PgBouncer(tmp_path / "pgbouncer", postgres).start()
    yield bouncer
    bouncer.stop()


def test_pushed_documents_go_straight_into_the_full_text_tree_not_a_pending_list(make_server, postgres):
    """GIN's fast update queues writes in a list every search reads whole until a vacuum;
    the index turns it off, so after pushes nothing is pending and a search reads the tree."""
    url = postgres.new_database()
    srv = make_server("pier", config={"index": {"database": url}})
    push_services(srv, 6)
    name = database_name(url)
    postgres.sql(name, "CREATE EXTENSION IF NOT EXISTS pgstattuple")
    pending = postgres.sql(name, "SELECT pending_tuples FROM pgstatginindex('search_documents_by_document')")
    assert pending.strip() == "0"
    assert found(srv, "service-3") == ["team/service-3"]


def test_a_search_naming_a_repository_runs_as_a_prepared_statement(make_server, postgres):
    """The server plans the search once per connection, not once per request: its log
    shows the statement executed by name, and the answers are the same."""
    url = postgres.new_database()
    name = database_name(url)
    postgres.sql("postgres", f"ALTER DATABASE {name} SET log_statement = 'all'")
    srv = make_server("pier", config={"index": {"database": url}})
    push_services(srv, 3)
    for _ in range(8):
        assert found(srv, "service-2") == ["team/service-2"]
    assert found(srv, "service", page_size=2, page=5) == []
    log = postgres.log_path.read_text(errors="replace")
    assert "execute Index.SearchSQL.Page:" in log
    assert "execute Index.SearchSQL.Count:" in log


def test_the_index_works_through_pgbouncer_in_transaction_pooling(make_server, postgres, pgbouncer):
    """Behind PgBouncer each transaction may run on another server connection: Pier
    connects (no startup parameter PgBouncer refuses), migrates, records pushes, and
    searches answer right once prepared statements turn out not to survive; from then on
    they are sent unnamed."""
    url = pgbouncer.url(database_name(postgres.new_database()))
    srv = make_server("pier", config={"index": {"database": url}})
    push_services(srv, 4)

    def search(i: int) -> list[str]:
        return found(srv, f"service-{i % 4}")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(search, range(64)))
    assert answers == [[f"team/service-{i % 4}"] for i in range(64)]
    assert api(srv, "/api/v1/repositories/team/service-1").json()["name"] == "team/service-1"
    assert "sent unprepared" in srv.log
