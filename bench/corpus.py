"""A deterministic corpus of stories, tags and journalists for benchmarks (``generate_corpus``).

Tooling beside the benchmark, not part of the product: the ``generate_corpus`` management
command (articles/management) is its command line.

The same arguments always give the same rows: every random choice comes from
generators seeded with the seed, and publication times are spread over the
fifteen years before a fixed date, not before now. The text is made of
French-looking and English-looking words drawn from pools built once per run
(paragraphs, standfirsts, tag names); tag popularity follows Zipf's law.

Rows are streamed into PostgreSQL with ``COPY``, one table after the other,
inside one transaction: an interrupted run leaves nothing behind. Ids are
reserved from the tables' sequences beforehand, so the links between stories,
tags and authors are written with the stories. The triggers that keep tag
links' publication times and tags' story counts (migration 0004) are switched
off for the load, and their values are written directly instead; the written
tables' indexes and constraints are dropped and rebuilt (see ``_bulk_load``).

What belongs to the corpus, so that a new run can replace it and leave every
other row alone:

- stories whose ``import_source`` is ``corpus:<number>``;
- journalists whose username starts with ``corpus-journalist-``;
- tags in the block of ids the run reserved. Tags have no field to mark them, so
  the run records its arguments and that block in a comment on the tag table
  (``COMMENT ON TABLE``), e.g. ``newsroom corpus: articles=1000 tags=50 seed=0
  tag-ids=1-50``. The comment is believed only while corpus stories exist: a
  database emptied by other means (a test flush) leaves a stale comment, which
  is then ignored rather than allowed to name tags created since.

A run with the arguments the comment records, finding that many corpus
stories, tags and journalists, writes nothing.
"""

import html
import io
import itertools
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.db import connection, transaction

from articles import cache as page_cache
from articles.models import (
    SLUG_MAX_LENGTH,
    Article,
    Image,
    LanguageState,
    Tag,
    TagPair,
    ascii_slug,
)

# Fixed, so that a run next year writes the same rows as one today.
END = datetime(2026, 11, 1, tzinfo=UTC)
START = END.replace(year=END.year - 15)

MIN_TAGS = 8  # a story has up to eight distinct tags
MAX_TAGS = 1_000_000
TAGS_PER_STORY = (3, 8)
ZIPF_EXPONENT = 1.05
PUBLISHED_SHARE = 0.98  # the rest: half in review, half drafts
TRANSLATED_SHARE = 0.6
IN_PROGRESS_EVERY = 25  # one story in so many has its translation still being written
TRANSLATED_TAG_SHARE = 0.9
AUTHOR_COUNTS = ((1, 0.70), (2, 0.22), (3, 0.08))
PARAGRAPHS_PER_BODY = (4, 5)
WORDS_PER_PARAGRAPH = (50, 80)
POOL_SIZE = 2048
NAMES_PER_LANGUAGE = 1000
NAME_SHARE = 0.06  # of the words in a text, made-up proper names
FUNCTION_WORDS = 40  # the first words of each list, left out of titles

# Lead images: a few pictures of the library, on three stories in four (as on a news site's
# front page), so that the benchmarked cards and story pages show them.
PICTURES = 4
PICTURE_SIZE = (1600, 900)
PICTURE_TITLE_PREFIX = "corpus picture "

SOURCE_PREFIX = "corpus:"
USERNAME_PREFIX = "corpus-journalist-"
MARKER_PREFIX = "newsroom corpus:"
_MARKER = re.compile(
    r"newsroom corpus: articles=(?P<articles>\d+) tags=(?P<tags>\d+) seed=(?P<seed>-?\d+) "
    r"tag-ids=(?P<first>\d+)-(?P<last>\d+)$"
)

ARTICLE_COLUMNS = (
    "id",
    "title",
    "title_fr",
    "title_en",
    "slug",
    "slug_fr",
    "slug_en",
    "standfirst",
    "standfirst_fr",
    "standfirst_en",
    "body",
    "body_fr",
    "body_en",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "import_source",
    "source_language",
    "state_fr",
    "state_en",
    "status_changed_at",
    "lead_image_id",
)
LINK_COLUMNS = ("id", "content_object_id", "tag_id", "published_at")
AUTHOR_COLUMNS = ("id", "article_id", "user_id")
TAG_COLUMNS = (
    "id",
    "name",
    "name_fr",
    "name_en",
    "slug",
    "slug_fr",
    "slug_en",
    "story_count_fr",
    "story_count_en",
)


def _words(text):
    return text.split()


# Common words come first: word frequencies follow Zipf's law over these lists,
# then over made-up proper names.
FRENCH_WORDS = _words("""
de la le les et des à en du un une pour sur dans que qui au par est a plus ne pas avec ce
cette il elle ils sont ont été selon après avant entre depuis contre leur sans mais aussi
encore déjà très tous où lors deux trois première nouveau nouvelle ans jours mois semaine
gouvernement ministre ville région conseil projet élection président accord loi budget
réforme santé école entreprise marché prix emploi travail grève syndicat police justice
tribunal procès enquête incendie tempête climat énergie électricité transport train route
port frontière armée paix négociations sommet député sénateur maire habitants quartier
association festival musée théâtre concert match équipe saison championnat victoire défaite
hôpital médecins patients vaccin université étudiants recherche chercheurs données rapport
chiffres hausse baisse croissance dette impôts salaires retraite logement loyers agriculteurs
récolte sécheresse inondations forêt eau pêche océan pollution déchets usine emplois
commune département préfet État pays monde Europe république manifestation opposition
majorité vote scrutin candidat campagne débat parlement assemblée commission décision
annonce mesure plan aide crise sécurité victimes témoins avocat juge condamnation peine
appel affaire dossier question réponse public privé national local international économie
société culture histoire mémoire guerre conflit attaque soldats civils réfugiés accueil
famille enfants parents jeunes femmes hommes vie travailleurs salariés direction conditions
l’État l’Europe d’abord l’année l’été l’hiver d’après aujourd’hui quelques plusieurs
""")

ENGLISH_WORDS = _words("""
the of and to in a for on is that with by at as from was said has have it its be are were
after before between since against their without but also still already very all where
during two three first new years days months week government minister city region council
project election president agreement law budget reform health school company market prices
jobs work strike union police justice court trial inquiry fire storm climate energy power
transport train road port border army peace talks summit member senator mayor residents
neighbourhood association festival museum theatre concert match team season league victory
defeat hospital doctors patients vaccine university students research researchers data
report figures rise fall growth debt taxes wages pension housing rents farmers harvest
drought floods forest water fishing ocean pollution waste factory town county prefect state
country world Europe republic protest opposition majority vote ballot candidate campaign
debate parliament assembly commission decision announcement measure plan aid crisis
security victims witnesses lawyer judge conviction sentence appeal case file question answer
public private national local international economy society culture history memory war
conflict attack soldiers civilians refugees welcome family children parents young women men
life workers employees management conditions today several some officials spokesman
""")

FRENCH_FIRST_NAMES = _words("""
Camille Léa Manon Chloé Inès Sarah Jeanne Louise Alice Juliette Claire Hélène Sophie Nadia
Amina Élodie Mathilde Lucie Thomas Lucas Hugo Louis Jules Arthur Nathan Karim Mehdi Julien
Antoine Nicolas Pierre Étienne Olivier Sébastien François Benoît Yann Loïc Rémi Théo
""")

FRENCH_LAST_NAMES = _words("""
Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre
Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert
Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel
Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Benali
Haddad Nguyen Diallo Traoré Kowalski Lemoine Kerjean
""")

# The most used tags are real topics; the long tail is made-up places and affairs.
TOPICS = (
    ("Politique", "Politics"),
    ("Économie", "Economy"),
    ("Santé", "Health"),
    ("Climat", "Climate"),
    ("Éducation", "Education"),
    ("Sport", "Sports"),
    ("Culture", "Arts and culture"),
    ("Justice", "Courts"),
    ("Élections", "Elections"),
    ("Agriculture", "Farming"),
    ("Énergie", "Energy"),
    ("Logement", "Housing"),
    ("Transports", "Transport"),
    ("Sécurité", "Security"),
    ("Défense", "Defence"),
    ("Diplomatie", "Diplomacy"),
    ("Environnement", "Environment"),
    ("Numérique", "Technology"),
    ("Emploi", "Jobs"),
    ("Retraites", "Pensions"),
    ("Budget de l’État", "State budget"),
    ("Guerre en Ukraine", "War in Ukraine"),
    ("Union européenne", "European Union"),
    ("États-Unis", "United States"),
    ("Russie", "Russia"),
    ("Chine", "China"),
    ("Allemagne", "Germany"),
    ("Royaume-Uni", "United Kingdom"),
    ("Afrique", "Africa"),
    ("Moyen-Orient", "Middle East"),
    ("Faits divers", "Crime"),
    ("Météo", "Weather"),
    ("Recherche", "Science"),
    ("Migrations", "Migration"),
    ("Police", "Policing"),
    ("Cinéma", "Film"),
    ("Musique", "Music"),
    ("Littérature", "Books"),
    ("Football", "Soccer"),
    ("Tourisme", "Tourism"),
    ("Médias", "Media"),
    ("Religions", "Faith"),
    ("Prix", "Prices"),
    ("Syndicats", "Trade unions"),
    ("Catastrophes naturelles", "Natural disasters"),
    ("Intelligence artificielle", "Artificial intelligence"),
    ("Espace", "Space"),
)

# (French, English) tag patterns around a made-up proper name.
TAG_PATTERNS = (
    ("Affaire {}", "{} affair"),
    ("Région de {}", "{} region"),
    ("Festival de {}", "{} festival"),
    ("Procès {}", "{} trial"),
    ("Port de {}", "Port of {}"),
    ("Élections à {}", "{} elections"),
    ("Université de {}", "University of {}"),
    ("Accord de {}", "{} agreement"),
    ("Sommet de {}", "{} summit"),
    ("Mairie de {}", "{} city hall"),
    ("Incendie de {}", "{} fire"),
    ("Grève à {}", "{} strike"),
    ("Usine de {}", "{} factory"),
    ("Musée de {}", "{} museum"),
    ("Tribunal de {}", "{} court"),
    ("Club de {}", "{} club"),
    ("Lycée {}", "{} high school"),
    ("Barrage de {}", "{} dam"),
    ("Aéroport de {}", "{} airport"),
    ("Hôpital de {}", "{} hospital"),
    # Untranslated tags only: a place name reads the same in both languages.
    ("{}", None),
)

_ONSETS = _words("b br c ch cl d f fl g gr j l m n p pl pr r s t tr v")
_VOWELS = _words("a a e é è i o ou u au ai eu â ô")
_ENDINGS = _words("ac ard as ay ville court mont gny lès on ot ière ier eux ine elle et oux an in")
_ENGLISH_ONSETS = _words("b bl br c d f g h k l m n p r s sh st t th w")
_ENGLISH_VOWELS = _words("a e i o u ea oo")
_ENGLISH_ENDINGS = _words("ford wick ton ham bury field ley worth ridge stead by mouth")


class CorpusError(Exception):
    """The arguments cannot make a corpus, or the database cannot take one."""


@dataclass(frozen=True)
class CorpusResult:
    """What a run did (or, with ``dry_run``, would do)."""

    articles: int
    tags: int
    seed: int
    unchanged: bool = False
    replaced: bool = False
    links: int = 0
    author_links: int = 0
    journalists: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Story:
    """The parts of a story that its links need; the text is drawn separately."""

    number: int
    id: int
    status: str
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    translated: bool
    tags: list
    authors: list

    @property
    def english_state(self):
        """Most translations are ready; one in IN_PROGRESS_EVERY is still being written."""
        if not self.translated:
            return LanguageState.MISSING.value
        if self.number % IN_PROGRESS_EVERY == 0:
            return LanguageState.IN_PROGRESS.value
        return LanguageState.READY.value


def default_tag_count(articles):
    return max(50, articles // 25)


def journalist_count(articles):
    return max(10, articles // 5000)


def check_arguments(articles, tags):
    if articles < 1:
        raise CorpusError(f"--articles must be at least 1 (got {articles}).")
    if tags < MIN_TAGS:
        raise CorpusError(
            f"--tags must be at least {MIN_TAGS}, as a story has up to {MIN_TAGS} tags "
            f"(got {tags})."
        )
    if tags > MAX_TAGS:
        raise CorpusError(f"--tags must be at most {MAX_TAGS} (got {tags}).")


def generate_corpus(articles, tags=None, seed=0, *, dry_run=False, log=None):
    """Make the database hold the corpus of ``articles`` stories and ``tags`` tags for ``seed``.

    Leaves an identical corpus as it is; replaces a different one; never touches
    other stories, tags or users. ``log`` receives progress messages.
    """
    tags = default_tag_count(articles) if tags is None else tags
    check_arguments(articles, tags)
    started = time.monotonic()

    def say(message):
        if log:
            log(f"[{time.monotonic() - started:6.1f} s] {message}")

    result = {"articles": articles, "tags": tags, "seed": seed}
    with transaction.atomic(), connection.cursor() as cursor:
        _check_tag_table_comment(cursor)
        previous = _previous_corpus(cursor)
        if previous and previous["arguments"] == (articles, tags, seed) and _complete(previous):
            return CorpusResult(**result, unchanged=True)
        if dry_run:
            return CorpusResult(**result, replaced=previous is not None)
        _lock(cursor)
        other_tags = []
        with _bulk_load(cursor, say):
            if previous:
                say(f"removing the previous corpus ({previous['stories']} stories)")
                other_tags = _remove(cursor, previous)
                say("removed")
            counts = _Writer(cursor, articles, tags, seed, say).write()
        # Tags outside the corpus that corpus stories were given by hand lost links.
        Tag.objects.filter(pk__in=other_tags).refresh_story_counts()
        # The triggers keeping the pairs of tags were off too.
        say("counting the pairs of tags")
        TagPair.objects.rebuild()
        _forget_pages(previous, other_tags)
        say("committing")
    say("vacuuming and analyzing")
    _analyze()
    say("done")
    return CorpusResult(
        **result,
        replaced=previous is not None,
        seconds=time.monotonic() - started,
        **counts,
    )


def _previous_corpus(cursor):
    """What the database holds of a corpus, or None when it holds none."""
    cursor.execute(
        "SELECT count(*) FROM articles_article WHERE import_source LIKE %s", [SOURCE_PREFIX + "%"]
    )
    stories = cursor.fetchone()[0]
    journalists = get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).count()
    if not stories and not journalists:
        return None
    previous = {"stories": stories, "journalists": journalists, "arguments": None}
    marker = _read_marker(cursor) if stories else None
    if marker:
        previous["arguments"] = (marker["articles"], marker["tags"], marker["seed"])
        previous["tag_ids"] = (marker["first"], marker["last"])
        previous["tags"] = Tag.objects.filter(pk__range=previous["tag_ids"]).count()
    return previous


def _complete(previous):
    articles, tags, _seed = previous["arguments"]
    return (
        previous["stories"] == articles
        and previous["tags"] == tags
        and previous["journalists"] == journalist_count(articles)
    )


def _tag_table_comment(cursor):
    cursor.execute("SELECT obj_description('articles_tag'::regclass, 'pg_class')")
    return cursor.fetchone()[0] or ""


def _check_tag_table_comment(cursor):
    """The marker replaces the tag table's comment: refuse to overwrite someone else's."""
    comment = _tag_table_comment(cursor)
    if comment and not comment.startswith(MARKER_PREFIX):
        raise CorpusError(
            f"The table articles_tag has a comment that is not the corpus marker: {comment!r}."
        )


def _read_marker(cursor):
    match = _MARKER.match(_tag_table_comment(cursor))
    return {key: int(value) for key, value in match.groupdict().items()} if match else None


def _write_marker(cursor, articles, tags, seed, first_tag, last_tag):
    marker = (
        f"{MARKER_PREFIX} articles={articles} tags={tags} seed={seed} "
        f"tag-ids={first_tag}-{last_tag}"
    )
    # COMMENT takes no parameters: quote the marker (digits and fixed words) as a literal.
    cursor.execute("SELECT format('COMMENT ON TABLE articles_tag IS %%L', %s::text)", [marker])
    cursor.execute(cursor.fetchone()[0])


def _lock(cursor):
    """Keep other writers out, so that the ids reserved from the sequences stay ours."""
    cursor.execute(
        "LOCK TABLE articles_article, articles_tag, articles_taggedarticle, "
        "articles_article_authors IN SHARE ROW EXCLUSIVE MODE"
    )


BULK_TABLES = ("articles_article", "articles_taggedarticle", "articles_article_authors")


class _bulk_load:
    """The written tables' triggers, constraints and indexes off while loading.

    The tag-link triggers of migration 0004 would update a tag row per link:
    the load writes their values itself. Building an index over the finished
    table is one sort, far faster than inserting millions of rows into a dozen
    indexes one by one (and writing each index page to the WAL again after
    every checkpoint), and a foreign key added back is checked by one join
    instead of once per row. Primary keys stay, filled in order. Definitions
    are read from the catalog, so the schema comes back exactly as the
    migrations made it, and unique constraints are checked when they come back.
    While loading, the tables are locked against readers too.
    """

    def __init__(self, cursor, say):
        self.cursor = cursor
        self.say = say

    def __enter__(self):
        # A table with foreign key checks still pending cannot be altered: run them now.
        connection.check_constraints()
        self.constraints, self.indexes = [], []
        for table in BULK_TABLES:
            # Foreign keys first: they are dropped first and added back last.
            self.cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype IN ('f', 'u') AND conrelid = %s::regclass "
                "ORDER BY contype, conname",
                [table],
            )
            self.constraints += [(table, *row) for row in self.cursor.fetchall()]
            self.cursor.execute(
                """
                SELECT c.relname, pg_get_indexdef(i.indexrelid)
                  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                 WHERE i.indrelid = %s::regclass AND NOT EXISTS (
                       SELECT FROM pg_constraint k
                        WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
                 ORDER BY c.relname
                """,
                [table],
            )
            self.indexes += self.cursor.fetchall()
        self.constraints.sort(key=lambda constraint: not constraint[2].startswith("FOREIGN"))
        quote = connection.ops.quote_name
        for table, name, _definition in self.constraints:
            self.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in self.indexes:
            self.cursor.execute(f"DROP INDEX {quote(name)}")
        self.cursor.execute("ALTER TABLE articles_taggedarticle DISABLE TRIGGER USER")

    def __exit__(self, error_type, error, traceback):
        # After an error the transaction is rolled back, and every change here with it.
        if error_type is not None:
            return
        connection.check_constraints()
        self.cursor.execute("ALTER TABLE articles_taggedarticle ENABLE TRIGGER USER")
        self.say(f"rebuilding {len(self.indexes)} indexes and {len(self.constraints)} constraints")
        self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in self.indexes:
            self.cursor.execute(definition)
        quote = connection.ops.quote_name
        for table, name, definition in reversed(self.constraints):
            self.cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


def _remove(cursor, previous):
    """Delete the corpus stories, their links, the corpus tags and journalists.

    Returns the tags that remain and lost links while the triggers were off, so
    that their counts are recomputed: tags outside the corpus that corpus
    stories had been given by hand, and corpus tags kept because another story
    has been given them.
    """
    first_tag, last_tag = previous.get("tag_ids", (0, -1))
    pattern = SOURCE_PREFIX + "%"
    cursor.execute(
        """
        WITH gone AS (
            DELETE FROM articles_taggedarticle WHERE content_object_id IN (
                SELECT id FROM articles_article WHERE import_source LIKE %s
            )
            RETURNING tag_id
        )
        SELECT DISTINCT tag_id FROM gone WHERE tag_id NOT BETWEEN %s AND %s
        """,
        [pattern, first_tag, last_tag],
    )
    other_tags = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """
        DELETE FROM articles_article_authors WHERE article_id IN (
            SELECT id FROM articles_article WHERE import_source LIKE %s
        )
        """,
        [pattern],
    )
    cursor.execute("DELETE FROM articles_article WHERE import_source LIKE %s", [pattern])
    # A corpus tag that another story has since been given stays.
    cursor.execute(
        """
        DELETE FROM articles_tag t WHERE t.id BETWEEN %s AND %s
           AND NOT EXISTS (SELECT FROM articles_taggedarticle l WHERE l.tag_id = t.id)
        """,
        [first_tag, last_tag],
    )
    cursor.execute("SELECT id FROM articles_tag WHERE id BETWEEN %s AND %s", [first_tag, last_tag])
    other_tags += [row[0] for row in cursor.fetchall()]
    get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).delete()
    return other_tags


def _forget_pages(previous, other_tags):
    """Renew the cached pages that COPY and DELETE changed without sending signals.

    The lists of stories and the tag index change; so do the pages of the tags
    that were removed or lost links. New stories and tags have new ids, so no
    page of theirs is cached. Pages of removed stories are not renewed one by
    one (there may be a million); they expire with the page cache's timeout.
    """
    first_tag, last_tag = (previous or {}).get("tag_ids", (0, -1))
    tags = [*range(first_tag, last_tag + 1), *other_tags]
    page_cache.changed(
        page_cache.STORIES,
        page_cache.TAGS,
        *map(page_cache.tag_key, tags),
        *map(page_cache.tagged_key, tags),
    )
    page_cache.forget_schedule()


def _reserve_ids(cursor, table, count):
    """The first of ``count`` consecutive ids taken from ``table``'s sequence."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
    first = cursor.fetchone()[0]
    _set_sequence(cursor, table, first + count - 1)
    return first


def _set_sequence(cursor, table, last):
    cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, last])


def _analyze():
    """Tell the planner the new sizes, and settle the tables for benchmarks.

    VACUUM also clears a replaced corpus's dead rows and marks the pages
    all-visible (index-only scans need it), so that a benchmark does not depend
    on when autovacuum gets there. It cannot run inside a transaction (a test's).
    """
    tables = (
        "articles_article, articles_tag, articles_taggedarticle, articles_article_authors, "
        "articles_tagpair"
    )
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {tables}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")


def _zipf_cumulative(count, exponent):
    return list(itertools.accumulate(1 / rank**exponent for rank in range(1, count + 1)))


def _word_weights(common, names, exponent=1.0):
    """Cumulative weights: Zipf's law over the common words, then names sharing NAME_SHARE."""
    weights = _zipf_cumulative(common, exponent)
    name_weight = weights[-1] * NAME_SHARE / (1 - NAME_SHARE) / names
    return weights + [weights[-1] + name_weight * rank for rank in range(1, names + 1)]


class _Writer:
    """Streams one corpus into the database: journalists, stories, links, tags."""

    def __init__(self, cursor, articles, tags, seed, log):
        self.cursor = cursor
        self.articles = articles
        self.tag_count = tags
        self.seed = seed
        self.log = log
        self.tag_weights = _zipf_cumulative(tags, ZIPF_EXPONENT)
        self.tag_ranks = range(tags)

    def rng(self, purpose):
        return random.Random(f"corpus:{self.seed}:{purpose}")  # noqa: S311 (reproducible on purpose)

    def write(self):
        self.journalists = self.write_journalists()
        self.pictures = corpus_pictures()
        self.first_story = _reserve_ids(self.cursor, "articles_article", self.articles)
        self.first_tag = _reserve_ids(self.cursor, "articles_tag", self.tag_count)
        self.write_stories()
        links, counts = self.write_links()
        author_links = self.write_authors()
        self.write_tags(counts)
        _write_marker(
            self.cursor,
            self.articles,
            self.tag_count,
            self.seed,
            self.first_tag,
            self.first_tag + self.tag_count - 1,
        )
        return {
            "links": links,
            "author_links": author_links,
            "journalists": len(self.journalists),
        }

    def copy(self, table, columns, rows, what):
        written = 0
        # The Django cursor hands COPY to psycopg's cursor.
        with self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for written, row in enumerate(rows, start=1):
                copy.write_row(row)
                if written % 100_000 == 0:
                    self.log(f"{what}: {written}")
        self.log(f"{what}: {written} written")
        return written

    def write_journalists(self):
        rng = self.rng("journalists")
        User = get_user_model()
        users = []
        for number in range(1, journalist_count(self.articles) + 1):
            username = f"{USERNAME_PREFIX}{number:04d}"
            suffix = "".join(
                rng.choices(
                    "abcdefghijklmnopqrstuvwxyz0123456789", k=UNUSABLE_PASSWORD_SUFFIX_LENGTH
                )
            )
            users.append(
                User(
                    username=username,
                    first_name=rng.choice(FRENCH_FIRST_NAMES),
                    last_name=rng.choice(FRENCH_LAST_NAMES),
                    email=f"{username}@example.org",
                    # Unusable, as set_unusable_password() makes it, but reproducible.
                    password=UNUSABLE_PASSWORD_PREFIX + suffix,
                    date_joined=START,
                )
            )
        return [user.pk for user in User.objects.bulk_create(users)]

    def stories(self):
        """Each story's skeleton, the same on every call: statuses, times, tags, authors."""
        rng = self.rng("stories")
        span = (END - START).total_seconds()
        author_sizes, author_weights = zip(*AUTHOR_COUNTS, strict=True)
        journalists = self.journalists
        for number in range(1, self.articles + 1):
            # Spread evenly in publication order, at a random second within each slot.
            moment = START + timedelta(
                seconds=int(span * (number - 1 + rng.random()) / self.articles)
            )
            draw = rng.random()
            if draw < PUBLISHED_SHARE:
                status = Article.Status.PUBLISHED.value
            elif draw < (1 + PUBLISHED_SHARE) / 2:
                status = Article.Status.REVIEW.value
            else:
                status = Article.Status.DRAFT.value
            published = status == Article.Status.PUBLISHED
            created_at = moment - timedelta(seconds=rng.randrange(600, 3 * 86400))
            updated_at = min(END, moment + timedelta(seconds=rng.randrange(0, 6 * 3600)))
            yield _Story(
                number=number,
                id=self.first_story + number - 1,
                status=status,
                published_at=moment if published else None,
                created_at=created_at,
                updated_at=updated_at,
                translated=rng.random() < TRANSLATED_SHARE,
                tags=self.draw_tags(rng),
                authors=rng.sample(
                    journalists,
                    min(len(journalists), rng.choices(author_sizes, author_weights)[0]),
                ),
            )

    def draw_tags(self, rng):
        """Three to eight distinct tag ranks, popular ranks far more often."""
        wanted = rng.randint(*TAGS_PER_STORY)
        ranks = dict.fromkeys(rng.choices(self.tag_ranks, cum_weights=self.tag_weights, k=wanted))
        while len(ranks) < wanted:
            ranks.setdefault(rng.choices(self.tag_ranks, cum_weights=self.tag_weights)[0])
        return list(ranks)

    def write_stories(self):
        text = _Text(self.rng("text"))
        taken = _slugs_ending_in_digits(self.cursor)

        def rows():
            for story in self.stories():
                suffix = f"-{story.number}"
                title_fr = text.title("fr")
                slug_fr = _free_slug(title_fr, suffix, taken["fr"])
                standfirst_fr = text.standfirst("fr")
                body_fr = text.body("fr")
                if story.translated:
                    title_en = text.title("en")
                    slug_en = _free_slug(title_en, suffix, taken["en"])
                    standfirst_en = text.standfirst("en")
                    body_en = text.body("en")
                else:
                    title_en = slug_en = standfirst_en = body_en = None
                yield (
                    story.id,
                    title_fr,
                    title_fr,
                    title_en,
                    slug_fr,
                    slug_fr,
                    slug_en,
                    standfirst_fr,
                    standfirst_fr,
                    standfirst_en,
                    body_fr,
                    body_fr,
                    body_en,
                    story.status,
                    story.published_at,
                    story.created_at,
                    story.updated_at,
                    f"{SOURCE_PREFIX}{story.number}",
                    "fr",
                    LanguageState.SOURCE.value,
                    story.english_state,
                    # Waiting in the review queue since its last change.
                    story.updated_at if story.status == Article.Status.REVIEW else None,
                    self.pictures[story.number % PICTURES] if story.number % 4 else None,
                )

        self.copy("articles_article", ARTICLE_COLUMNS, rows(), "stories")

    def write_links(self):
        """The stories' tag links, with the publication time the triggers would copy.

        Also counts each tag's published stories per language, as the triggers would.
        """
        counts = {"fr": [0] * self.tag_count, "en": [0] * self.tag_count}
        first = _reserve_ids(self.cursor, "articles_taggedarticle", 1)
        link_ids = itertools.count(first)

        def rows():
            for story in self.stories():
                for rank in story.tags:
                    if story.published_at:
                        counts["fr"][rank] += 1
                        if story.english_state == LanguageState.READY:
                            counts["en"][rank] += 1
                    yield next(link_ids), story.id, self.first_tag + rank, story.published_at

        written = self.copy("articles_taggedarticle", LINK_COLUMNS, rows(), "tag links")
        _set_sequence(self.cursor, "articles_taggedarticle", first + written - 1)
        return written, counts

    def write_authors(self):
        first = _reserve_ids(self.cursor, "articles_article_authors", 1)
        ids = itertools.count(first)
        rows = ((next(ids), story.id, user) for story in self.stories() for user in story.authors)
        written = self.copy("articles_article_authors", AUTHOR_COLUMNS, rows, "author links")
        _set_sequence(self.cursor, "articles_article_authors", first + written - 1)
        return written

    def write_tags(self, counts):
        names = _tag_names(self.rng("tags"), self.tag_count, _taken_tag_keys(self.cursor))
        rows = (
            (
                self.first_tag + rank,
                name_fr,
                name_fr,
                name_en,
                slug_fr,
                slug_fr,
                slug_en,
                counts["fr"][rank],
                counts["en"][rank],
            )
            for rank, (name_fr, name_en, slug_fr, slug_en) in enumerate(names)
        )
        self.copy("articles_tag", TAG_COLUMNS, rows, "tags")


def corpus_pictures():
    """The ids of the corpus's pictures, made (renditions too) the first time.

    Plain colours, made with Pillow: nothing to download. Kept when a corpus is replaced.
    """
    from django.core.files.base import ContentFile
    from PIL import Image as PILImage

    ids = []
    for number in range(PICTURES):
        title = f"{PICTURE_TITLE_PREFIX}{number + 1}"
        image = Image.objects.filter(title=title).first()
        if image is None:
            buffer = io.BytesIO()
            colour = (40 + 50 * number, 90, 160 - 30 * number)
            PILImage.new("RGB", PICTURE_SIZE, colour).save(buffer, "JPEG", quality=80)
            image = Image(
                title=title,
                alt_text_fr=f"Image d’illustration numéro {number + 1}",
                alt_text_en=f"Illustration picture number {number + 1}",
                credit="La Rédaction / The Newsroom",
                licence="CC0 1.0",
            )
            image.file = ContentFile(buffer.getvalue(), name=f"corpus-{number + 1}.jpg")
            image.save()
        ids.append(image.pk)
    return ids


def _slugs_ending_in_digits(cursor):
    """The other stories' slugs that a corpus slug ("...-12") could meet."""
    cursor.execute(
        "SELECT slug_fr, slug_en FROM articles_article "
        "WHERE slug_fr ~ '-[0-9]+$' OR slug_en ~ '-[0-9]+$'"
    )
    rows = cursor.fetchall()
    return {"fr": {row[0] for row in rows}, "en": {row[1] for row in rows}}


def _free_slug(title, suffix, taken):
    """The title's slug ending in the story's number, unique without asking the database.

    The number makes corpus slugs unique among themselves; ``taken`` holds the
    other stories' slugs that end in a number.
    """
    base = ascii_slug(title, SLUG_MAX_LENGTH - len(suffix) - 4) or "sans-titre"
    slug, extra = base + suffix, 1
    while slug in taken:
        extra += 1
        slug = f"{base}{suffix}-{extra}"
    return slug


def _taken_tag_keys(cursor):
    """Upper-case names and slugs of the tags already there, per language."""
    cursor.execute("SELECT name_fr, name_en, slug_fr, slug_en FROM articles_tag")
    taken = {"name_fr": set(), "name_en": set(), "slug_fr": set(), "slug_en": set()}
    for name_fr, name_en, slug_fr, slug_en in cursor.fetchall():
        taken["name_fr"].add((name_fr or "").upper())
        taken["name_en"].add((name_en or "").upper())
        taken["slug_fr"].add(slug_fr)
        taken["slug_en"].add(slug_en)
    return taken


def _tag_names(rng, count, taken):
    """``count`` tags as (name_fr, name_en, slug_fr, slug_en), the most used first.

    Names are unique per language whatever their case and slugs unique per
    language, among themselves and against ``taken``. An untranslated tag has
    its French name in English too, as the importer creates tags.
    """
    names = []

    def accept(name_fr, name_en):
        slug_fr, slug_en = ascii_slug(name_fr), ascii_slug(name_en)
        keys = {
            "name_fr": name_fr.upper(),
            "name_en": name_en.upper(),
            "slug_fr": slug_fr,
            "slug_en": slug_en,
        }
        if not slug_fr or not slug_en or any(keys[key] in taken[key] for key in keys):
            return False
        for key, value in keys.items():
            taken[key].add(value)
        names.append((name_fr, name_en, slug_fr, slug_en))
        return True

    for name_fr, name_en in TOPICS[:count]:
        accept(name_fr, name_en)
    while len(names) < count:
        root = _place_name(rng)
        if rng.random() < TRANSLATED_TAG_SHARE:
            pattern_fr, pattern_en = rng.choice(TAG_PATTERNS[:-1])
            accept(_french(pattern_fr, root), pattern_en.format(root))
        else:
            name = _french(rng.choice(TAG_PATTERNS)[0], root)
            accept(name, name)
    return names


def _french(pattern, name):
    """The pattern filled in, with "de" elided before a vowel: "Port d’Aubrac"."""
    text = pattern.format(name)
    if name[0] in "AEIOUÉÈÂÔ" and pattern.endswith("de {}"):
        text = text[: -len(name) - 3] + "d’" + name
    return text


def _place_name(rng):
    syllables = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(1, 2)))
    if rng.random() < 0.2:
        syllables = rng.choice(_VOWELS) + syllables
    return (syllables + rng.choice(_ENDINGS)).capitalize()


def _english_name(rng):
    syllables = "".join(
        rng.choice(_ENGLISH_ONSETS) + rng.choice(_ENGLISH_VOWELS) for _ in range(rng.randint(1, 2))
    )
    return (syllables + rng.choice(_ENGLISH_ENDINGS)).capitalize()


class _Text:
    """Titles, standfirsts and bodies, drawn from pools built once.

    Bodies are HTML paragraphs of plain escaped words, which the body's
    sanitiser keeps unchanged.
    """

    def __init__(self, rng):
        self.rng = rng
        self.vocabulary, self.title_words = {}, {}
        for code, common, make_name in (
            ("fr", FRENCH_WORDS, _place_name),
            ("en", ENGLISH_WORDS, _english_name),
        ):
            names = [make_name(rng) for _ in range(NAMES_PER_LANGUAGE)]
            self.vocabulary[code] = (common + names, _word_weights(len(common), len(names)))
            # Titles skip the commonest words, mostly function words, and vary more.
            content = common[FUNCTION_WORDS:]
            weights = _word_weights(len(content), len(names), exponent=0.5)
            self.title_words[code] = (content + names, weights)
        self.paragraphs = {code: self.pool(code, self.paragraph) for code in self.vocabulary}
        self.standfirsts = {code: self.pool(code, self.one_standfirst) for code in self.vocabulary}

    def pool(self, code, make):
        return [make(code) for _ in range(POOL_SIZE)]

    def words(self, code, count):
        words, weights = self.vocabulary[code]
        return self.rng.choices(words, cum_weights=weights, k=count)

    def sentences(self, code, count):
        """``count`` words cut into sentences of six to eighteen words."""
        words = self.words(code, count)
        sentences, start = [], 0
        while start < count:
            end = min(count, start + self.rng.randint(6, 18))
            if count - end < 4:
                end = count
            sentence = " ".join(words[start:end])
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            start = end
        return " ".join(sentences)

    def paragraph(self, code):
        text = self.sentences(code, self.rng.randint(*WORDS_PER_PARAGRAPH))
        return f"<p>{html.escape(text, quote=False)}</p>"

    def one_standfirst(self, code):
        return self.sentences(code, self.rng.randint(15, 40))

    def title(self, code):
        words, weights = self.title_words[code]
        words = self.rng.choices(words, cum_weights=weights, k=self.rng.randint(5, 10))
        title = " ".join(words)
        return title[0].upper() + title[1:]

    def standfirst(self, code):
        return self.rng.choice(self.standfirsts[code])

    def body(self, code):
        return "".join(self.rng.sample(self.paragraphs[code], self.rng.choice(PARAGRAPHS_PER_BODY)))
