"""French typography on the French public pages, and "1er" in French dates.

The spaces follow the *Lexique des règles typographiques en usage à l'Imprimerie
nationale*: a narrow no-break space (U+202F, "espace fine insécable") before ``;``,
``!`` and ``?``; a no-break space (U+00A0, "espace-mot insécable") before ``:``, after
``«`` and before ``»``. Where the text has a space (plain, no-break, narrow or thin,
typed or as an entity such as ``&nbsp;``) it becomes the right one; before ``; : ! ?``
nothing is added where the text has no space (``10:30``, ``https://``, ``?!``), while
inside ``« »`` a missing space is added, since French guillemets always take one.

``french_typography(html)`` changes text only: the markup is split into tokens the
way HTML's tokeniser does (tags, with quoted attribute values; comments; character
references; raw text elements) and copied as it is, so tag names, attributes (URLs,
``title``, ``alt``), comments, entities other than spaces, and the content of
``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``, ``<script>``, ``<style>`` and
``<textarea>`` are never touched, nor is any text inside an element whose ``lang``
is not French (an English name on a French page). A space may cross inline markup
(``<em>non</em> !``) but never a block boundary (``</p>``, ``<li>``). Applying it
twice changes nothing more.

The scanner is a regular expression rather than the standard library's
``html.parser``, which took four times as long on a home page for the same tokens.

``FrenchTypographyMiddleware`` applies it to the HTML pages of the French public
site (not the admin). It sits inside the page cache, so a cached page carries the
result and costs nothing more; it runs no query.
"""

import html
import re

from django.utils import formats, timezone, translation

NBSP = "\u00a0"
NNBSP = "\u202f"

# Markers standing for what is not French text, one character each, in the text
# the rules read (the real text never holds these control characters: PostgreSQL
# and the request edge refuse NUL, and the others are not valid in HTML).
INLINE = "\x00"  # inline markup: a space may cross it
OPAQUE = "\x01"  # a word the rules must not change (code, another language, an entity)
BLOCK = "\x02"  # a block boundary: no space crosses it
SPACE_ENTITY = "\x03"  # ``&nbsp;`` and other spaces written as references
DROPPED = "\x04"  # a space reference the rules replaced
MARKERS = re.compile("([\x00-\x04])")

SPACES = " \t\n\r\f\u00a0\u202f\u2009"
# What may stand between a word and its sign: spaces, and inline markup.
GAP = frozenset(SPACES + INLINE + SPACE_ENTITY)
NOT_VISIBLE = frozenset(SPACES + INLINE + BLOCK + SPACE_ENTITY + DROPPED)
SIGNS = re.compile("[;:!?«»]")
# A page where no rule can apply, told without reading its markup: before ; : ! ? a
# space stands right before the sign as written, or ends a tag, comment or "&nbsp;".
CANDIDATES = re.compile(f"[{SPACES}>;][;:!?]|[«»]")
SPACE_BEFORE = {";": NNBSP, "!": NNBSP, "?": NNBSP, ":": NBSP, "»": NBSP}

# Left as they are, content and all.
VERBATIM = frozenset({"code", "pre", "kbd", "samp", "script", "style", "textarea"})
VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
# Where a space must not move across.
BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hr",
        "html",
        "img",
        "li",
        "main",
        "meta",
        "link",
        "nav",
        "ol",
        "option",
        "p",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
    }
)

_TEXT = "text"


def _is_french(lang):
    return lang.lower().split("-")[0] == "fr"


# The HTML tokeniser's view of a page, as far as these rules need it: comments,
# declarations and processing instructions, end tags, start tags (a quoted attribute
# value may hold ">"; an unclosed one runs to the next ">"), character references;
# everything else is text. A "<" that starts no tag ("a < b") is text, as in HTML.
TOKEN = re.compile(
    # One leading character class, which the regular expression engine scans for fast.
    r"""
    [<&](?:
    (?<=<)(?P<comment>!--.*?(?:-->|\Z))
    |(?<=<)(?P<declaration>[!?][^>]*>?)
    |(?<=<)/(?P<end>[a-zA-Z][^\s/>]*)[^>]*>?
    |(?<=<)(?P<start>[a-zA-Z][^\s/>]*)(?P<attributes>[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>|[^>]*>?)
    |(?<=&)(?P<reference>\#[0-9]+;?|\#[xX][0-9a-fA-F]+;?|[a-zA-Z][a-zA-Z0-9]*;?)
    )""",
    re.VERBOSE | re.DOTALL,
)
LANG = re.compile(r"""\slang\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
# Elements whose content is raw text up to their end tag (no tags, no references).
RAW_TEXT = frozenset({"script", "style", "textarea"})


def _spans(source, language):
    """``source`` as ``(start, end, marker)`` spans, end to end.

    ``marker`` is ``_TEXT`` for French text the rules may change, else the marker
    character standing for the span in the text the rules read.
    """
    spans = []
    add = spans.append
    # Open elements: (tag, French?), so that a lang="en" subtree is left alone.
    open_elements = [("", _is_french(language))]
    verbatim = 0
    french = open_elements[-1][1]  # is text here French text to set?
    position = 0
    length = len(source)
    matches = TOKEN.finditer(source)
    while matches is not None:
        restart = None
        for match in matches:
            start = match.start()
            if position < start:  # the text before the token
                if french and spans and spans[-1][2] == _TEXT:
                    spans[-1] = (spans[-1][0], start, _TEXT)
                else:
                    add((position, start, _TEXT if french else OPAQUE))
            position = match.end()
            kind = match.lastgroup
            if kind == "attributes":
                tag = match["start"].lower()
                add((start, position, BLOCK if tag in BLOCKS else INLINE))
                attributes = match["attributes"]
                if tag in VOID or attributes.endswith("/>"):
                    continue
                lang = LANG.search(attributes) if "lang" in attributes else None
                if lang:
                    lang = _is_french(next(value for value in lang.groups() if value is not None))
                else:
                    lang = open_elements[-1][1]
                open_elements.append((tag, lang))
                if tag in RAW_TEXT:
                    closing = re.compile(f"</{tag}[\\s/>]", re.IGNORECASE).search(source, position)
                    end = closing.start() if closing else length
                    if position < end:
                        add((position, end, OPAQUE))
                    position = restart = end
                    break
                if tag in VERBATIM:
                    verbatim += 1
                french = lang and not verbatim
            elif kind == "end":
                tag = match["end"].lower()
                add((start, position, BLOCK if tag in BLOCKS else INLINE))
                for index in range(len(open_elements) - 1, 0, -1):
                    if open_elements[index][0] == tag:
                        del open_elements[index:]
                        if tag in VERBATIM and tag not in RAW_TEXT and verbatim:
                            verbatim -= 1
                        break
                french = open_elements[-1][1] and not verbatim
            elif kind == "reference":
                space = french and html.unescape(match.group()) in SPACES
                add((start, position, SPACE_ENTITY if space else OPAQUE))
            else:
                add((start, position, INLINE if kind == "comment" else BLOCK))
        matches = None if restart is None else TOKEN.finditer(source, restart)
    if position < length:
        if french and spans and spans[-1][2] == _TEXT:
            spans[-1] = (spans[-1][0], length, _TEXT)
        else:
            add((position, length, _TEXT if french else OPAQUE))
    return spans


def _markers(gap):
    """The markup of ``gap`` (spaces and inline markers), its spaces taken out."""
    return "".join(c for c in gap if c in (INLINE, SPACE_ENTITY)).replace(SPACE_ENTITY, DROPPED)


def _apply_rules(text):
    """The rules, on the page's text with markers: one look around each sign."""
    pieces = []
    done = 0  # text[:done] is in pieces
    length = len(text)
    for match in SIGNS.finditer(text):
        at = match.start()
        if at < done:
            continue
        sign = match.group()
        if sign == "«":
            end = at + 1
            while end < length and text[end] in GAP:
                end += 1
            if end < length and text[end] not in NOT_VISIBLE:
                pieces += (text[done : at + 1], NBSP, _markers(text[at + 1 : end]))
                done = end
            continue
        start = at
        while start > done and text[start - 1] in GAP:
            start -= 1
        if start == 0 or text[start - 1] in NOT_VISIBLE:
            continue
        gap = text[start:at]
        markers = _markers(gap)
        if sign != "»" and len(markers.replace(DROPPED, "")) == len(gap):
            continue  # no space before ; : ! ? and none is added
        # The space goes right before the sign, after any markup.
        pieces += (text[done:start], markers, SPACE_BEFORE[sign])
        done = at
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def french_typography(source, language="fr"):
    """``source`` (an HTML page or fragment) with French spaces in its French text.

    ``language`` is the language of text outside any ``lang`` attribute.
    """
    if not CANDIDATES.search(source) or MARKERS.search(source):
        # Nothing to do; or control characters the markers would be mistaken for.
        return source
    spans = _spans(source, language)
    text = "".join(source[start:end] if marker == _TEXT else marker for start, end, marker in spans)
    changed = _apply_rules(text)
    if changed == text:
        return source
    # Back to the page: each marker is its span as it was; text between markers
    # is the new text of the French text span there (if any).
    parts = MARKERS.split(changed)
    out = []
    span_index = 0
    for index, part in enumerate(parts):
        if index % 2:  # a marker
            start, end, marker = spans[span_index]
            span_index += 1
            if part != DROPPED:
                out.append(source[start:end])
        else:
            if span_index < len(spans) and spans[span_index][2] == _TEXT:
                span_index += 1
            out.append(part)
    return "".join(out)


def long_date(value, format_name="DATE_FORMAT"):
    """``value`` in the active language's ``format_name``, with "1er" in French.

    Django's French formats write the first of the month "1 décembre"; French
    writes it "1er décembre". ``value`` is shown in the current time zone.
    """
    if value is None or value == "":
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    format_string = formats.get_format(format_name)
    if value.day == 1 and _is_french(translation.get_language() or ""):
        # Django's format characters: "j" is the day; a backslash makes a letter literal.
        format_string = re.sub(r"(?<!\\)((?:\\\\)*)j", r"\1j\\e\\r", format_string)
    return formats.date_format(value, format_string)


class FrenchTypographyMiddleware:
    """French typography (``french_typography``) on the French public site's pages.

    Only HTML answers (pages and error pages, not feeds or files) of the public
    site in French; never the admin, whose forms show what is stored. Placed after
    the page cache in ``MIDDLEWARE``, so that the cache keeps the result.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return typeset(request, self.get_response(request))


def typeset(request, response):
    """``response`` with French typography, if it is a French public HTML page."""
    if response.streaming or not _is_french(translation.get_language() or ""):
        return response
    if not response.get("Content-Type", "").startswith("text/html"):
        return response
    match = getattr(request, "resolver_match", None)
    if match and "admin" in match.namespaces:
        return response
    charset = response.charset
    response.content = french_typography(response.content.decode(charset)).encode(charset)
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response
