"""Every text a reader sees, tooltips and labels included, is in the page's language:
pages and feeds parsed, their texts checked against the other language's interface strings."""

import re
from pathlib import Path

import feedparser
import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from articles.typography import NBSP, NNBSP
from tests.test_html_validity import newsroom, parse, public_pages  # noqa: F401 (a fixture)

CATALOG = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# Attributes whose text a reader sees or hears.
READ_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")
# Where the public site's interface strings come from (not the admin's).
PUBLIC_SOURCES = re.compile(r"^(templates/(?!admin/)|articles/(views|feeds|urls|previews)\.py)")


def interface_strings():
    """{language: the public interface's strings in it}, where the two languages differ.

    A string with placeholders gives its fixed pieces of at least two words.
    """
    strings = {"en": set(), "fr": set()}
    for entry in polib.pofile(str(CATALOG)):
        if entry.obsolete or not any(PUBLIC_SOURCES.match(path) for path, _ in entry.occurrences):
            continue
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural[0]),
                (entry.msgid_plural, entry.msgstr_plural[1]),
            ]
        for english, french in pairs:
            if not french or english == french:
                continue
            for language, text in (("en", english), ("fr", french)):
                for piece in re.split(r"%\(\w+\)[sd]|\{\{[^}]*\}\}|%[sd]", text):
                    piece = " ".join(piece.replace(NBSP, " ").replace(NNBSP, " ").split())
                    if len(piece.split()) >= 2 or (len(piece) >= 5 and " " not in piece):
                        strings[language].add(piece)
    return strings


def texts(tree, language):
    """(where, text) of the page's tooltips and labels, and of its text in ``language``
    (text in another language says so with ``lang``)."""
    found = []

    def walk(element, lang, where):
        if not isinstance(element.tag, str):
            return
        lang = element.get("lang") or lang
        here = f"{where}/{element.tag}"
        # Tooltips and labels are the interface's, whatever the element's language
        # (a link to the English page is named "English" but explained in French).
        for attribute in READ_ATTRIBUTES:
            if element.get(attribute):
                found.append((f"{here}@{attribute}", element.get(attribute)))
        if lang == language:
            if element.tag == "meta" and element.get("name") == "description":
                found.append((f"{here}@content", element.get("content")))
            if element.text and element.tag not in ("script", "style"):
                found.append((here, element.text))
        for child in element:
            walk(child, lang, here)
            if child.tail and lang == language:
                found.append((here, child.tail))

    root = tree if tree.tag == "html" else tree.getroot()
    walk(root, None, "")
    return [
        (where, " ".join(text.replace(NBSP, " ").replace(NNBSP, " ").split()))
        for where, text in found
    ]


def other_language_strings(tree, language, strings):
    other = "en" if language == "fr" else "fr"
    wrong = []
    for where, text in texts(tree, language):
        for string in strings[other]:
            if string in strings[language]:
                continue  # the same words in both languages ("Flux RSS" is not English)
            if re.search(rf"(?<!\w){re.escape(string)}(?!\w)", text):
                wrong.append((where, string, text))
    return wrong


@pytest.fixture(scope="module")
def strings():
    return interface_strings()


def test_the_catalog_gives_strings_to_look_for(strings):
    assert "Skip to content" in strings["en"]
    assert "Aller au contenu" in strings["fr"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_public_page_shows_the_other_languages_interface(client, newsroom, language, strings):  # noqa: F811
    for name, address in public_pages(client, newsroom, language):
        tree = parse(client.get(address).content)
        assert other_language_strings(tree, language, strings) == [], f"{language} {name}"


def test_the_switchers_explanation_is_in_the_pages_language(client, newsroom, strings):  # noqa: F811
    """A French-only story: the switcher leads to the English home page and says why,
    in French, while "English" is marked as English."""
    tree = parse(client.get(newsroom["french_only"].get_absolute_url()).content)
    link = tree.find(".//nav[@class='language-switcher']//a[@hreflang='en']")
    with translation.override("fr"):
        explanation = translation.gettext(
            "This page is not available in this language; this link leads to the home page."
        )
    assert link.get("title") == explanation
    assert explanation in strings["fr"] or explanation.replace(NNBSP, " ") in strings["fr"]
    # The title is said in the link's language, which is the page's.
    assert link.get("lang") is None
    assert tree.find("[@lang='fr']") is not None or tree.get("lang") == "fr"
    name = link.find("span[@lang='en']")
    assert name is not None
    assert name.text == "English"


def test_a_page_with_an_english_tooltip_is_found_out(strings):
    page = (
        b'<!DOCTYPE html><html lang="fr"><head><title>x</title></head><body>'
        b'<a href="/en/" title="This page is not available in this language; this link leads '
        b'to the home page." lang="fr">English</a><p lang="en">Skip to content</p></body></html>'
    )
    wrong = other_language_strings(parse(page), "fr", strings)
    assert [string for _where, string, _text in wrong] == [
        "This page is not available in this language; this link leads to the home page."
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_feeds_speak_their_language(client, newsroom, language, strings):  # noqa: F811
    ukraine, energie = newsroom["tags"]
    with translation.override(language):
        addresses = [
            reverse("articles:feed"),
            reverse("articles:feed-atom"),
            reverse("articles:tag-feed", kwargs={"slugs": ukraine.slug}),
            reverse("articles:tag-feed-atom", kwargs={"slugs": f"{ukraine.slug}+{energie.slug}"}),
        ]
    other = "en" if language == "fr" else "fr"
    for address in addresses:
        feed = feedparser.parse(client.get(address).content)
        assert feed.feed.language == language, address
        for text in (feed.feed.title, feed.feed.get("subtitle", ""), feed.feed.get("rights", "")):
            for string in strings[other] - strings[language]:
                assert string not in text, (address, text)
