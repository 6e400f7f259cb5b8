"""A story's tags as links: ``{% tag_items article.tag_list %}`` (includes/tag_links.html).

A list page shows a hundred and more of them, most of them the same few tags: each tag's
link is made once per page, here, rather than by the template engine on every card, which
took half of a list page's rendering time.
"""

from django import template
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def tag_items(context, tags):
    """``<li><a href="…" rel="tag">Name</a></li>`` for each of ``tags``, in their order; a
    name shown in another language (not translated yet) says which in ``lang``."""
    # The page's own render context (the one Django's {% include %} keeps its templates
    # in): what is made there lasts for this page only.
    made = context.render_context.dicts[0].setdefault("articles.tag_items", {})
    language = translation.get_language()
    items = []
    for tag in tags:
        key = (tag.pk, language)
        item = made.get(key)
        if item is None:
            lang = tag.name_lang()
            item = made[key] = format_html(
                '<li><a href="{}" rel="tag"{}>{}</a></li>',
                tag.get_absolute_url(),
                format_html(' lang="{}"', lang) if lang else "",
                tag.name,
            )
        items.append(item)
    return mark_safe("".join(items))  # noqa: S308  (each item is format_html's)
