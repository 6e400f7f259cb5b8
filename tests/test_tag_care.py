"""Tags that lead somewhere: descriptions, names marked with their language, the pairs of
tags (TagPair) kept right on every write, the narrowing links, and bounded a+b pages."""

import threading
from collections import Counter
from datetime import timedelta

import html5lib
import pytest
from django.utils import timezone, translation

from articles.models import (
    Article,
    LanguageState,
    Tag,
    TaggedArticle,
    TagPair,
    language_codes,
)
from tests.factories import ArticleFactory, TagFactory
from tests.servers import connect
from tests.test_views import url_in

pytestmark = pytest.mark.django_db


def parse(response):
    assert response.status_code == 200
    return html5lib.parse(response.content.decode(), namespaceHTMLElements=False)


def with_class(root, tag, name):
    return [e for e in root.iter(tag) if name in (e.get("class") or "").split()]


def next_href(page, rel="next"):
    links = page.findall(f".//a[@rel='{rel}']")
    return links[0].get("href") if links else None


def text(element):
    return " ".join("".join(element.itertext()).split())


def expected_pairs():
    """The pairs of tags counted from scratch: per ordered pair, the published stories
    (scheduled ones included, as the maintained counts do) readable in each language."""
    counts = Counter()
    for code in language_codes():
        stories = Article.objects.filter(status=Article.Status.PUBLISHED).in_language(code)
        tags = {}
        for story, tag in TaggedArticle.objects.filter(content_object__in=stories).values_list(
            "content_object", "tag"
        ):
            tags.setdefault(story, []).append(tag)
        for story_tags in tags.values():
            for tag in story_tags:
                for other in story_tags:
                    if tag != other:
                        counts[tag, other, code] += 1
    pairs = {}
    for (tag, other, code), count in counts.items():
        pairs.setdefault((tag, other), dict.fromkeys(language_codes(), 0))[code] = count
    return {key: tuple(value[code] for code in language_codes()) for key, value in pairs.items()}


def stored_pairs():
    columns = [f"story_count_{code}" for code in language_codes()]
    return {
        (tag, other): tuple(counts)
        for tag, other, *counts in TagPair.objects.values_list("tag", "other", *columns)
    }


def assert_pairs_right():
    assert stored_pairs() == expected_pairs()


@pytest.fixture
def tags():
    return TagFactory.create_batch(5)


# Descriptions


def test_a_tag_page_shows_its_description_in_the_page_language(client):
    tag = TagFactory(description_fr="Toute notre couverture.", description_en="All our coverage.")
    ArticleFactory(tags=[tag], english=True)
    for code, wanted in [("fr", "Toute notre couverture."), ("en", "All our coverage.")]:
        page = parse(client.get(tag.url_for(code)))
        (description,) = page.findall(".//div[@class='tag-description']")
        assert text(description) == wanted


def test_a_description_missing_in_a_language_shows_none_there(client):
    tag = TagFactory(description_fr="Toute notre couverture.", description_en="")
    ArticleFactory(tags=[tag], english=True)
    page = parse(client.get(tag.url_for("en")))
    assert page.findall(".//div[@class='tag-description']") == []
    assert "Toute notre couverture." not in text(page)


def test_a_description_is_edited_in_each_language_in_the_tag_admin(staff_client):
    tag = TagFactory()
    page = parse(staff_client.get(f"/fr/admin/articles/tag/{tag.pk}/change/"))
    for code in language_codes():
        assert page.findall(f".//textarea[@name='description_{code}']")
    help_texts = " ".join(text(e) for e in with_class(page, "div", "help"))
    assert "page" in help_texts


# Names marked with their language


@pytest.fixture
def french_only():
    """A tag without an English name, on a story readable in both languages."""
    tag = TagFactory(name_fr="région de Koursk", name_en=None)
    named = TagFactory(name_fr="Russie", name_en="Russia")
    story = ArticleFactory(tags=[tag, named], english=True)
    return tag, named, story


def marked(elements):
    return {text(e): e.get("lang") for e in elements}


def test_a_tag_without_an_english_name_is_marked_french_on_cards(client, french_only):
    page = parse(client.get(url_in("en", "articles:article-list")))
    names = marked(page.findall(".//ul[@class='tags']//a"))
    assert names == {"région de Koursk": "fr", "Russia": None}


def test_a_tag_without_an_english_name_is_marked_french_on_the_story_page(client, french_only):
    _tag, _named, story = french_only
    page = parse(client.get(story.url_for("en")))
    assert marked(page.findall(".//ul[@class='tags']//a")) == {
        "région de Koursk": "fr",
        "Russia": None,
    }


def test_french_pages_mark_no_name(client, french_only):
    _tag, _named, story = french_only
    page = parse(client.get(story.url_for("fr")))
    assert set(marked(page.findall(".//ul[@class='tags']//a")).values()) == {None}


def test_the_tag_page_heading_marks_a_borrowed_name(client, french_only):
    tag, named, _story = french_only
    page = parse(client.get(Tag.combination_url([named, tag], "+", "en")))
    (heading,) = page.findall(".//h1")
    assert text(heading) == "Russia and région de Koursk"
    assert [(text(span), span.get("lang")) for span in heading.findall(".//span")] == [
        ("région de Koursk", "fr")
    ]


def test_the_tag_index_marks_a_borrowed_name(client, french_only):
    page = parse(client.get(url_in("en", "articles:tag-list")))
    assert marked(page.findall(".//ul[@class='tag-index']//a")) == {
        "région de Koursk": "fr",
        "Russia": None,
    }


def test_an_english_only_tag_shows_its_english_name_on_french_pages(client):
    tag = TagFactory(name_fr="", name_en="Brexit")
    story = ArticleFactory(tags=[tag])
    page = parse(client.get(story.url_for("fr")))
    assert marked(page.findall(".//ul[@class='tags']//a")) == {"Brexit": "en"}


# The admin's "to translate"


@pytest.mark.parametrize(
    ("language", "title", "column"),
    [("fr", "à traduire", "Anglais"), ("en", "to translate", "English")],
)
def test_the_tag_admin_lists_tags_to_translate(staff_client, language, title, column):
    untranslated = TagFactory(name_fr="région de Koursk", name_en=None)
    TagFactory(name_fr="Russie", name_en="Russia")
    url = f"/{language}/admin/articles/tag/"
    everything = parse(staff_client.get(url))
    (filters,) = everything.findall(".//*[@id='changelist-filter']")
    assert title in text(filters).lower()
    response = staff_client.get(f"{url}?to_translate=en")
    assert list(response.context["cl"].result_list) == [untranslated]
    (cell,) = with_class(parse(response), "td", "field-to_translate")
    assert text(cell) == column


def test_an_unknown_to_translate_value_is_no_error_page(staff_client):
    response = staff_client.get("/fr/admin/articles/tag/?to_translate=xx")
    assert response.status_code in (200, 302)


# The pairs of tags, through every write path


def test_tagging_stories_counts_their_pairs(tags):
    ArticleFactory(tags=tags[:3], english=True)
    ArticleFactory(tags=tags[1:4])
    ArticleFactory(tags=tags[:2], draft=True)
    assert stored_pairs()[tags[1].pk, tags[2].pk] == (2, 1)
    assert (tags[0].pk, tags[4].pk) not in stored_pairs()
    assert_pairs_right()


def test_retagging_a_story_moves_its_pairs(tags):
    story = ArticleFactory(tags=tags[:3], english=True)
    story.set_tags([tags[3], tags[0], tags[4]])
    assert_pairs_right()
    story.tags.remove(tags[0])
    assert_pairs_right()
    story.tags.clear()
    assert stored_pairs() == {}


def test_publishing_and_unpublishing_count_the_pairs(tags):
    story = ArticleFactory(tags=tags[:3], draft=True, english=True)
    assert stored_pairs() == {}
    story.status = Article.Status.PUBLISHED
    story.save()
    assert_pairs_right()
    Article.objects.filter(pk=story.pk).unpublish()
    assert stored_pairs() == {}
    Article.objects.filter(pk=story.pk).publish()
    assert stored_pairs()[tags[0].pk, tags[1].pk] == (1, 1)


def test_a_translation_taken_offline_leaves_its_language_pairs(tags):
    story = ArticleFactory(tags=tags[:2], english=True)
    Article.objects.filter(pk=story.pk).update(state_en=LanguageState.IN_PROGRESS)
    assert stored_pairs()[tags[0].pk, tags[1].pk] == (1, 0)
    Article.objects.filter(pk=story.pk).update(state_en=LanguageState.READY)
    assert stored_pairs()[tags[0].pk, tags[1].pk] == (1, 1)


def test_deleting_a_story_or_a_tag_takes_its_pairs_off(tags):
    first = ArticleFactory(tags=tags[:3])
    ArticleFactory(tags=tags[1:4])
    first.delete()
    assert_pairs_right()
    tags[2].delete()
    assert_pairs_right()
    assert not TagPair.objects.filter(other=tags[2].pk).exists()


def test_merging_tags_keeps_the_pairs_right(tags):
    ArticleFactory(tags=[tags[0], tags[2]])
    ArticleFactory(tags=[tags[1], tags[2], tags[3]])
    ArticleFactory(tags=[tags[0], tags[1], tags[4]], english=True)
    tags[0].absorb([tags[1]])
    assert_pairs_right()
    assert stored_pairs()[tags[0].pk, tags[2].pk] == (2, 0)


def test_moving_links_to_another_story_keeps_the_pairs_right(tags):
    first = ArticleFactory(tags=tags[:2])
    second = ArticleFactory(tags=tags[2:4], english=True)
    TaggedArticle.objects.filter(content_object=first, tag=tags[0]).update(content_object=second)
    assert_pairs_right()


def test_a_scheduled_story_counts_like_the_story_counts_do(tags):
    ArticleFactory(tags=tags[:2], published_at=timezone.now() + timedelta(days=1))
    assert stored_pairs()[tags[0].pk, tags[1].pk] == (1, 0)


def test_rebuilding_the_pairs_gives_what_the_triggers_kept(tags):
    for number in range(6):
        ArticleFactory(tags=tags[number % 3 : number % 3 + 3], english=number % 2 == 0)
    kept = stored_pairs()
    TagPair.objects.all().delete()
    TagPair.objects.rebuild()
    assert stored_pairs() == kept == expected_pairs()


@pytest.mark.django_db(transaction=True)
def test_two_tags_added_to_one_story_at_once_make_their_pair():
    """Two editors tag the same story at once: each trigger must see the other's link."""
    first, second = TagFactory(), TagFactory()
    story = ArticleFactory()
    insert = "INSERT INTO articles_taggedarticle (tag_id, content_object_id) VALUES (%s, %s)"
    with connect() as one, connect() as two:
        one.execute(insert, [first.pk, story.pk])

        def tag():
            two.execute(insert, [second.pk, story.pk])
            two.commit()

        thread = threading.Thread(target=tag)
        thread.start()
        thread.join(timeout=1)  # the second tagging waits for the first
        one.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert stored_pairs() == {(first.pk, second.pk): (1, 0), (second.pk, first.pk): (1, 0)}


@pytest.mark.django_db(transaction=True)
def test_a_tag_added_while_the_story_is_published_makes_its_pairs():
    first, second = TagFactory(), TagFactory()
    story = ArticleFactory(draft=True, tags=[first])
    with connect() as tagging, connect() as publishing:
        tagging.execute(
            "INSERT INTO articles_taggedarticle (tag_id, content_object_id) VALUES (%s, %s)",
            [second.pk, story.pk],
        )

        def publish():
            publishing.execute(
                "UPDATE articles_article SET status = 'published', published_at = now()"
                " WHERE id = %s",
                [story.pk],
            )
            publishing.commit()

        thread = threading.Thread(target=publish)
        thread.start()
        thread.join(timeout=1)
        tagging.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert stored_pairs() == {(first.pk, second.pk): (1, 0), (second.pk, first.pk): (1, 0)}


# Narrowing links


def companions_of(client, tag, language):
    page = parse(client.get(tag.url_for(language)))
    return [
        (text(item.find("a")), item.find("a").get("href"), text(item.find("span[@class='count']")))
        for item in page.findall(".//nav[@class='tag-companions']//li")
    ]


def test_a_tag_page_offers_its_most_frequent_companions(client, tags):
    climate, energy, sport, culture = tags[:4]
    for _ in range(3):
        ArticleFactory(tags=[climate, energy])
    ArticleFactory(tags=[climate, sport])
    ArticleFactory(tags=[culture])
    assert companions_of(client, climate, "fr") == [
        (
            f"{climate.name_fr} + {energy.name_fr}",
            Tag.combination_url([climate, energy], "+", "fr"),
            "3 articles",
        ),
        (
            f"{climate.name_fr} + {sport.name_fr}",
            Tag.combination_url([climate, sport], "+", "fr"),
            "1 article",
        ),
    ]


def test_each_narrowing_link_leads_to_the_stories_it_counts(client, tags):
    climate, energy = tags[:2]
    shared = {ArticleFactory(tags=[climate, energy], english=n % 2 == 0).pk for n in range(5)}
    ArticleFactory(tags=[climate])
    for language in language_codes():
        ((_name, url, _count),) = companions_of(client, climate, language)
        response = client.get(url)
        listed = {story.pk for story in response.context["object_list"]}
        readable = set(Article.objects.readable(language).filter(pk__in=shared).values_list("pk"))
        assert listed == {pk for (pk,) in readable}
        with translation.override(language):
            count = len(listed)
        assert _count.startswith(str(count))


def test_no_link_to_a_combination_without_readable_stories(client, tags):
    climate, energy, embargo, draft = tags[:4]
    ArticleFactory(tags=[climate, energy])  # French only
    ArticleFactory(tags=[climate], english=True)
    ArticleFactory(tags=[climate, embargo], published_at=timezone.now() + timedelta(days=1))
    ArticleFactory(tags=[climate, draft], draft=True)
    assert [name for name, _url, _count in companions_of(client, climate, "en")] == []
    names = [name for name, _url, _count in companions_of(client, climate, "fr")]
    assert names == [f"{climate.name_fr} + {energy.name_fr}"]


def test_a_tag_page_with_companions_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    tags = TagFactory.create_batch(12)
    for number in range(40):
        ArticleFactory(tags=[tags[0], *tags[1 + number % 4 : 9 + number % 4]], english=True)
    with django_assert_max_num_queries(6):
        response = client.get(tags[0].url_for("en"))
    assert len(response.context["companions"]) == 8


# Bounded pages of several tags


def walk(client, url):
    """Every story title the pages of ``url`` list, following their "next" links, and
    whether a page said it stopped reading."""
    titles, stopped = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = parse(response)
        titles += [text(h) for h in page.findall(".//article[@class='story-card']/h2")]
        stopped.append(bool(page.findall(".//p[@class='read-limit']")))
        next_link = next_href(page)
        url = url.split("?")[0] + next_link if next_link else None
    return titles, stopped


@pytest.fixture
def sparse(settings):
    """Two tags sharing one story in five of the rarer one's, the read bounded to three."""
    settings.ARTICLES_PER_PAGE = 2
    settings.TAG_COMBINATION_READ = 3
    rare, common = TagFactory(), TagFactory()
    start = timezone.now() - timedelta(days=30)
    for number in range(20):
        ArticleFactory(
            title_fr=f"N{number:02}",
            tags=[rare, common] if number % 5 == 0 else [rare],
            published_at=start + timedelta(hours=number),
        )
    ArticleFactory.create_batch(25, tags=[common])
    return rare, common


def test_a_bounded_page_of_two_tags_says_where_it_stopped_and_leads_on(client, sparse):
    titles, stopped = walk(client, Tag.combination_url(list(sparse), "+"))
    assert titles == ["N15", "N10", "N05", "N00"]
    assert any(stopped)


def test_every_listed_story_carries_every_tag(client, sparse):
    rare, common = sparse
    titles, _stopped = walk(client, Tag.combination_url([common, rare], "+"))
    stories = Article.objects.filter(title_fr__in=titles)
    assert all({rare, common} <= set(story.tags.all()) for story in stories)


def test_the_newer_links_of_bounded_pages_lead_back_through_the_same_stories(client, sparse):
    base = Tag.combination_url(list(sparse), "+")
    url, last = base, None
    while url:  # to the last page
        last = url
        next_link = next_href(parse(client.get(url)))
        url = base + next_link if next_link else None
    titles, url = [], last
    while url:
        response = client.get(url, follow=True)
        page = parse(response)
        titles += [text(h) for h in page.findall(".//article[@class='story-card']/h2")]
        previous = next_href(page, "prev")
        url = (base + previous if previous.startswith("?") else previous) if previous else None
    assert sorted(set(titles)) == ["N00", "N05", "N10", "N15"]


def test_tags_that_never_meet_read_nothing_and_say_nothing_of_a_limit(client, settings):
    settings.TAG_COMBINATION_READ = 2
    apart = TagFactory.create_batch(2)
    for tag in apart:
        ArticleFactory.create_batch(4, tags=[tag])
    page = parse(client.get(Tag.combination_url(apart, "+")))
    assert page.findall(".//article[@class='story-card']") == []
    assert page.findall(".//p[@class='read-limit']") == []
    assert page.findall(".//a[@rel='next']") == []


def test_a_page_of_five_tags_is_bounded_too(client, settings, django_assert_max_num_queries):
    settings.TAG_COMBINATION_READ = 4
    settings.ARTICLES_PER_PAGE = 2
    five = TagFactory.create_batch(5)
    ArticleFactory.create_batch(12, tags=five[:4])
    ArticleFactory.create_batch(12, tags=five[1:])
    shared = ArticleFactory(tags=five, published_at=timezone.now() - timedelta(days=60))
    url = Tag.combination_url(five, "+")
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.context["stopped_at"] is not None
    titles, _stopped = walk(client, url)
    assert titles == [shared.title_fr]
