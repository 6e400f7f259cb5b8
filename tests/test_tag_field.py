"""The story form's tags field (articles/tag_field.py): tags chosen or typed, in order."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from articles.admin import tags_in_order
from articles.models import Article, Tag
from articles.tag_field import MAX_TAGS
from tests.factories import ArticleFactory, TagFactory, UserFactory
from tests.test_admin import new_story_form, with_tags

pytestmark = pytest.mark.django_db


def admin_url(name, *args, language="fr"):
    with translation.override(language):
        return reverse(f"admin:{name}", args=args)


def add_story(client, tags, language="fr"):
    return client.post(
        admin_url("articles_article_add", language=language), with_tags(new_story_form(), tags)
    )


def errors(response):
    return response.context["adminform"].form.errors.get("tags")


def test_a_typed_name_becomes_a_new_tag_of_the_story(staff_client):
    response = add_story(staff_client, ["Grève des cheminots"])
    assert response.status_code == 302
    tag = Tag.objects.get(name_fr="Grève des cheminots")
    # Named in both languages until a translator names it in English.
    assert (tag.name_en, tag.slug_fr) == ("Grève des cheminots", "greve-des-cheminots")
    assert tags_in_order(Article.objects.get()) == [tag]


def test_an_existing_tag_is_chosen_by_its_id(staff_client):
    koursk = TagFactory(name_fr="région de Koursk")
    assert add_story(staff_client, [koursk]).status_code == 302
    assert tags_in_order(Article.objects.get()) == [koursk]
    assert Tag.objects.count() == 1


def test_the_tags_keep_the_order_given_the_main_topic_first(staff_client):
    koursk, ukraine = TagFactory(name_fr="région de Koursk"), TagFactory(name_fr="Ukraine")
    add_story(staff_client, ["Soudja", ukraine, "Armée", koursk])
    story = Article.objects.get()
    assert [str(tag) for tag in tags_in_order(story)] == [
        "Soudja",
        "Ukraine",
        "Armée",
        "région de Koursk",
    ]
    with translation.override("fr"):
        assert story.tag_list() == tags_in_order(story)


def test_changing_the_order_changes_the_main_topic(staff_client):
    koursk, ukraine, russia = TagFactory.create_batch(3)
    story = ArticleFactory(tags=[koursk, ukraine, russia])
    url = admin_url("articles_article_change", story.pk)
    data = with_tags(
        new_story_form(title_fr=story.title_fr, slug_fr=story.slug_fr),
        [
            russia,
            koursk,
        ],
    )
    assert staff_client.post(url, data).status_code == 302
    assert tags_in_order(story) == [russia, koursk]


def test_a_name_some_tag_has_is_that_tag_whatever_the_case_or_language(staff_client):
    strike = TagFactory(name_fr="Grève", name_en="Strike")
    add_story(staff_client, ["grève", "STRIKE"], language="en")
    assert tags_in_order(Article.objects.get()) == [strike]
    assert Tag.objects.count() == 1


def test_the_form_shows_the_storys_tags_in_order_in_the_admins_language(staff_client):
    first, second = TagFactory(name_fr="Grève", name_en="Strike"), TagFactory(name_fr="Russie")
    story = ArticleFactory()
    story.set_tags([second, first])
    response = staff_client.get(admin_url("articles_article_change", story.pk, language="en"))
    content = response.content.decode()
    russia = f'<option value="{second.pk}" selected>{second.name_en}</option>'
    strike = f'<option value="{first.pk}" selected>Strike</option>'
    assert russia in content
    assert strike in content
    assert content.index(russia) < content.index(strike)


def test_typed_names_are_kept_when_the_form_comes_back_with_an_error(staff_client):
    data = with_tags(new_story_form(body_fr=""), ["Grève"])
    response = staff_client.post(admin_url("articles_article_add"), data)
    assert response.status_code == 200
    assert '<option value="name:Grève" selected>Grève</option>' in response.content.decode()
    assert not Tag.objects.exists()


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        (["name:" + "x" * 101], "a tag name has at most 100 characters"),
        (["name:   "], "A tag needs a name."),
        ([f"name:Tag {n}" for n in range(MAX_TAGS + 1)], "A story has at most 30 tags."),
        (["999999"], "A tag you chose no longer exists"),
        (["Koursk"], "“Koursk” is not a tag."),
    ],
)
def test_tags_that_cannot_be_are_refused_with_a_clear_error(staff_client, posted, message):
    data = new_story_form() | {"tags": posted}
    response = staff_client.post(admin_url("articles_article_add", language="en"), data)
    assert response.status_code == 200
    assert message in " ".join(errors(response))
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_someone_who_may_not_add_tags_may_only_choose_existing_ones(client):
    writer = UserFactory(is_staff=True)
    writer.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_article", "change_article", "view_tag"])
    )
    strike = TagFactory(name_fr="Grève")
    client.force_login(writer)
    response = add_story(client, ["Inventée"], language="en")
    assert response.status_code == 200
    assert "there is no tag “Inventée”" in " ".join(errors(response))
    assert add_story(client, ["grève"], language="en").status_code == 302
    assert tags_in_order(Article.objects.get()) == [strike]


def test_the_tags_box_searches_the_tag_admin(staff_client):
    koursk = TagFactory(name_fr="région de Koursk", name_en="Kursk region")
    TagFactory(name_fr="Ukraine", name_en="Ukraine")
    response = staff_client.get(
        "/en/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": "tags", "term": "kour"},
    )
    assert response.json()["results"] == [{"id": str(koursk.pk), "text": "Kursk region"}]
