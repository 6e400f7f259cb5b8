"""The story admin in a real browser: tabs, the prose editor and the tag picker."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from articles.models import Article, Tag
from tests.factories import ArticleFactory, StaffFactory, TagFactory, UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
# Screenshots, for a person to look at; ignored by git.
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing: install chromium.")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with pytest.MonkeyPatch.context() as monkeypatch, sync_playwright() as playwright:
        # Playwright's sync API runs an event loop in this thread while the browser
        # is open; Django refuses database queries there without this.
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", autouse=True)
def _artifacts():
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture
def outside_requests():
    """URLs the pages asked for outside the site (blocked)."""
    return []


@pytest.fixture
def script_errors():
    return []


def site_context(browser, live_server, outside_requests, **options):
    """A French browser context that may reach the live server only."""
    context = browser.new_context(locale="fr-FR", **options)
    context.set_default_timeout(10_000)
    site = urlsplit(live_server.url).netloc

    def keep_on_site(route):
        # Nothing may come from outside the site: no CDN, and no network in CI.
        if urlsplit(route.request.url).netloc == site:
            route.continue_()
        else:
            outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", keep_on_site)
    return context


@pytest.fixture
def page(browser, live_server, outside_requests, script_errors):
    context = site_context(browser, live_server, outside_requests)
    page = context.new_page()
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    context.close()


def log_in(page, live_server, next_path):
    page.goto(f"{live_server.url}/fr/admin/login/?next={next_path}")
    page.fill("#id_username", "redaction")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_path}")


def editor(page, field_id):
    """The ProseMirror editing area that replaces the textarea ``field_id``."""
    return page.locator(f"#tab_{field_id} .ProseMirror[contenteditable=true]")


def test_journalist_writes_a_tagged_story_in_the_browser(
    transactional_db, page, live_server, outside_requests, script_errors
):
    StaffFactory(username="redaction")
    koursk = TagFactory(name_fr="région de Koursk", name_en="Kursk region")
    TagFactory(name_fr="Ukraine", name_en="Ukraine")
    add_path = "/fr/admin/articles/article/add/"

    log_in(page, live_server, add_path)

    assert outside_requests == [], (
        "The story admin loads files from outside the site; serve them as static files "
        "(for modeltranslation's tabs, vendor jQuery UI and point JQUERY_UI_URL at it): "
        f"{outside_requests}"
    )
    # The French tab is open on the French admin, with its editor.
    french_tab = page.locator('a[href="#tab_id_body_fr"]')
    english_tab = page.locator('a[href="#tab_id_body_en"]')
    assert french_tab.is_visible()
    assert editor(page, "id_body_fr").is_visible()
    assert not editor(page, "id_body_en").is_visible()

    english_tab.click()
    assert editor(page, "id_body_en").is_visible()
    assert not editor(page, "id_body_fr").is_visible()
    french_tab.click()
    assert editor(page, "id_body_fr").is_visible()

    page.locator('a[href="#tab_id_title_fr"]').click()
    page.fill("#id_title_fr", "Offensive dans la région de Koursk")
    editor(page, "id_body_fr").click()
    page.keyboard.type("Les troupes avancent vers Soudja.")

    # Tags are typed into one box: an existing tag found by its first letters, then a new one.
    tags = page.locator(".field-tags .select2-search__field")
    tags.click()
    tags.press_sequentially("kour")
    page.locator(".select2-results__option", has_text="région de Koursk").click()
    tags.press_sequentially("Offensive d’été")
    page.locator(".select2-results__option", has_text="Offensive d’été").wait_for()
    tags.press("Enter")
    chosen = page.locator(".field-tags .select2-selection__choice")
    assert chosen.all_inner_texts() == ["×région de Koursk", "×Offensive d’été"]
    # Removed and chosen again, a tag goes last: the first one is the main topic.
    chosen.first.locator(".select2-selection__choice__remove").click()
    tags.press_sequentially("kour")
    page.locator(".select2-results__option", has_text="région de Koursk").click()
    assert chosen.all_inner_texts() == ["×Offensive d’été", "×région de Koursk"]
    page.screenshot(path=ARTIFACTS / "story_form_tags.png", full_page=True)

    page.click("input[name=_save]")
    page.wait_for_url("**/fr/admin/articles/article/")

    assert script_errors == []
    article = Article.objects.get()
    assert article.title_fr == "Offensive dans la région de Koursk"
    assert article.slug_fr == "offensive-dans-la-region-de-koursk"
    assert article.body_fr == "<p>Les troupes avancent vers Soudja.</p>"
    assert not article.has_language("en")
    new_tag = Tag.objects.get(name_fr="Offensive d’été")
    assert [link.tag for link in article.tagged_items.order_by("pk")] == [new_tag, koursk]


HEADLINES = [
    "Faute de médecins, les urgences de Vernouillet-sur-Loire fermeront la nuit cet été",
    "Offensive dans la région de Koursk : ce que l’on sait de l’avancée des troupes",
    "Grève à la SNCF : le trafic sera très perturbé jeudi sur les lignes régionales",
    "Le conseil municipal adopte un budget en hausse malgré l’opposition",
]


def test_the_story_list_gives_the_headlines_the_room_at_1280_pixels(
    transactional_db, page, live_server, script_errors
):
    StaffFactory(username="redaction")
    writers = [
        UserFactory(first_name="Léa", last_name="Dubois"),
        UserFactory(first_name="Karim", last_name="Benali"),
    ]
    for index in range(12):
        ArticleFactory(
            title_fr=f"{HEADLINES[index % len(HEADLINES)]} ({index})",
            english=index % 2 == 0,
            status=[Article.Status.PUBLISHED, Article.Status.REVIEW][index % 2],
            authors=writers[: 1 + index % 2],
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "/fr/admin/articles/article/")

    page.screenshot(path=ARTIFACTS / "story_list_1280.png", full_page=True)
    table = page.locator("#result_list").bounding_box()
    headline = page.locator("#result_list tbody tr").first.locator(".field-headline")
    assert headline.bounding_box()["width"] >= 0.35 * table["width"]
    assert script_errors == []
