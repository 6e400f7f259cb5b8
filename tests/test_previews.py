"""Previews: staff open any version from the edit form; a signed link shows it to anyone."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from articles import previews
from articles.models import PreviewLink
from tests.factories import ArticleFactory
from tests.test_workflow import admin_url, form_of, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return ArticleFactory(draft=True, title_fr="Brouillon confidentiel")


def link(story, language="fr", **fields):
    fields.setdefault("expires_at", timezone.now() + timedelta(days=7))
    return PreviewLink.objects.create(story=story, language=language, **fields)


def test_a_preview_link_shows_a_draft_to_someone_without_an_account(client, draft):
    response = client.get(link(draft).get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "Brouillon confidentiel" in content
    assert '<meta name="robots" content="noindex, nofollow">' in content
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"]
    assert "hreflang" not in content  # no other language version announced


def test_an_expired_link_shows_nothing(client, draft):
    expired = link(draft)
    PreviewLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    assert client.get(expired.get_absolute_url()).status_code == 404


def test_a_deleted_link_is_revoked_at_once(client, draft):
    revoked = link(draft)
    address = revoked.get_absolute_url()
    revoked.delete()
    assert client.get(address).status_code == 404


def test_a_link_cannot_be_made_up_or_changed(client, draft):
    real = link(draft)
    other = ArticleFactory(draft=True, title_fr="Autre brouillon")
    link(other)
    forged = signing.dumps(real.pk + 1, salt="another salt")
    assert client.get(f"/fr/apercu/{forged}/").status_code == 404
    tampered = previews.token(real)[:-2] + "xx"
    assert client.get(f"/fr/apercu/{tampered}/").status_code == 404


def test_a_link_opens_in_its_own_language(client):
    story = ArticleFactory(draft=True, title_en="Draft in English", body_en="<p>Text.</p>")
    english = link(story, language="en")
    assert english.get_absolute_url().startswith("/en/preview/")
    wrong_language = english.get_absolute_url().replace("/en/preview/", "/fr/apercu/")
    assert client.get(wrong_language)["Location"] == english.get_absolute_url()
    assert "Draft in English" in client.get(english.get_absolute_url()).content.decode()


def test_a_link_expires_within_thirty_days_and_in_the_future(draft):
    with pytest.raises(Exception, match="30"):
        PreviewLink(story=draft, expires_at=timezone.now() + timedelta(days=31)).full_clean()
    with pytest.raises(Exception, match="future|futur"):
        PreviewLink(story=draft, expires_at=timezone.now() - timedelta(days=1)).full_clean()


def test_an_editor_makes_a_link_from_the_story_form(client, editor, draft):
    client = signed_in(client, editor)
    url = admin_url("articles_article_change", draft.pk)
    data = form_of(client.get(url)) | {
        "preview_links-TOTAL_FORMS": "1",
        "preview_links-0-language": "fr",
        "preview_links-0-expires_at_0": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "preview_links-0-expires_at_1": "12:00:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    made = PreviewLink.objects.get(story=draft)
    assert made.created_by == editor
    page = client.get(url).content.decode()
    assert made.get_absolute_url() in page


def test_the_edit_form_opens_each_written_version_in_a_new_tab(client, editor, draft):
    page = signed_in(client, editor).get(admin_url("articles_article_change", draft.pk))
    assert f'<a href="{draft.url_for("fr")}" target="_blank"' in page.content.decode()


def test_a_translator_cannot_make_a_link(client, translator, draft):
    client = signed_in(client, translator)
    url = admin_url("articles_article_change", draft.pk)
    data = form_of(client.get(url)) | {
        "preview_links-TOTAL_FORMS": "1",
        "preview_links-INITIAL_FORMS": "0",
        "preview_links-0-language": "fr",
        "preview_links-0-expires_at_0": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "preview_links-0-expires_at_1": "12:00:00",
    }
    client.post(url, data)
    assert not PreviewLink.objects.exists()
