"""Swedish is the source language; every text a person can see has an English translation."""
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _source_messages() -> set[str]:
    method_map = [("skotsel/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2),
                "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


def _english():
    with open(ROOT / "skotsel/translations/en/LC_MESSAGES/messages.po", "rb") as fh:
        return read_po(fh)


def test_every_swedish_text_has_an_english_translation():
    catalog = _english()
    missing = sorted(
        (message, context) for message, context in _source_messages()
        if not ((entry := catalog.get(message, context=context)) and entry.string and not entry.fuzzy)
    )
    assert missing == [], f"untranslated (run `make extract-messages` and translate in en/): {missing}"


def test_translations_keep_the_placeholders():
    for message in _english():
        if message.id and message.string:
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            msgstr = message.string if isinstance(message.string, str) else message.string[0]
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid
