"""Dates as French and English readers write them (articles.typography.long_date)."""

from django import template

from articles import typography

register = template.Library()


@register.filter
def long_date(value, format_name="DATE_FORMAT"):
    """``{{ story.published_at|long_date:"DATETIME_FORMAT" }}``: "1er décembre 2026 14:58"."""
    return typography.long_date(value, format_name)
