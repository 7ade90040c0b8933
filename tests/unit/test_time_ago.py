"""The "(3 days ago)" of a case card: worded by babel once per (unit, number, direction) and kept (issue 16)."""

from __future__ import annotations

from babel import Locale
from babel import dates as babel_dates

from portal.i18n import _AGO_THRESHOLD, ago_key


def _seconds_to_try() -> list[float]:
    """Every second of the first two hours, then a dense spread to three years, each unit boundary +-1 s, both ways."""
    out = set(range(0, 7200))
    value = 7200.0
    while value < 3 * 365 * 86400:
        out.add(round(value, 3))
        value *= 1.0007
    for _unit, per_unit in babel_dates.TIMEDELTA_UNITS:
        for n in range(1, 40):
            for edge in (n * per_unit, (n - 0.5) * per_unit, _AGO_THRESHOLD * per_unit):
                out.update({edge - 1, edge - 0.001, edge, edge + 0.001, edge + 1})
    return sorted({s for v in out if v >= 0 for s in (v, -v)})


def test_one_key_one_text_as_babel_words_it():
    """Any two moments with the same key read the same in babel's own words, so keeping one text per key never
    shows another wording than babel would have given (fails if the key leaves out what babel looks at)."""
    seconds = _seconds_to_try()
    assert len(seconds) > 20_000
    for name in ("sv", "en"):
        locale = Locale.parse(name)
        seen: dict[tuple, tuple[float, str]] = {}
        for s in seconds:
            text = babel_dates.format_timedelta(s, "second", threshold=_AGO_THRESHOLD, add_direction=True,
                                                locale=locale)
            first = seen.setdefault(ago_key(s), (s, text))
            assert first[1] == text, f"{name}: {first[0]} s and {s} s share a key but read {first[1]!r} and {text!r}"
        assert len(seen) > 150  # seconds, minutes, hours, days, weeks, months and years, both ways
