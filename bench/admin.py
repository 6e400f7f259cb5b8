"""The admin pages a journalist or an editor uses every day, measured signed in (make bench).

Measured in-process like the public pages (bench/measure.py), as an editor of the
benchmark's database (``bench-editor``, made here: an account in the Editors role with
no usable password, signed in by the test client). Nothing else is written but each
language's front page (with nothing pinned), which the admin's list would make too: the
stories, tags and links are left as generate_corpus made them, so the public pages
measure the same rows.
"""

import json
from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from articles import workflow
from articles.models import (
    Article,
    FrontPage,
    Image,
    Tag,
    TaggedArticle,
    language_codes,
    story_count_field,
)
from articles.search import words
from bench.measure import BIG_TABLES, measure

BENCH_EDITOR = "bench-editor"
# The admin pages must not read these whole either; the byline table grows with the stories.
ADMIN_BIG_TABLES = (*BIG_TABLES, "articles_article_authors")
# The deep page of the story list, when the list has that many pages.
DEEP_PAGE = 5000
TAGS_ON_EDITED_STORY = 8
# A word no story has: the search that finds nothing.
NO_SUCH_WORD = "xqzwvk"


@dataclass
class AdminPage:
    key: str  # the same at every scale, to compare runs
    name: str
    url: str
    note: str = ""


@dataclass
class AdminRow:
    key: str
    name: str
    url: str
    note: str
    median_ms: float
    p95_ms: float
    queries: int
    scans: list
    samples: int = 0
    # Sequential scans that feed a LIMIT: they stop once it has its rows (see table_scans).
    limited_scans: list = field(default_factory=list)


def bench_editor():
    """The editor the admin pages are measured as, created once in the benchmark's database."""
    workflow.ensure_roles()
    user, _created = get_user_model().objects.get_or_create(
        username=BENCH_EDITOR,
        defaults={"is_staff": True, "first_name": "Bench", "last_name": "Editor"},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=workflow.EDITORS))
    return user


def changelist_url(model, language, **filters):
    with translation.override(language):
        url = reverse(f"admin:articles_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def stories_url(language, **filters):
    return changelist_url(Article, language, **filters)


def change_url(obj, language):
    with translation.override(language):
        return reverse(f"admin:articles_{obj._meta.model_name}_change", args=[obj.pk])


def choose_admin_pages(language="fr"):
    """The admin pages to measure, on the corpus in the database."""
    model_admin = admin.site.get_model_admin(Article)
    per_page = model_admin.list_per_page
    stories = Article.objects.count()
    pages = stories // per_page
    deep = min(DEEP_PAGE, max(1, pages))
    deep_note = "" if deep == DEEP_PAGE else f"the list has {pages:,} full pages: its last"
    counts = [F(story_count_field(code)) for code in language_codes()]
    by_use = Tag.objects.annotate(
        used=Greatest(*counts) if len(counts) > 1 else counts[0]
    ).order_by("-used", "pk")
    popular = by_use.first()
    rare = by_use.filter(used__gt=0).order_by("used", "pk").first()
    if popular is None or rare is None:
        raise RuntimeError("the corpus needs tags with stories")
    story, tags = story_with_tags(TAGS_ON_EDITED_STORY)
    term = search_term()
    with translation.override(language):
        home = reverse("admin:index")
        edit = reverse("admin:articles_article_change", args=[story.pk])
        autocomplete = reverse("admin:autocomplete")
    picker = {"app_label": "articles", "model_name": "taggedarticle", "field_name": "tag"}
    picker_term = words(popular.name)[0][:3]
    return [
        AdminPage("admin-home", "admin home (queues)", home),
        AdminPage("admin-list", "story list", stories_url(language)),
        AdminPage(
            "admin-list-deep",
            f"story list, page {deep:,}",
            stories_url(language, p=deep),
            deep_note,
        ),
        AdminPage(
            "admin-search",
            "search with matches",
            stories_url(language, q=term),
            f"“{term}”",
        ),
        AdminPage(
            "admin-search-none",
            "search without a match",
            stories_url(language, q=NO_SUCH_WORD),
            f"“{NO_SUCH_WORD}”",
        ),
        AdminPage(
            "admin-search-drafts",
            "search within drafts",
            stories_url(language, q=term, status__exact=Article.Status.DRAFT),
            f"“{term}”",
        ),
        AdminPage(
            "admin-tag-popular",
            "tag filter, most used tag",
            stories_url(language, tag=popular.pk),
            f"{popular.name}: {stories_count(popular.used)}",
        ),
        AdminPage(
            "admin-tag-rare",
            "tag filter, rarely used tag",
            stories_url(language, tag=rare.pk),
            f"{rare.name}: {stories_count(rare.used)}",
        ),
        AdminPage(
            "admin-drafts",
            "drafts",
            stories_url(language, status__exact=Article.Status.DRAFT),
        ),
        AdminPage("admin-review", "review queue", stories_url(language, queue="review")),
        AdminPage(
            "admin-mine", "my stories", stories_url(language, queue="mine"), "the editor has none"
        ),
        AdminPage(
            "admin-to-translate-en",
            "to translate into English",
            stories_url(language, translation_en="needed"),
        ),
        AdminPage(
            "admin-outdated-en",
            "English translation outdated",
            stories_url(language, translation_en="outdated"),
            stories_count(Article.objects.outdated("en").count()),
        ),
        AdminPage(
            "admin-edit",
            f"edit form, story with {tags} tags",
            edit,
        ),
        AdminPage(
            "admin-tag-picker",
            "tag autocomplete",
            f"{autocomplete}?{urlencode({**picker, 'term': picker_term})}",
            f"“{picker_term}”, {Tag.objects.count():,} tags",
        ),
        AdminPage(
            "admin-tag-picker-open",
            "tag autocomplete, opened (no term)",
            f"{autocomplete}?{urlencode({**picker, 'term': ''})}",
        ),
        *care_pages(language, popular, picker_term),
    ]


def care_pages(language, popular, term):
    """The pages of tag care, the front pages and the picture library (issue 9)."""
    tags = Tag.objects.count()
    untranslated = [code for code in language_codes() if code != language]
    # One front page per language; the admin's list makes them too when it is first opened.
    FrontPage.ensure_all()
    front_page = FrontPage.objects.get(language=language)
    picture = Image.objects.order_by("pk").first()
    pictures = Image.objects.count()
    pages = [
        AdminPage("admin-tags", "tag list", changelist_url(Tag, language), f"{tags:,} tags"),
        AdminPage(
            "admin-tag-search", "tag search", changelist_url(Tag, language, q=term), f"“{term}”"
        ),
        *[
            AdminPage(
                f"admin-tags-to-translate-{code}",
                f"tags to name in {translation.get_language_info(code)['name']}",
                changelist_url(Tag, language, to_translate=code),
            )
            for code in untranslated
        ],
        AdminPage(
            "admin-tag-edit",
            "tag form, most used tag",
            change_url(popular, language),
            f"{popular.name}: {stories_count(popular.used)}",
        ),
        AdminPage("admin-front-pages", "front pages", changelist_url(FrontPage, language)),
        AdminPage(
            "admin-front-page-edit",
            "front page form (lead stories)",
            change_url(front_page, language),
            f"{front_page.pins.count()} pinned",
        ),
        AdminPage(
            "admin-images", "picture library", changelist_url(Image, language), f"{pictures:,}"
        ),
    ]
    if picture is not None:
        pages.append(AdminPage("admin-image-edit", "picture form", change_url(picture, language)))
    return pages


def stories_count(count):
    return f"{count:,} {'story' if count == 1 else 'stories'}"


def story_with_tags(count):
    """(story, tags): the newest story with ``count`` tags (one in six has eight in the
    corpus), or the one with the most tags among the newest."""
    best, most = None, -1
    for story in Article.objects.order_by("-published_at", "-pk").only("pk")[:1000]:
        tags = TaggedArticle.objects.filter(content_object=story).count()
        if tags == count:
            return story, tags
        if tags > most:
            best, most = story, tags
    if best is None:
        raise RuntimeError("the corpus has no story")
    return best, most


def search_term():
    """A word a journalist would look for: the longest word of a headline 1,000 stories down."""
    stories = Article.objects.order_by("-published_at", "-pk").values_list("title_fr", flat=True)
    title = next(iter(stories[1000:1001]), None) or stories.first() or ""
    found = sorted(words(title), key=lambda word: (-len(word), word))
    if not found:
        raise RuntimeError("the corpus has no story with a title")
    return found[0]


def table_scans(sql_statements, tables=ADMIN_BIG_TABLES):
    """(full, limited): the big tables plain EXPLAIN of these statements reads with a
    sequential scan, and those whose sequential scan feeds a LIMIT directly.

    A limited one stops once the LIMIT has its rows: counting a search for a word in
    half the stories up to 10,001 reads some 20,000 stories in the table's order, which
    PostgreSQL rightly finds faster than its index for so common a word. It reads the whole
    table only if the word is far rarer than the statistics say.
    """
    full, limited = [], []
    with connection.cursor() as cursor:
        for sql in sql_statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "(")):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            for table, under_limit in _seq_scans(plan[0]["Plan"], []):
                if table in tables:
                    found = limited if under_limit else full
                    if table not in found:
                        found.append(table)
    return full, limited


def _seq_scans(node, parents):
    """(table, whether it feeds a Limit, through nothing but Gather) of each Seq Scan."""
    if node["Node Type"] == "Seq Scan":
        above = [parent for parent in reversed(parents) if parent != "Gather"]
        yield node["Relation Name"], bool(above) and above[0] == "Limit"
    for child in node.get("Plans", []):
        yield from _seq_scans(child, [*parents, node["Node Type"]])


def measure_admin_pages(client, pages, *, repeat, budget, log=print):
    rows = []
    for page in pages:
        timing = measure(client, page.url, repeat=repeat, budget=budget)
        full, limited = table_scans(timing.sql)
        row = AdminRow(
            key=page.key,
            name=page.name,
            url=page.url,
            note=page.note,
            median_ms=timing.median_ms,
            p95_ms=timing.p95_ms,
            queries=timing.queries,
            scans=full,
            samples=len(timing.samples),
            limited_scans=limited,
        )
        log(f"admin {row.name}: {row.median_ms:.1f} ms, {row.queries} queries")
        rows.append(row)
    return rows
