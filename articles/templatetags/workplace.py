"""The admin's workplace: what is waiting for the signed-in journalist, editor or translator."""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

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
