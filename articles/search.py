"""Searching stories: the admin's search by words in any language, and the readers' search.

The readers' search (``StorySearch``, the pages /fr/recherche/ and /en/search/)
-------------------------------------------------------------------------------

Each story keeps one search document per language (``Article.search_fr``, ``search_en``:
stored generated columns, kept in the row like ``search_words``), made by PostgreSQL from
its title (weight A), standfirst (B) and body (C) in that language: accents folded first
(``folded()``, the same table of letters as below), then stemmed with the language's
configuration (``french``, ``english``: stems and stop words). The typed words go through
the same ``folded()`` in SQL, then ``websearch_to_tsquery`` (quotes for words side by
side, ``-`` to leave one out, ``or``; it never fails on odd input), so "coree", "Corée" and
"CORÉE" meet as one stem, with no extension. Each language has a GIN index of its
documents, partial on the stories readable in it (``article_search_<code>_idx``).

The order of results, and why it is bounded: ranking every match by ``ts_rank`` means
reading every matching story's document, 100,000 of them for a common word in a million
stories. Instead a page reads the RANKED_WINDOW newest matches (``window()``): for a common
word PostgreSQL walks the readable stories newest first (``article_readable_<code>_idx``)
and checks each one's document, stopping after the window (a few thousand rows); for a
rare one it reads the word's entries in the GIN index and sorts the few matches. Those
newest matches are ranked by ``ts_rank`` (a word in the title counts five times one in the
body), ties newest first; the older matches follow, newest first, read like any list page
(``seek_stories``). Every match is reachable, no count is made, and the page says that
the most recent ones are ranked when there are more. A page is keyset-paginated with the
site's cursors: ``?after=`` names a story of the window (the page goes on in rank order,
then into the older matches) or an older match (date order). A cursor naming no result
(the window moved, a made-up one) redirects to the search's first page.

The costs per page: the window's rows (ids, dates and ranks only) and the page's stories,
whatever the corpus; the cost that grows is the one of any top-N-newest read on a GIN
index, between the two plans: a word in a few percent of the stories is read either way
through a few thousand rows (see the README, "Search").

Snippets: the title and a part of the text around the first word found, with the words
found in ``<mark>`` in their original spelling. The stories' words that match are found by
PostgreSQL in the same query as the stories (``matched_words``: the folded words starting
like a searched stem are stemmed and compared), so the marks follow PostgreSQL's stemming
exactly; the body's HTML is reduced to text and everything is escaped but the marks.

The admin's search
------------------

Each story keeps the words of its six texts (title, standfirst and body in French and
English) in a column the database computes itself (``Article.search_words``, a stored
generated column), indexed by GIN (``article_search_idx``). A search finds the stories
having, for each word typed, a word that starts like it, whatever the accents and case:
"koursk", "Kours" and "région kou" all find a story about "la région de Koursk".

Why a stored column and not only an expression index: PostgreSQL checks stories one by
one when it walks the list in its order or the table (the plans for common words, and for
counting them), and making a story's words again from its text costs about half a
millisecond, several hundred times more than reading them; the planner does not know that.
The words are kept in the row rather than in the TOAST table, for the same reason
(migration 0010).

The words are made with the ``simple`` configuration (no stemming, no stop words: the
newsroom writes in two languages), HTML tags left out by PostgreSQL's parser, then
their accents folded by ``translate()`` on the list of words (shorter than the text),
which needs no extension (the embedded server has neither ``unaccent`` nor ``pg_trgm``).
Positions are dropped (``strip``): the list is ordered by date, not by relevance.
The typed words are folded the same way in Python (``fold``), with the same table.
"""

import re
from dataclasses import dataclass
from html import unescape

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connections
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.html import format_html, format_html_join
from modeltranslation.utils import build_localized_fieldname

from articles.pagination import KeysetPage, StaleCursor, StoryCursor, rows_to_read, seek_stories

# The story fields searched, in each language.
SEARCHED_FIELDS = ("title", "standfirst", "body")
# Letters that lose their accent, lower and upper case (upper case too: the embedded
# server's C locale lower-cases ASCII letters only).
_ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuyy"
# Letters written as two.
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}
FOLD = str.maketrans({**dict(zip(_ACCENTED, _PLAIN, strict=True)), **_LIGATURES})
# More words than this in a search are left out: no one types them, and each costs.
MAX_WORDS = 8
MAX_WORD_LENGTH = 60
_WORD = re.compile(r"[^\W_]+")


def searched_columns():
    return [
        build_localized_fieldname(field, code)
        for code, _name in settings.LANGUAGES
        for field in SEARCHED_FIELDS
    ]


def folded(expression, **extra):
    """SQL: ``expression`` (text) with its accents folded, by the table ``fold`` uses."""
    folded = Func(expression, Value(_ACCENTED), Value(_PLAIN), function="translate", **extra)
    for letters, plain in _LIGATURES.items():
        folded = Func(folded, Value(letters), Value(plain), function="replace", **extra)
    return folded


def story_words():
    """The expression of ``Article.search_words``: the folded words of the searched columns."""
    words = Cast(
        Func(SearchVector(*searched_columns(), config="simple"), function="strip"), TextField()
    )
    return Cast(folded(words), SearchVectorField())


def fold(text):
    """Lower case without accents, as the database folds a story's words."""
    return text.lower().translate(FOLD)


def words(text):
    """The words of a search, folded: "Région de Kou" -> ["region", "de", "kou"]."""
    found = [word[:MAX_WORD_LENGTH] for word in _WORD.findall(fold(text))]
    return list(dict.fromkeys(found))[:MAX_WORDS]


def search_query(text):
    """Each word of ``text`` as a prefix, all of them required; None without a word."""
    typed = words(text)
    if not typed:
        return None
    # Words are letters and digits only, so quoting them is all the escaping needed.
    return SearchQuery(
        " & ".join(f"'{word}':*" for word in typed), search_type="raw", config="simple"
    )


def search_stories(stories, text):
    """The stories of ``stories`` matching ``text`` (see search_query); none without a word."""
    query = search_query(text)
    if query is None:
        return stories.none()
    return stories.filter(search_words=query)


# The public search ---------------------------------------------------------------------

# PostgreSQL's text search configuration of each language: its stemmer and stop words.
CONFIGS = {"fr": "french", "en": "english"}
# Where a word is found counts in this order (ts_rank's weights: 1, 0.4 and 0.2).
WEIGHTS = (("title", "A"), ("standfirst", "B"), ("body", "C"))
# A search is cut to this many characters: no one types more, and each word costs.
MAX_QUERY_LENGTH = 200
# The newest matches ranked by relevance; older ones follow newest first.
RANKED_WINDOW = 200
# Words of text around the first match in a result's snippet.
SNIPPET_WORDS = 30
_SNIPPET_LEAD = 8
_TAG = re.compile(r"<[^>]*>")
_LEXEME = re.compile(r"(!?)'((?:[^']|'')+)'")


def config(language):
    return CONFIGS.get(language, "simple")


def document_field(language):
    """The story's column holding its search document in ``language`` (``search_fr``)."""
    return f"search_{language}"


def story_document(language):
    """The expression of ``Article.search_<language>``: the story's words in ``language``,
    accents folded, then stemmed by the language's configuration, weighted by where they are.

    Folding comes before stemming, and the typed words are folded by the same expression
    (``StorySearch``), so that "coree", "Corée" and "CORÉE" all meet as one stem. The body's
    HTML tags are left out by PostgreSQL's parser.
    """
    document = None
    for field, weight in WEIGHTS:
        column = build_localized_fieldname(field, language)
        text = folded(F(column), output_field=TextField())
        part = SearchVector(text, config=config(language), weight=weight)
        document = part if document is None else document + part
    return document


def clean_query(text):
    """What is searched of what was typed: no NUL byte, one space between words, cut short."""
    text = (text or "").replace("\x00", " ")
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def html_to_text(html):
    """The text of a story's body (sanitised HTML): tags make spaces, entities letters."""
    return " ".join(unescape(_TAG.sub(" ", html or "")).split())


@dataclass(frozen=True)
class Hit:
    """A story found: its place in the date order, and its rank (None past the window)."""

    pk: int
    published_at: object
    rank: float | None = None

    @property
    def cursor(self):
        return StoryCursor(self.published_at, self.pk)


def _date_key(cursor):
    return (cursor.published_at, cursor.pk)


class StorySearch:
    """A reader's search in ``language``, maybe within one ``tag``.

    The results, in one order that pages follow with ``?after=`` / ``?before=``:
    first the RANKED_WINDOW newest matches by relevance (then newest first), then every
    older match, newest first. See the module's docstring.
    """

    def __init__(self, text, language, tag=None):
        self.text = clean_query(text)
        self.language = language
        self.tag = tag
        self.query = SearchQuery(
            folded(Value(self.text), output_field=TextField()),
            config=config(language),
            search_type="websearch",
        )
        self.more_than_window = False

    def matches(self):
        from articles.models import Article

        stories = Article.objects.readable(self.language).filter(
            **{document_field(self.language): self.query}
        )
        if self.tag is not None:
            stories = stories.tagged_with_all([self.tag])
        return stories

    def lexemes(self):
        """The stems searched, negated ones left out; None when there is nothing to search
        (no word, or only stop words): then no story table is read."""
        if not _WORD.search(self.text):
            return None
        from articles.models import Article

        queryset = Article.objects.all()
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.compile(self.query.resolve_expression(queryset.query))
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"SELECT ({sql})::text", params)
            text = cursor.fetchone()[0]
        if not text:
            return None
        found = [
            lexeme.replace("''", "'") for negated, lexeme in _LEXEME.findall(text) if not negated
        ]
        return list(dict.fromkeys(found))

    def window(self):
        rank = SearchRank(F(document_field(self.language)), self.query)
        rows = (
            self.matches()
            .annotate(rank=rank)
            .order_by("-published_at", "-pk")
            .values_list("pk", "published_at", "rank")[: RANKED_WINDOW + 1]
        )
        hits = [Hit(*row) for row in rows]
        self.more_than_window = len(hits) > RANKED_WINDOW
        hits = hits[:RANKED_WINDOW]
        boundary = hits[-1].cursor if self.more_than_window else None
        hits.sort(key=lambda hit: (-hit.rank, -hit.published_at.timestamp(), -hit.pk))
        return hits, boundary

    def older(self, cursor, backwards, limit, boundary):
        """Matches past the window from ``cursor`` (its own row first), as seek_stories reads."""
        rows = seek_stories(self.matches(), cursor, backwards)
        if backwards:
            rows = rows.filter(
                Q(published_at__lt=boundary.published_at)
                | Q(published_at=boundary.published_at, pk__lt=boundary.pk)
            )
        return [Hit(*row) for row in rows.values_list("pk", "published_at")[:limit]]

    def page(self, cursor, backwards, size):
        """The KeysetPage of Hits at ``cursor``; StaleCursor when it names no result."""
        ranked, boundary = self.window()
        rows_wanted = rows_to_read(size)
        places = {hit.cursor: index for index, hit in enumerate(ranked)}
        if cursor is None or cursor in places:
            at = places.get(cursor, 0)
            if backwards:
                rows = ranked[max(0, at - size - 1) : at + 1][::-1]
            else:
                start = at if cursor is not None else 0
                rows = ranked[start : start + rows_wanted]
                if boundary is not None and len(rows) < rows_wanted:
                    # The window's oldest story opens the read: it is left out.
                    older = self.older(boundary, False, rows_wanted - len(rows) + 1, boundary)
                    rows += [hit for hit in older if hit.cursor not in places]
        elif boundary is not None and _date_key(cursor) < _date_key(boundary):
            rows = self.older(cursor, backwards, rows_wanted, boundary)
            if backwards and len(rows) < rows_wanted:
                rows += ranked[::-1][: rows_wanted - len(rows)]
        else:
            raise StaleCursor(cursor)
        return KeysetPage(
            rows, size=size, cursor=cursor, backwards=backwards, key=lambda hit: hit.cursor
        )

    def matched_words(self, lexemes):
        """An expression: the story's words (folded) that the search found, for highlighting.

        Only the words starting like a searched stem are picked out of the text (one regular
        expression) and stemmed, so that a long body costs little; a stem may end unlike
        its words ("happi" for "happy"), hence the shorter start.
        """
        starts = sorted(
            {re.escape(lexeme[: max(min(3, len(lexeme)), len(lexeme) - 2)]) for lexeme in lexemes}
        )
        pattern = r"\m((?:" + "|".join(starts) + r")[[:alnum:]]*)"
        columns = " || ' ' || ".join(
            f"coalesce({_column(build_localized_fieldname(field, self.language))}, '')"
            for field, _weight in WEIGHTS
        )
        text_sql, text_params = _folded_sql(columns)
        # Column names and placeholders only: every value is a parameter.
        return RawSQL(  # noqa: S611
            "ARRAY(SELECT DISTINCT found[1] FROM regexp_matches("  # noqa: S608
            f"{text_sql}, %s, 'gi') AS found "
            "WHERE tsvector_to_array(to_tsvector(%s::regconfig, found[1])) && %s::text[])",
            (*text_params, pattern, config(self.language), lexemes),
            output_field=ArrayField(TextField()),
        )


def _column(name):
    return f'"articles_article"."{name}"'


def _folded_sql(sql):
    """``folded()`` for raw SQL: the same table of letters."""
    params = [_ACCENTED, _PLAIN]
    sql = f"translate({sql}, %s, %s)"
    for letters, plain in _LIGATURES.items():
        sql = f"replace({sql}, %s, %s)"
        params += [letters, plain]
    return sql, params


def highlight(text, matched):
    """``text`` escaped, each word whose folded form is in ``matched`` in a <mark>."""
    pieces, last = [], 0
    for found in _WORD.finditer(text):
        if fold(found[0]) in matched:
            pieces.append((text[last : found.start()], format_html("<mark>{}</mark>", found[0])))
            last = found.end()
    pieces.append((text[last:], ""))
    return format_html_join("", "{}{}", pieces)


def snippet(text, matched):
    """About SNIPPET_WORDS words of ``text`` around its first match, highlighted;
    None when ``text`` has no match. Reads the text only up to the snippet's end."""
    words, first = [], None
    for word in _WORD.finditer(text):
        words.append(word)
        if first is None and fold(word[0]) in matched:
            first = len(words) - 1
            start = max(0, first - _SNIPPET_LEAD)
        if first is not None and len(words) - start > SNIPPET_WORDS:
            break
    if first is None:
        return None
    end = min(len(words), start + SNIPPET_WORDS)
    begin = words[start].start() if start else 0
    cut = len(words) > end or words[end - 1].end() < len(text.rstrip(".!?… "))
    finish = words[end - 1].end() if cut else len(text)
    return format_html(
        "{}{}{}",
        "… " if start else "",
        highlight(text[begin:finish], matched),
        " …" if cut else "",
    )


def result_texts(story, matched_words):
    """(title, snippet) of a found story: HTML, escaped, the words found in <mark>.

    The snippet is the standfirst when a word was found in it, else the part of the body
    around the first word found there, else the standfirst (or the body's start).
    """
    matched = {fold(word) for word in matched_words}
    title = highlight(story.title or "", matched)
    standfirst = story.standfirst or ""
    body = html_to_text(story.body)
    if standfirst and snippet(standfirst, matched) is not None:
        return title, highlight(standfirst, matched)
    found = snippet(body, matched)
    if found is not None:
        return title, found
    if standfirst:
        return title, highlight(standfirst, matched)
    return title, snippet_start(body)


def snippet_start(text):
    words = text.split()
    if len(words) <= SNIPPET_WORDS:
        return text
    return " ".join(words[:SNIPPET_WORDS]) + " …"
