"""Pagination: keyset pages for the public lists, numbered pages that count little for the admin.

Keyset pagination: pages that start after (or end before) a given row.

A page URL names the last row of the page before it (``?after=``) or the first
row of the page after it (``?before=``) instead of a page number, so the
database reads one page of an index whatever the depth, and counts nothing.
The same URL keeps showing the same stories as new ones are published.

A cursor must name a row of the list, spelled as the site spells it: the
row is read with its page (``seek_*`` include it) and KeysetPage checks it is
there. A made-up or stale cursor is not a new page address, so no client can
make up endless addresses for one page.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property

_STORY_CURSOR = re.compile(r"(\d{20})-(\d{1,19})")
_MAX_ID = 2**63 - 1  # PostgreSQL's bigint


class BadCursor(ValueError):
    """Not a page address at all (the page is a 404)."""


class StaleCursor(LookupError):
    """A well-formed cursor naming no row of the list (the list's own address is the answer)."""


@dataclass(frozen=True)
class StoryCursor:
    """A story's place in a newest-first list: its publication time, then its id."""

    published_at: datetime
    pk: int

    def __str__(self):
        return f"{self.published_at.astimezone(UTC):%Y%m%d%H%M%S%f}-{self.pk}"

    @classmethod
    def parse(cls, text):
        """ "20240131093000000000-42" -> StoryCursor; BadCursor when it is not one."""
        match = _STORY_CURSOR.fullmatch(text)
        if match is None or int(match[2]) > _MAX_ID:
            raise BadCursor(f"{text!r} is not a page address")
        try:
            moment = datetime.strptime(match[1], "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
        except ValueError:
            raise BadCursor(f"{text!r} is not a page address") from None
        cursor = cls(moment, int(match[2]))
        if str(cursor) != text:  # "0042" for 42: one spelling per address
            raise BadCursor(f"{text!r} is not a page address")
        return cursor


def seek_stories(queryset, cursor, backwards=False, *, pk="pk"):
    """Newest first, from ``cursor`` on; or, ``backwards``, oldest first, up to it.

    The cursor's own row comes first, so that KeysetPage can check it is in the list.
    """
    if backwards:
        ordering = ["published_at", pk]
        if cursor is not None:
            queryset = queryset.filter(
                Q(published_at__gte=cursor.published_at)
                & (Q(published_at__gt=cursor.published_at) | Q(**{f"{pk}__gte": cursor.pk}))
            )
    else:
        ordering = ["-published_at", f"-{pk}"]
        if cursor is not None:
            queryset = queryset.filter(
                Q(published_at__lte=cursor.published_at)
                & (Q(published_at__lt=cursor.published_at) | Q(**{f"{pk}__lte": cursor.pk}))
            )
    return queryset.order_by(*ordering)


def seek_by(queryset, field, cursor, backwards=False):
    """Ordered by a unique ``field``, from ``cursor`` on; or, ``backwards``, up to it."""
    if cursor is not None:
        queryset = queryset.filter(**{f"{field}__{'lte' if backwards else 'gte'}": cursor})
    return queryset.order_by(f"-{field}" if backwards else field)


def rows_to_read(size):
    """Rows a page reads: the cursor's own, the page, and one to see what follows."""
    return size + 2


class KeysetPage:
    """One page of ``rows``, fetched with one row more than ``size`` to see what follows.

    ``rows`` come in reading order, or reversed when the page was asked for
    ``backwards`` (from the page after it), the cursor's own row first (see
    ``seek_stories``). ``key(row)`` is a row's cursor. StaleCursor when the
    cursor's row is not there.
    """

    def __init__(self, rows, *, size, cursor, backwards, key):
        rows = list(rows)
        # The row the cursor names, on the neighbouring page.
        self.cursor_row = None
        self.cursor, self.backwards = cursor, backwards
        if cursor is not None:
            if not rows or key(rows[0]) != cursor:
                raise StaleCursor(cursor)
            self.cursor_row, rows = rows[0], rows[1:]
        more = len(rows) > size
        # The page as ``?after=`` names it: from the row just before it. A page read
        # ``backwards`` is the same page as the one after the row read beyond it.
        self.anchor_row = rows[size] if backwards and more else self.cursor_row
        rows = rows[:size]
        if backwards:
            rows.reverse()
        self.object_list = rows
        self.is_first = backwards and not more
        self.anchor = key(self.anchor_row) if self.anchor_row is not None else None
        # A cursor names a row that was on a neighbouring page: that page exists.
        self.has_next = bool(rows) and (more if not backwards else cursor is not None)
        self.has_previous = more if backwards else cursor is not None
        self.next_cursor = key(rows[-1]) if self.has_next and rows else None
        self.previous_cursor = key(rows[0]) if self.has_previous and rows else None

    def may_go_on(self, stopped_at):
        """The rows were read up to ``stopped_at`` only (a bounded read): where the page
        would end the list, it leads on from there instead. Whether it then does so."""
        if not self.backwards:
            if self.has_next:
                return False
            self.has_next, self.next_cursor = True, stopped_at
            return True
        if not self.is_first:
            return False
        self.is_first = False
        self.has_previous, self.previous_cursor = True, stopped_at
        if not self.object_list and self.cursor is not None:
            self.has_next, self.next_cursor = True, self.cursor
        return True

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_other_pages(self):
        return self.has_next or self.has_previous


def page_request(query, parse=str):
    """(cursor, backwards) from a request's ``?after=`` or ``?before=``.

    BadCursor when both are given or the value does not parse.
    """
    after, before = query.get("after"), query.get("before")
    if after is not None and before is not None:
        raise BadCursor("a page starts after a row or ends before one, not both")
    if before is not None:
        return parse(before), True
    if after is not None:
        return parse(after), False
    return None, False


# A filtered list is counted this far ("10,000+"): counting further reads every match.
COUNT_LIMIT = 10_000
# PostgreSQL's OFFSET is a bigint: a page further than this is past the end of any list.
_MAX_OFFSET = 2**62


def estimated_rows(model, using):
    """PostgreSQL's estimate of a table's rows (pg_class.reltuples, kept by ANALYZE and
    autovacuum); None for a table never analyzed."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


class LongListPaginator(Paginator):
    """Numbered pages over a list of a million rows, without counting them all (the admin's).

    ``count`` is PostgreSQL's estimate of the table's rows when the list is the whole
    table (no condition at all), or a count stopped after ``COUNT_LIMIT`` + 1 rows when it
    is filtered or searched (a LIMIT subquery); ``exact`` says whether it is the
    real number. A table estimated under the limit is counted (the count is then exact).

    A page is read in two steps, a deferred join: first the ids of its rows, in the
    list's order, with OFFSET; from an index in that order (the story list's
    ``article_list_idx``) PostgreSQL reads them from the index alone, without visiting
    the rows it skips. Then the page's rows by id. Page 5,000 of a million stories skips
    500,000 index entries instead of reading 500,000 stories. Keyset pagination (the
    public lists') would cost the same at any depth, but the admin numbers its pages and
    editors jump to them.

    While the count is not exact, pages past it are read as well (there may be more
    rows than estimated or counted); a page past the end is empty. Orphans are not
    supported (they need the exact count).
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True):
        super().__init__(object_list, per_page, 0, allow_empty_first_page)

    @cached_property
    def _count(self):
        """(count, how): how is "exact", "estimated" or "capped" (at least that many)."""
        queryset = self.object_list
        if not queryset.query.where:
            estimate = estimated_rows(queryset.model, queryset.db)
            if estimate is not None and estimate > COUNT_LIMIT:
                return estimate, "estimated"
        counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
        return counted, "exact" if counted <= COUNT_LIMIT else "capped"

    @property
    def count(self):
        return self._count[0]

    @property
    def exact(self):
        return self._count[1] == "exact"

    @property
    def estimated(self):
        return self._count[1] == "estimated"

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.exact or int(number) < 1:
                raise
            return int(number)

    def page(self, number):
        number = self.validate_number(number)
        offset = (number - 1) * self.per_page
        ids = []
        if offset <= _MAX_OFFSET:
            window = self.object_list.values_list("pk", flat=True)
            ids = list(window[offset : offset + self.per_page + 1])
        more = len(ids) > self.per_page
        ids = ids[: self.per_page]
        # The same ordering as the ids: the rows come back in their order.
        rows = list(self.object_list.filter(pk__in=ids)) if ids else []
        return LongListPage(rows, number, self, more=more)


class LongListPage(Page):
    """A page that knows whether rows follow it, without the paginator's count."""

    def __init__(self, object_list, number, paginator, *, more):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more
