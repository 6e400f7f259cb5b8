"""What search engines and social networks read of a public page.

Each page's ``<head>`` carries a description, Open Graph and Twitter card tags
(includes/metadata.html), and a story's page also schema.org ``NewsArticle``
JSON-LD (includes/story_metadata.html) that links each language version to the
others: the original names its translations (``workTranslation``), a translation
names its original (``translationOfWork``), so a search engine knows the two
pages are one story, not duplicates.
"""

import html
import json

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

# Search engines show about this many characters of a description.
DESCRIPTION_LENGTH = 160
# Open Graph spells locales with a territory. The newsroom's audience: a Canadian
# newsroom would say fr_CA and en_CA.
OPEN_GRAPH_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
# Characters that could end the <script> element or open a comment inside it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def plain_text(text, length=DESCRIPTION_LENGTH):
    """``text`` (HTML allowed) as one line of plain text of at most ``length`` characters."""
    words = " ".join(html.unescape(strip_tags(text or "")).split())
    return Truncator(words).chars(length)


def site_name():
    return gettext("The Newsroom")


def page(request, *, title, description, url, alternates, kind="website", story=None):
    """The Open Graph and Twitter card values of a page (includes/metadata.html)."""
    current = translation.get_language()
    return {
        "title": title,
        "description": plain_text(description),
        "url": url,
        "type": kind,
        "site_name": site_name(),
        "locale": OPEN_GRAPH_LOCALES.get(current, current),
        "alternate_locales": [
            OPEN_GRAPH_LOCALES.get(entry["code"], entry["code"])
            for entry in alternates
            if entry["url"] and not entry["current"]
        ],
        "twitter_site": settings.TWITTER_SITE,
        "modified": story_modified(story) if story is not None else None,
        "image": story.social_image(request) if story is not None else None,
    }


def story_modified(story):
    """When readers last saw ``story`` change: its last edit, or its publication if later."""
    return max(filter(None, (story.updated_at, story.published_at)))


def story_description(story):
    return story.standfirst or story.body


def story_json_ld(story, absolute_url, image=None):
    """schema.org ``NewsArticle`` of ``story`` in the active language, ready for a <script>.

    ``absolute_url(path)`` makes a path absolute (articles.views.absolute_url); ``image``
    is the lead image's social rendition (Article.social_image()).
    """
    language = translation.get_language()
    url = absolute_url(story.url_for(language))
    modified = story_modified(story)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": story.title,
        "description": plain_text(story_description(story)),
        "inLanguage": language,
        "datePublished": story.published_at.isoformat(),
        "dateModified": modified.isoformat(),
        "author": [
            {"@type": "Person", "name": author.get_full_name() or author.get_username()}
            for author in story.authors.all()
        ],
        "keywords": [tag.name or tag.any_name() for tag in story.tag_list()],
        "isAccessibleForFree": True,
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": site_name(),
            "url": absolute_url(reverse("articles:article-list")),
        },
    }
    if image is not None:
        data["image"] = [
            {
                "@type": "ImageObject",
                "url": image.url,
                "width": image.width,
                "height": image.height,
                **({"caption": image.alt} if image.alt else {}),
            }
        ]
    others = [
        {"@type": "NewsArticle", "@id": absolute_url(story.url_for(code)), "inLanguage": code}
        for code in story.public_languages()
        if code != language
    ]
    if language == story.source_language:
        if others:
            data["workTranslation"] = others
    else:
        original = [other for other in others if other["inLanguage"] == story.source_language]
        if original:
            data["translationOfWork"] = original[0]
    return script_json(data)


def script_json(data):
    """``data`` as JSON that is safe inside a <script> element."""
    # No "<", ">" or "&" is left to end the element.
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES))  # noqa: S308
