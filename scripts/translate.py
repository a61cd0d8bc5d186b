"""Fill English translations into the catalogue: `.venv/bin/python scripts/translate.py 'Svensk text=English text' …`.

Handy after `make extract-messages` for a few new entries; prints what is still untranslated.
"""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "skotsel/translations/en/LC_MESSAGES/messages.po"


def main(pairs: list[str]) -> None:
    with open(PO, "rb") as fh:
        catalog = read_po(fh)
    for pair in pairs:
        swedish, english = pair.split("=", 1)
        entry = catalog.get(swedish)
        if entry is None:
            raise SystemExit(f"not in the catalogue: {swedish!r}")
        entry.string = english
    with open(PO, "wb") as fh:
        write_po(fh, catalog, sort_output=True, include_lineno=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    print("untranslated:", missing or "none")


if __name__ == "__main__":
    main(sys.argv[1:])
