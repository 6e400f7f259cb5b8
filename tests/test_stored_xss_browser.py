"""Stored XSS in the real browser: the payloads of tests/xss_payloads.py, on the pages, in Chromium.

Every payload tries to set ``window.__xss``. Forty stories, each holding the five
spellings of one vector in every field, are written through the admin; Chromium then
opens each story in both languages, its tag's page, the lists, search results for a
payload and the admin's pages, waits for the page's events (failed images, focus,
animations) to have fired, and reads the flag. The browser ignores the site's
Content-Security-Policy here, so that what is tested is the escaping itself, not the
policy that would stop a script anyway.
"""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import translation

from tests import test_admin_browser as browser_test
from tests.test_admin import admin_url
from tests.test_stored_xss import write_hostile_stories
from tests.xss_payloads import PAYLOADS, SPELLINGS

browser = browser_test.browser

pytestmark = pytest.mark.browser

# The five spellings of each vector, in one field.
COMBINED = [
    " ".join(PAYLOADS[start : start + len(SPELLINGS)])
    for start in range(0, len(PAYLOADS), len(SPELLINGS))
]


@pytest.fixture
def xss_page(browser, live_server):
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def ran(page, address):
    """Whether a payload ran on ``address``, once its load events have all fired."""
    page.goto(address, wait_until="load")
    page.wait_for_load_state("networkidle")
    # Animations (SVG onbegin) and toggles fire within a frame or two of the load.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))")
    return page.evaluate("() => window.__xss === 1")


def test_the_browser_sees_a_payload_that_runs(transactional_db, xss_page, live_server):
    """The check can fail: markup inserted as HTML sets the flag."""
    assert not ran(xss_page, f"{live_server.url}/fr/")
    xss_page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<img src=x onerror=__xss=1>')"
    )
    xss_page.wait_for_function("() => window.__xss === 1")


def test_no_payload_runs_in_the_browser(transactional_db, client, staff, xss_page, live_server):
    client.force_login(staff)
    stories = write_hostile_stories(client, staff, COMBINED)
    addresses = []
    for language in ("fr", "en"):
        with translation.override(language):
            addresses += [story.get_absolute_url() for story in stories]
            addresses += [story.tags.get().get_absolute_url() for story in stories[:10]]
            addresses += [reverse("articles:article-list"), reverse("articles:tag-list")]
            search = reverse("articles:search")
            addresses += [f"{search}?{urlencode({'q': payload})}" for payload in COMBINED[:10]]
    for address in addresses:
        assert not ran(xss_page, live_server.url + address), address
    # The admin, signed in: the story list and each story's edit form.
    xss_page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    admin_pages = [admin_url("articles_article_changelist")]
    admin_pages += [admin_url("articles_article_change", story.pk) for story in stories]
    for address in admin_pages:
        assert not ran(xss_page, live_server.url + address), address
    assert xss_page.url.startswith(f"{live_server.url}/fr/admin/articles/article/")
