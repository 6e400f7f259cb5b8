"""axe-core on every public page in the real browser (Debian's Chromium, through Playwright):
no serious or critical violation, in French and in English."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import test_admin_browser as browser_test
from tests.test_html_validity import make_newsroom, public_pages

browser = browser_test.browser
page = browser_test.page
outside_requests = browser_test.outside_requests
script_errors = browser_test.script_errors

pytestmark = pytest.mark.browser

# axe-core's impacts are minor, moderate, serious and critical.
FAILING = ("serious", "critical")
# WCAG 2.2 A and AA, and axe's best practices (landmarks, one h1, ...).
RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    }
}


@pytest.fixture
def newsroom(transactional_db, settings):
    # Committed, for the live server's thread to see.
    return make_newsroom(settings)


def report(violations):
    return "\n".join(
        f"{violation['impact']}: {violation['id']} ({violation['help']}): "
        + "; ".join(node["html"] for node in violation["nodes"][:3])
        for violation in violations
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_public_pages_pass_axe(
    client, newsroom, page, live_server, language, outside_requests, script_errors
):
    axe = Axe()
    checked = []
    for name, address in public_pages(client, newsroom, language):
        page.goto(f"{live_server.url}{address}")
        # The page as readers see it, styled (contrast is checked on the real colours).
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.site-header')).display")
            == "flex"
        )
        results = axe.run(page, options={**RULES, "resultTypes": ["violations"]})
        serious = [v for v in results.response["violations"] if v["impact"] in FAILING]
        assert serious == [], f"{language} {name} ({address}):\n{report(serious)}"
        checked.append(name)
    assert {"home", "story", "tag index", "tag page", "all of two tags"} <= set(checked)
    assert outside_requests == []
    assert script_errors == []


def test_axe_finds_a_serious_violation(page, live_server, transactional_db):
    """The check can fail: a page with an unlabelled image link and grey on grey."""
    page.goto(f"{live_server.url}/fr/")
    # The colours through the DOM: the public policy refuses inline style attributes.
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
                '<a href="/fr/"><img src="/static/none.png"></a><p>illisible</p>');
            Object.assign(main.lastElementChild.style, {color: '#aaa', background: '#bbb'});
        }"""
    )
    results = Axe().run(page, options={**RULES, "resultTypes": ["violations"]})
    found = {v["id"] for v in results.response["violations"] if v["impact"] in FAILING}
    assert {"image-alt", "color-contrast"} <= found
