"""French typography on the French public pages (articles/typography.py)."""

from datetime import datetime

import html5lib
import pytest
from django.utils import timezone, translation

from articles.typography import NBSP, NNBSP, french_typography, long_date
from tests.factories import ArticleFactory, TagFactory

# Each case: what a template or an editor wrote, and what a French reader gets.
CASES = [
    ("<p>Vraiment ?</p>", f"<p>Vraiment{NNBSP}?</p>"),
    ("<p>Non !</p>", f"<p>Non{NNBSP}!</p>"),
    ("<p>un ; deux</p>", f"<p>un{NNBSP}; deux</p>"),
    ("<p>Koursk : la ligne</p>", f"<p>Koursk{NBSP}: la ligne</p>"),
    ("<p>« Oui »</p>", f"<p>«{NBSP}Oui{NBSP}»</p>"),
    # Inside « », a missing space is added; before ; : ! ? it is not.
    ("<p>«Oui»</p>", f"<p>«{NBSP}Oui{NBSP}»</p>"),
    ("<p>Vraiment?</p>", "<p>Vraiment?</p>"),
    # Any kind of space becomes the right one, written as a reference or not.
    (f"<p>Oui{NBSP}! Non\u2009?</p>", f"<p>Oui{NNBSP}! Non{NNBSP}?</p>"),
    ("<p>«&nbsp;mot&#160;» mot&nbsp;!</p>", f"<p>«{NBSP}mot{NBSP}» mot{NNBSP}!</p>"),
    # Across inline markup, the space goes right before the sign.
    ("<p>Il a dit <em>non</em> !</p>", f"<p>Il a dit <em>non</em>{NNBSP}!</p>"),
    ("<p>«<em>Le Monde</em>»</p>", f"<p>«{NBSP}<em>Le Monde</em>{NBSP}»</p>"),
    ("<p>a <!-- note --> ; b</p>", f"<p>a<!-- note -->{NNBSP}; b</p>"),
    # Never across a block boundary, nor after nothing.
    ("<li>un</li>\n<li>? deux</li>", "<li>un</li>\n<li>? deux</li>"),
    ("<p>: début</p>", "<p>: début</p>"),
    # Entities other than spaces stay; they count as a character.
    ("<p>Tom &amp; Jerry ?</p>", f"<p>Tom &amp; Jerry{NNBSP}?</p>"),
]

UNTOUCHED = [
    # URLs in attributes and in text without spaces.
    '<a href="https://example.org/recherche/?q=a:b&amp;x=1">lien</a>',
    "<p>10:30, https://example.org/?q=1 et C:\\dossier</p>",
    # Attributes, whatever they say.
    '<a title="Vraiment ? Oui : « non »" data-x="a ; b">x</a>',
    '<img alt="Koursk : carte ?" src="/a.png">',
    # Code, preformatted text, scripts and styles.
    "<p><code>a ? b : c ;</code></p>",
    "<pre>x = « y » ; z !</pre>",
    "<script>var a = b ? c : d; // « »</script>",
    "<style>a:hover { content: ' ; ' }</style>",
    "<textarea>a ; b</textarea>",
    # Text in another language.
    '<p lang="en">Who is it ? Me !</p>',
    '<p><span lang="en">Really ?</span></p>',
]


@pytest.mark.parametrize(("written", "shown"), CASES)
def test_french_spaces_in_text(written, shown):
    assert french_typography(written) == shown


@pytest.mark.parametrize("written", UNTOUCHED)
def test_markup_code_and_other_languages_are_left_alone(written):
    assert french_typography(written) == written


def test_text_around_code_is_french_and_code_is_not():
    assert (
        french_typography("<p>Tapez <code>ls ; pwd</code> ; puis « <kbd>q</kbd> ».</p>")
        == f"<p>Tapez <code>ls ; pwd</code>{NNBSP}; puis «{NBSP}<kbd>q</kbd>{NBSP}».</p>"
    )


def test_french_inside_an_english_element_is_french_again():
    assert (
        french_typography('<div lang="en">Why ? <p lang="fr">Pourquoi ?</p> Why ?</div>')
        == f'<div lang="en">Why ? <p lang="fr">Pourquoi{NNBSP}?</p> Why ?</div>'
    )


def test_an_english_page_is_left_alone():
    page = '<!DOCTYPE html><html lang="en"><body><p>Why ? « Quote »</p></body></html>'
    assert french_typography(page) == page


@pytest.mark.parametrize("written", [written for written, _shown in CASES] + UNTOUCHED)
def test_applying_it_twice_changes_nothing_more(written):
    once = french_typography(written)
    assert french_typography(once) == once


def test_a_script_holding_an_end_tag_lookalike_stays_whole():
    page = "<script>if (a < b) { x = '<!--' }</script><p>Oui ?</p><!-- c ? -->"
    assert french_typography(page) == (
        f"<script>if (a < b) {{ x = '<!--' }}</script><p>Oui{NNBSP}?</p><!-- c ? -->"
    )


def test_the_first_of_the_month_is_1er_in_french_only():
    first = timezone.make_aware(datetime(2026, 12, 1, 9, 5))
    second = timezone.make_aware(datetime(2026, 12, 2, 9, 5))
    with translation.override("fr"):
        assert long_date(first) == "1er décembre 2026"
        assert long_date(first, "DATETIME_FORMAT") == "1er décembre 2026 09:05"
        assert long_date(second) == "2 décembre 2026"
    with translation.override("en"):
        assert "1er" not in long_date(first)
        assert long_date(first) == "Dec. 1, 2026"


def text_of(element):
    return "".join(element.itertext())


def parse(response):
    return html5lib.parse(response.content, namespaceHTMLElements=False)


@pytest.fixture
def story(db):
    return ArticleFactory(
        title_fr="Koursk : la ligne tient-elle ?",
        standfirst_fr="« Nous tenons » ; la suite !",
        body_fr=(
            '<p>Voir <a href="https://example.org/carte?zone=nord:est">la carte</a> : '
            "elle parle.</p>"
        ),
        title_en="Kursk: is the line holding?",
        standfirst_en="Is it ? Really ?",
        body_en="<p>The line : holds.</p>",
        english=True,
        published_at=timezone.make_aware(datetime(2026, 11, 1, 8, 30)),
        tags=[TagFactory(name_fr="Ukraine : front", name_en="Ukraine front")],
    )


def test_a_french_story_page_is_set_in_french_typography(client, story):
    # (Story bodies have no code: the editor's allow-list has none; see the cases above.)
    page = parse(client.get(story.get_absolute_url()))

    assert text_of(page.find(".//h1")) == f"Koursk{NBSP}: la ligne tient-elle{NNBSP}?"
    assert text_of(page.find(".//title")).startswith(f"Koursk{NBSP}: la ligne tient-elle{NNBSP}?")
    assert text_of(page.find(".//p[@class='standfirst']")) == (
        f"«{NBSP}Nous tenons{NBSP}»{NNBSP}; la suite{NNBSP}!"
    )
    body = page.find(".//div[@class='story-body']")
    assert text_of(body.find("p")) == f"Voir la carte{NBSP}: elle parle."
    assert body.find(".//a").get("href") == "https://example.org/carte?zone=nord:est"
    assert text_of(page.find(".//ul[@class='tags']//a")) == f"Ukraine{NBSP}: front"
    assert text_of(page.find(".//time")).startswith("1er novembre 2026")


def test_the_english_story_page_is_left_as_written(client, story):
    with translation.override("en"):
        url = story.get_absolute_url()
    page = parse(client.get(url))

    assert text_of(page.find(".//h1")) == "Kursk: is the line holding?"
    assert text_of(page.find(".//p[@class='standfirst']")) == "Is it ? Really ?"
    assert text_of(page.find(".//div[@class='story-body']")) == "The line : holds."
    assert "1er" not in text_of(page.find(".//time"))


def test_the_admin_shows_what_is_stored(admin_client, story):
    response = admin_client.get(f"/fr/admin/articles/article/{story.pk}/change/")
    page = parse(response)
    assert page.find(".//input[@name='title_fr']").get("value") == "Koursk : la ligne tient-elle ?"
    # Its own texts too: Django's admin is not the public site.
    assert NNBSP not in response.content.decode()


def test_typography_runs_no_query(client, story, django_assert_num_queries):
    page = client.get(story.get_absolute_url()).content.decode()
    with django_assert_num_queries(0):
        french_typography(page)


def test_a_cached_page_is_kept_with_its_typography(client, story, settings):
    settings.PAGE_CACHE_SECONDS = 60
    first = client.get(story.get_absolute_url())
    second = client.get(story.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert f"Koursk{NBSP}:" in text_of(parse(second).find(".//h1"))


def test_the_bad_request_page_is_in_french_type_too(client, db):
    # Answered by the request edge, before the rest of the site's middleware.
    response = client.get("/fr/?after=%00")
    assert response.status_code == 400
    paragraph = parse(response).find(".//main/p")
    assert f"réponse{NBSP}: elle contient" in text_of(paragraph)
