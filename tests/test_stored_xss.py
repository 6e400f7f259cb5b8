"""Stored XSS: 200 known payloads in every text field, on every page that shows them.

Stories are written through the admin's add form (headline, standfirst and body in both
languages, and their lead picture); tags, pictures' alt texts, captions and credits,
corrections and authors' names hold payloads too. Each page is parsed as a browser
would (html5lib) and what could run is listed: scripts that are not data or the site's
own files, event-handler attributes, ``javascript:``/``data:`` addresses, frames,
objects, ``<base>``, refresh. A page may hold only what the same page holds for a story
without payloads, and nothing of what it holds may carry a payload. JSON-LD must stay
JSON that names the payload as text; feeds and sitemaps must stay well-formed XML.
tests/test_security_browser.py (the browser part) loads pages in Chromium and reads
the flag a payload that ran would set.
"""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import html5lib
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation
from lxml import etree

from articles.models import Article, Correction, Image, LanguageState, Tag
from tests.factories import ArticleFactory, ImageFactory, TagFactory, UserFactory
from tests.test_admin import admin_url, new_story_form
from tests.xss_payloads import PAYLOADS, TEMPLATE_RESULT

pytestmark = pytest.mark.django_db

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
    "srcset",
    "ping",
    "xlink:href",
}
ACTIVE_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
DATA_SCRIPTS = {"application/ld+json", "application/json"}
# Browsers drop ASCII whitespace and controls anywhere in a scheme ("java\tscript:").
_CONTROLS = re.compile(r"[\x00-\x20]+")
_DANGEROUS_URL = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)


def _local(name):
    return etree.QName(name).localname.lower() if name.startswith("{") else name.lower()


def _static(address):
    parts = urlsplit(address)
    return not parts.scheme and not parts.netloc and parts.path.startswith(settings.STATIC_URL)


def active_parts(html):
    """What in ``html`` could run: a list of short descriptions, in document order."""
    tree = html5lib.parse(html, treebuilder="lxml", namespaceHTMLElements=False)
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        name = _local(element.tag)
        for attribute, value in element.attrib.items():
            attribute = "xlink:href" if attribute.endswith("}href") else _local(attribute)
            dangerous_url = attribute in URL_ATTRIBUTES and _DANGEROUS_URL.match(
                _CONTROLS.sub("", value)
            )
            if attribute.startswith("on") or dangerous_url:
                found.append(f"<{name} {attribute}={value!r}>")
            elif attribute == "srcdoc":
                found.append(f"<{name} srcdoc>")
            elif attribute == "style" and re.search(r"expression\(|script:", value, re.I):
                found.append(f"<{name} style={value!r}>")
        if name in ACTIVE_ELEMENTS:
            found.append(f"<{name}>")
        elif name == "meta" and element.get("http-equiv", "").lower() == "refresh":
            found.append("<meta refresh>")
        elif name == "script":
            kind = (element.get("type") or "").strip().lower()
            if kind in DATA_SCRIPTS:
                json.loads(element.text or "")  # data that stays data
            elif element.get("src") and _static(element.get("src")):
                found.append(f"<script src={element.get('src')}>")
            else:
                found.append(f"<script>{element.text or ''}</script>")
    return found


def assert_inert(html, baseline, where):
    parts = active_parts(html)
    carrying = [part for part in parts if "xss" in part.lower()]
    assert not carrying, f"{where}: {carrying[:3]}"
    extra = sorted(set(parts) - set(baseline))
    assert not extra, f"{where}: {extra[:3]}"
    assert TEMPLATE_RESULT not in html, f"{where}: a payload was evaluated as a template"


def plain(text):
    """Text as a reader sees it: the French typography's no-break spaces as spaces."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def json_ld(html):
    tree = html5lib.parse(html, treebuilder="lxml", namespaceHTMLElements=False)
    blocks = tree.findall(".//script[@type='application/ld+json']")
    return [json.loads(block.text) for block in blocks]


def payload(index):
    return PAYLOADS[index % len(PAYLOADS)]


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def benign_story(staff):
    picture = ImageFactory()
    story = ArticleFactory(
        english=True, lead_image=picture, authors=[UserFactory()], tags=[TagFactory()]
    )
    Correction.objects.create(story=story, language="fr", text="Une date corrigée.", by=staff)
    return story


def fit(model, field, text):
    """``text`` cut to what ``model.field`` holds."""
    limit = model._meta.get_field(field).max_length
    return text[:limit] if limit else text


def write_hostile_stories(client, staff, payloads):
    """One story per payload, written in the admin's add form, each field holding another.

    The story's pictures, tag, corrections and author hold payloads too; then all are
    published in both languages, newest first in the order written.
    """

    def at(index):
        return payloads[index % len(payloads)]

    stories = []
    for index in range(len(payloads)):
        picture = ImageFactory(
            dimensions=(480, 240),  # one rendition: quick to make
            title=fit(Image, "title", at(index + 11)),
            alt_text_fr=fit(Image, "alt_text_fr", at(index + 5)),
            alt_text_en=fit(Image, "alt_text_en", at(index + 6)),
            caption_fr=at(index + 7),
            caption_en=at(index + 8),
            credit=fit(Image, "credit", at(index + 9)),
        )
        data = new_story_form(
            title_fr=fit(Article, "title_fr", at(index)),
            slug_fr=f"attaque-{index}",
            standfirst_fr=at(index + 1),
            body_fr=f"<p>Texte {index}.</p><p>{at(index + 2)}</p>{at(index + 3)}",
            title_en=fit(Article, "title_en", at(index + 4)),
            slug_en=f"attack-{index}",
            standfirst_en=at(index + 3),
            body_en=f"<p>Text {index}.</p><p>{at(index + 1)}</p>{at(index + 2)}",
            lead_image=str(picture.pk),
            status=Article.Status.DRAFT,
        )
        response = client.post(admin_url("articles_article_add"), data)
        assert response.status_code == 302, (index, response.context["adminform"].errors)
        story = Article.objects.get(slug_fr=f"attaque-{index}")
        author = UserFactory(
            first_name=fit(User, "first_name", at(index + 10)), last_name=f"N{index}"
        )
        tag = TagFactory(
            name_fr=fit(Tag, "name_fr", f"{index} {at(index + 12)}"),
            name_en=fit(Tag, "name_en", f"{index} {at(index + 13)}"),
            description_fr=at(index + 14),
            description_en=at(index + 15),
        )
        story.authors.add(author)
        story.tags.add(tag)
        Correction.objects.create(story=story, language="fr", text=at(index + 16), by=staff)
        Correction.objects.create(story=story, language="en", text=at(index + 17), by=staff)
        stories.append(story)
    now = timezone.now()
    for index, story in enumerate(stories):
        story.status = Article.Status.PUBLISHED
        story.published_at = now - timedelta(minutes=1, seconds=index)
        story.state_en = LanguageState.READY  # the translator's "ready"
        story.save()
    return stories


@pytest.fixture
def hostile_stories(editor_client, staff):
    """Two hundred stories, each field holding another payload."""
    return write_hostile_stories(editor_client, staff, PAYLOADS)


def pages_of(story, language):
    with translation.override(language):
        return {
            "story": story.get_absolute_url(),
            "tag": story.tags.get().get_absolute_url(),
        }


def baseline_pages(client, benign_story):
    """The active parts of each page type for a story without payloads."""
    baseline = {}
    for language in ("fr", "en"):
        for kind, address in pages_of(benign_story, language).items():
            response = client.get(address)
            assert response.status_code == 200, address
            baseline[kind, language] = active_parts(response.content.decode())
        with translation.override(language):
            for kind in ("article-list", "tag-list", "search"):
                response = client.get(reverse(f"articles:{kind}"), {"q": "x"})
                baseline[kind, language] = active_parts(response.content.decode())
    return baseline


def test_two_hundred_distinct_payloads_try_every_kind_of_injection():
    assert len(set(PAYLOADS)) >= 200
    joined = "\n".join(PAYLOADS).lower()
    for kind in ["<script", "onerror=", "javascript:", "data:", "<svg", "<math", "</title>"]:
        assert kind in joined
    assert "{{" in joined
    assert "&#" in joined


def check_public_pages(client, baseline, hostile_stories):
    for story in hostile_stories:
        for language in ("fr", "en"):
            for kind, address in pages_of(story, language).items():
                response = client.get(address)
                assert response.status_code == 200, address
                html = response.content.decode()
                assert_inert(html, baseline[kind, language], address)
                if kind == "story":
                    # Shown as the text it is, in the page and in its JSON-LD.
                    headline = getattr(story, f"title_{language}")
                    assert plain(headline) in plain(html5lib_text(html, "h1"))
                    (document,) = [doc for doc in json_ld(html) if doc["@type"] == "NewsArticle"]
                    assert plain(document["headline"]) == plain(headline)


def html5lib_text(html, tag):
    tree = html5lib.parse(html, treebuilder="lxml", namespaceHTMLElements=False)
    return " ".join("".join(element.itertext()) for element in tree.iter(tag))


def check_lists_feeds_and_sitemaps(client, baseline, hostile_stories):
    shown = set()
    # Each round reads the newest stories, then takes them offline for the next round to
    # show the following ones: every story passes through the lists and the feeds.
    while Article.objects.published().exists():
        on_this_round = set()
        for language in ("fr", "en"):
            with translation.override(language):
                home = client.get(reverse("articles:article-list"))
                assert_inert(home.content.decode(), baseline["article-list", language], "home")
                on_this_round |= {story.pk for story in home.context["object_list"]}
                for feed in ("articles:feed", "articles:feed-atom"):
                    response = client.get(reverse(feed))
                    assert response.status_code == 200
                    assert_feed_inert(response.content)
                news = client.get(reverse("sitemaps:news"))
                etree.fromstring(b"".join(news.streaming_content))
        shown |= on_this_round
        Article.objects.filter(pk__in=on_this_round).update(status=Article.Status.DRAFT)
    assert {story.pk for story in hostile_stories} <= shown


def assert_feed_inert(content):
    feed = etree.fromstring(content)  # well-formed XML whatever the payloads
    for element in feed.iter():
        if _local(element.tag) in ("description", "content", "summary", "encoded"):
            html = element.text or ""
            assert not active_parts(html), html[:200]


def check_search(client, baseline):
    for index in range(0, len(PAYLOADS), 7):
        for language in ("fr", "en"):
            with translation.override(language):
                address = reverse("articles:search")
            response = client.get(address, {"q": payload(index)})
            assert response.status_code == 200
            assert_inert(response.content.decode(), baseline["search", language], address)


def check_admin(editor_client, benign_story, hostile_stories):
    change = editor_client.get(admin_url("articles_article_change", benign_story.pk))
    story_baseline = active_parts(change.content.decode())
    listing = editor_client.get(admin_url("articles_article_changelist"))
    list_baseline = active_parts(listing.content.decode())
    for story in hostile_stories:
        response = editor_client.get(admin_url("articles_article_change", story.pk))
        assert response.status_code == 200
        assert_inert(response.content.decode(), story_baseline, f"admin change {story.pk}")
    for index in range(0, len(PAYLOADS), 10):
        response = editor_client.get(
            admin_url("articles_article_changelist"), {"q": payload(index)}
        )
        assert response.status_code == 200
        assert_inert(response.content.decode(), list_baseline, "admin list search")


def test_no_payload_runs_on_any_page(editor_client, benign_story, hostile_stories):
    # One test: writing the two hundred stories through the admin is the slow part.
    check_admin(editor_client, benign_story, hostile_stories)
    editor_client.logout()
    baseline = baseline_pages(editor_client, benign_story)
    check_public_pages(editor_client, baseline, hostile_stories)
    check_search(editor_client, baseline)
    # Last: it takes the stories offline round by round.
    check_lists_feeds_and_sitemaps(editor_client, baseline, hostile_stories)
