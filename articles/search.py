"""Searching stories: words of their headlines, standfirsts and bodies, in every language.

Each story keeps the words of its six texts (title, standfirst and body in French and
English) in a column the database computes itself (``Article.search_words``, a stored
generated column), indexed by GIN (``article_search_idx``). A search finds the stories
having, for each word typed, a word that starts like it, whatever the accents and case:
"koursk", "Kours" and "région kou" all find a story about "la région de Koursk".

Why a stored column and not only an expression index: PostgreSQL checks stories one by
one when it walks the list in its order or the table (the plans for common words, and for
counting them), and making a story's words again from its text costs about half a
millisecond, several hundred times more than reading them; the planner does not know that.
The words are kept in the row rather than in the TOAST table, for the same reason
(migration 0010).

The words are made with the ``simple`` configuration (no stemming, no stop words: the
newsroom writes in two languages), HTML tags left out by PostgreSQL's parser, then
their accents folded by ``translate()`` on the list of words (shorter than the text),
which needs no extension (the embedded server has neither ``unaccent`` nor ``pg_trgm``).
Positions are dropped (``strip``): the list is ordered by date, not by relevance.
The typed words are folded the same way in Python (``fold``), with the same table.
"""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.db.models import Func, TextField, Value
from django.db.models.functions import Cast
from modeltranslation.utils import build_localized_fieldname

# The story fields searched, in each language.
SEARCHED_FIELDS = ("title", "standfirst", "body")
# Letters that lose their accent, lower and upper case (upper case too: the embedded
# server's C locale lower-cases ASCII letters only).
_ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuyy"
# Letters written as two.
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}
FOLD = str.maketrans({**dict(zip(_ACCENTED, _PLAIN, strict=True)), **_LIGATURES})
# More words than this in a search are left out: no one types them, and each costs.
MAX_WORDS = 8
MAX_WORD_LENGTH = 60
_WORD = re.compile(r"[^\W_]+")


def searched_columns():
    return [
        build_localized_fieldname(field, code)
        for code, _name in settings.LANGUAGES
        for field in SEARCHED_FIELDS
    ]


def story_words():
    """The expression of ``Article.search_words``: the folded words of the searched columns."""
    words = Cast(
        Func(SearchVector(*searched_columns(), config="simple"), function="strip"), TextField()
    )
    folded = Func(words, Value(_ACCENTED), Value(_PLAIN), function="translate")
    for letters, plain in _LIGATURES.items():
        folded = Func(folded, Value(letters), Value(plain), function="replace")
    return Cast(folded, SearchVectorField())


def fold(text):
    """Lower case without accents, as the database folds a story's words."""
    return text.lower().translate(FOLD)


def words(text):
    """The words of a search, folded: "Région de Kou" -> ["region", "de", "kou"]."""
    found = [word[:MAX_WORD_LENGTH] for word in _WORD.findall(fold(text))]
    return list(dict.fromkeys(found))[:MAX_WORDS]


def search_query(text):
    """Each word of ``text`` as a prefix, all of them required; None without a word."""
    typed = words(text)
    if not typed:
        return None
    # Words are letters and digits only, so quoting them is all the escaping needed.
    return SearchQuery(
        " & ".join(f"'{word}':*" for word in typed), search_type="raw", config="simple"
    )


def search_stories(stories, text):
    """The stories of ``stories`` matching ``text`` (see search_query); none without a word."""
    query = search_query(text)
    if query is None:
        return stories.none()
    return stories.filter(search_words=query)
