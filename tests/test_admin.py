import re
from datetime import UTC, datetime

import lxml.html
import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from taggit.models import Tag as TaggitTag

from articles import admin as articles_admin
from articles import pagination
from articles.admin import TagFilter, tags_in_order
from articles.models import Article, Image, PreviewLink, Tag
from articles.tag_field import TagsWidget
from tests.factories import ArticleFactory, ImageFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def admin_url(name, *args, language="fr"):
    with translation.override(language):
        return reverse(f"admin:{name}", args=args)


def changelist_ids(response):
    return {article.pk for article in response.context["cl"].result_list}


def new_story_form(**overrides):
    """What the add-story page posts: both languages, no tags."""
    data = {
        "title_fr": "Offensive dans la région de Koursk",
        "slug_fr": "offensive-dans-la-region-de-koursk",
        "standfirst_fr": "Ce qu’il faut savoir.",
        "body_fr": "<p>Le texte en français.</p>",
        "title_en": "Offensive in the Kursk region",
        "slug_en": "offensive-in-the-kursk-region",
        "standfirst_en": "What you need to know.",
        "body_en": "<p>The English text.</p>",
        "source_language": "fr",
        "status": Article.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        "preview_links-TOTAL_FORMS": "0",
        "preview_links-INITIAL_FORMS": "0",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    return data | overrides


def with_tags(data, tags):
    """The tags field as its box posts it: chosen tags by id, typed names as "name:..."."""
    return data | {"tags": [str(tag.pk) if isinstance(tag, Tag) else f"name:{tag}" for tag in tags]}


@pytest.mark.parametrize(("language", "name"), [("fr", "Rédaction"), ("en", "Newsroom")])
def test_the_login_page_is_named_for_the_newsroom(client, language, name):
    content = client.get(admin_url("login", language=language)).content.decode()
    assert f'<div id="site-name"><a href="/{language}/admin/">{name}</a></div>' in content
    assert f"| {name}</title>" in content
    assert "Django" not in content


@pytest.mark.parametrize(
    ("language", "title"), [("fr", "Espace de travail | Rédaction"), ("en", "Workplace | Newsroom")]
)
def test_the_admin_home_is_the_newsrooms_workplace(staff_client, language, title):
    content = staff_client.get(admin_url("index", language=language)).content.decode()
    assert f"<title>{title}</title>" in content
    assert "Django" not in content


WORDS = {
    # model: (add page title and button, change page title, bulk delete), in French.
    "articles_article": (
        "Ajouter un article",
        "Modifier l’article",
        "Supprimer les articles sélectionnés",
    ),
    "articles_tag": (
        "Ajouter une étiquette",
        "Modifier l’étiquette",
        "Supprimer les étiquettes sélectionnées",
    ),
    "auth_user": (
        "Ajouter un utilisateur",
        "Modifier l’utilisateur",
        "Supprimer les utilisateurs sélectionnés",
    ),
    "auth_group": ("Ajouter un groupe", "Modifier le groupe", "Supprimer les groupes sélectionnés"),
}


def some(model, staff):
    if model == "articles_article":
        return ArticleFactory()
    if model == "articles_tag":
        return TagFactory()
    if model == "auth_user":
        return staff
    return Group.objects.create(name="Pigistes")


@pytest.mark.parametrize("model", WORDS)
def test_the_french_add_page_says_what_it_adds(staff_client, model):
    content = staff_client.get(admin_url(f"{model}_add")).content.decode()
    add = WORDS[model][0]
    assert f"<title>{add} | Rédaction</title>" in content
    assert f"<h1>{add}</h1>" in content
    assert f"&rsaquo; {add}\n</div>" in content  # the last breadcrumb
    assert "Ajout de" not in content


@pytest.mark.parametrize("model", WORDS)
def test_the_french_change_page_says_what_it_changes(staff_client, staff, model):
    obj = some(model, staff)
    content = staff_client.get(admin_url(f"{model}_change", obj.pk)).content.decode()
    assert f"<h1>{WORDS[model][1]}</h1>" in content
    assert "Modification de" not in content


@pytest.mark.parametrize("model", WORDS)
def test_the_french_list_offers_to_add_and_delete_in_good_french(staff_client, staff, model):
    some(model, staff)  # the actions are offered on a list with something in it
    response = staff_client.get(admin_url(f"{model}_changelist"))
    add, _change, delete = WORDS[model]
    content = response.content.decode()
    assert f'class="addlink">\n      {add}\n    </a>' in content
    assert f'<option value="delete_selected">{delete}</option>' in content


def test_the_english_admin_keeps_djangos_words(staff_client):
    content = staff_client.get(admin_url("articles_tag_add", language="en")).content.decode()
    assert "<h1>Add tag</h1>" in content
    content = staff_client.get(admin_url("articles_tag_changelist", language="en")).content
    assert "<h1>Select tag to change</h1>" in content.decode()


def test_a_story_someone_may_only_read_is_titled_so(client, staff):
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_article"))
    story = ArticleFactory()
    client.force_login(reader)
    content = client.get(admin_url("articles_article_change", story.pk)).content.decode()
    assert "<h1>Consulter l’article</h1>" in content


@pytest.mark.parametrize("language", ["fr", "en"])
def test_story_changelist_loads(staff_client, language):
    article = ArticleFactory(english=True)
    response = staff_client.get(admin_url("articles_article_changelist", language=language))
    assert response.status_code == 200
    assert changelist_ids(response) == {article.pk}


def an_awkwardly_named(model):
    if model is Tag:
        return TagFactory(name_fr="« Pluie » & <vent>")
    if model is Image:
        return ImageFactory(title="« Pluie » & <vent>")
    return ArticleFactory(title_fr="« Pluie » & <vent>", english=True)


@pytest.mark.parametrize("model", [Article, Tag, Image])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_lists_checkbox_is_djangos_widget_written_out(staff_client, language, model):
    obj = an_awkwardly_named(model)
    name = f"articles_{model._meta.model_name}_changelist"
    response = staff_client.get(admin_url(name, language=language))
    page = lxml.html.fromstring(response.content.decode())
    (checkbox,) = page.xpath(f"//input[@name='{ACTION_CHECKBOX_NAME}']")
    with translation.override(language):
        widget = admin.ModelAdmin.action_checkbox(admin.site.get_model_admin(model), obj)
        label = str(obj)
    (expected,) = lxml.html.fragments_fromstring(widget)
    assert dict(checkbox.attrib) == dict(expected.attrib)
    assert checkbox.get("value") == str(obj.pk)
    assert checkbox.get("aria-label").endswith(f" - {label}")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_story_add_page_has_both_languages_and_the_tags_field(staff_client, language):
    response = staff_client.get(admin_url("articles_article_add", language=language))
    assert response.status_code == 200
    form = response.context["adminform"].form
    for field in ["title", "slug", "standfirst", "body"]:
        assert {f"{field}_fr", f"{field}_en"} <= set(form.fields)
    # One tags field, typed into: no inline, no popup to create a tag.
    assert isinstance(form.fields["tags"].widget, TagsWidget)
    # The only inline: shareable preview links.
    inlines = response.context["inline_admin_formsets"]
    assert [inline.opts.model for inline in inlines] == [PreviewLink]
    assert 'id="add_id_tags"' not in response.content.decode()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_story_change_page_loads(staff_client, language):
    article = ArticleFactory(english=True, tags=[TagFactory()])
    response = staff_client.get(admin_url("articles_article_change", article.pk, language=language))
    assert response.status_code == 200
    assert response.context["original"] == article


def test_body_uses_the_prose_editor_in_both_languages(staff_client):
    response = staff_client.get(admin_url("articles_article_add"))
    content = response.content.decode()
    form = response.context["adminform"].form
    for name in ["body_fr", "body_en"]:
        assert type(form.fields[name].widget).__name__ == "AdminProseEditorWidget"
        assert f'name="{name}"' in content
    assert content.count("data-django-prose-editor-configurable") == 2
    # The editor's scripts are served by the site, not by a CDN.
    assert "django_prose_editor/editor.js" in content


def test_story_fields_are_grouped_in_tabs(staff_client):
    content = staff_client.get(admin_url("articles_article_add")).content.decode()
    assert "modeltranslation/js/tabbed_translation_fields.js" in content
    assert "mt-field-title-fr" in content
    assert "mt-field-body-en" in content


@pytest.mark.parametrize(
    ("filters", "listed"),
    [
        ({}, 20),
        ({"p": "2"}, 10),
        ({"tag": "first"}, 6),
        ({"translation_en": "needed"}, 15),
        ({"translation_en": "outdated"}, 0),
        ({"status__exact": "draft"}, 0),
        ({"queue": "review"}, 0),
        ({"queue": "mine"}, 20),
        ({"q": "article"}, 20),
        ({"q": "article", "status__exact": "published"}, 20),
        ({"q": "nulle-part"}, 0),
        ({"published_at__year": "this"}, 20),
    ],
)
def test_changelist_runs_a_fixed_number_of_queries(
    staff_client, staff, django_assert_max_num_queries, filters, listed, monkeypatch
):
    monkeypatch.setattr(admin.site.get_model_admin(Article), "list_per_page", 20)
    tags = TagFactory.create_batch(25)
    for index in range(30):
        ArticleFactory(
            english=index % 2 == 0, tags=tags[index % 5 : index % 5 + 5], authors=[staff]
        )
    if "tag" in filters:
        filters = {"tag": tags[0].pk}
    if "published_at__year" in filters:
        filters = {"published_at__year": Article.objects.first().published_at.year}
    with django_assert_max_num_queries(9):
        response = staff_client.get(admin_url("articles_article_changelist"), filters)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == listed


def test_the_edit_form_of_a_story_with_many_tags_runs_a_fixed_number_of_queries(
    staff_client, staff, django_assert_max_num_queries
):
    story = ArticleFactory(english=True, tags=TagFactory.create_batch(8), authors=[staff])
    # Django's tag picker reads the tag it shows: one query per tag, the rest fixed.
    with django_assert_max_num_queries(10 + 8):
        response = staff_client.get(admin_url("articles_article_change", story.pk))
    assert response.status_code == 200


def test_tag_filter_finds_the_most_used_tags_in_one_query(rf, staff, django_assert_num_queries):
    TagFactory.create_batch(30)
    request = rf.get("/fr/admin/articles/article/")
    request.user = staff
    with django_assert_num_queries(1):
        tag_filter = TagFilter(request, {}, Article, admin.site.get_model_admin(Article))
    assert len(tag_filter.lookup_choices) == 20


def test_saving_a_story_in_both_languages_with_two_tags(staff_client, staff):
    ukraine, russia = TagFactory(name_fr="Ukraine"), TagFactory(name_fr="Russie")
    data = with_tags(new_story_form(authors=[str(staff.pk)]), [ukraine, russia])
    response = staff_client.post(admin_url("articles_article_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.title_fr == "Offensive dans la région de Koursk"
    assert article.title_en == "Offensive in the Kursk region"
    assert article.slug_fr == "offensive-dans-la-region-de-koursk"
    assert article.slug_en == "offensive-in-the-kursk-region"
    assert article.languages() == ["fr", "en"]
    assert tags_in_order(article) == [ukraine, russia]
    assert list(article.authors.all()) == [staff]


def test_story_without_any_language_is_refused(staff_client):
    data = new_story_form(title_fr="", slug_fr="", body_fr="", title_en="", slug_en="", body_en="")
    response = staff_client.post(admin_url("articles_article_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Article.objects.exists()


def test_script_pasted_in_the_body_is_not_stored(staff_client):
    attack = '<p onclick="steal()">Texte</p><script>alert("fr")</script>'
    data = new_story_form(body_fr=attack, body_en=attack.replace("Texte", "Text"))
    response = staff_client.post(admin_url("articles_article_add"), data)
    assert response.status_code == 302
    article = Article.objects.get()
    for body in [article.body_fr, article.body_en]:
        assert "<script" not in body
        assert "alert" not in body
        assert "onclick" not in body
    assert article.body_fr == "<p>Texte</p>"
    assert article.body_en == "<p>Text</p>"


def test_script_pasted_when_changing_a_story_is_not_stored(staff_client):
    article = ArticleFactory(english=True)
    data = new_story_form(
        title_fr=article.title_fr,
        slug_fr=article.slug_fr,
        title_en=article.title_en,
        slug_en=article.slug_en,
        body_en='<p>Changed</p><script src="https://evil.example/x.js"></script>',
    )
    response = staff_client.post(admin_url("articles_article_change", article.pk), data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body_en == "<p>Changed</p>"


def run_action(client, action, articles):
    """Runs the action from the English admin, whose messages are the msgids."""
    return client.post(
        admin_url("articles_article_changelist", language="en"),
        {"action": action, ACTION_CHECKBOX_NAME: [str(article.pk) for article in articles]},
        follow=True,
    )


def test_publish_action_publishes_the_selected_drafts(staff_client):
    drafts = ArticleFactory.create_batch(2, draft=True)
    other = ArticleFactory(draft=True)
    response = run_action(staff_client, "publish", drafts)
    for article in drafts:
        article.refresh_from_db()
        assert article.is_published()
    other.refresh_from_db()
    assert other.status == Article.Status.DRAFT
    assert messages_of(response) == ["2 stories were published."]


def test_publish_action_counts_only_stories_that_changed(staff_client):
    already_online, draft = ArticleFactory(), ArticleFactory(draft=True)
    response = run_action(staff_client, "publish", [already_online, draft])
    assert messages_of(response) == ["1 story was published."]


def test_unpublish_action_takes_published_stories_offline(staff_client):
    published = ArticleFactory()
    response = run_action(staff_client, "unpublish", [published])
    published.refresh_from_db()
    assert published.status == Article.Status.UNPUBLISHED
    assert not published.is_published()
    assert messages_of(response) == ["1 story was taken offline."]


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_changelist_counts_stories_per_filter_choice(staff_client):
    ukraine = TagFactory(name_fr="Ukraine")
    ArticleFactory.create_batch(2, tags=[ukraine], english=True)
    response = staff_client.get(admin_url("articles_article_changelist"), {"_facets": "1"})
    assert response.status_code == 200
    assert "Ukraine (2)" in response.content.decode()


def test_only_the_newsroom_tags_have_an_admin_page():
    assert admin.site.is_registered(Tag)
    assert not admin.site.is_registered(TaggitTag)


def test_tag_filter_narrows_the_list(staff_client):
    ukraine = TagFactory(name_fr="Ukraine")
    tagged = ArticleFactory(tags=[ukraine])
    ArticleFactory(tags=[TagFactory()])
    response = staff_client.get(admin_url("articles_article_changelist"), {"tag": ukraine.pk})
    assert response.status_code == 200
    assert changelist_ids(response) == {tagged.pk}


def test_tag_filter_offers_the_most_used_tags_only(staff_client):
    rare = TagFactory(name_fr="Rare")
    common = TagFactory.create_batch(20)
    for _index in range(2):
        ArticleFactory(tags=common)
    ArticleFactory(tags=[rare])
    response = staff_client.get(admin_url("articles_article_changelist"))
    choices = tag_filter_choices(response)
    assert len(choices) == 20
    assert "Rare" not in choices


def test_tag_filter_accepts_a_tag_outside_the_most_used(staff_client):
    rare = TagFactory(name_fr="Rare")
    common = TagFactory.create_batch(20)
    ArticleFactory.create_batch(2, tags=common)
    story = ArticleFactory(tags=[rare])
    response = staff_client.get(admin_url("articles_article_changelist"), {"tag": rare.pk})
    assert changelist_ids(response) == {story.pk}
    assert "Rare" in tag_filter_choices(response)


def test_tag_filter_with_a_malformed_id_shows_the_error_page(staff_client):
    response = staff_client.get(admin_url("articles_article_changelist"), {"tag": "koursk"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def tag_filter_choices(response):
    tag_filter = next(
        spec for spec in response.context["cl"].filter_specs if isinstance(spec, TagFilter)
    )
    return [label for _value, label in tag_filter.lookup_choices]


def test_translation_filters_narrow_the_list_by_each_languages_state(staff_client):
    ready = ArticleFactory(english=True)
    missing = ArticleFactory()
    in_progress = ArticleFactory(title_en="A translation being written", body_en="<p>Text.</p>")
    draft = ArticleFactory(draft=True)  # not worth translating yet
    outdated = ArticleFactory(english=True)
    outdated.title_fr = "Titre corrigé"
    outdated.save()
    url = admin_url("articles_article_changelist")

    def listed(value):
        return changelist_ids(staff_client.get(url, {"translation_en": value}))

    assert listed("needed") == {missing.pk, in_progress.pk}
    assert listed("in_progress") == {in_progress.pk}
    assert listed("ready") == {ready.pk}
    assert listed("outdated") == {outdated.pk}
    assert listed("source") == set()
    assert changelist_ids(staff_client.get(url, {"translation_fr": "source"})) == {
        ready.pk,
        missing.pk,
        in_progress.pk,
        draft.pk,
        outdated.pk,
    }


def test_an_unknown_translation_state_in_the_address_is_refused(staff_client):
    response = staff_client.get(
        admin_url("articles_article_changelist"), {"translation_en": "nonsense"}
    )
    assert response.status_code in (302, 400)


@pytest.mark.parametrize(
    ("language", "expected"), [("fr", ["Abeilles", "Zèbres"]), ("en", ["Bees", "Zebras"])]
)
def test_changelist_sorts_by_the_title_in_the_admin_language(staff_client, language, expected):
    ArticleFactory(title_fr="Zèbres", title_en="Bees", english=True)
    ArticleFactory(title_fr="Abeilles", title_en="Zebras", english=True)
    response = staff_client.get(
        admin_url("articles_article_changelist", language=language), {"o": "1"}
    )
    with translation.override(language):
        assert [str(article) for article in response.context["cl"].result_list] == expected


def test_search_finds_stories_by_either_title(staff_client):
    story = ArticleFactory(title_fr="Les chars à Koursk", title_en="Tanks in Kursk", english=True)
    ArticleFactory(title_fr="Autre chose")
    url = admin_url("articles_article_changelist")
    assert changelist_ids(staff_client.get(url, {"q": "koursk"})) == {story.pk}
    assert changelist_ids(staff_client.get(url, {"q": "tanks"})) == {story.pk}


def test_view_on_site_links_to_the_story(staff_client):
    article = ArticleFactory(english=True)
    response = staff_client.get(admin_url("articles_article_change", article.pk, language="en"))
    with translation.override("en"):
        expected = article.get_absolute_url()
    assert response.context["absolute_url"] == expected
    assert expected.startswith("/en/")


def test_tag_autocomplete_finds_the_tag(staff_client):
    koursk = TagFactory(name_fr="région de Koursk", name_en="Kursk region")
    TagFactory(name_fr="Ukraine", name_en="Ukraine")
    response = staff_client.get(
        "/fr/admin/autocomplete/",
        {
            "app_label": "articles",
            "model_name": "taggedarticle",
            "field_name": "tag",
            "term": "kour",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(koursk.pk), "text": "région de Koursk"}]


def test_author_autocomplete_finds_the_journalist(staff_client):
    author = UserFactory(username="cmartin", last_name="Martin-Dubois")
    response = staff_client.get(
        "/fr/admin/autocomplete/",
        {
            "app_label": "articles",
            "model_name": "article",
            "field_name": "authors",
            "term": "dubois",
        },
    )
    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(author.pk)]


def test_author_autocomplete_shows_and_searches_full_names(staff_client):
    author = UserFactory(username="cmartin", first_name="Camille", last_name="Martin-Dubois")
    UserFactory(username="cdupont", first_name="Camille", last_name="Dupont")
    response = staff_client.get(
        "/fr/admin/autocomplete/",
        {
            "app_label": "articles",
            "model_name": "article",
            "field_name": "authors",
            "term": "camille dubois",
        },
    )
    assert response.json()["results"] == [
        {"id": str(author.pk), "text": "Camille Martin-Dubois (cmartin)"}
    ]


def test_an_account_without_a_name_is_shown_by_its_username(staff_client):
    author = UserFactory(username="pigiste", first_name="", last_name="")
    response = staff_client.get(
        "/fr/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": "authors", "term": "pig"},
    )
    assert response.json()["results"] == [{"id": str(author.pk), "text": "pigiste"}]


def test_the_story_form_shows_its_authors_by_full_name(staff_client):
    author = UserFactory(username="lea", first_name="Léa", last_name="Dubois")
    story = ArticleFactory(authors=[author])
    content = staff_client.get(admin_url("articles_article_change", story.pk)).content.decode()
    assert f'<option value="{author.pk}" selected>Léa Dubois (lea)</option>' in content


def test_the_story_list_shows_bylines_by_full_name(staff_client):
    lea = UserFactory(username="lea", first_name="Léa", last_name="Dubois")
    karim = UserFactory(username="karim", first_name="Karim", last_name="Benali")
    ArticleFactory(authors=[lea, karim])
    content = staff_client.get(admin_url("articles_article_changelist")).content.decode()
    assert '<td class="field-author_names">Karim Benali et Léa Dubois</td>' in content


def test_accounts_are_found_by_first_or_last_name_and_listed_by_name(staff_client):
    UserFactory(username="zz", first_name="Yanis", last_name="Haddad")
    UserFactory(username="aa", first_name="Emma", last_name="Walsh")
    url = admin_url("auth_user_changelist")
    found = staff_client.get(url, {"q": "yanis"}).context["cl"].result_list
    assert [user.username for user in found] == ["zz"]
    listed = staff_client.get(url).context["cl"].result_list
    # Haddad, Martin (the signed-in "redaction"), Walsh.
    assert [user.username for user in listed] == ["zz", "redaction", "aa"]


def test_tag_admin_saves_the_english_name_and_slug(staff_client):
    tag = TagFactory(name_fr="région de Koursk", name_en=None)
    response = staff_client.post(
        admin_url("articles_tag_change", tag.pk),
        {
            "name_fr": "région de Koursk",
            "slug_fr": tag.slug_fr,
            "name_en": "Kursk region",
            "slug_en": "kursk-region",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.name_en == "Kursk region"
    assert tag.slug_en == "kursk-region"
    assert tag.name_fr == "région de Koursk"


def test_tag_admin_lists_tags_missing_an_english_name(staff_client):
    missing = TagFactory(name_fr="Koursk", name_en=None)
    copied = TagFactory(name_fr="Donbass", name_en="Donbass")
    TagFactory(name_fr="Corée du Nord", name_en="North Korea")
    url = admin_url("articles_tag_changelist")
    response = staff_client.get(url, {"name_in_en": "missing"})
    assert {tag.pk for tag in response.context["cl"].result_list} == {missing.pk}
    response = staff_client.get(url, {"name_in_en": "copied"})
    assert {tag.pk for tag in response.context["cl"].result_list} == {copied.pk}


def test_tag_changelist_loads(staff_client):
    TagFactory.create_batch(3)
    response = staff_client.get(admin_url("articles_tag_changelist", language="en"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == Tag.objects.count() == 3


# The story list at a million stories (StoryChangeList, articles.pagination.LongListPaginator):
# no count of the whole table, counts stopped at a limit, pages read from an index.


@pytest.fixture
def small_limits(monkeypatch):
    """A list of a dozen stories behaves as one of a million: counts stop at 5, 3 a page."""
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 5)
    monkeypatch.setattr(articles_admin, "COUNT_LIMIT", 5)
    monkeypatch.setattr(admin.site.get_model_admin(Article), "list_per_page", 3)


def analyze():
    """Refresh PostgreSQL's estimate of the story table (it sees this test's own rows)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")


def newest_first():
    return list(Article.objects.order_by("-published_at", "-pk").values_list("pk", flat=True))


def listed_in_order(response):
    return [article.pk for article in response.context["cl"].result_list]


def result_count_text(response):
    return response.context["cl"].result_count_text()


def test_the_whole_list_shows_the_estimated_number_of_stories(staff_client, small_limits):
    ArticleFactory.create_batch(12)
    analyze()
    url = admin_url("articles_article_changelist", language="en")
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(url)
    assert result_count_text(response) == "about 12 stories"
    assert "about 12 stories" in response.content.decode()
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"]]


def test_the_estimate_is_rounded_to_two_digits(staff_client, small_limits, monkeypatch):
    ArticleFactory.create_batch(6)
    monkeypatch.setattr(pagination, "estimated_rows", lambda model, using: 1_003_412)
    response = staff_client.get(admin_url("articles_article_changelist", language="en"))
    assert result_count_text(response) == "about 1,000,000 stories"
    response = staff_client.get(admin_url("articles_article_changelist", language="fr"))
    with translation.override("fr"):
        assert result_count_text(response) == "environ 1\xa0000\xa0000 articles"


def test_a_table_never_analyzed_is_counted(staff_client, small_limits, monkeypatch):
    ArticleFactory.create_batch(4)
    monkeypatch.setattr(pagination, "estimated_rows", lambda model, using: None)
    response = staff_client.get(admin_url("articles_article_changelist", language="en"))
    assert result_count_text(response) == "4 stories"


def test_a_filtered_list_counts_up_to_the_limit(staff_client, small_limits):
    ArticleFactory.create_batch(7, draft=True)
    ArticleFactory.create_batch(3, status=Article.Status.REVIEW, published_at=None)
    url = admin_url("articles_article_changelist", language="en")
    drafts = staff_client.get(url, {"status__exact": "draft"})
    assert result_count_text(drafts) == "5+ stories"
    assert "5+ stories" in drafts.content.decode()
    assert result_count_text(staff_client.get(url, {"queue": "review"})) == "3 stories"


def test_a_search_counts_up_to_the_limit(staff_client, small_limits):
    ArticleFactory.create_batch(6, title_fr="La crue de la Loire")
    ArticleFactory(title_fr="Autre chose")
    url = admin_url("articles_article_changelist", language="en")
    assert result_count_text(staff_client.get(url, {"q": "loire"})) == "5+ stories"
    assert result_count_text(staff_client.get(url, {"q": "autre"})) == "1 story"
    assert result_count_text(staff_client.get(url, {"q": "nulle-part"})) == "0 stories"


def test_no_list_counts_more_than_the_limit(staff_client, django_assert_max_num_queries):
    ArticleFactory.create_batch(3, draft=True)
    url = admin_url("articles_article_changelist")
    for filters in [{}, {"status__exact": "draft"}, {"q": "article"}]:
        with CaptureQueriesContext(connection) as queries:
            staff_client.get(url, filters)
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
        assert counts, filters
        assert all("LIMIT 10001" in sql for sql in counts), counts


def test_page_two_holds_the_next_stories(staff_client, small_limits):
    ArticleFactory.create_batch(12)
    analyze()
    url = admin_url("articles_article_changelist")
    pages = [listed_in_order(staff_client.get(url, {"p": number})) for number in (1, 2, 3, 4)]
    assert [pk for page in pages for pk in page] == newest_first()


def test_drafts_come_first_then_the_newest(staff_client):
    published = ArticleFactory()
    draft = ArticleFactory(draft=True)
    response = staff_client.get(admin_url("articles_article_changelist"))
    assert listed_in_order(response) == [draft.pk, published.pk]


def test_pages_of_a_filtered_list_go_past_the_counted_limit(staff_client, small_limits):
    ArticleFactory.create_batch(11, draft=True)
    ArticleFactory.create_batch(2)
    url = admin_url("articles_article_changelist", language="en")
    drafts = list(
        Article.objects.filter(status="draft")
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)
    )
    # Six counted (5+), two pages of three known: the second links to a third.
    second = staff_client.get(url, {"status__exact": "draft", "p": 2})
    assert response_has_page_link(second, 3)
    read = [
        listed_in_order(staff_client.get(url, {"status__exact": "draft", "p": number}))
        for number in (1, 2, 3, 4)
    ]
    assert [pk for page in read for pk in page] == drafts
    last = staff_client.get(url, {"status__exact": "draft", "p": 4})
    assert not response_has_page_link(last, 5)


def response_has_page_link(response, number):
    return f'href="?p={number}&amp;' in response.content.decode() or (
        f'href="?p={number}"' in response.content.decode()
    )


def test_a_page_past_the_end_of_an_estimated_list_is_empty_and_links_back(
    staff_client, small_limits
):
    ArticleFactory.create_batch(12)
    analyze()
    response = staff_client.get(admin_url("articles_article_changelist", language="en"), {"p": 9})
    assert response.status_code == 200
    assert listed_in_order(response) == []
    assert "The list ends before this page." in response.content.decode()


def test_a_page_past_the_end_of_a_counted_list_shows_its_last_page(staff_client, small_limits):
    stories = ArticleFactory.create_batch(4, draft=True)
    response = staff_client.get(
        admin_url("articles_article_changelist"), {"status__exact": "draft", "p": 99}
    )
    assert response.status_code == 200
    assert listed_in_order(response) == [stories[0].pk]  # the oldest draft, alone on page 2
    assert response.context["cl"].page_num == 2


@pytest.mark.parametrize("page", ["0", "-3", "99999999999999999999999", "deux"])
def test_odd_page_numbers_give_a_page(staff_client, small_limits, page):
    ArticleFactory.create_batch(12)
    analyze()
    response = staff_client.get(admin_url("articles_article_changelist"), {"p": page})
    assert response.status_code == 200


def test_select_all_says_the_count_is_an_estimate(staff_client, small_limits):
    ArticleFactory.create_batch(12)
    analyze()
    response = staff_client.get(admin_url("articles_article_changelist", language="en"))
    assert "Select the whole list (about 12 stories)" in response.content.decode()


def test_the_date_links_are_the_years_from_the_first_story_to_the_last(staff_client):
    ArticleFactory(published_at=datetime(2019, 5, 2, 12, tzinfo=UTC))
    ArticleFactory(published_at=datetime(2022, 3, 1, 12, tzinfo=UTC))
    url = admin_url("articles_article_changelist", language="en")
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(url, {"status__exact": "draft"})
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"]]
    assert date_links(response) == ["2019", "2020", "2021", "2022"]
    assert date_links(staff_client.get(url, {"published_at__year": "2022"})) == [
        "January 2022",
        "February 2022",
        "March 2022",
    ]
    days = date_links(
        staff_client.get(url, {"published_at__year": "2020", "published_at__month": "2"})
    )
    assert days[0] == "February 1"
    assert days[-1] == "February 29"


def date_links(response):
    nav = re.search(r'<nav class="toplinks">(.*?)</nav>', response.content.decode(), re.S)
    return re.findall(r'<a href="\?[^"]*published_at__year[^"]*">([^<]+)</a>', nav[1])


def test_a_date_link_lists_the_stories_of_that_year(staff_client):
    old = ArticleFactory(published_at=datetime(2019, 5, 2, 12, tzinfo=UTC))
    ArticleFactory(published_at=datetime(2022, 3, 1, 12, tzinfo=UTC))
    response = staff_client.get(
        admin_url("articles_article_changelist"), {"published_at__year": "2019"}
    )
    assert listed_in_order(response) == [old.pk]


def test_the_list_reads_no_story_body(staff_client):
    ArticleFactory.create_batch(3, english=True)
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(admin_url("articles_article_changelist"))
    rows = [q["sql"] for q in queries if q["sql"].startswith('SELECT "articles_article"."id", ')]
    assert rows
    assert not [sql for sql in rows if '"body_fr"' in sql or '"search_words"' in sql]


def test_search_finds_stories_by_their_text_in_either_language(staff_client):
    story = ArticleFactory(
        body_fr="<p>Les blindés à Koursk.</p>", body_en="<p>Tanks in Kursk.</p>", english=True
    )
    ArticleFactory()
    url = admin_url("articles_article_changelist")
    assert changelist_ids(staff_client.get(url, {"q": "blindes"})) == {story.pk}
    assert changelist_ids(staff_client.get(url, {"q": "TANK"})) == {story.pk}


def test_search_combines_with_the_filters(staff_client):
    draft = ArticleFactory(title_fr="Crue de la Loire", draft=True)
    ArticleFactory(title_fr="Crue de la Loire")
    url = admin_url("articles_article_changelist")
    response = staff_client.get(url, {"q": "loire", "status__exact": "draft"})
    assert changelist_ids(response) == {draft.pk}
