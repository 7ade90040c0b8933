"""Kept fragments of pages: ``{% keep a, b, ... %}...{% endkeep %}`` draws its body once for the values it names,
then gives the kept HTML for as long as those values are equal (issue 16).

A fragment is kept under: which tag it is (template, line and a number of its own), the language and time zone, the
path the portal is mounted at, and the values the tag names. The values must be everything the body reads besides
those; the templates name them beside the tag, and ``tests/unit/test_fragments.py`` draws kept fragments again for
changed values. Values are compared, not trusted: a dataclass counts by all its fields, a list by its items. A value
that cannot be compared (an object of no known kind) leaves the body drawn every time, as without the tag.

Nothing is ever invalidated: a changed value is another key. The table is per process and bounded in entries and in
characters, let go all at once when full (as ``cards`` and ``i18n``'s formatted dates are). Only for fragments that
read no session or user state other than what they name: a kept fragment is shown to whoever has equal values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
import operator
import threading

from flask import request
from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

from portal import i18n

_MAX = 5000
_MAX_CHARS = 8_000_000  # about 8-30 MB per process, whatever the fragments' sizes
_kept: dict[tuple, Markup] = {}
_chars = 0
_lock = threading.Lock()
_serial = itertools.count()
_PLAIN = (str, int, float, bool, type(None), dt.date, dt.datetime, enum.Enum)


class Unkeepable(TypeError):
    """A value names no comparable state: the fragment is drawn every time."""


def _fields(cls) -> tuple[operator.attrgetter, bool]:
    """A dataclass's fields read in one call, and whether there is only one (attrgetter then gives no tuple)."""
    found = _getters.get(cls)
    if found is None:
        names = [f.name for f in dataclasses.fields(cls)]
        found = _getters[cls] = (operator.attrgetter(*names), len(names) == 1)
    return found


_getters: dict[type, tuple[operator.attrgetter, bool]] = {}


def comparable(value):
    """``value`` as a hashable key equal for equal states: dataclasses by their fields, lists and tuples by their
    items, dicts by their items; plain values as they are. Raises :class:`Unkeepable` for anything else (an object
    hashed by identity could change and still be "equal")."""
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if isinstance(value, _PLAIN):  # by kind too: Markup("<b>") == "<b>" and True == 1, but they are drawn apart
        return (kind, value)
    if isinstance(value, (list, tuple)):
        return tuple([comparable(v) for v in value])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if kind.__dataclass_params__.frozen:  # unchangeable, equal by its fields: itself, if its fields hash
            try:
                hash(value)
                return value
            except TypeError:
                pass
        getter, single = _fields(type(value))
        values = (getter(value),) if single else getter(value)
        return (type(value), tuple([comparable(v) for v in values]))
    if isinstance(value, dict):
        return (dict, *((comparable(k), comparable(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return (frozenset, frozenset(comparable(v) for v in value))
    raise Unkeepable(f"cannot keep a fragment under a {type(value).__name__}")


class KeepExtension(Extension):
    """The ``{% keep %}`` tag (see the module's docstring)."""

    tags = {"keep"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        values = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            values.append(parser.parse_expression())
        body = parser.parse_statements(("name:endkeep",), drop_needle=True)
        # Each tag its own place, also two on one line or in unnamed templates (a template compiled again only
        # makes new keys; the old ones go when the table is let go).
        where = nodes.Const(f"{parser.name}:{lineno}:{next(_serial)}")
        return nodes.CallBlock(self.call_method("_keep", [where, nodes.List(values)]), [], [], body).set_lineno(lineno)

    def _keep(self, where: str, values: list, caller) -> Markup:
        try:
            key = (where, i18n.locale_and_zone()[2], request.script_root, comparable(values))
        except Unkeepable:
            return caller()
        html = _kept.get(key)
        if html is None:
            html = caller()
            keep(key, html)
        return html


def kept(key: tuple) -> Markup | None:
    """The HTML kept under ``key`` (``portal/cards.py`` keeps its cards in this table too), or None."""
    return _kept.get(key)


def keep(key: tuple, html: Markup) -> None:
    """Keep ``html``; the table is let go first when it would hold more than ``_MAX`` entries or ``_MAX_CHARS``
    characters (a representative's switcher of 300 customers is some 60,000)."""
    global _chars
    with _lock:
        if len(_kept) >= _MAX or _chars + len(html) > _MAX_CHARS:
            _kept.clear()
            _chars = 0
        if key not in _kept:
            _chars += len(html)
        _kept[key] = html


def forget() -> None:
    """Let every kept fragment and card go (tests)."""
    global _chars
    with _lock:
        _kept.clear()
        _chars = 0
