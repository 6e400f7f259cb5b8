"""A story's tags on its card and its page (articles/templatetags/tag_links.py)."""

import re

import pytest

from tests.factories import ArticleFactory, TagFactory
from tests.test_views import url_in

pytestmark = pytest.mark.django_db

TAG_LINK = re.compile(r'<li><a href="([^"]*)" rel="tag"( lang="[^"]*")?>([^<]*)</a></li>')


def tag_links(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return TAG_LINK.findall(response.content.decode())


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            [("/fr/etiquettes/climat/", "", "Climat"), ("/fr/etiquettes/seisme/", "", "Séisme")],
        ),
        (
            "en",
            [
                ("/en/tags/climate/", "", "Climate"),
                # Not translated yet: the French name, said to be French.
                ("/en/tags/seisme/", ' lang="fr"', "Séisme"),
            ],
        ),
    ],
)
def test_each_card_links_its_tags_in_order_in_the_pages_language(client, language, expected):
    climate = TagFactory(name_fr="Climat", name_en="Climate")
    quake = TagFactory(name_fr="Séisme", name_en="")
    ArticleFactory.create_batch(3, tags=[climate, quake], english=True)
    links = tag_links(client, url_in(language, "articles:article-list"))
    # The same two tags on every card, each card its own list.
    assert links == expected * 3


def test_a_page_in_one_language_then_the_other_links_each_in_its_own(client):
    climate = TagFactory(name_fr="Climat", name_en="Climate")
    story = ArticleFactory(tags=[climate], english=True)
    assert tag_links(client, story.url_for("fr")) == [("/fr/etiquettes/climat/", "", "Climat")]
    assert tag_links(client, story.url_for("en")) == [("/en/tags/climate/", "", "Climate")]


def test_a_tags_name_is_escaped(client):
    tag = TagFactory(name_fr="<b>R&D</b>", name_en="R&D")
    ArticleFactory(tags=[tag])
    content = client.get(url_in("fr", "articles:article-list")).content.decode()
    assert 'rel="tag">&lt;b&gt;R&amp;D&lt;/b&gt;</a>' in content
    assert "<b>R&D</b>" not in content
