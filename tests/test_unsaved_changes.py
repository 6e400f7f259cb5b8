"""Leaving a story or tag form with unsaved changes asks first.

The script is static/articles/js/unsaved_changes.js; the browser test drives Chromium as
tests/test_admin_browser.py does, with its fixtures.
"""

import pytest
from django.urls import reverse

from articles.models import Article
from tests import test_admin_browser as browser_test
from tests.factories import ArticleFactory, StaffFactory, TagFactory
from tests.test_admin_browser import editor, log_in

browser = browser_test.browser
page = browser_test.page
outside_requests = browser_test.outside_requests
script_errors = browser_test.script_errors

SCRIPT = "articles/js/unsaved_changes.js"


@pytest.mark.parametrize("model", ["article", "tag"])
def test_story_and_tag_forms_load_the_unsaved_changes_script(staff_client, model):
    obj = ArticleFactory() if model == "article" else TagFactory()
    response = staff_client.get(reverse(f"admin:articles_{model}_change", args=[obj.pk]))
    assert SCRIPT in response.content.decode()


@pytest.mark.browser
def test_leaving_a_changed_story_asks_first_and_saving_does_not(
    transactional_db, page, live_server, script_errors
):
    StaffFactory(username="redaction")
    story = ArticleFactory(body_fr="<p>Le texte d’origine.</p>")
    change_path = f"/fr/admin/articles/article/{story.pk}/change/"
    changelist = "/fr/admin/articles/article/"
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    log_in(page, live_server, change_path)

    # Nothing changed: leaving does not ask.
    page.click(f".breadcrumbs a[href='{changelist}']")
    page.wait_for_url(f"**{changelist}")
    assert dialogs == []

    page.goto(f"{live_server.url}{change_path}")
    # Only the prose editor is typed in: it writes into its hidden textarea.
    editor(page, "id_body_fr").click()
    page.keyboard.press("End")
    page.keyboard.type(" Ajouté.")
    page.click(f".breadcrumbs a[href='{changelist}']")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(change_path)

    page.click("input[name=_save]")
    page.wait_for_url(f"**{changelist}")
    assert dialogs == ["beforeunload"]
    assert script_errors == []
    story.refresh_from_db()
    assert story.body_fr == "<p>Le texte d’origine. Ajouté.</p>"
    assert Article.objects.count() == 1
