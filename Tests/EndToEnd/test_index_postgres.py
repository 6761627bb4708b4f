"""The index on PostgreSQL, where that engine differs from SQLite: its full-text index, the
statements it keeps prepared, PgBouncer between Pier and the server, and TLS to a server
with a certificate of its own. Every other index behaviour runs on both engines
(`--index=postgres` in scripts/test.sh)."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import pytest

from harness import Registry, images
from harness.index_api import api, eventually
from harness.pgbouncer import PgBouncer, missing_pgbouncer
from harness.pki import CA
from harness.postgres import USER, PostgreSQL
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


def test_a_role_that_may_only_read_and_write_rows_opens_the_index_its_owner_migrated(make_server, postgres):
    """Production databases often split roles: the owner migrates the schema, the
    application's role may only read and write rows (no CREATE in the schema, PostgreSQL
    15's default for a role that does not own it). Pier under such a role opens an index
    that is current and keeps it up to date."""
    url = postgres.new_database()
    name = database_name(url)
    owner = make_server("pier", config={"index": {"database": url}})
    push_services(owner, 1)
    owner.stop()
    role = f"{name}_app"
    postgres.sql(name, f"CREATE ROLE {role} LOGIN")
    postgres.sql(name, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    postgres.sql(name, f"GRANT USAGE ON SCHEMA public TO {role}")
    postgres.sql(name, f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    postgres.sql(name, f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    app = make_server("pier", root=owner.root, config={"index": {"database": url.replace(f"//{USER}@", f"//{role}@")}})
    Registry(app.url).push("team/service-1", "v1", images.image(2))
    assert eventually(lambda: api(app, "/api/v1/search?q=service").json()["count"] == 2)


def test_search_documents_of_an_earlier_shape_are_rewritten_at_start(make_server, postgres):
    """Schema step 15 writes every search document again with its texts cut at `/ . _ -`:
    a database whose documents PostgreSQL's parser read whole (`alice/app.v2`, the `-12`
    of `node-12.x`) finds `v2` and `12.x` after Pier starts on it."""
    url = postgres.new_database()
    srv = make_server("pier", config={"index": {"database": url}})
    reg = Registry(srv.url)
    for name in ("alice/app.v2", "alice/node-12.x"):
        assert reg.push(name, "v1", images.image(1)).status_code == 201
    assert eventually(lambda: api(srv, "/api/v1/search?q=alice").json()["count"] == 2)
    srv.stop()
    name = database_name(url)
    # The documents as earlier versions wrote them, and the schema from before the step.
    postgres.sql(name, "UPDATE search_documents SET document = setweight(to_tsvector('simple', name), 'A') "
                       "|| setweight(to_tsvector('simple', description), 'B') || setweight(to_tsvector('simple', tags), 'C') "
                       "|| setweight(to_tsvector('simple', overview), 'D'); DELETE FROM schema_migrations WHERE version = 15")
    earlier = "SELECT count(*) FROM search_documents WHERE document @@ to_tsquery('simple', 'v2:*')"
    assert postgres.sql(name, earlier).strip() == "0"
    srv.start()
    assert eventually(lambda: api(srv, "/api/v1/search?q=v2").status_code == 200)
    assert found(srv, "v2") == ["alice/app.v2"]
    assert found(srv, "12.x") == ["alice/node-12.x"]
    assert postgres.sql(name, earlier).strip() == "1"


def logging_statements(postgres) -> str:
    """A fresh database whose every statement the server logs; its URL."""
    url = postgres.new_database()
    postgres.sql("postgres", f"ALTER DATABASE {database_name(url)} SET log_statement = 'all'")
    return url


def test_a_search_naming_a_repository_runs_as_a_prepared_statement(make_server, postgres):
    """The server plans the search once per connection, not once per request: its log
    shows the page (with its count) and, past the last page, the count executed by name,
    and the answers are the same."""
    srv = make_server("pier", config={"index": {"database": logging_statements(postgres)}})
    push_services(srv, 3)
    for _ in range(8):
        assert found(srv, "service-2") == ["team/service-2"]
    assert found(srv, "service", page_size=2, page=5) == []
    log = postgres.log_path.read_text(errors="replace")
    assert "execute pier_search_page_" in log
    assert "execute pier_search_count_" in log


def test_a_search_by_a_caller_who_sees_only_some_repositories_runs_prepared(make_server, postgres, htpasswd):
    """With access rules, the matches are read by a prepared statement, then filtered."""
    users = {"alice": "alice-pw"}
    policy = {"rules": [{"repository": "team/**", "users": ["alice"], "actions": ["pull", "push"]}]}
    srv = make_server("pier", config={"index": {"database": logging_statements(postgres)}, "access": policy,
                                      "auth": {"htpasswd": {"realm": "pier", "path": str(htpasswd(users))}}},
                      auth=("alice", "alice-pw"))
    reg = Registry(srv.url, auth=("alice", "alice-pw"))
    for i in range(3):
        reg.push(f"team/service-{i}", "v1", images.image(i + 1))

    def search(query: str) -> list[str]:
        r = api(srv, "/api/v1/search", auth=("alice", "alice-pw"), params={"q": query})
        assert r.status_code == 200, r.text
        return [hit["name"] for hit in r.json()["results"]]

    assert eventually(lambda: len(search("service")) == 3)
    assert search("service-1") == ["team/service-1"]
    assert "execute pier_search_matches_" in postgres.log_path.read_text(errors="replace")


def test_the_index_works_through_pgbouncer_in_transaction_pooling(pgbouncer, postgres, make_server):
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


@pytest.fixture
def tls_postgres(postgres, tmp_path):
    """A PostgreSQL serving TLS with a certificate from an authority of its own, as Debian's
    default cluster (a self-signed certificate) or a managed database does."""
    ca = CA("Pier e2e database CA")
    pg = PostgreSQL(tmp_path / "pg-tls", tls=ca.server_cert()).start()
    yield pg, ca
    pg.stop()


def encrypted_sessions(pg: PostgreSQL, database: str) -> int:
    """Sessions on `database`, other than psql's own, that run over TLS."""
    return int(pg.sql(database, "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                "WHERE a.datname = current_database() AND s.ssl AND a.pid <> pg_backend_pid()"))


@pytest.mark.parametrize("mode", ["require", "verify-full with its authority"])
def test_the_index_reaches_a_postgres_over_tls_as_libpq_would(tls_postgres, make_server, tmp_path, mode):
    """`require` encrypts without checking the certificate, as libpq does (a server with a
    certificate of its own is reached); `verify-full` checks it against `sslrootcert`."""
    pg, ca = tls_postgres
    url = pg.new_database()
    query = "sslmode=require" if mode == "require" else f"sslmode=verify-full&sslrootcert={ca.write(tmp_path / 'db-ca.pem')}"
    srv = make_server("pier", config={"index": {"database": url.split("?")[0] + "?" + query}})
    push_services(srv, 2)
    assert encrypted_sessions(pg, database_name(url)) >= 1


def test_verify_full_checks_the_host_and_verify_ca_only_the_chain(make_server, tmp_path):
    """A certificate from the right authority for another host name: `verify-ca` takes it,
    `verify-full` refuses it and says why."""
    ca = CA("Pier e2e database CA")
    pg = PostgreSQL(tmp_path / "pg-misnamed", tls=ca.issue("db.internal", dns=("db.internal",))).start()
    try:
        roots = ca.write(tmp_path / "db-ca.pem")
        url = pg.new_database().split("?")[0]
        chain = make_server("pier", config={"index": {"database": f"{url}?sslmode=verify-ca&sslrootcert={roots}"}})
        push_services(chain, 1)
        host = make_server("pier", config={"index": {"database": f"{url}?sslmode=verify-full&sslrootcert={roots}"}})
        assert eventually(lambda: "index database could not be opened" in host.log, timeout=30)
        assert "CERTIFICATE_VERIFY_FAILED" in host.log or "hostname" in host.log.lower(), host.log[-2000:]
    finally:
        pg.stop()


def test_the_index_refuses_a_postgres_whose_certificate_another_authority_signed(tls_postgres, make_server, tmp_path):
    """`verify-full` against the wrong authority: no connection, the registry serves on
    without its index, and the log says why."""
    pg, _ = tls_postgres
    other = CA("Another CA").write(tmp_path / "other-ca.pem")
    url = pg.new_database().split("?")[0] + f"?sslmode=verify-full&sslrootcert={other}"
    srv = make_server("pier", config={"index": {"database": url}})
    reg = Registry(srv.url)
    assert eventually(lambda: "index database could not be opened" in srv.log, timeout=30)
    reg.push("team/app", "v1", images.image(1))
    assert reg.get_manifest("team/app", "v1").status_code == 200
    assert "CERTIFICATE_VERIFY_FAILED" in srv.log


def test_a_statement_the_server_holds_fails_its_request_instead_of_holding_it(make_server, postgres):
    """A table locked by another session (a migration, an administrator's transaction)
    holds every statement reading it: the request answers 503 at the statement's deadline
    while the lock is still held, and the index answers again once it is gone."""
    url = postgres.new_database()
    srv = make_server("pier", config={"index": {"database": url}})
    push_services(srv, 1)
    holder = subprocess.Popen(
        [str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "pier", "-d", database_name(url),
         "-c", "BEGIN; LOCK TABLE repositories IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PGAPPNAME": "pier-test-lock-holder"},
    )
    locked = database_name(url)
    holders = ("FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
               "WHERE c.relname = 'repositories' AND l.mode = 'AccessExclusiveLock' AND l.granted")
    try:
        assert eventually(lambda: postgres.sql(locked, f"SELECT count(*) {holders}").strip() == "1")
        r = api(srv, "/api/v1/repositories/team/service-0")
        assert r.status_code == 503, r.text
        assert holder.poll() is None and postgres.sql(locked, f"SELECT count(*) {holders}").strip() == "1", \
            "the lock was released before the request answered"
    finally:
        # The server notices a client gone only when it next talks to it: end the session.
        postgres.sql(locked, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'pier-test-lock-holder'")
        holder.kill()
        holder.wait()
    assert eventually(lambda: api(srv, "/api/v1/repositories/team/service-0").status_code == 200, timeout=30)


def test_a_webhook_made_through_one_instance_hears_a_push_through_another_right_after(make_server, postgres, htpasswd, tmp_path):
    """Two instances on one database and one storage: a hook made through the first hears
    a push made through the second a moment later (the second learns of the hook before it
    files the push's deliveries, not at its next pass)."""
    from harness.receiver import Receiver

    url = postgres.new_database()
    alice = ("alice", "alice-pw")
    config = {"auth": {"htpasswd": {"realm": "pier", "path": str(htpasswd({"alice": "alice-pw"}))}},
              "index": {"database": url, "webhooks": {"allow": ["127.0.0.0/8"]}}}
    first = make_server("pier", config=config)
    second = make_server("pier", config=config, root=first.root)
    Registry(first.url, auth=alice).push("alice/app", "seed", images.image(1))
    assert eventually(lambda: api(first, "/api/v1/repositories/alice/app", auth=alice).status_code == 200)
    receiver = Receiver().start()
    reg = Registry(second.url, auth=alice)
    img = images.image(1)
    for blob in img.all_blobs():
        assert reg.push_blob("alice/app", blob).status_code == 201
    try:
        for round in range(3):
            hook = api(first, "/api/v1/repositories/alice/app/webhooks", auth=alice, method="POST",
                       json={"url": receiver.url(), "events": ["push"], "format": "dockerhub"})
            assert hook.status_code == 201, hook.text
            # Only the manifest goes after the hook, as the last request of a push does.
            assert reg.put_manifest("alice/app", f"r{round}", img).status_code == 201
            assert eventually(lambda: any(f"r{round}" in r["body"].decode() for r in receiver.requests), timeout=30), \
                f"round {round}: the push through the second instance was not delivered"
            assert api(first, f"/api/v1/repositories/alice/app/webhooks/{hook.json()['id']}", auth=alice, method="DELETE").status_code == 204
    finally:
        receiver.stop()


def test_a_push_does_not_wait_for_an_index_database_that_does_not_answer(make_server, postgres, htpasswd):
    """Webhooks ask the shared database for news before filing a push's deliveries; with
    its tables locked (a migration, an administrator's transaction) the push is answered
    without waiting for the statement's deadline."""
    url = postgres.new_database()
    srv = make_server("pier", config={"index": {"database": url, "webhooks": {"allow": ["127.0.0.0/8"]}}})
    reg = Registry(srv.url)
    img = images.image(1)
    for blob in img.all_blobs():
        assert reg.push_blob("team/locked", blob).status_code == 201
    locked = database_name(url)
    holder = subprocess.Popen(
        [str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "pier", "-d", locked,
         "-c", "BEGIN; LOCK TABLE index_state IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PGAPPNAME": "pier-test-lock-holder"},
    )
    holders = ("FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
               "WHERE c.relname = 'index_state' AND l.mode = 'AccessExclusiveLock' AND l.granted")
    try:
        assert eventually(lambda: postgres.sql(locked, f"SELECT count(*) {holders}").strip() == "1")
        # The statement deadline is 10 s: a push that waited for it would miss this timeout.
        fast = Registry(srv.url, timeout=5)
        assert fast.put_manifest("team/locked", "v1", img).status_code == 201
    finally:
        postgres.sql(locked, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'pier-test-lock-holder'")
        holder.kill()
        holder.wait()
