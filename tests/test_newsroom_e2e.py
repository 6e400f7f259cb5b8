"""The whole newsroom in a real browser (Debian's Chromium, driven by Playwright).

A journalist writes a French story with three tags (one typed in, new) and submits it;
their attempt to publish it is refused; an editor sends it back with a comment, the
journalist fixes it, the editor publishes it; a translator writes the English beside
the French and marks it ready; a reader finds it on the French and English tag pages;
the French is edited and the English shows as outdated, with what changed; a second
editor's conflicting save is refused without losing their text; an earlier revision is
restored. Screenshots of the key screens go to tests/artifacts/e2e/.
"""

from pathlib import Path

import pytest

from articles import workflow
from articles.models import Article, LanguageState, StoryEvent, Tag
from tests import test_admin_browser as browser_test
from tests.conftest import member
from tests.factories import TagFactory
from tests.test_admin_browser import PASSWORD, editor

browser = browser_test.browser
outside_requests = browser_test.outside_requests
script_errors = browser_test.script_errors

pytestmark = pytest.mark.browser

# Kept by CI as artifacts; not in git.
SHOTS = Path(__file__).resolve().parent / "artifacts" / "e2e"
STORIES = "/fr/admin/articles/article/"


def signing_in(role, username, first_name, last_name):
    """A member of ``role`` (tests/conftest.py) with a password, to sign in with."""
    user = member(role, username=username, first_name=first_name, last_name=last_name)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def newsroom(transactional_db, roles):
    return {
        "journalist": signing_in(workflow.JOURNALISTS, "lea", "Léa", "Dubois"),
        "editor": signing_in(workflow.EDITORS, "karim", "Karim", "Benali"),
        "second_editor": signing_in(workflow.EDITORS, "sophie", "Sophie", "Martin"),
        "translator": signing_in(workflow.translators("en"), "tom", "Tom", "Baker"),
    }


@pytest.fixture
def people(browser, live_server, script_errors):
    """One browser context (own cookies) per person, signed in."""
    contexts = []

    def signed_in(username):
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        # Leaving a changed form asks first: in this test, leaving is meant.
        page.on("dialog", lambda dialog: dialog.accept())
        if username is not None:
            page.goto(f"{live_server.url}/fr/admin/login/?next=/fr/admin/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/fr/admin/")
        return page

    yield signed_in
    for context in contexts:
        context.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def open_story(page, live_server, story):
    page.goto(f"{live_server.url}{STORIES}{story.pk}/change/")


def save(page):
    page.click("input[name=_continue]")
    page.wait_for_load_state()


def set_status(page, label):
    page.select_option("#id_status", label=label)


def story_named(title):
    return Article.objects.get(title_fr=title)


def choose_tag(page, typed, shown):
    """Type ``typed`` in the story form's tags field and pick the option ``shown``."""
    field = page.locator(".field-tags .select2-search__field")
    field.click()
    field.press_sequentially(typed)
    page.locator(".select2-results__option", has_text=shown).first.click()


def type_new_tag(page, name):
    field = page.locator(".field-tags .select2-search__field")
    field.press_sequentially(name)
    page.locator(".select2-results__option", has_text=name).wait_for()
    field.press("Enter")


def test_a_story_goes_from_writing_to_translation_with_history_and_no_lost_edits(
    newsroom, people, live_server, outside_requests, script_errors
):
    TagFactory(name_fr="Climat", name_en="Climate")
    TagFactory(name_fr="Loire", name_en="Loire")

    # A journalist writes a French story with three tags, one of them new, and submits it.
    journalist = people("lea")
    journalist.goto(f"{live_server.url}{STORIES}add/")
    journalist.fill("#id_title_fr", "Crue de la Loire : les digues tiennent")
    journalist.fill("#id_standfirst_fr", "Le niveau baisse à Orléans.")
    editor(journalist, "id_body_fr").click()
    journalist.keyboard.type("La crue a atteint son pic dans la nuit.")
    choose_tag(journalist, "clim", "Climat")
    choose_tag(journalist, "loi", "Loire")
    type_new_tag(journalist, "Crues de printemps")
    set_status(journalist, "Soumis à relecture")
    shot(journalist, "01-journalist-writes")
    save(journalist)
    story = story_named("Crue de la Loire : les digues tiennent")
    assert story.status == Article.Status.REVIEW
    assert [tag.name_fr for tag in story.tag_list()] == ["Climat", "Loire", "Crues de printemps"]
    assert list(story.authors.all()) == [newsroom["journalist"]]

    # Their attempt to publish (an option added to the menu by hand) is refused.
    journalist.evaluate(
        """() => { const s = document.querySelector('#id_status');
                   s.add(new Option('Publié', 'published')); s.value = 'published'; }"""
    )
    save(journalist)
    assert "Seul un éditeur peut publier" in journalist.content()
    shot(journalist, "02-journalist-refused")
    assert story_named(story.title_fr).status == Article.Status.REVIEW

    # An editor finds it in the review queue and sends it back with a comment.
    chief = people("karim")
    chief.click(".workplace-queues .queue-review a")
    chief.click(f"text={story.title_fr}")
    set_status(chief, "Renvoyé")
    chief.fill("#id_comment", "Citez la préfecture, s’il vous plaît.")
    save(chief)
    assert story_named(story.title_fr).status == Article.Status.SENT_BACK

    # The journalist reads the comment, fixes the story and submits it again.
    open_story(journalist, live_server, story)
    assert "Citez la préfecture" in journalist.content()
    editor(journalist, "id_body_fr").click()
    journalist.keyboard.press("End")
    journalist.keyboard.type(" Selon la préfecture, aucune digue n’a cédé.")
    set_status(journalist, "Soumis à relecture")
    save(journalist)

    # The editor publishes it.
    open_story(chief, live_server, story)
    set_status(chief, "Publié")
    save(chief)
    story = story_named(story.title_fr)
    assert story.is_published()
    assert story.state("en") == LanguageState.MISSING

    # A translator writes the English beside the French and marks it ready.
    translator = people("tom")
    translator.click(".workplace-queues .queue-translate_en a")
    translator.click(f"text={story.title_fr}")
    original = translator.locator(".original-text")
    assert "aucune digue n’a cédé" in original.inner_text()
    translator.fill("#id_title_en", "Loire flood: the levees hold")
    editor(translator, "id_body_en").click()
    translator.keyboard.type("The flood peaked overnight. No levee gave way, the prefecture says.")
    shot(translator, "03-translator-side-by-side")
    translator.select_option("#id_translation_en", "ready")
    save(translator)
    story = story_named(story.title_fr)
    assert story.state("en") == LanguageState.READY

    # A reader finds it on the French and the English tag pages.
    reader = people(None)
    new_tag = Tag.objects.get(name_fr="Crues de printemps")
    reader.goto(f"{live_server.url}{new_tag.url_for('fr')}")
    # French pages set no-break spaces before ":" (articles/typography.py), which the
    # browser's serialisation of the page writes as "&nbsp;".
    french_text = reader.content()
    for space in ("&nbsp;", "\u00a0", "\u202f"):
        french_text = french_text.replace(space, " ")
    assert story.title_fr in french_text
    reader.goto(f"{live_server.url}{Tag.objects.get(name_fr='Climat').url_for('en')}")
    assert "Loire flood: the levees hold" in reader.content()
    shot(reader, "04-reader-english-tag-page")

    # The French is edited: the English shows as outdated, with what changed.
    open_story(chief, live_server, story)
    chief.fill("#id_standfirst_fr", "Le niveau baisse à Orléans et à Blois.")
    save(chief)
    story = story_named(story.title_fr)
    assert story.state("en") == LanguageState.OUTDATED
    open_story(translator, live_server, story)
    changes = translator.locator(".source-changes").inner_text()
    assert "et à Blois" in changes
    assert translator.locator(".source-changes ins").first.inner_text().strip() != ""
    shot(translator, "05-translation-outdated")

    # Two editors open the story; the second one's save after the first is refused.
    second = people("sophie")
    open_story(chief, live_server, story)
    open_story(second, live_server, story)
    chief.fill("#id_title_fr", "Crue de la Loire : les digues ont tenu")
    save(chief)
    second.fill("#id_standfirst_fr", "Mon chapeau, à ne pas perdre.")
    save(second)
    assert "Karim Benali" in second.content()
    assert second.input_value("#id_standfirst_fr") == "Mon chapeau, à ne pas perdre."
    shot(second, "06-edit-conflict")
    story = Article.objects.get(pk=story.pk)
    assert story.title_fr == "Crue de la Loire : les digues ont tenu"
    assert story.standfirst_fr == "Le niveau baisse à Orléans et à Blois."
    save(second)  # having seen the other change, saving goes through
    assert Article.objects.get(pk=story.pk).standfirst_fr == "Mon chapeau, à ne pas perdre."

    # An earlier revision is restored, as a new revision; the story stays published.
    chief.goto(f"{live_server.url}{STORIES}{story.pk}/history/")
    shot(chief, "07-history")
    restore_first_revision(chief)
    story = Article.objects.get(pk=story.pk)
    assert story.title_fr == "Crue de la Loire : les digues tiennent"
    assert story.is_published()
    shot(chief, "08-restored")

    kinds = list(StoryEvent.objects.filter(story=story).values_list("kind", flat=True))
    assert kinds == [
        StoryEvent.Kind.SUBMITTED,
        StoryEvent.Kind.SENT_BACK,
        StoryEvent.Kind.SUBMITTED,
        StoryEvent.Kind.PUBLISHED,
        StoryEvent.Kind.TRANSLATION_READY,
    ]
    assert outside_requests == []
    assert script_errors == []


def restore_first_revision(page):
    """Open the oldest revision from the history page and restore it."""
    page.locator(".story-history tbody tr").last.locator("th a").click()
    page.wait_for_load_state()
    page.click("tfoot input[type=submit][value='Restaurer cette version']")
    page.wait_for_load_state()
