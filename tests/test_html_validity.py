"""Every public page is valid HTML, parsed by html5lib in strict mode, and well formed for
assistive technology: one language, unique ids, labelled links and landmarks, alt texts."""

from collections import Counter

import html5lib
import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from html5lib.html5parser import ParseError

from articles.models import Tag
from tests.factories import ArticleFactory, TagFactory

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


@pytest.fixture
def newsroom(db, settings):
    return make_newsroom(settings)


def make_newsroom(settings):
    """Stories enough for a second page, translated or not, tags with and without an
    English name, and characters that HTML must escape."""
    settings.ARTICLES_PER_PAGE = 2
    ukraine = TagFactory(name_fr="Ukraine", name_en="Ukraine")
    energie = TagFactory(name_fr="Énergie & climat", name_en="Energy & climate")
    # No English name: shown under its French one on English pages.
    TagFactory(name_fr="Bretagne", name_en="")
    bretagne = Tag.objects.get(name_fr="Bretagne")
    translated = ArticleFactory(
        english=True,
        title_fr="Koursk : « la ligne tient » ?",
        title_en="Kursk: “the line holds”?",
        body_fr="<p>Texte <strong>gras</strong> & <a href='https://example.org/?a=1&b=2'>lien</a>.</p>",
        tags=[ukraine, energie],
    )
    french_only = ArticleFactory(title_fr="Plouzévet <restreint> l’eau", tags=[bretagne, ukraine])
    for _number in range(3):
        ArticleFactory(english=True, tags=[ukraine, energie])
    return {
        "translated": translated,
        "french_only": french_only,
        "tags": (ukraine, energie),
    }


def public_pages(client, newsroom, language):
    """(name, address) of every public page type in ``language``."""
    ukraine, energie = newsroom["tags"]
    with translation.override(language):
        pages = [
            ("home", "/" + language + "/"),
            ("story", newsroom["translated"].get_absolute_url()),
            ("tag index", _url("articles:tag-list")),
            ("tag page", ukraine.get_absolute_url()),
            ("all of two tags", Tag.combination_url([ukraine, energie], "+")),
            ("any of two tags", Tag.combination_url([ukraine, energie], ",")),
            ("page not found", f"/{language}/{'pas-de-page' if language == 'fr' else 'no-page'}/"),
            ("bad request", f"/{language}/?after=%00"),
        ]
        if language == "fr":
            pages.append(("untranslated story", newsroom["french_only"].get_absolute_url()))
        search = _url("articles:search", missing=None)
        if search:
            pages.append(("search", f"{search}?q=ukraine"))
    home = client.get(pages[0][1]).content
    second = parse(home).find(".//a[@rel='next']")
    assert second is not None, "the home page should have a second page in this newsroom"
    pages.append(("home, second page", pages[0][1] + second.get("href")))
    return pages


def _url(name, missing=...):
    try:
        return reverse(name)
    except NoReverseMatch:
        if missing is ...:
            raise
        return missing


def parse(content):
    return html5lib.parse(content, namespaceHTMLElements=False)


def parse_strictly(content):
    """The page's tree; ParseError with every error html5lib found if there is one."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    tree = parser.parse(content)
    if parser.errors:
        raise ParseError(f"{len(parser.errors)} HTML errors: {parser.errors}")
    # And the parser's own strict mode, which stops at the first one.
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(content)
    return tree


def text_of(element):
    return " ".join("".join(element.itertext()).split())


def problems(tree, language):
    """What a validator and an accessibility checker would say about the page."""
    found = []
    root = tree if tree.tag == "html" else tree.getroot()
    if root.get("lang") != language:
        found.append(f"<html lang={root.get('lang')!r}>, not {language!r}")
    ids = Counter(element.get("id") for element in root.iter() if element.get("id"))
    found += [f"id {name!r} used {count} times" for name, count in ids.items() if count > 1]
    title = root.find("head/title")
    if title is None or not text_of(title):
        found.append("no <title>")
    if root.find("head/meta[@charset]") is None:
        found.append("no <meta charset>")
    if len(root.findall(".//main")) != 1:
        found.append("not exactly one <main>")
    if len(root.findall(".//h1")) != 1:
        found.append(f"{len(root.findall('.//h1'))} <h1>")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "img" and element.get("alt") is None:
            found.append(f"<img src={element.get('src')!r}> without alt")
        if element.tag == "a":
            if not element.get("href"):
                found.append(f"<a> without href: {text_of(element)!r}")
            name = (
                text_of(element)
                or element.get("aria-label")
                or "".join(img.get("alt", "") for img in element.iter("img"))
            )
            if not name:
                found.append(f"<a href={element.get('href')!r}> with no text")
            href = element.get("href") or ""
            if href.startswith("#") and href != "#" and href[1:] not in ids:
                found.append(f"<a href={href!r}> leads to no element")
        if (
            element.tag == "nav"
            and len(root.findall(".//nav")) > 1
            and not (element.get("aria-label") or element.get("aria-labelledby"))
        ):
            found.append("a <nav> among several without a label")
        for attribute in ("aria-labelledby", "aria-describedby", "for"):
            for name in (element.get(attribute) or "").split():
                if name not in ids:
                    found.append(f"{attribute}={name!r} names no element")
        for attribute in ("lang", "hreflang"):
            value = element.get(attribute)
            if value is not None and value != "x-default" and value not in LANGUAGE_CODES:
                found.append(f"{attribute}={value!r} is not a language of the site")
        if element.tag in ("input", "select", "textarea") and element.get("type") not in (
            "hidden",
            "submit",
            "button",
        ):
            labelled = (
                element.get("aria-label")
                or element.get("aria-labelledby")
                # An element without children is false: ask whether one was found.
                or (
                    element.get("id") is not None
                    and root.find(f".//label[@for='{element.get('id')}']") is not None
                )
            )
            if not labelled:
                found.append(f"<{element.tag} name={element.get('name')!r}> without a label")
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_public_page_is_valid_html(client, newsroom, language):
    for name, address in public_pages(client, newsroom, language):
        response = client.get(address)
        expected = {"page not found": 404, "bad request": 400}.get(name, 200)
        assert response.status_code == expected, (name, address)
        try:
            tree = parse_strictly(response.content)
        except ParseError as error:
            pytest.fail(f"{language} {name} ({address}) is not valid HTML: {error}")
        assert problems(tree, language) == [], f"{language} {name} ({address})"


def test_the_checks_find_what_is_wrong():
    page = (
        b'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>x</title></head>'
        b'<body><main><h1 id="a">x</h1><p id="a"><img src="/x.png"><a href="#nowhere"></a>'
        b'<label for="q">q</label><input name="q"></p></main></body></html>'
    )
    found = problems(parse(page), "fr")
    assert "<html lang='de'>, not 'fr'" in found
    assert "id 'a' used 2 times" in found
    assert "<img src='/x.png'> without alt" in found
    assert "<a href='#nowhere'> with no text" in found
    assert "<a href='#nowhere'> leads to no element" in found
    assert "for='q' names no element" in found
    assert "<input name='q'> without a label" in found
    assert "lang='de' is not a language of the site" in found


def test_the_strict_parser_refuses_invalid_html():
    with pytest.raises(ParseError):
        parse_strictly(b"<!DOCTYPE html><html><body><p><div>x</div></p></body></html>")
    with pytest.raises(ParseError):
        parse_strictly(b"<html><body><p>no doctype</p></body></html>")
