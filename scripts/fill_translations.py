"""Add new messages from translations/messages.pot to the sv and en catalogs.

English is the source language, so ``en`` gets each msgid as its own translation;
``sv`` gets the translations from a Python dict file given with ``--sv FILE``
(``SV = {msgid: msgstr, (singular, plural): (sv_singular, sv_plural)}``).
Existing translations are kept. Run through ``make translations-update``.
"""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"


def po_path(locale: str) -> Path:
    return ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale=locale)
    return Catalog(locale=locale, project="mina-arenden-portal")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sv", help="Python file defining SV, a dict of Swedish translations")
    args = parser.parse_args()
    sv_new = runpy.run_path(args.sv)["SV"] if args.sv else {}
    with POT.open("rb") as f:
        template = read_po(f)
    for locale in ("sv", "en"):
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header of a new catalog starts fuzzy; ours is complete
        for message in catalog:
            if not message.id:
                continue
            if locale == "en":
                message.string = message.id if not message.pluralizable else tuple(message.id)
            elif not (message.string if not message.pluralizable else all(message.string)):
                found = sv_new.get(message.id if not message.pluralizable else tuple(message.id))
                if found:
                    message.string = found
            message.flags.discard("fuzzy")
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, omit_header=False, sort_output=True, width=0, ignore_obsolete=True)


if __name__ == "__main__":
    main()
