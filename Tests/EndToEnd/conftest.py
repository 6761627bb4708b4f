"""pytest wiring for the end-to-end suite.

Server selection: `--server=pier|distribution|both` (or env E2E_SERVER), default
`pier`. Tests that take the `server`/`registry` fixtures run once per selected
kind. Tests marked `pier_only` are skipped for the reference server
(distribution 2.8.2) unless `--pier-only-on-reference` is given, which is only
useful to see how the reference behaves.

When the Pier binary ($PIER_BIN, default .build/debug/pier) is missing, Pier
tests skip with the reason, except under CI=true, where the run fails at once.
"""

from __future__ import annotations

import os
import re

import pytest

from harness import KINDS, Registry, Server, missing_binary, stop_all
from harness.tools import Podman, in_ci


def pytest_addoption(parser):
    parser.addoption(
        "--server",
        default=os.environ.get("E2E_SERVER", "pier"),
        choices=["pier", "distribution", "both"],
        help="which registry to test: pier (default), distribution (the reference), or both",
    )
    parser.addoption(
        "--pier-only-on-reference",
        action="store_true",
        help="also run pier_only tests against distribution (expected to fail; for investigation)",
    )


def selected_kinds(config) -> list[str]:
    choice = config.getoption("--server")
    return list(KINDS) if choice == "both" else [choice]


def pytest_configure(config):
    config.addinivalue_line("markers", "pier_only: behaviour where Pier goes beyond or differs from distribution 2.8.2")
    config.addinivalue_line("markers", "big: the 1 GiB blob test (deselect locally with -m 'not big')")
    config.addinivalue_line("markers", "clients: drives real clients (skopeo, podman, buildah, oras)")
    if in_ci() and "pier" in selected_kinds(config):
        reason = missing_binary("pier")
        if reason:
            raise pytest.UsageError(f"CI=true but {reason}")


def pytest_generate_tests(metafunc):
    if "server_kind" in metafunc.fixturenames:
        kinds = selected_kinds(metafunc.config)
        metafunc.parametrize("server_kind", kinds, ids=kinds, scope="module")


def pytest_collection_modifyitems(config, items):
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
