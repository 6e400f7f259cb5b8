from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Tag, TaggedArticle, ascii_slug
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_published_story_in_the_past_is_published():
    article = ArticleFactory()
    assert list(Article.objects.published()) == [article]
    assert article.is_published()


def test_draft_is_not_published():
    article = ArticleFactory(draft=True)
    assert not Article.objects.published().exists()
    assert not article.is_published()


def test_story_with_future_publication_time_is_not_published_yet():
    article = ArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    assert not Article.objects.published().exists()
    assert not article.is_published()


def test_publishing_without_a_time_sets_it_to_now():
    article = ArticleFactory(draft=True)
    article.status = Article.Status.PUBLISHED
    article.save()
    assert article.published_at is not None
    assert article.published_at <= timezone.now()


def test_french_only_story_is_readable_in_french_not_english():
    ArticleFactory()
    assert Article.objects.readable("fr").count() == 1
    assert Article.objects.readable("en").count() == 0


def test_translated_story_is_readable_in_both_languages():
    ArticleFactory(english=True)
    assert Article.objects.readable("fr").count() == 1
    assert Article.objects.readable("en").count() == 1


def test_english_title_without_body_is_not_readable_in_english():
    ArticleFactory(title_en="Half translated")
    assert Article.objects.readable("en").count() == 0


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("région de Koursk", "region-de-koursk"),
        ("Corée du Nord", "coree-du-nord"),
        ("Œuvres d’art", "oeuvres-d-art"),
        ("L'Élysée", "l-elysee"),
    ],
)
def test_slugs_are_lower_case_ascii(text, slug):
    assert ascii_slug(text) == slug


def test_tag_gets_one_slug_per_language_and_keeps_its_accents():
    tag = Tag.objects.create(name_fr="Corée du Nord", name_en="North Korea")
    assert (tag.slug_fr, tag.slug_en) == ("coree-du-nord", "north-korea")
    assert tag.name_fr == "Corée du Nord"


def test_tag_without_english_name_gets_an_english_slug_from_its_french_name():
    tag = Tag.objects.create(name_fr="région de Koursk")
    assert tag.slug_en == "region-de-koursk"


def test_same_title_gets_a_distinct_slug():
    first = ArticleFactory(title_fr="Élections")
    second = ArticleFactory(title_fr="Élections")
    assert (first.slug_fr, second.slug_fr) == ("elections", "elections-2")


def test_script_in_body_is_removed_when_saving():
    article = ArticleFactory(body_fr='<p>Texte<script>alert("x")</script></p><img src=x onerror=y>')
    article.refresh_from_db()
    assert "<script" not in article.body_fr
    assert "onerror" not in article.body_fr
    assert "Texte" in article.body_fr


def test_stories_with_all_tags_and_with_any_tag():
    russia, korea, other = TagFactory(), TagFactory(), TagFactory()
    both = ArticleFactory(tags=[russia, korea])
    only_russia = ArticleFactory(tags=[russia])
    ArticleFactory(tags=[other])
    assert set(Article.objects.tagged_with_all([russia, korea])) == {both}
    assert set(Article.objects.tagged_with_any([russia, korea])) == {both, only_russia}


@pytest.mark.parametrize("text", ["kours", "Koursk", "région kou", "REGION", "kursk reg"])
def test_tag_search_finds_words_starting_like_the_text_in_any_language(text):
    koursk = TagFactory(name_fr="région de Koursk", name_en="Kursk region")
    TagFactory(name_fr="Corée du Nord", name_en="North Korea")
    assert list(Tag.objects.search(text)) == [koursk]


@pytest.mark.parametrize("text", ["ursk", "koursk nord", "«»", ""])
def test_tag_search_needs_every_word_to_start_a_word_of_the_tag(text):
    TagFactory(name_fr="région de Koursk", name_en="Kursk region")
    assert not Tag.objects.search(text).exists()


def test_tag_search_is_answered_by_an_index():
    """The admin's tag autocomplete must not scan the tag table."""
    from django.db import connection

    TagFactory(name_fr="région de Koursk", name_en="Kursk region")
    sql, params = Tag.objects.search("kours").query.sql_with_params()
    with connection.cursor() as cursor:
        # A tiny test table would be scanned anyway; forbid that to see if the index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tag_search_idx" in plan


def test_tag_names_in_the_given_language_win_over_the_other_language():
    english_named_x = Tag.objects.create(name_fr="Autre", name_en="Sécurité")
    french_named_x = Tag.objects.create(name_fr="Sécurité", name_en="Security")
    assert Tag.objects.for_names(["sécurité"], "fr") == [french_named_x]
    assert Tag.objects.for_names(["Sécurité"], "en") == [english_named_x]


def test_unknown_tag_name_creates_a_tag_named_in_every_language():
    [tag] = Tag.objects.for_names(["Kherson"], "en")
    assert (tag.name_fr, tag.name_en, tag.slug_fr) == ("Kherson", "Kherson", "kherson")


def test_set_tags_numbers_the_links_in_the_order_given_and_keeps_those_in_place():
    koursk, ukraine, russia = TagFactory.create_batch(3)
    story = ArticleFactory(tags=[koursk, ukraine])
    before = dict(story.tagged_items.values_list("tag_id", "pk"))
    story.set_tags([koursk, russia, ukraine])
    links = list(story.tagged_items.order_by("pk").values_list("tag_id", "pk"))
    assert [tag_id for tag_id, _pk in links] == [koursk.pk, russia.pk, ukraine.pk]
    assert links[0] == (koursk.pk, before[koursk.pk])


def test_set_tags_keeps_the_tag_counts_right():
    koursk, ukraine = TagFactory.create_batch(2)
    story = ArticleFactory(tags=[koursk])
    story.set_tags([ukraine, koursk])
    story.set_tags([ukraine])
    counts = dict(Tag.objects.values_list("pk", "story_count_fr"))
    assert counts == {koursk.pk: 0, ukraine.pk: 1}


def test_a_typed_tag_slug_is_made_lower_case_ascii():
    tag = Tag.objects.create(name_fr="Corée du Nord", name_en="North Korea", slug_en="North-Korea")
    assert tag.slug_en == "north-korea"


def test_a_typed_story_slug_is_made_lower_case_ascii():
    assert ArticleFactory(slug_fr="Élections-2027").slug_fr == "elections-2027"


def test_a_body_of_empty_paragraphs_is_no_text():
    article = ArticleFactory(title_en="Soon", body_en="<p></p><p> </p><p><br></p>")
    assert article.body_en == ""
    assert not Article.objects.readable("en").exists()


# Counts and publication times kept by the database (migration 0004)


def counts(tag):
    tag.refresh_from_db()
    return (tag.story_count_fr, tag.story_count_en)


def recounted(tag):
    Tag.objects.filter(pk=tag.pk).refresh_story_counts()
    return counts(tag)


def test_tag_counts_follow_publishing_translating_and_tagging():
    tag = TagFactory()
    story = ArticleFactory(tags=[tag], draft=True)
    assert counts(tag) == (0, 0)
    Article.objects.filter(pk=story.pk).publish()
    assert counts(tag) == (1, 0)
    story.refresh_from_db()
    story.title_en, story.body_en = "In English", "<p>Text.</p>"
    story.save()
    assert counts(tag) == (1, 0)  # a translation in progress is not counted
    story.mark_translation_ready("en", None)
    story.save()
    assert counts(tag) == (1, 1)
    ArticleFactory(tags=[tag], english=True)
    assert counts(tag) == (2, 2)
    story.tags.remove(tag)
    assert counts(tag) == (1, 1)
    assert counts(tag) == recounted(tag)


def test_tag_counts_drop_when_a_story_is_unpublished_or_deleted():
    tag = TagFactory()
    first, second = ArticleFactory(tags=[tag], english=True), ArticleFactory(tags=[tag])
    Article.objects.filter(pk=first.pk).unpublish()
    assert counts(tag) == (1, 0)
    second.delete()
    assert counts(tag) == (0, 0) == recounted(tag)


def test_scheduled_stories_count_in_advance_and_are_taken_off_for_readers():
    tag = TagFactory()
    ArticleFactory(tags=[tag], published_at=timezone.now() + timedelta(days=1))
    assert counts(tag) == (1, 0)
    assert Tag.with_story_counts([tag], "fr") == []


def test_tag_links_carry_the_publication_time_of_published_stories_only():
    tag = TagFactory()
    story = ArticleFactory(tags=[tag], draft=True)
    link = TaggedArticle.objects.get(content_object=story)
    assert link.published_at is None
    Article.objects.filter(pk=story.pk).publish()
    story.refresh_from_db()
    link.refresh_from_db()
    assert link.published_at == story.published_at
    story.published_at -= timedelta(days=3)
    story.save()
    link.refresh_from_db()
    assert link.published_at == story.published_at


def test_saving_a_tag_loaded_before_its_stories_keeps_their_count():
    tag = TagFactory()
    ArticleFactory(tags=[tag])
    tag.name_fr = "Renommée"
    tag.save()
    assert counts(tag) == (1, 0)


def test_saving_a_stale_tag_link_keeps_the_story_publication_time():
    story = ArticleFactory(tags=[TagFactory()], draft=True)
    link = TaggedArticle.objects.get(content_object=story)
    Article.objects.filter(pk=story.pk).publish()
    link.save()
    link.refresh_from_db()
    assert link.published_at is not None


def test_deleting_a_tag_on_many_stories_takes_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    tag = TagFactory()
    for _ in range(30):
        ArticleFactory(tags=[tag])
    with django_assert_max_num_queries(8):
        tag.delete()
