"""The admin's workplace: what is waiting for the signed-in journalist, editor or translator."""

import calendar
import datetime

from django import template
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from articles import workflow

register = template.Library()


@register.inclusion_tag("admin/articles/queues.html", takes_context=True)
def queues(context):
    """The user's queues (articles.workflow.queues) with their counts, linked to the story list."""
    user = context["request"].user
    stories = reverse("admin:articles_article_changelist")
    return {
        "queues": [
            {
                "key": key,
                "label": label,
                "url": f"{stories}?{urlencode(filters)}",
                "count": workflow.queue_count(queryset),
            }
            for key, label, filters, queryset in workflow.queues(user)
        ]
    }


@register.inclusion_tag("admin/date_hierarchy.html")
def calendar_date_hierarchy(cl):
    """Django's date drill-down (years, a year's months, a month's days), from the calendar.

    Django's asks the database which years, months or days the list, filtered or searched,
    has stories in: a SELECT DISTINCT over every matching story (half a second for the
    whole list at a million stories, seconds under a filter). These are the calendar's,
    between the first and the last story of the whole list (one query, two index reads):
    a year or month without a story of the list gives an empty list.
    """
    field = cl.date_hierarchy
    year, month, day = (cl.params.get(f"{field}__{part}") for part in ("year", "month", "day"))

    def link(filters):
        return cl.get_query_string(filters, [f"{field}__"])

    span = cl.model._default_manager.aggregate(first=Min(field), last=Max(field))
    if span["first"] is None:
        return {"show": False}
    first, last = (timezone.localtime(span[end]) for end in ("first", "last"))
    year_field, month_field, day_field = (f"{field}__{part}" for part in ("year", "month", "day"))
    if year and month and day:
        date = datetime.date(int(year), int(month), int(day))
        return {
            "show": True,
            "back": {
                "link": link({year_field: year, month_field: month}),
                "title": capfirst(formats.date_format(date, "YEAR_MONTH_FORMAT")),
            },
            "choices": [{"title": capfirst(formats.date_format(date, "MONTH_DAY_FORMAT"))}],
        }
    if year and month:
        days = calendar.monthrange(int(year), int(month))[1]
        dates = [datetime.date(int(year), int(month), number) for number in range(1, days + 1)]
        return {
            "show": True,
            "back": {"link": link({year_field: year}), "title": str(year)},
            "choices": [
                {
                    "link": link({year_field: year, month_field: month, day_field: date.day}),
                    "title": capfirst(formats.date_format(date, "MONTH_DAY_FORMAT")),
                }
                for date in dates
                if first.date() <= date <= last.date()
            ],
        }
    if year:
        months = [datetime.date(int(year), number, 1) for number in range(1, 13)]
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({year_field: year, month_field: date.month}),
                    "title": capfirst(formats.date_format(date, "YEAR_MONTH_FORMAT")),
                }
                for date in months
                if (first.year, first.month) <= (date.year, date.month) <= (last.year, last.month)
            ],
        }
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({year_field: str(number)}), "title": str(number)}
            for number in range(first.year, last.year + 1)
        ],
    }
