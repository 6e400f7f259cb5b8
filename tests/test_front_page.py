"""The front page: lead stories editors pin per language, then the newest stories."""

import html5lib
import pytest
from django.urls import reverse
from django.utils import translation

from articles.models import Article, FrontPage, FrontPagePin, LanguageState
from tests.factories import ArticleFactory, TagFactory
from tests.test_cache import committed, page_cache, state, warm  # noqa: F401
from tests.test_revisions import form_of
from tests.test_views import deep_page, url_in

pytestmark = pytest.mark.django_db


def parsed(response):
    """The page as a browser parses it (html5lib), as an lxml tree."""
    assert response.status_code == 200, response.status_code
    text = response.content.decode(response.charset or "utf-8")
    return html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False)


def lead_titles(response):
    return [a.text for a in parsed(response).xpath("//section[@class='lead-stories']//h2/a")]


def all_titles(response):
    return [a.text for a in parsed(response).xpath("//article[@class='story-card']/h2/a")]


def pin(story, language="fr", position=1):
    return FrontPagePin.objects.create(
        front_page=FrontPage.objects.get(language=language), story=story, position=position
    )


@pytest.fixture
def stories(settings):
    settings.ARTICLES_PER_PAGE = 3
    # Newest first: stories[0] is the newest.
    return [ArticleFactory(english=True) for _ in range(8)]


def test_every_language_has_a_front_page():
    assert sorted(FrontPage.objects.values_list("language", flat=True)) == ["en", "fr"]


def test_lead_stories_come_first_in_the_editors_order(client, stories):
    pin(stories[6], position=1)
    pin(stories[1], position=2)
    response = client.get(url_in("fr", "articles:article-list"))
    assert lead_titles(response) == [stories[6].title_fr, stories[1].title_fr]
    # Then the first page of the newest stories, without the pinned one it held.
    assert all_titles(response) == [
        stories[6].title_fr,
        stories[1].title_fr,
        stories[0].title_fr,
        stories[2].title_fr,
    ]


def test_lead_stories_are_chosen_per_language(client, stories):
    pin(stories[5], language="en")
    assert lead_titles(client.get(url_in("fr", "articles:article-list"))) == []
    english = client.get(url_in("en", "articles:article-list"))
    assert lead_titles(english) == [stories[5].title_en]


def test_the_pages_after_the_first_are_as_if_nothing_were_pinned(client, stories):
    home = url_in("fr", "articles:article-list")
    before = [all_titles(client.get(deep_page(client, home, depth))) for depth in (1, 2)]
    pin(stories[1])
    pin(stories[4], position=2)
    after = [all_titles(client.get(deep_page(client, home, depth))) for depth in (1, 2)]
    assert after == before
    assert stories[1].title_fr not in after[0] + after[1]


def test_an_unpublished_lead_story_drops_out(client, stories):
    pin(stories[6])
    Article.objects.filter(pk=stories[6].pk).unpublish()
    response = client.get(url_in("fr", "articles:article-list"))
    assert lead_titles(response) == []
    assert stories[6].title_fr not in all_titles(response)


def test_a_lead_story_whose_translation_is_taken_offline_drops_out_there(client, stories):
    pin(stories[6], language="en")
    stories[6].mark_translation_in_progress("en")
    stories[6].save()
    assert stories[6].state("en") == LanguageState.IN_PROGRESS
    assert lead_titles(client.get(url_in("en", "articles:article-list"))) == []


def test_a_story_pinned_in_a_language_it_is_not_readable_in_is_not_shown(client, settings):
    french_only = ArticleFactory()
    pin(french_only, language="en")
    response = client.get(url_in("en", "articles:article-list"))
    assert lead_titles(response) == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_home_page_with_lead_stories_runs_one_query_more_at_most(
    client, django_assert_max_num_queries, settings, language
):
    tags = TagFactory.create_batch(8)
    stories = [ArticleFactory(english=True, tags=tags) for _ in range(60)]
    for position, story in enumerate(stories[10:20], start=1):
        pin(story, language=language, position=position)
    # The page of stories, the lead stories, their tags and their authors, and whether
    # the other language has a home page (its hreflang alternate).
    with django_assert_max_num_queries(5):
        response = client.get(url_in(language, "articles:article-list"))
    assert len(lead_titles(response)) == 10


# Who may pin: editors, in the admin.


def signed_in(client, user):
    client.force_login(user)
    return client


def front_page_url(language):
    page = FrontPage.objects.get(language=language)
    with translation.override("fr"):
        return reverse("admin:articles_frontpage_change", args=[page.pk])


def test_an_editor_finds_the_front_pages_in_the_admin(client, editor):
    client = signed_in(client, editor)
    with translation.override("fr"):
        index = client.get(reverse("admin:index"))
        listing = client.get(reverse("admin:articles_frontpage_changelist"))
    links = parsed(index).xpath("//a/@href")
    assert reverse("admin:articles_frontpage_changelist") in links
    rows = [a.text for a in parsed(listing).xpath("//table[@id='result_list']//th/a")]
    assert rows == ["Page d’accueil (Anglais)", "Page d’accueil (Français)"]


def test_an_editor_pins_stories_in_order(client, editor, stories):
    client = signed_in(client, editor)
    url = front_page_url("fr")
    data = form_of(client.get(url)) | {
        "pins-0-position": "2",
        "pins-0-story": str(stories[3].pk),
        "pins-1-position": "1",
        "pins-1-story": str(stories[7].pk),
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    home = client.get(url_in("fr", "articles:article-list"))
    assert lead_titles(home) == [stories[7].title_fr, stories[3].title_fr]


def test_the_same_story_cannot_be_pinned_twice(client, editor, stories):
    client = signed_in(client, editor)
    url = front_page_url("fr")
    data = form_of(client.get(url)) | {
        "pins-0-position": "1",
        "pins-0-story": str(stories[3].pk),
        "pins-1-position": "2",
        "pins-1-story": str(stories[3].pk),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert not FrontPagePin.objects.exists()


@pytest.mark.parametrize("role", ["journalist", "translator"])
def test_only_editors_may_pin(client, request, role, stories):
    user = request.getfixturevalue(role)
    client = signed_in(client, user)
    url = front_page_url("fr")
    assert client.get(url).status_code == 403
    response = client.post(url, {"pins-TOTAL_FORMS": "1", "pins-INITIAL_FORMS": "0"})
    assert response.status_code == 403
    with translation.override("fr"):
        assert client.get(reverse("admin:articles_frontpage_changelist")).status_code == 403
    assert not FrontPagePin.objects.exists()


def test_the_story_picker_offers_published_stories_only(client, editor, stories):
    draft = ArticleFactory(draft=True, title_fr="Brouillon à épingler")
    client = signed_in(client, editor)
    with translation.override("fr"):
        url = reverse("admin:autocomplete")
    response = client.get(
        url,
        {"app_label": "articles", "model_name": "frontpagepin", "field_name": "story"},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert stories[0].pk in ids
    assert draft.pk not in ids


# The page cache renews a home page when its lead stories change.


def test_pinning_renews_that_languages_home_page_only(client, page_cache, committed):  # noqa: F811
    with committed():
        story = ArticleFactory(english=True)
        ArticleFactory(english=True)
    warm(client, ["/fr/", "/en/"])
    with committed():
        made = pin(story, language="en")
    assert state(client, "/fr/") == "hit"
    assert state(client, "/en/") == "miss"
    assert lead_titles(client.get("/en/")) == [story.title_en]
    with committed():
        made.delete()
    assert lead_titles(client.get("/en/")) == []


def test_reordering_renews_the_home_page(client, page_cache, committed):  # noqa: F811
    with committed():
        first, second = ArticleFactory(), ArticleFactory()
        pin(first, position=1)
        later = pin(second, position=2)
    warm(client, ["/fr/"])
    with committed():
        later.position = 0
        later.save()
    assert lead_titles(client.get("/fr/")) == [second.title_fr, first.title_fr]
