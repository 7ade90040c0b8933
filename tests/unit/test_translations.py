"""Swedish and English are both complete, and the catalogs hold every string the code uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def catalog(locale: str):
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_every_message_is_translated_and_none_is_fuzzy(locale):
    cat = catalog(locale)
    untranslated = [m.id for m in cat if m.id and not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == [] and not cat.fuzzy


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_placeholders_survive_translation(locale):
    import re
    names = re.compile(r"%\((\w+)\)[sd]")
    for m in catalog(locale):
        if not m.id:
            continue
        ids = m.id if m.pluralizable else (m.id,)
        strings = m.string if m.pluralizable else (m.string,)
        assert set(names.findall(ids[0])) == set(names.findall(strings[0])), m.id


def test_catalogs_hold_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True)
    with pot.open("rb") as f:
        used = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    for locale in ("sv", "en"):
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(locale) if m.id}
        assert used - known == set(), f"{locale}: run `make translations-update` and translate"
