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
