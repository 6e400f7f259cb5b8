"""The library's pictures on public pages: ``{% picture image "card" %}``."""

from django import template

register = template.Library()


@register.simple_tag
def picture(image, use="page", lazy=True):
    """An <img> of ``image`` for ``use`` ("card" or "page") with srcset, sizes, width and
    height; lazy-loaded unless ``lazy`` is false (a picture at the top of the page)."""
    if image is None:
        return ""
    return image.img_tag(use, lazy=lazy)
