"""tags/list and _catalog: content, order, pagination."""

import pytest

from harness import Registry, assert_error, images, next_link

TAGS = ["zeta", "alpha", "v1.0", "v1.10", "v1.2", "B-upper", "latest", "a_b", "0", "mid"]


@pytest.fixture(scope="module")
def tagged(registry):
    repo = "e2e/tags/many"
    img = images.image(1)
    registry.push(repo, TAGS[0], img)
    for t in TAGS[1:]:
        assert registry.put_manifest(repo, t, img).status_code == 201
    return repo


def test_tags_list_names_the_repository_and_contains_every_tag(registry, tagged):
    r = registry.get(f"/v2/{tagged}/tags/list")
    assert r.status_code == 200
    assert r.json()["name"] == tagged
    assert sorted(r.json()["tags"]) == sorted(TAGS)


@pytest.mark.pier_only
def test_tags_list_is_sorted(registry, tagged):
    # distribution 2.8.2 returns tags in directory order.
    assert registry.get(f"/v2/{tagged}/tags/list").json()["tags"] == sorted(TAGS)


@pytest.mark.pier_only
@pytest.mark.parametrize("n", [1, 2, 3, 9, 10, 11])
def test_tags_pagination_follows_link_until_the_union_is_the_full_sorted_list(registry, tagged, n):
    # distribution 2.8.2 ignores n and last on tags/list.
    union, pages = registry.paginate(f"/v2/{tagged}/tags/list", "tags", n)
    assert union == sorted(TAGS)
    assert all(len(p) <= n for p in pages)


@pytest.mark.pier_only
def test_tags_link_header_has_last_and_n_and_rel_next(registry, tagged):
    r = registry.get(f"/v2/{tagged}/tags/list", params={"n": 2})
    expected = sorted(TAGS)
    assert r.json()["tags"] == expected[:2]
    link = next_link(r)
    assert link.startswith(f"/v2/{tagged}/tags/list?")
    assert "n=2" in link and f"last={expected[1]}" in link
    assert 'rel="next"' in r.headers["Link"]


@pytest.mark.pier_only
def test_tags_last_starts_after_the_given_tag(registry, tagged):
    expected = sorted(TAGS)
    r = registry.get(f"/v2/{tagged}/tags/list", params={"last": expected[3], "n": 100})
    assert r.json()["tags"] == expected[4:]
    assert "Link" not in r.headers


@pytest.mark.pier_only
def test_tags_n_zero_returns_an_empty_list(registry, tagged):
    r = registry.get(f"/v2/{tagged}/tags/list", params={"n": 0})
    assert r.status_code == 200
    assert r.json()["tags"] == []


@pytest.mark.pier_only
@pytest.mark.parametrize("n", ["-1", "abc", "1.5"])
def test_tags_invalid_n_is_400_pagination_number_invalid(registry, tagged, n):
    # distribution 2.8.2 ignores n on tags/list (200 with every tag).
    assert_error(registry.get(f"/v2/{tagged}/tags/list", params={"n": n}), 400, "PAGINATION_NUMBER_INVALID")


def test_tags_of_unknown_repository_is_404_name_unknown(registry):
    assert_error(registry.get("/v2/e2e/never/pushed/tags/list"), 404, "NAME_UNKNOWN")


# ---- catalog: a private server per test so the repository set is exact -------

# Only '/' and alphanumerics: distribution orders by path components, which for
# these names agrees with plain lexical order.
REPOS = ["a", "a/b", "a/b/c", "ab", "b", "c/d/e/f", "c/x", "zz/top", "m0", "m1/n"]


@pytest.fixture
def catalog_registry(make_server, server_kind):
    reg = Registry(make_server(server_kind).url)
    img = images.image(1)
    for name in REPOS:
        reg.push(name, "t", img)
    return reg


def test_catalog_is_sorted_and_lists_nested_names(catalog_registry):
    r = catalog_registry.get("/v2/_catalog")
    assert r.status_code == 200
    assert r.json()["repositories"] == sorted(REPOS)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 9, 10, 11, 100])
def test_catalog_pagination_follows_link_until_the_union_is_the_full_set(catalog_registry, n):
    union, pages = catalog_registry.paginate("/v2/_catalog", "repositories", n)
    assert union == sorted(REPOS)
    assert all(len(p) <= n for p in pages)
    assert len(union) == len(set(union))


def test_catalog_link_header_carries_last_and_n(catalog_registry):
    r = catalog_registry.get("/v2/_catalog", params={"n": 3})
    assert r.json()["repositories"] == sorted(REPOS)[:3]
    link = next_link(r)
    assert link and link.startswith("/v2/_catalog?") and "n=3" in link
    assert 'rel="next"' in r.headers["Link"]


def test_catalog_last_starts_after_the_given_name(catalog_registry):
    expected = sorted(REPOS)
    r = catalog_registry.get("/v2/_catalog", params={"last": expected[2], "n": 100})
    assert r.json()["repositories"] == expected[3:]


def test_catalog_last_page_has_no_link(catalog_registry):
    r = catalog_registry.get("/v2/_catalog", params={"n": len(REPOS) + 1})
    assert r.json()["repositories"] == sorted(REPOS)
    assert next_link(r) is None


def test_catalog_pages_are_consistent_for_names_with_dash_and_dot(make_server, server_kind):
    # The order of such names is the server's choice: distribution 2.8.2 (and
    # Pier, deliberately) use path order (a/b/c before a-b); plain byte order
    # would put a-b first. Pagination must agree with the full listing either way.
    reg = Registry(make_server(server_kind).url)
    names = ["a", "a-b", "a.b", "a/b", "a/b/c", "a/b-c", "a/b.c", "ab", "a-b/c"]
    img = images.image(1)
    for name in names:
        reg.push(name, "t", img)
    full = reg.get("/v2/_catalog").json()["repositories"]
    assert sorted(full) == sorted(names)
    for n in (1, 2, 3, 4):
        assert reg.catalog(n=n) == full


@pytest.mark.pier_only
def test_catalog_is_in_plain_lexical_order_for_names_with_dash_and_dot(make_server, server_kind):
    # distribution 2.8.2 walks directories, so it lists a/b/c before a-b and a.b;
    # Pier sorts names as plain strings (docs/decisions.md).
    reg = Registry(make_server(server_kind).url)
    names = ["a", "a-b", "a.b", "a/b", "a/b/c", "a/b-c", "ab"]
    img = images.image(1)
    for name in names:
        reg.push(name, "t", img)
    assert reg.get("/v2/_catalog").json()["repositories"] == sorted(names)
    assert reg.catalog(n=2) == sorted(names)


def test_catalog_n_zero_returns_an_empty_list(catalog_registry):
    r = catalog_registry.get("/v2/_catalog", params={"n": 0})
    assert r.status_code == 200 and r.json()["repositories"] == []


@pytest.mark.pier_only
@pytest.mark.parametrize("n", ["-1", "abc"])
def test_catalog_invalid_n_is_400_pagination_number_invalid(catalog_registry, n):
    # distribution 2.8.2 ignores an unparsable n and returns everything.
    assert_error(catalog_registry.get("/v2/_catalog", params={"n": n}), 400, "PAGINATION_NUMBER_INVALID")
