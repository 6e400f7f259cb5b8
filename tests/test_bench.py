"""The benchmark's harness (bench/): its textbook pages are the site's pages, and it counts queries.

Timings are the benchmark's business (make bench); nothing here looks at the clock.
"""

import pytest

from articles import workflow
from articles.models import Article, FrontPage, FrontPagePin
from bench import report
from bench.admin import (
    AdminRow,
    bench_editor,
    choose_admin_pages,
    measure_admin_pages,
    table_scans,
)
from bench.measure import bench_settings, choose_pages, content, listed, measure
from tests.factories import ArticleFactory, ImageFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

PER_PAGE = 3


@pytest.fixture(autouse=True)
def _bench_settings(settings):
    settings.ARTICLES_PER_PAGE = PER_PAGE
    with bench_settings():
        yield


def make_stories(tags, count, start=0):
    authors = [UserFactory(), UserFactory()]
    for number in range(start, start + count):
        ArticleFactory(
            tags=[tags[number % len(tags)], *tags[: 1 + number % 3]],
            authors=authors[: 1 + number % 2],
            english=number % 2 == 0,
        )


@pytest.fixture
def corpus():
    tags = TagFactory.create_batch(4)
    make_stories(tags, 14)
    ArticleFactory(tags=tags, draft=True)
    # generate_corpus's stories have pictures; the admin's picture form is measured on one.
    ImageFactory()
    return tags


@pytest.mark.parametrize("language", ["fr", "en"])
def test_textbook_pages_list_what_the_site_lists(client, corpus, language):
    for page in choose_pages(language):
        site = listed(content(client.get(page.url)).decode())
        naive = listed(content(client.get(page.naive_url)).decode())
        assert site == naive, page.name
        assert site["heading"], page.name


@pytest.mark.parametrize("language", ["fr", "en"])
def test_textbook_home_and_story_show_the_lead_stories_and_related_ones(client, corpus, language):
    oldest = Article.objects.readable(language).order_by("published_at").first()
    FrontPagePin.objects.create(
        front_page=FrontPage.objects.get(language=language), story=oldest, position=1
    )
    home, story = choose_pages(language)[:2]
    for page in (home, story):
        site = listed(client.get(page.url).content.decode())
        naive = listed(client.get(page.naive_url).content.decode())
        assert site == naive, page.name
    title = getattr(oldest, f"title_{language}")
    assert listed(client.get(home.url).content.decode())["stories"][0] == title
    assert listed(client.get(story.url).content.decode())["related"]


def test_every_page_type_is_measured_with_its_queries(client, corpus):
    names = []
    for page in choose_pages():
        for url in (page.url, page.naive_url):
            timing = measure(client, url, warmup=1, repeat=2, minimum=2)
            assert len(timing.samples) == 2
            assert timing.queries == len(timing.sql) > 0
        names.append(page.name)
    assert names == [
        "home",
        "story",
        "story with many tags",
        "tag index",
        "tag page",
        "tag page, 3 pages deep",
        "feed (RSS)",
        "tag feed (RSS)",
        "search (common word)",
        "search (rare word)",
        "search with a tag",
        "tags a+b",
        "tags a,b",
        "tags a+b (rare pair)",
        "five tags a+b+c+d+e",
        "tag index, 0 pages deep",
        "sitemap index",
        "sitemap (stories, last file)",
        "news sitemap",
    ]


def test_site_pages_run_at_most_seven_queries(client, corpus):
    for page in choose_pages():
        assert measure(client, page.url, warmup=0, repeat=1, minimum=1).queries <= 7, page.name


def test_textbook_tag_page_runs_more_queries_as_stories_grow(client):
    tags = TagFactory.create_batch(2)
    make_stories(tags, 1)
    tag_page = next(page for page in choose_pages() if page.key == "tag")
    before = measure(client, tag_page.naive_url, warmup=0, repeat=1, minimum=1).queries
    make_stories(tags, PER_PAGE, start=1)
    after = measure(client, tag_page.naive_url, warmup=0, repeat=1, minimum=1).queries
    site = measure(client, tag_page.url, warmup=0, repeat=1, minimum=1).queries
    assert after > before
    assert site < after


def a_run(scale, tag_page_ms):
    row = report.Row(
        key="tag",
        name="tag page",
        url="/fr/etiquettes/politique/",
        naive_url="/naive/fr/tags/politique/",
        note="",
        median_ms=tag_page_ms,
        p95_ms=tag_page_ms,
        queries=5,
        scans=[],
        naive_median_ms=20 * tag_page_ms,
        naive_p95_ms=20 * tag_page_ms,
        naive_queries=43,
    )
    machine = {"cpu": "CPU", "cores": 2, "memory": "1 GiB", "postgresql": "16", "load_average": 0}
    corpus = {"stories": scale, "tags": 50, "links": 5 * scale}
    return report.Run(scale, "2026-11-25 12:00 UTC", machine, corpus, "fr", 20, [row])


def write(run, path):
    report.write_results(run, report.section(run, report.targets(run)), path)


def test_results_keep_one_section_per_scale(tmp_path):
    path = tmp_path / "RESULTS.md"
    for scale, tag_page_ms in [(10_000, 4.0), (1_000_000, 5.0), (10_000, 3.0)]:
        write(a_run(scale, tag_page_ms), path)
    assert list(report.read_sections(path.read_text())) == [10_000, 1_000_000]
    assert report.reference_medians(1_000_000, path) == {"tag": 3.0}


def test_a_larger_run_is_held_to_the_tag_pages_of_ten_thousand_stories(tmp_path):
    path = tmp_path / "RESULTS.md"
    write(a_run(10_000, 3.0), path)
    checks = report.targets(a_run(1_000_000, 5.0), report.reference_medians(1_000_000, path))
    met, text, details = checks[-1]
    assert met is False
    assert details == ["tag: 1.67×"]


def test_every_admin_page_is_measured_signed_in_with_its_queries(client, corpus):
    client.force_login(bench_editor())
    pages = choose_admin_pages()
    rows = measure_admin_pages(client, pages, repeat=1, budget=1, log=lambda message: None)
    assert [row.key for row in rows] == [
        "admin-home",
        "admin-list",
        "admin-list-deep",
        "admin-search",
        "admin-search-none",
        "admin-search-drafts",
        "admin-tag-popular",
        "admin-tag-rare",
        "admin-drafts",
        "admin-review",
        "admin-mine",
        "admin-to-translate-en",
        "admin-outdated-en",
        "admin-edit",
        "admin-tag-picker",
        "admin-tag-picker-open",
        "admin-tags",
        "admin-tag-search",
        "admin-tags-to-translate-en",
        "admin-tag-edit",
        "admin-front-pages",
        "admin-front-page-edit",
        "admin-images",
        "admin-image-edit",
    ]
    assert all(row.queries > 0 for row in rows)


def test_the_search_with_matches_finds_stories(client, corpus):
    client.force_login(bench_editor())
    search = next(page for page in choose_admin_pages() if page.key == "admin-search")
    assert client.get(search.url).context["cl"].result_list


def test_the_bench_editor_is_an_editor_without_a_password(corpus):
    editor = bench_editor()
    assert editor == bench_editor()
    assert workflow.is_editor(editor)
    assert not editor.has_usable_password()


def test_a_run_reports_the_admin_pages_against_their_target(tmp_path):
    run = a_run(1_000_000, 5.0)
    run.admin_rows = [
        AdminRow("admin-list", "story list", "/fr/admin/articles/article/", "", 50, 60, 9, []),
        AdminRow("admin-search", "search", "/fr/admin/?q=x", "", 250, 300, 9, ["articles_article"]),
    ]
    checks = report.targets(run)
    text = report.section(run, checks)
    assert "| story list | 50.0 | 60.0 | 9 | no |" in text
    missed = [(text, details) for met, text, details in checks if met is False]
    assert ("every admin page's median < 200 ms", ["search: 250 ms"]) in missed
    assert (
        "no sequential scan of a big table on the admin pages, but one feeding a LIMIT",
        ["search: articles_article"],
    ) in missed


def test_a_sequential_scan_feeding_a_limit_is_told_apart(corpus):
    stopped = 'SELECT "id" FROM "articles_article" WHERE "status" = \'published\' LIMIT 5'
    sorted_first = 'SELECT "id" FROM "articles_article" ORDER BY "title_fr" LIMIT 5'
    assert table_scans([stopped]) == ([], ["articles_article"])
    assert table_scans([sorted_first]) == (["articles_article"], [])
