"""What changed between two versions of a text, word by word, as HTML for the admin."""

import difflib
import re
from html import unescape

from django.utils.html import format_html, format_html_join, strip_tags

# A paragraph or list item of a story body ends a line of the text compared.
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote)>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"\s+|[^\s]+")


def plain_text(value):
    """A body's HTML as the reader reads it: its words, one block per line."""
    text = _BLOCK_END.sub("\n", value or "")
    return unescape(strip_tags(text)).strip()


def text_diff(old, new):
    """HTML of ``new`` with the words removed since ``old`` in <del> and added in <ins>."""
    old_words = _WORD.findall(plain_text(old))
    new_words = _WORD.findall(plain_text(new))
    pieces = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        removed = "".join(old_words[a_start:a_end])
        added = "".join(new_words[b_start:b_end])
        if operation == "equal":
            pieces.append(("{}", added))
            continue
        if removed:
            pieces.append(("<del>{}</del>", removed))
        if added:
            pieces.append(("<ins>{}</ins>", added))
    return format_html(
        '<div class="text-diff">{}</div>',
        format_html_join("", "{}", ((format_html(template, text),) for template, text in pieces)),
    )
