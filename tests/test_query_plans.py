"""EXPLAIN of every query a public page runs: none may scan a whole big table.

The test tables are tiny, so PostgreSQL would rightly scan them; sequential
scans are switched off to see whether an index can answer each query. At a
million stories the benchmark (make bench) reads the real plans.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Tag
from tests.factories import ArticleFactory, TagFactory
from tests.test_views import deep_page, url_in

pytestmark = pytest.mark.django_db

BIG_TABLES = ["articles_article", "articles_taggedarticle", "articles_tag"]


def plans_of(client, url, switched_off=("enable_seqscan",)):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    plans = []
    with connection.cursor() as cursor:
        for setting in switched_off:
            cursor.execute(f"SET {setting} = off")
        try:
            for query in queries.captured_queries:
                if query["sql"].startswith(("SAVEPOINT", "RELEASE")):
                    continue
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
        finally:
            for setting in switched_off:
                cursor.execute(f"RESET {setting}")
    return plans


@pytest.fixture
def corpus(settings):
    settings.ARTICLES_PER_PAGE = 3
    tags = TagFactory.create_batch(4)
    for number in range(20):
        ArticleFactory(tags=tags[: 1 + number % 4], english=number % 3 != 0)
    return tags


def public_pages(client, tags):
    story = ArticleFactory(tags=tags, english=True)
    pages = {}
    for language in ["fr", "en"]:
        home = url_in(language, "articles:article-list")
        with_tag = tags[0].url_for(language)
        pages |= {
            f"home {language}": home,
            f"home {language}, page 3": deep_page(client, home, 2),
            f"story {language}": story.url_for(language),
            f"tag index {language}": url_in(language, "articles:tag-list"),
            f"tag {language}": with_tag,
            f"tag {language}, page 3": deep_page(client, with_tag, 2),
            f"all of two tags {language}": Tag.combination_url(tags[:2], "+", language),
            f"any of two tags {language}": Tag.combination_url(tags[:2], ",", language),
            f"any of two tags {language}, page 2": deep_page(
                client, Tag.combination_url(tags[:2], ",", language), 1
            ),
        }
    return pages


def test_no_public_page_scans_a_whole_table(client, corpus):
    scans = []
    for name, url in public_pages(client, corpus).items():
        for sql, plan in plans_of(client, url):
            for table in BIG_TABLES:
                if f"Seq Scan on {table}" in plan:
                    scans.append(f"{name}: {table}\n{sql}\n{plan}")
    assert not scans, "\n\n".join(scans)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("page", ["home", "tag", "all of two tags"])
def test_one_page_of_stories_is_read_in_index_order(client, corpus, language, page):
    """With sorting switched off too, each page's LIMIT query must still find an ordered index."""
    url = {
        "home": url_in(language, "articles:article-list"),
        "tag": corpus[0].url_for(language),
        "all of two tags": Tag.combination_url(corpus[:2], "+", language),
    }[page]
    plans = plans_of(client, url, switched_off=("enable_seqscan", "enable_sort"))
    limited = [(sql, plan) for sql, plan in plans if " LIMIT " in sql]
    assert limited
    for sql, plan in limited:
        assert "Sort" not in plan, f"{sql}\n{plan}"
