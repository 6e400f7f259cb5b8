"""Every answer's security headers (newsroom/security.py), and the policies in a real browser."""

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from articles.models import Article
from tests import test_admin_browser as browser_test
from tests.factories import ArticleFactory, ImageFactory, StaffFactory, TagFactory
from tests.test_cache import page_cache  # noqa: F401 (a fixture)
from tests.test_html_validity import make_newsroom, public_pages
from tests.test_settings import DATABASE_URL, load_settings

browser = browser_test.browser
outside_requests = browser_test.outside_requests
script_errors = browser_test.script_errors

CSP = "Content-Security-Policy"
PERMISSIONS_POLICY = "Permissions-Policy"
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")


def directives(response, header=CSP):
    """The policy of ``response`` as {directive: [sources]}."""
    assert header in response, f"no {header} header"
    policy = {}
    for part in response[header].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


def assert_security_headers(response, address=""):
    assert response["X-Content-Type-Options"] == "nosniff", address
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", address
    assert response["X-Frame-Options"] == "DENY", address
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", address
    permissions = dict(
        item.strip().split("=", 1) for item in response[PERMISSIONS_POLICY].split(",")
    )
    for feature in DENIED_FEATURES:
        assert permissions[feature] == "()", f"{address}: {feature}"
    policy = directives(response)
    assert policy["frame-ancestors"] == ["'none'"], address
    assert policy["object-src"] == ["'none'"], address
    assert policy["default-src"] == ["'self'"], address
    return policy


def assert_public_policy(response, address=""):
    policy = assert_security_headers(response, address)
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], f"{address}: {directive} {policy[directive]}"
        assert not any("unsafe" in source or "nonce" in source for source in policy[directive])
    return policy


@pytest.fixture
def newsroom(db, settings):
    return make_newsroom(settings)


def public_addresses(client, newsroom, language):
    pages = public_pages(client, newsroom, language)
    with translation.override(language):
        pages += [
            ("RSS feed", reverse("articles:feed")),
            ("Atom feed", reverse("articles:feed-atom")),
        ]
    pages += [
        ("robots.txt", "/robots.txt"),
        ("sitemap index", "/sitemap.xml"),
        ("pages sitemap", "/sitemap-pages.xml"),
        ("stories sitemap", "/sitemap-stories-1.xml"),
        ("tags sitemap", "/sitemap-tags-1.xml"),
        ("news sitemap", "/sitemap-news.xml"),
    ]
    return pages


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_public_page_carries_the_headers_and_a_policy_with_no_inline_script(
    client, newsroom, language
):
    checked = {}
    for name, address in public_addresses(client, newsroom, language):
        response = client.get(address)
        checked[name] = response.status_code
        assert_public_policy(response, f"{name} ({address})")
    expected = {"home", "story", "tag index", "tag page", "all of two tags", "search"}
    assert expected <= set(checked)
    assert checked["page not found"] == 404
    assert checked["bad request"] == 400
    assert checked["RSS feed"] == checked["news sitemap"] == 200


def test_public_pages_have_no_inline_script_or_style_but_json_ld(client, newsroom):
    for name, address in public_pages(client, newsroom, "fr"):
        html = client.get(address).content.decode()
        scripts = re.findall(r"<script\b([^>]*)>", html, flags=re.IGNORECASE)
        assert all('type="application/ld+json"' in attributes for attributes in scripts), name
        assert not re.search(r"\sstyle\s*=", html, flags=re.IGNORECASE), name
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE), name
        assert "<style" not in html, name


def test_a_story_page_keeps_its_json_ld(client, newsroom):
    html = client.get(newsroom["translated"].get_absolute_url()).content.decode()
    assert '<script type="application/ld+json">' in html


def test_a_page_from_the_page_cache_still_carries_the_headers(client, page_cache, newsroom):  # noqa: F811
    for address in ("/fr/", newsroom["translated"].get_absolute_url()):
        first = client.get(address)
        assert first["X-Page-Cache"] == "miss"
        cached = client.get(address)
        assert cached["X-Page-Cache"] == "hit"
        assert_public_policy(cached, address)
        assert cached[CSP] == first[CSP]


def test_admin_pages_carry_the_headers_under_the_admin_policy(staff_client, newsroom):
    story = newsroom["translated"]
    for address in (
        reverse("admin:index"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_add"),
        reverse("admin:articles_article_change", args=[story.pk]),
        reverse("admin:articles_tag_changelist"),
    ):
        response = staff_client.get(address)
        assert response.status_code == 200, address
        policy = assert_security_headers(response, address)
        assert "'unsafe-inline'" not in policy["script-src"], address
        assert "'unsafe-eval'" not in policy["script-src"], address


def test_the_admin_login_page_carries_the_admin_policy(client):
    response = client.get(reverse("admin:login"))
    policy = assert_security_headers(response)
    assert "'unsafe-inline'" in policy["style-src"]


def test_the_editors_import_map_carries_the_requests_nonce(staff_client, newsroom):
    response = staff_client.get(
        reverse("admin:articles_article_change", args=[newsroom["translated"].pk])
    )
    html = response.content.decode()
    importmap = re.search(r'<script type="importmap"([^>]*)>', html)
    assert importmap, "the prose editor's import map is not on the story form"
    nonce = re.search(r'nonce="([^"]+)"', importmap.group(1)).group(1)
    assert f"'nonce-{nonce}'" in directives(response)["script-src"]
    again = staff_client.get(
        reverse("admin:articles_article_change", args=[newsroom["translated"].pk])
    )
    assert f"'nonce-{nonce}'" not in directives(again)["script-src"]


def test_uploaded_pictures_carry_the_headers(client, db):
    address = ImageFactory(dimensions=(800, 400)).file.url
    response = client.get(address)
    assert response.status_code == 200
    assert_public_policy(response, address)


@override_settings(MEDIA_URL="https://media.example.org/newsroom/")
def test_pictures_from_another_origin_are_allowed_as_images_only(client, db):
    response = client.get("/fr/")
    policy = assert_public_policy(response)
    assert policy["img-src"] == ["'self'", "https://media.example.org"]
    assert "https://media.example.org" not in policy["script-src"]


def test_a_report_uri_and_report_only_mode_come_from_the_environment():
    code = (
        "import json; from django.conf import settings; print(json.dumps(["
        "hasattr(settings, 'CONTENT_SECURITY_POLICY'),"
        "settings.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['report-uri'],"
        "settings.ADMIN_CONTENT_SECURITY_POLICY['DIRECTIVES']['report-uri']]))"
    )
    result = load_settings(
        code,
        DJANGO_CSP_REPORT_URI="https://reports.example.org/csp",
        DJANGO_CSP_REPORT_ONLY="true",
        DATABASE_URL=DATABASE_URL,
    )
    assert result.returncode == 0, result.stderr
    enforced, public, admin = json.loads(result.stdout)
    assert not enforced
    assert public == admin == ["https://reports.example.org/csp"]


def test_report_only_mode_sends_the_policy_as_a_report_only_header(client, settings, db):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    del settings.CONTENT_SECURITY_POLICY
    public = client.get("/fr/")
    admin = client.get(reverse("admin:login"))
    assert CSP not in public
    assert CSP not in admin
    assert directives(public, f"{CSP}-Report-Only")["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in directives(admin, f"{CSP}-Report-Only")["style-src"]


# In the browser: no page breaks a rule of its policy, and the admin works under its own.

VIOLATION_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
    window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI}`
        + ` at ${event.sourceFile}:${event.lineNumber} (${event.sample})`);
});
"""


@pytest.fixture
def violations():
    return []


@pytest.fixture
def console():
    return []


@pytest.fixture
def page(browser, live_server, outside_requests, script_errors, violations, console):
    context = browser_test.site_context(browser, live_server, outside_requests)
    context.expose_binding("reportViolation", lambda source, text: violations.append(text))
    context.add_init_script(VIOLATION_LISTENER)
    page = context.new_page()
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.on(
        "console",
        lambda message: console.append(
            f"{message.type}: {message.text} ({message.location.get('url')})"
        ),
    )
    yield page
    context.close()


def no_trouble(violations, console, script_errors, error_pages=()):
    """No policy violation, console error or warning, nor script error.

    Chromium says "Failed to load resource" of an error page itself (404, 400):
    ``error_pages`` are the addresses where that is expected.
    """
    assert violations == [], violations
    expected = tuple(
        f"Failed to load resource: the server responded with a status of {status} "
        for status in (400, 404)
    )
    troubles = [
        line
        for line in console
        if line.startswith(("error", "warning"))
        and not (
            line.removeprefix("error: ").startswith(expected)
            and line.endswith(tuple(f"{address})" for address in error_pages))
        )
    ]
    assert troubles == []
    assert script_errors == []


@pytest.fixture
def committed_newsroom(transactional_db, settings):
    # Committed, for the live server's thread to see.
    newsroom = make_newsroom(settings)
    story = newsroom["translated"]
    story.lead_image = ImageFactory(dimensions=(1600, 900))
    story.save()
    return newsroom


@pytest.mark.browser
def test_public_pages_break_no_rule_of_their_policy(
    client,
    committed_newsroom,
    page,
    live_server,
    violations,
    console,
    script_errors,
    outside_requests,
):
    visited = []
    error_pages = []
    for language in ("fr", "en"):
        for name, address in public_pages(client, committed_newsroom, language):
            if name in ("page not found", "bad request"):
                error_pages.append(f"{live_server.url}{address}")
            page.goto(f"{live_server.url}{address}")
            # Styled by its stylesheet, which the policy lets through.
            display = "getComputedStyle(document.querySelector('.site-header')).display"
            assert page.evaluate(display) == "flex", address
            visited.append(name)
    # The story's lead picture is shown (img-src lets the media through).
    page.goto(f"{live_server.url}{committed_newsroom['translated'].get_absolute_url()}")
    picture = page.locator("main img").first
    picture.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", picture.element_handle())
    assert {"home", "story", "tag page", "search"} <= set(visited)
    no_trouble(violations, console, script_errors, error_pages)
    assert outside_requests == []


@pytest.mark.browser
def test_an_inline_script_on_a_public_page_would_be_blocked(
    transactional_db, page, live_server, violations
):
    """The check can fail: a script injected into a page is refused and reported."""
    page.goto(f"{live_server.url}/fr/")
    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.ran = true';
            document.body.append(script);
        }"""
    )
    assert page.evaluate("window.ran === undefined")
    page.wait_for_timeout(200)  # The violation event is dispatched asynchronously.
    assert any(line.startswith("script-src") for line in violations), violations


def editor(page, field_id):
    return page.locator(f"#tab_{field_id} .ProseMirror[contenteditable=true]")


@pytest.mark.browser
def caret_to_end(page, element):
    """Puts the caret at the end of an editor's text, once the editor knows it is there.

    ProseMirror takes a caret moved by the keyboard from the browser's next
    selectionchange event: a key pressed before then would act at the old place.
    """
    element.click()
    page.keyboard.press("Control+End")
    element.evaluate(
        """editor => new Promise(done => {
            const atEnd = () => {
                const selection = getSelection();
                if (!selection.rangeCount || !editor.contains(selection.focusNode)) return false;
                const rest = document.createRange();
                rest.setStart(selection.focusNode, selection.focusOffset);
                rest.setEnd(editor, editor.childNodes.length);
                return rest.toString() === "";
            };
            // At most a couple of seconds: then the assertions on the saved text tell.
            let frames = 120;
            const wait = () => atEnd() || !frames--
                ? requestAnimationFrame(() => setTimeout(done, 0))
                : requestAnimationFrame(wait);
            wait();
        })"""
    )


def test_the_story_form_works_under_the_admin_policy(
    transactional_db, page, live_server, violations, console, script_errors, outside_requests
):
    StaffFactory(username="redaction")
    story = ArticleFactory(
        title_fr="Grève à la SNCF",
        body_fr="<p>Le trafic sera perturbé.</p>",
        english=True,
        body_en="<p>Trains will be disrupted.</p>",
        tags=[TagFactory(name_fr="Transports", name_en="Transport")],
    )
    change_path = f"/fr/admin/articles/article/{story.pk}/change/"
    browser_test.log_in(page, live_server, change_path)

    # The tabs work: English, then back to French.
    page.locator('a[href="#tab_id_body_en"]').click()
    assert editor(page, "id_body_en").is_visible()
    assert not editor(page, "id_body_fr").is_visible()
    caret_to_end(page, editor(page, "id_body_en"))
    page.keyboard.type(" Check the timetables.")
    page.locator('a[href="#tab_id_body_fr"]').click()
    french = editor(page, "id_body_fr")
    assert french.is_visible()
    # The editor works: typed text, and bold from its toolbar's shortcut.
    caret_to_end(page, french)
    page.keyboard.press("Enter")
    page.keyboard.press("Control+b")
    page.keyboard.type("Consultez les horaires.")
    assert french.locator("strong", has_text="Consultez les horaires.").is_visible()
    page.click("input[name=_continue]")
    page.wait_for_url(f"**{change_path}")

    story = Article.objects.get(pk=story.pk)
    assert story.body_fr == (
        "<p>Le trafic sera perturbé.</p><p><strong>Consultez les horaires.</strong></p>"
    )
    assert story.body_en == "<p>Trains will be disrupted. Check the timetables.</p>"
    # The admin's other pages too.
    page.goto(f"{live_server.url}/fr/admin/")
    page.goto(f"{live_server.url}/fr/admin/articles/article/")
    page.goto(f"{live_server.url}/fr/admin/articles/tag/")
    no_trouble(violations, console, script_errors)
    assert outside_requests == []
