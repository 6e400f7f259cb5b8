import statistics
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils.html import strip_tags

from articles.models import Article, Tag, TaggedArticle, ascii_slug
from bench.corpus import END, START, USERNAME_PREFIX, _Writer, generate_corpus
from tests.factories import ArticleFactory, TagFactory, UserFactory

STORIES = 300
TAGS = 60

pytestmark = pytest.mark.django_db


def corpus_stories():
    return Article.objects.filter(import_source__startswith="corpus:")


@pytest.fixture
def corpus():
    return generate_corpus(STORIES, TAGS, seed=1)


def checksum(*, with_ids):
    """One md5 over the corpus stories, their tags and authors, their tags' names and counts.

    Without ids, rows are identified by their content, to compare runs that got other ids.
    """
    story = "a.id::text" if with_ids else "a.import_source"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT md5(string_agg(row, '/' ORDER BY row)) FROM (
                SELECT concat_ws('|', {story}, a.title_fr, a.title_en, a.slug_fr, a.slug_en,
                                 a.standfirst_fr, a.standfirst_en, md5(a.body_fr), md5(a.body_en),
                                 a.status, a.published_at, a.created_at, a.updated_at) AS row
                  FROM articles_article a WHERE a.import_source LIKE 'corpus:%%'
                UNION ALL
                SELECT concat_ws('|', {story}, l.{"id" if with_ids else "published_at"},
                                 t.name_fr, t.name_en, t.slug_fr, t.slug_en,
                                 t.story_count_fr, t.story_count_en)
                  FROM articles_taggedarticle l
                  JOIN articles_article a ON a.id = l.content_object_id
                  JOIN articles_tag t ON t.id = l.tag_id
                 WHERE a.import_source LIKE 'corpus:%%'
                UNION ALL
                SELECT concat_ws('|', {story}, u.username, u.first_name, u.last_name)
                  FROM articles_article_authors w
                  JOIN articles_article a ON a.id = w.article_id
                  JOIN auth_user u ON u.id = w.user_id
                 WHERE a.import_source LIKE 'corpus:%%'
            ) rows
            """  # noqa: S608 (fixed column names)
        )
        return cursor.fetchone()[0]


def test_corpus_has_the_stories_tags_and_journalists_asked_for(corpus):
    assert corpus_stories().count() == STORIES
    assert Tag.objects.count() == TAGS
    journalists = get_user_model().objects.filter(username__startswith=USERNAME_PREFIX)
    assert journalists.count() == 10
    assert not any(journalist.has_usable_password() for journalist in journalists)
    assert all(journalist.first_name and journalist.last_name for journalist in journalists)
    assert TaggedArticle.objects.count() == corpus.links
    assert Article.authors.through.objects.count() == corpus.author_links


def test_each_story_has_three_to_eight_distinct_tags_and_one_to_three_authors(corpus):
    stories = corpus_stories().annotate(
        tags_count=Count("tagged_items__tag", distinct=True),
        links_count=Count("tagged_items", distinct=True),
        authors_count=Count("authors", distinct=True),
    )
    for story in stories:
        assert 3 <= story.tags_count == story.links_count <= 8
        assert 1 <= story.authors_count <= 3


def test_about_sixty_percent_of_stories_are_in_english(corpus):
    english = corpus_stories().in_language("en").count()
    assert 0.5 < english / STORIES < 0.7
    assert corpus_stories().in_language("fr").count() == STORIES


def test_a_french_only_story_stores_what_a_french_save_stores(corpus):
    story = corpus_stories().filter(title_en__isnull=True).first()
    saved = ArticleFactory()
    for field in ("title_en", "slug_en", "standfirst_en", "body_en"):
        assert getattr(story, field) is None
        assert getattr(saved, field) is None
    for field in ("title", "slug", "standfirst", "body"):
        assert getattr(story, field) == getattr(story, f"{field}_fr")


def test_almost_every_story_is_published_the_rest_drafts_or_in_review(corpus):
    statuses = dict(corpus_stories().order_by().values_list("status").annotate(n=Count("id")))
    assert 0.95 < statuses[Article.Status.PUBLISHED] / STORIES < 1
    assert set(statuses) <= set(Article.Status.values)
    assert not corpus_stories().exclude(status=Article.Status.PUBLISHED).exclude(published_at=None)


def test_a_few_tags_are_on_far_more_stories_than_the_median_tag(corpus):
    uses = sorted(
        Tag.objects.annotate(n=Count("tagged_articles")).values_list("n", flat=True),
        reverse=True,
    )
    assert uses[0] > 8 * statistics.median(uses)
    assert sum(uses[:5]) > 0.3 * sum(uses)


def test_publication_times_span_fifteen_years_in_whole_seconds(corpus):
    times = list(corpus_stories().exclude(published_at=None).values_list("published_at", flat=True))
    assert START <= min(times) < START.replace(year=START.year + 1)
    assert END.replace(year=END.year - 1) < max(times) <= END
    assert len(set(times)) == len(times)
    assert all(moment.microsecond == 0 for moment in times)


def test_tag_counts_are_what_refresh_story_counts_computes(corpus):
    written = list(Tag.objects.order_by("pk").values_list("story_count_fr", "story_count_en"))
    assert any(count_en for _fr, count_en in written)
    Tag.objects.refresh_story_counts()
    assert list(Tag.objects.order_by("pk").values_list("story_count_fr", "story_count_en")) == (
        written
    )


def test_links_carry_their_story_publication_time_while_it_is_published(corpus):
    links = TaggedArticle.objects.select_related("content_object")
    assert links.exclude(published_at=None).exists()
    for link in links:
        story = link.content_object
        expected = story.published_at if story.status == Article.Status.PUBLISHED else None
        assert link.published_at == expected


def test_the_database_triggers_work_again_after_the_load(corpus):
    story = corpus_stories().published().in_language("en").first()
    tag = TagFactory()
    story.tags.add(tag)
    tag.refresh_from_db()
    assert (tag.story_count_fr, tag.story_count_en) == (1, 1)
    assert TaggedArticle.objects.get(tag=tag).published_at == story.published_at


def test_bodies_have_a_few_hundred_words_in_each_language(corpus):
    for body_fr, body_en in corpus_stories().values_list("body_fr", "body_en"):
        assert 200 <= len(strip_tags(body_fr).split()) <= 400
        if body_en is not None:
            assert 200 <= len(strip_tags(body_en).split()) <= 400


def test_bodies_are_html_paragraphs_the_sanitiser_keeps_unchanged(corpus):
    sanitize = Article._meta.get_field("body_fr").sanitize
    for body_fr, body_en in corpus_stories().values_list("body_fr", "body_en")[:50]:
        assert body_fr.startswith("<p>")
        assert sanitize(body_fr) == body_fr
        if body_en is not None:
            assert sanitize(body_en) == body_en


def test_tags_have_slugs_from_their_names_and_nine_in_ten_an_english_name():
    generate_corpus(30, 500, seed=1)
    tags = list(Tag.objects.all())
    untranslated = [tag for tag in tags if tag.name_en == tag.name_fr]
    assert 0.05 < len(untranslated) / len(tags) < 0.15
    for tag in tags:
        assert tag.slug_fr == ascii_slug(tag.name_fr)
        assert tag.slug_en == ascii_slug(tag.name_en)
        assert (tag.name, tag.slug) == (tag.name_fr, tag.slug_fr)
    assert any(not tag.name_fr.isascii() for tag in tags)


def test_story_slugs_are_made_from_the_title_and_the_story_number(corpus):
    for story in corpus_stories():
        number = story.import_source.removeprefix("corpus:")
        assert story.slug_fr == f"{ascii_slug(story.title_fr)}-{number}"


def test_running_again_with_the_same_arguments_writes_nothing(corpus):
    before = checksum(with_ids=True)
    writes = "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_xact_user_tables"
    with connection.cursor() as cursor:
        cursor.execute(writes)
        written = cursor.fetchone()[0]
        result = generate_corpus(STORIES, TAGS, seed=1)
        cursor.execute(writes)
        assert cursor.fetchone()[0] == written
    assert result.unchanged
    assert checksum(with_ids=True) == before


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another(corpus):
    first = checksum(with_ids=False)
    generate_corpus(STORIES, TAGS, seed=2)
    assert checksum(with_ids=False) != first
    generate_corpus(STORIES, TAGS, seed=1)
    assert checksum(with_ids=False) == first


def test_other_arguments_replace_the_corpus_and_leave_other_stories_alone():
    tag = TagFactory(name_fr="Politique", name_en="Politics")
    editor = UserFactory()
    story = ArticleFactory(tags=[tag], authors=[editor])
    generate_corpus(STORIES, TAGS, seed=1)

    result = generate_corpus(100, 20, seed=1)

    assert result.replaced
    assert corpus_stories().count() == 100
    assert Tag.objects.count() == 20 + 1
    assert get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).count() == 10
    story.refresh_from_db()
    assert list(story.tags.all()) == [tag]
    assert list(story.authors.all()) == [editor]
    tag.refresh_from_db()
    assert (tag.name_fr, tag.story_count_fr) == ("Politique", 1)
    assert not Tag.objects.exclude(pk=tag.pk).filter(name_fr="Politique").exists()


def test_tags_given_by_hand_across_the_corpus_boundary_survive_a_replacement(corpus):
    corpus_story = corpus_stories().published().first()
    corpus_tag = Tag.objects.order_by("pk").last()
    real_tag = TagFactory()
    corpus_story.tags.add(real_tag)
    real_story = ArticleFactory(tags=[corpus_tag])

    generate_corpus(100, 20, seed=1)

    real_tag.refresh_from_db()
    assert (real_tag.story_count_fr, real_tag.tagged_articles.count()) == (0, 0)
    assert list(real_story.tags.all()) == [corpus_tag]
    assert Tag.objects.count() == 20 + 2
    written = list(Tag.objects.order_by("pk").values_list("story_count_fr", "story_count_en"))
    Tag.objects.refresh_story_counts()
    assert list(Tag.objects.order_by("pk").values_list("story_count_fr", "story_count_en")) == (
        written
    )


def test_a_failed_run_leaves_nothing_behind(monkeypatch):
    def indexes():
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'articles_%%'")
            return sorted(row[0] for row in cursor.fetchall())

    before = indexes()
    monkeypatch.setattr(_Writer, "write_tags", lambda *args: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        generate_corpus(STORIES, TAGS, seed=1)

    assert not Article.objects.exists()
    assert not TaggedArticle.objects.exists()
    assert not get_user_model().objects.exists()
    assert indexes() == before
    story = ArticleFactory(tags=[tag := TagFactory()])
    assert TaggedArticle.objects.get().published_at == story.published_at
    tag.refresh_from_db()
    assert tag.story_count_fr == 1


def test_published_corpus_stories_are_listed_and_readable(client, corpus):
    for language in ("fr", "en"):
        newest = corpus_stories().readable(language).order_by("-published_at").first()
        home = client.get(f"/{language}/")
        assert home.status_code == 200
        assert getattr(newest, f"slug_{language}") in home.text
        assert client.get(newest.url_for(language)).status_code == 200


def test_the_command_prints_a_summary_and_then_unchanged():
    out = StringIO()
    call_command("generate_corpus", "--articles=50", "--tags=8", "--seed=3", stdout=out)
    assert "50 stories, 8 tags" in out.getvalue()
    out = StringIO()
    call_command("generate_corpus", "--articles=50", "--tags=8", "--seed=3", stdout=out)
    assert "unchanged" in out.getvalue()


def test_the_command_defaults_to_fifty_tags_for_a_small_corpus():
    call_command("generate_corpus", "--articles=20", verbosity=0)
    assert Tag.objects.count() == 50


def test_a_dry_run_writes_nothing():
    out = StringIO()
    call_command("generate_corpus", "--articles=20", "--dry-run", stdout=out)
    assert "nothing was written" in out.getvalue()
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--articles=0"], "--articles must be at least 1"),
        (["--articles=10", "--tags=7"], "--tags must be at least 8"),
    ],
)
def test_bad_arguments_give_a_one_line_error(arguments, message):
    with pytest.raises(CommandError, match=message) as error:
        call_command("generate_corpus", *arguments)
    assert "\n" not in str(error.value)
    assert not Article.objects.exists()
