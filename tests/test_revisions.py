"""Revisions of a story (articles.revisions): kept on every save, compared, restored,
and the edit-conflict check that keeps two people from overwriting each other."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.utils import timezone

from articles import revisions, workflow
from articles.importers import import_story, parse_story
from articles.models import Article
from tests.conftest import member
from tests.factories import ArticleFactory, TagFactory
from tests.test_workflow import admin_url, messages_of
from tests.test_workflow import form_of as fields_of

# Every test has the roles (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


@pytest.fixture
def editor():
    return member(workflow.EDITORS, first_name="Léa", last_name="Dubois")


@pytest.fixture
def other_editor():
    return member(workflow.EDITORS, first_name="Karim", last_name="Benali")


@pytest.fixture
def journalist():
    return member(workflow.JOURNALISTS, first_name="Yanis", last_name="Haddad")


@pytest.fixture
def translator():
    return member(workflow.translators("en"), first_name="Ada", last_name="Byrne")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def change_url(story, language="en"):
    return admin_url("articles_article_change", story.pk, language=language)


def form_of(response):
    """What a browser posts from the page's form, all the chosen authors included."""
    data = fields_of(response)
    form = response.context["adminform"].form
    if "authors" in form.fields:
        data["authors"] = [str(pk) for pk in form["authors"].value() or []]
    return data


def save(client, story, **changes):
    """Open the story's form as a browser would, change ``changes``, post it."""
    page = client.get(change_url(story))
    assert page.status_code == 200
    return client.post(change_url(story), form_of(page) | changes)


def kept_story(user, comment="First", **fields):
    """A story whose first version is in its history, as if saved in the admin."""
    with revisions.new_revision(user, comment):
        story = ArticleFactory(**fields)
        revisions.record(story)
    return story


def versions(story):
    return list(revisions.versions_of(story))


def snapshot(story, version):
    return revisions.snapshots(story, [version])[version.pk]


def with_tags(data, tags):
    """The posted form with the tags field holding ``tags``, in this order."""
    return dict(data) | {"tags": [str(tag.pk) for tag in tags]}


# Every save keeps a revision


def test_each_admin_save_keeps_a_revision_with_its_user_and_changed_fields(editor):
    ukraine, russia = TagFactory(name_fr="Ukraine"), TagFactory(name_fr="Russie")
    story = kept_story(
        editor, title_fr="Premier titre", english=True, title_en="First title", tags=[ukraine]
    )
    client = signed_in(editor)
    page = client.get(change_url(story))
    data = with_tags(
        form_of(page) | {"title_fr": "Second titre", "comment": "Titre plus précis"},
        [russia],
    )
    assert client.post(change_url(story), data).status_code == 302

    newest, first = versions(story)
    assert newest.revision.user == editor
    assert newest.revision.comment == "Titre plus précis"
    old, new = snapshot(story, first), snapshot(story, newest)
    # The English translation, ready, became outdated with the French title.
    assert revisions.changed(old, new) == ["title_fr", "state_en", "tags"]
    assert (old["state_en"], new["state_en"]) == ("ready", "outdated")
    assert (old["title_fr"], new["title_fr"]) == ("Premier titre", "Second titre")
    assert new["title_en"] == "First title"
    assert (old["tags"], new["tags"]) == ([ukraine.pk], [russia.pk])


def test_a_revision_keeps_status_publication_time_and_authors(editor, journalist):
    story = kept_story(editor, draft=True, authors=[journalist])
    later = timezone.localtime() + timedelta(days=1)
    save(
        signed_in(editor),
        story,
        status="published",
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1="08:30:00",
        authors=[str(journalist.pk), str(editor.pk)],
    )
    new = snapshot(story, versions(story)[0])
    assert new["status"] == Article.Status.PUBLISHED
    assert timezone.localtime(new["published_at"]).strftime("%H:%M") == "08:30"
    assert sorted(new["authors"]) == sorted([journalist.pk, editor.pk])


def test_the_history_page_lists_each_save_with_what_it_changed(editor):
    story = kept_story(editor, title_fr="Avant")
    save(signed_in(editor), story, title_en="In English", body_en="<p>Text.</p>")
    page = signed_in(editor).get(admin_url("articles_article_history", story.pk, language="fr"))
    content = page.content.decode()
    assert page.status_code == 200
    assert len(page.context["entries"]) == 2
    assert "Titre (en)" in content
    assert "Corps (en)" in content
    assert "Léa Dubois" in content


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_a_bulk_action_keeps_a_revision_of_each_story(editor, action):
    draft = action == "publish"
    stories = [kept_story(editor, draft=draft, tags=[TagFactory()]) for _ in range(2)]
    signed_in(editor).post(
        admin_url("articles_article_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [str(story.pk) for story in stories]},
    )
    newest = [versions(story)[0] for story in stories]
    # One revision per story, each holding that story only.
    assert newest[0].revision_id != newest[1].revision_id
    for story, version in zip(stories, newest, strict=True):
        assert len(versions(story)) == 2
        assert version.revision.user == editor
        assert version.revision.version_set.count() == 2  # the story and its tag link
        assert version.revision.comment == (
            revisions.BULK_PUBLISHED if draft else revisions.BULK_UNPUBLISHED
        )
        status = snapshot(story, version)["status"]
        assert status == (Article.Status.PUBLISHED if draft else Article.Status.UNPUBLISHED)


def test_the_codes_comments_are_shown_in_the_readers_language(editor):
    story = kept_story(editor, draft=True)
    signed_in(editor).post(
        admin_url("articles_article_changelist"),
        {"action": "publish", ACTION_CHECKBOX_NAME: [str(story.pk)]},
    )
    history = signed_in(editor).get(admin_url("articles_article_history", story.pk, language="fr"))
    assert "Publié depuis la liste des articles." in history.content.decode()
    history = signed_in(editor).get(admin_url("articles_article_history", story.pk, language="en"))
    assert "Published with the story list’s action." in history.content.decode()


def test_an_import_keeps_a_revision():
    tag = TagFactory(name_fr="Grève")
    import_story(parse_story("Étiquettes\nGrève\n\n# Grève à la SNCF\n\nLe texte."), "fr", "a.txt")
    story = Article.objects.get()
    (version,) = versions(story)
    assert "fr:a.txt" in version.revision.comment
    data = snapshot(story, version)
    assert (data["title_fr"], data["tags"]) == ("Grève à la SNCF", [tag.pk])


# Compare


@pytest.fixture
def two_versions(editor, journalist):
    """A story saved twice: French title, tags and authors changed, English title not."""
    ukraine, russia, kursk = (TagFactory(name_fr=name) for name in ("Ukraine", "Russie", "Koursk"))
    story = kept_story(
        editor,
        title_fr="Les troupes avancent",
        title_en="Troops advance",
        english=True,
        tags=[ukraine, russia],
        authors=[editor],
    )
    page = signed_in(editor).get(change_url(story))
    data = with_tags(
        form_of(page)
        | {"title_fr": "Les troupes reculent", "authors": [str(editor.pk), str(journalist.pk)]},
        [russia, kursk],  # Ukraine taken off, Russie stays, Koursk added
    )
    assert signed_in(editor).post(change_url(story), data).status_code == 302
    return story, versions(story)


def rows_of(response):
    return {row.name: row for row in response.context["rows"]}


def test_compare_shows_each_language_and_the_tags_and_authors_by_name(editor, two_versions):
    story, (newest, first) = two_versions
    response = signed_in(editor).get(
        admin_url("articles_article_compare", story.pk, language="fr"),
        {"old": first.pk, "new": newest.pk},
    )
    assert response.status_code == 200
    rows = rows_of(response)
    assert str(rows["title_fr"].label) == "Titre (fr)"
    assert rows["title_fr"].changed
    assert "<del>avancent</del>" in rows["title_fr"].old
    assert "<ins>reculent</ins>" in rows["title_fr"].new
    assert not rows["title_en"].changed
    assert "Troops advance" in rows["title_en"].old
    assert rows["tags"].changed
    assert "<del>Ukraine</del>" in rows["tags"].old
    assert "<ins>Koursk</ins>" in rows["tags"].new
    assert "Russie" in rows["tags"].new
    assert "<ins>Yanis Haddad</ins>" in rows["authors"].new
    assert not rows["status"].changed
    content = response.content.decode()
    assert "Titre (fr)" in content
    assert "<ins>reculent</ins>" in content


def test_compare_puts_the_older_version_on_the_left_whatever_the_order_asked(editor, two_versions):
    story, (newest, first) = two_versions
    response = signed_in(editor).get(
        admin_url("articles_article_compare", story.pk), {"old": newest.pk, "new": first.pk}
    )
    assert "<del>avancent</del>" in rows_of(response)["title_fr"].old


def test_compare_escapes_what_the_text_holds(editor):
    story = kept_story(editor, title_fr="Titre")
    save(signed_in(editor), story, title_fr="<script>alert(1)</script>")
    newest, first = versions(story)
    response = signed_in(editor).get(
        admin_url("articles_article_compare", story.pk), {"old": first.pk, "new": newest.pk}
    )
    assert "<script>alert" not in response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()


def test_compare_refuses_a_version_of_another_story(editor, two_versions):
    story, (newest, _first) = two_versions
    other = kept_story(editor)
    response = signed_in(editor).get(
        admin_url("articles_article_compare", story.pk),
        {"old": versions(other)[0].pk, "new": newest.pk},
    )
    assert response.status_code == 404


def test_history_and_compare_pages_run_a_fixed_number_of_queries(
    editor, django_assert_max_num_queries
):
    tags = TagFactory.create_batch(8)
    story = kept_story(editor, english=True, tags=tags, authors=[editor])
    client = signed_in(editor)
    for number in range(12):
        save(client, story, title_fr=f"Version {number}")
    assert len(versions(story)) == 13
    newest, first = versions(story)[0], versions(story)[-1]
    # The story is read with its byline prefetched, as the admin's queryset does everywhere.
    with django_assert_max_num_queries(8):
        history = client.get(admin_url("articles_article_history", story.pk))
    assert history.status_code == 200
    with django_assert_max_num_queries(10):
        compare = client.get(
            admin_url("articles_article_compare", story.pk), {"old": first.pk, "new": newest.pk}
        )
    assert compare.status_code == 200
    with django_assert_max_num_queries(12):
        against_now = client.get(admin_url("articles_article_revision", story.pk, first.pk))
    assert against_now.status_code == 200


# Restore


def test_restore_brings_back_text_tags_and_authors_and_keeps_the_status(editor, two_versions):
    story, (newest, first) = two_versions
    first_tags = snapshot(story, first)["tags"]
    assert len(first_tags) == 2
    published_at = timezone.now() - timedelta(days=3)
    save(
        signed_in(editor),
        story,
        status="unpublished",
        published_at_0=timezone.localtime(published_at).strftime("%Y-%m-%d"),
        published_at_1=timezone.localtime(published_at).strftime("%H:%M:%S"),
    )
    story.refresh_from_db()
    kept_published_at = story.published_at

    response = signed_in(editor).post(admin_url("articles_article_revision", story.pk, first.pk))
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.title_fr == "Les troupes avancent"
    assert story.title_en == "Troops advance"
    assert list(story.tagged_items.order_by("pk").values_list("tag", flat=True)) == first_tags
    assert list(story.authors.all()) == [editor]
    assert story.status == Article.Status.UNPUBLISHED
    assert story.published_at == kept_published_at

    restore = versions(story)[0]
    assert len(versions(story)) == 4
    assert restore.revision.user == editor
    assert restore.revision.comment.startswith("Restored the version of")
    assert "Léa Dubois" in restore.revision.comment
    assert snapshot(story, restore)["title_fr"] == "Les troupes avancent"


def test_restore_leaves_out_a_tag_deleted_since_and_says_so(editor):
    gone, stays = TagFactory(name_fr="Disparue"), TagFactory(name_fr="Reste")
    story = kept_story(editor, title_fr="Avant", tags=[gone, stays])
    save(signed_in(editor), story, title_fr="Après")
    gone.delete()
    response = signed_in(editor).post(
        admin_url("articles_article_revision", story.pk, versions(story)[-1].pk, language="en"),
        follow=True,
    )
    story.refresh_from_db()
    assert story.title_fr == "Avant"
    assert list(story.tags.all()) == [stays]
    assert "Tags deleted since were left out." in messages_of(response)


def test_restore_keeps_a_slug_another_story_has_taken_since(editor):
    story = kept_story(editor, title_fr="Grève", slug_fr="greve")
    save(signed_in(editor), story, title_fr="Grève générale", slug_fr="greve-generale")
    ArticleFactory(title_fr="Une autre grève", slug_fr="greve")
    response = signed_in(editor).post(
        admin_url("articles_article_revision", story.pk, versions(story)[-1].pk, language="en"),
        follow=True,
    )
    story.refresh_from_db()
    assert (story.title_fr, story.slug_fr) == ("Grève", "greve-generale")
    assert "kept: Slug (fr)" in messages_of(response)[1]


def test_a_journalist_restores_their_own_draft_but_not_its_authors(journalist, editor):
    story = kept_story(editor, draft=True, title_fr="Brouillon", authors=[journalist, editor])
    with revisions.new_revision(editor, "Retitled"):
        story.title_fr = "Repris"
        story.save()
        story.authors.set([journalist])
        revisions.record(story)
    response = signed_in(journalist).post(
        admin_url("articles_article_revision", story.pk, versions(story)[-1].pk),
        follow=True,
    )
    story.refresh_from_db()
    assert story.title_fr == "Brouillon"
    assert list(story.authors.all()) == [journalist]
    assert "The authors were kept: only an editor may change them." in messages_of(response)


def test_a_translator_may_not_restore_even_by_posting_by_hand(editor, translator):
    story = kept_story(editor, title_fr="Avant")
    save(signed_in(editor), story, title_fr="Après")
    client = signed_in(translator)
    first = versions(story)[-1]
    page = client.get(admin_url("articles_article_revision", story.pk, first.pk))
    assert page.status_code == 200
    assert "Restore this version" not in page.content.decode()
    response = client.post(admin_url("articles_article_revision", story.pk, first.pk))
    assert response.status_code == 403
    assert "Only an editor, or someone who may edit this story’s text" in messages_of(response)[0]
    story.refresh_from_db()
    assert story.title_fr == "Après"
    assert len(versions(story)) == 2


def test_a_journalist_may_not_restore_someone_elses_story(editor, journalist):
    story = kept_story(editor, draft=True, title_fr="Avant", authors=[editor])
    save(signed_in(editor), story, title_fr="Après")
    response = signed_in(journalist).post(
        admin_url("articles_article_revision", story.pk, versions(story)[-1].pk)
    )
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.title_fr == "Après"
    assert len(versions(story)) == 2


def test_an_editor_sees_the_restore_button(editor, two_versions):
    story, (_newest, first) = two_versions
    page = signed_in(editor).get(admin_url("articles_article_revision", story.pk, first.pk))
    assert "Restore this version" in page.content.decode()


# Edit conflicts


def test_a_second_save_on_an_older_version_is_refused_and_loses_nothing(editor, other_editor):
    story = kept_story(editor, title_fr="Titre d’origine", body_fr="<p>Texte d’origine.</p>")
    first, second = signed_in(editor), signed_in(other_editor)
    first_page, second_page = first.get(change_url(story)), second.get(change_url(story))

    saved = first.post(change_url(story), form_of(first_page) | {"title_fr": "Titre de Léa"})
    assert saved.status_code == 302
    refused = second.post(
        change_url(story), form_of(second_page) | {"body_fr": "<p>Texte de Karim.</p>"}
    )

    assert refused.status_code == 200
    content = refused.content.decode()
    assert "Léa Dubois changed this story since you opened it" in content
    form = refused.context["adminform"].form
    assert [row.name for row in form.conflict_rows] == ["title_fr"]
    (row,) = form.conflict_rows
    assert "<del>d’origine</del>" in row.old
    assert "<ins>Léa</ins>" in row.new
    assert 'id="story-conflict"' in content
    story.refresh_from_db()
    assert story.title_fr == "Titre de Léa"
    assert story.body_fr == "<p>Texte d’origine.</p>"
    # Karim's text is still in the form; Léa's title, which he had not touched, is there too.
    again = form_of(refused)
    assert again["body_fr"].strip() == "<p>Texte de Karim.</p>"
    assert again["title_fr"] == "Titre de Léa"
    assert again["opened_version"] == revisions.opened_token(story)

    assert second.post(change_url(story), again).status_code == 302
    story.refresh_from_db()
    assert (story.title_fr, story.body_fr) == ("Titre de Léa", "<p>Texte de Karim.</p>")


def test_when_both_changed_a_field_the_second_persons_text_stays_in_the_form(editor, other_editor):
    story = kept_story(editor, title_fr="Titre d’origine")
    first, second = signed_in(editor), signed_in(other_editor)
    first_page, second_page = first.get(change_url(story)), second.get(change_url(story))
    first.post(change_url(story), form_of(first_page) | {"title_fr": "Titre de Léa"})
    refused = second.post(change_url(story), form_of(second_page) | {"title_fr": "Titre de Karim"})
    assert refused.status_code == 200
    assert form_of(refused)["title_fr"] == "Titre de Karim"
    form = refused.context["adminform"].form
    assert form.conflict_merged == set()
    story.refresh_from_db()
    assert story.title_fr == "Titre de Léa"


def test_a_conflict_on_a_story_without_history_compares_with_your_version(editor, other_editor):
    story = ArticleFactory(title_fr="Titre d’origine")
    first, second = signed_in(editor), signed_in(other_editor)
    first_page, second_page = first.get(change_url(story)), second.get(change_url(story))
    assert first.post(change_url(story), form_of(first_page) | {"title_fr": "Titre de Léa"})
    refused = second.post(change_url(story), form_of(second_page) | {"title_fr": "Titre de Karim"})
    assert refused.status_code == 200
    form = refused.context["adminform"].form
    (row,) = form.conflict_rows
    assert row.name == "title_fr"
    assert "<del>Karim</del>" in row.old
    assert "<ins>Léa</ins>" in row.new
    story.refresh_from_db()
    assert story.title_fr == "Titre de Léa"


def test_a_bulk_publish_since_the_form_was_opened_is_a_conflict(editor, other_editor):
    story = kept_story(editor, draft=True)
    second = signed_in(other_editor)
    page = second.get(change_url(story))
    signed_in(editor).post(
        admin_url("articles_article_changelist"),
        {"action": "publish", ACTION_CHECKBOX_NAME: [str(story.pk)]},
    )
    refused = second.post(change_url(story), form_of(page) | {"title_fr": "Autre"})
    assert refused.status_code == 200
    form = refused.context["adminform"].form
    assert "status" in form.conflict_merged
    assert form_of(refused)["status"] == "published"
    story.refresh_from_db()
    assert story.status == Article.Status.PUBLISHED


def test_saving_twice_from_one_form_after_a_restore_is_a_conflict(editor):
    story = kept_story(editor, title_fr="Avant")
    client = signed_in(editor)
    save(client, story, title_fr="Après")
    page = client.get(change_url(story))
    client.post(admin_url("articles_article_revision", story.pk, versions(story)[-1].pk))
    refused = client.post(change_url(story), form_of(page) | {"standfirst_fr": "Chapô"})
    assert refused.status_code == 200
    story.refresh_from_db()
    assert story.title_fr == "Avant"
    assert form_of(refused)["title_fr"] == "Avant"
