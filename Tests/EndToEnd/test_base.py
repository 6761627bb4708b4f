"""GET /v2/ and the error body format."""

import pytest

from harness import error_codes


def test_api_version_check_returns_200_empty_json_with_api_version_header(registry):
    r = registry.get("/v2/")
    assert r.status_code == 200
    assert r.json() == {}
    assert r.headers["Docker-Distribution-Api-Version"] == "registry/2.0"


def test_error_body_is_json_errors_list_with_code_and_message(registry):
    r = registry.get("/v2/e2e/nothing-here/manifests/latest")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    errors = r.json()["errors"]
    assert isinstance(errors, list) and errors
    for e in errors:
        assert isinstance(e["code"], str) and e["code"].isupper()
        assert isinstance(e["message"], str) and e["message"]
    assert error_codes(r)[0] in ("NAME_UNKNOWN", "MANIFEST_UNKNOWN")


@pytest.mark.pier_only
def test_every_error_has_code_message_and_detail_keys(registry):
    # distribution omits "detail" on some errors; Pier always sends all three.
    for path in ("/v2/e2e/nothing-here/manifests/latest", "/v2/e2e/nothing-here/tags/list",
                 "/v2/e2e/x/blobs/sha256:" + "0" * 64):
        r = registry.get(path)
        assert r.status_code == 404
        for e in r.json()["errors"]:
            assert {"code", "message", "detail"} <= set(e), e


# Every endpoint's methods, as `Allow` lists them on OPTIONS and on a 405.
ENDPOINT_METHODS = {
    "/v2/": {"GET", "HEAD"},
    "/v2/_catalog": {"GET", "HEAD"},
    "/v2/e2e/methods/tags/list": {"GET", "HEAD"},
    "/v2/e2e/methods/manifests/latest": {"GET", "HEAD", "PUT", "DELETE"},
    "/v2/e2e/methods/blobs/sha256:" + "0" * 64: {"GET", "HEAD", "DELETE"},
    "/v2/e2e/methods/blobs/uploads/": {"POST"},
}


def allowed(r) -> set[str]:
    return {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}


# distribution 2.8.2 answers OPTIONS 200 too, but its Allow names GET without HEAD, and
# its 405s carry no JSON body.
@pytest.mark.pier_only
@pytest.mark.parametrize("path", sorted(ENDPOINT_METHODS))
def test_options_answers_200_with_the_endpoints_methods_in_allow(registry, path):
    r = registry.request("OPTIONS", path)
    assert r.status_code == 200, r.text
    assert ENDPOINT_METHODS[path] <= allowed(r), r.headers.get("Allow")
    assert r.content == b""


@pytest.mark.pier_only
@pytest.mark.parametrize("method,path", [
    ("POST", "/v2/e2e/methods/manifests/latest"),
    ("PATCH", "/v2/e2e/methods/blobs/sha256:" + "0" * 64),
    ("PUT", "/v2/e2e/methods/tags/list"),
    ("DELETE", "/v2/_catalog"),
    ("GET", "/v2/e2e/methods/blobs/uploads/"),
])
def test_a_method_the_endpoint_lacks_is_405_unsupported_with_allow(registry, method, path):
    # RFC 9110 requires Allow on every 405, so a client can tell a wrong method from a
    # refused one.
    r = registry.request(method, path)
    assert r.status_code == 405, r.text
    assert error_codes(r) == ["UNSUPPORTED"]
    assert method not in allowed(r) and ENDPOINT_METHODS[path] <= allowed(r), r.headers.get("Allow")
