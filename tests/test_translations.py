"""Every interface string exists in French, and the committed .mo matches the .po."""

import gettext
import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")

french = polib.pofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))
entries = [entry for entry in french if not entry.obsolete]


def entry_id(entry):
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def test_the_french_catalog_is_not_empty():
    assert len(entries) > 100


@pytest.mark.parametrize("entry", entries, ids=entry_id)
def test_string_is_translated_into_french(entry):
    assert "fuzzy" not in entry.flags
    translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
    assert all(translation.strip() for translation in translations)


@pytest.mark.parametrize("entry", entries, ids=entry_id)
def test_french_translation_keeps_the_placeholders(entry):
    translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
    expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
    for translation in translations:
        assert sorted(PLACEHOLDER.findall(translation)) == expected


def test_compiled_french_catalog_matches_the_po_file():
    with open(LOCALE / "fr" / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in entries:
        if entry.msgid_plural:
            found = (
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if (entry.msgctxt)
                else compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
            )
            wanted = entry.msgstr_plural[0]
        else:
            found = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            )
            wanted = entry.msgstr
        if found != wanted:
            stale.append(entry.msgid)
    assert stale == [], "run `make messages` to recompile the catalogs"
