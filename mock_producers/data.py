"""Loading the mock producers' data: one JSON file per producer plus the mandate registry.

A producer file is ``DIR/<slug>.json`` (see ``portal/standard/schemas/producentfil.json``);
``DIR/minaombud.json`` is the registry; files starting with ``_`` are neither.
A file that does not validate stops start-up with a message naming the file,
the event and the field. Dates move to today at load (``dates.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

from portal.standard import clock, schemas
from portal.standard.identity import InvalidIdentity, parse_kund, parse_organisation
from portal.standard.models import Event
from portal.standard.response import parse_event

from .dates import shift_days, shift_event, shift_registry

DEMO_DIR = Path(__file__).parent / "data"
REGISTRY_FILE = "minaombud.json"
SCALE_PERSON = "199303032230"  # fictitious; the generated load-test person


class DataError(ValueError):
    """A data file that cannot be served; the message names file, event and field."""


@dataclass
class Producer:
    """One mock agency: identity, events (by id), optional catalog and English texts."""

    slug: str
    namn: str
    orgnr: str
    prefix: str
    events: dict[str, Event] = field(default_factory=dict)
    translations: dict[str, dict] = field(default_factory=dict)
    katalog: dict | None = None
    shift_days: int = 0  # how far the file's dates were moved to reach today
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    _by_kund: dict | None = field(default=None, repr=False)  # (identifierare, typ) -> events; rebuilt after a change

    def snapshot(self) -> list[Event]:
        with self.lock:
            return list(self.events.values())

    def snapshot_for(self, kunder) -> list[Event]:
        """The events about these customers (``Kund``s), as a real agency reads them: by an index on the customer,
        not by going through everyone's events (a 10,000-event customer must not slow every other one's query)."""
        with self.lock:
            if self._by_kund is None:
                self._by_kund = {}
                for event in self.events.values():
                    if event.part.kund is not None:
                        key = (event.part.kund.identifierare, event.part.kund.typ)
                        self._by_kund.setdefault(key, []).append(event)
            keys = {(k.identifierare, k.typ) for k in kunder}
            return [e for key in keys for e in self._by_kund.get(key, ())]

    def put(self, event: Event) -> None:
        with self.lock:
            self.events[event.kundhandelse_id] = event
            self._by_kund = None

    def remove(self, kundhandelse_id: str) -> bool:
        with self.lock:
            self._by_kund = None
            return self.events.pop(kundhandelse_id, None) is not None

    def permission_prefixes(self) -> dict[str, list[str]]:
        """Catalog mapping of permission codes to type prefixes (may be empty)."""
        return {b["kod"]: b["prefix"] for b in (self.katalog or {}).get("behorighetskoder", [])}

    def render(self, event: Event, language: str) -> dict:
        """The event as an answer carries it (no part, no taggar), in English when asked for and offered."""
        out = event.answer_json()
        text = self.translations.get(event.kundhandelse_id, {}).get(language)
        if text and language != event.sprak:
            out["rubrik"] = text["rubrik"]
            out["beskrivning"] = text.get("beskrivning", out.get("beskrivning", ""))
            out["sprak"] = language
        return out


def load_producer(path: Path) -> Producer:
    """Read and validate one producer file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot read JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("kundhandelser"), list):
        raise DataError(f"{path.name}: expected an object with 'producent' and a 'kundhandelser' list")
    # Events are checked one by one so the message names the failing event.
    envelope = {k: v for k, v in doc.items() if k != "kundhandelser"} | {"kundhandelser": []}
    found = schemas.problems("producentfil", envelope)
    if found:
        raise DataError(f"{path.name}: {found[0]}")
    try:
        shift_days(doc)
    except ValueError as exc:
        raise DataError(f"{path.name}: {exc}") from None
    prod = doc["producent"]
    days = shift_days(doc)
    producer = Producer(path.stem, prod["namn"], prod["orgnr"], prod["prefix"],
                        translations=doc.get("oversattningar", {}), katalog=doc.get("katalog"), shift_days=days)
    for index, raw in enumerate(doc["kundhandelser"]):
        raw = shift_event(raw, days)
        label = raw.get("kundhandelseId") if isinstance(raw, dict) else None
        where = f"{path.name}: event {label!r}" if isinstance(label, str) else f"{path.name}: event #{index}"
        event = check_event(producer, raw, where)
        if event.kundhandelse_id in producer.events:
            raise DataError(f"{where}: $.kundhandelseId is used twice")
        producer.events[event.kundhandelse_id] = event
    return producer


def check_event(producer: Producer, raw, where: str) -> Event:
    """Everything an event must satisfy to be served by ``producer``; DataError naming the field otherwise."""
    event, messages = parse_event(raw)
    if event is None:
        raise DataError(f"{where}: {messages[0]}")
    if not event.typ.startswith(producer.prefix + "."):
        raise DataError(f"{where}: $.kundhandelseTyp does not start with the producer prefix {producer.prefix}")
    if event.part.kund is not None:
        try:
            parse_kund(event.part.kund.identifierare, event.part.kund.typ)
        except InvalidIdentity as exc:
            raise DataError(f"{where}: $.part.kund.identifierare: {exc}") from None
    return event


def load_registry(path: Path) -> dict:
    """Read and validate the mandate registry file (an empty registry when absent)."""
    if not path.exists():
        return {"fullmakter": [], "firmatecknare": []}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot read JSON ({exc})") from None
    check_registry(doc, path.name)
    return prepare_registry(doc)


def prepare_registry(doc: dict) -> dict:
    """A checked registry document as served: its dates moved to today, ``firmatecknare`` present."""
    days = shift_days(doc)
    doc = shift_registry(doc, days)
    doc.setdefault("firmatecknare", [])
    doc["_shift_days"] = days
    return doc


def check_registry(doc, label: str) -> None:
    """Raise DataError unless ``doc`` is a valid registry document.

    Its ``fullmakter`` are the contract's ``Fullmakt`` objects (a file copied from real
    answers loads), each optionally with our ``aterkallad`` date; ``firmatecknare`` feeds the
    signatory source. Other top-level keys are tolerated.
    """
    found = schemas.problems("ombud", doc, "Registerfil")
    if found:
        raise DataError(f"{label}: {found[0]}")
    try:
        shift_days(doc)
    except ValueError as exc:
        raise DataError(f"{label}: {exc}") from None
    for i, f in enumerate(doc["fullmakter"]):
        try:
            if f.get("giltigTom") and dt.date.fromisoformat(f["giltigFrom"]) > dt.date.fromisoformat(f["giltigTom"]):
                raise DataError(f"{label}: fullmakt {f['id']!r}: giltigFrom is after giltigTom")
            parse_organisation(f["tredjeman"]["id"])
        except (ValueError, InvalidIdentity) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"{label}: fullmakt #{i}: {exc}") from None


def load_dir(directory: Path) -> tuple[dict[str, Producer], dict]:
    """Every producer file in ``directory`` (by slug) and the registry."""
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory")
    producers = {}
    for path in sorted(directory.glob("*.json")):
        if path.name == REGISTRY_FILE or path.name.startswith("_"):
            continue
        producers[path.stem] = load_producer(path)
    if not producers:
        raise DataError(f"{directory}: no producer files (<slug>.json)")
    return producers, load_registry(directory / REGISTRY_FILE)


_SCALE_TITLES = [
    ("INKOMST", "Vi har tagit emot din deklaration", "Deklarationen granskas nu."),
    ("BESLUT", "Beslut i ditt ärende", "Beslutet finns att läsa hos myndigheten."),
    ("KOMPLETTERING", "Vi behöver mer information", "Skicka in de handlingar som saknas."),
    ("HANDLAGGNING", "Ditt ärende handläggs", "En handläggare arbetar med ärendet."),
]


def add_scale_person(producers: dict[str, Producer], count: int, seed: int = 20261127) -> None:
    """Give the load-test person ``count`` events spread over every producer (deterministic)."""
    rng = random.Random(seed)
    slugs = sorted(producers)
    # Relative to today, so the newest events are recent in any month (as the demo data is).
    start = (clock.now() - dt.timedelta(minutes=137 * count + 60)).replace(second=0, microsecond=0)
    for i in range(count):
        producer = producers[slugs[i % len(slugs)]]
        event_name, title, text = _SCALE_TITLES[rng.randrange(len(_SCALE_TITLES))]
        case_no = i // 4
        when = start + dt.timedelta(minutes=137 * i + rng.randrange(60))
        raw = {
            "kundhandelseId": f"scale-{i:06d}",
            "part": {"kund": {"identifierare": SCALE_PERSON, "typ": "Personnummer"},
                     "arende": {"identifierare": f"{producer.prefix}-{case_no:05d}", "typ": "Producentarendereferens"}},
            "rubrik": f"{title} ({case_no})",
            "beskrivning": text,
            "sprak": "sv",
            "producent": producer.namn,
            "tidpunkt": when.isoformat(),
            "kundhandelseTyp": f"{producer.prefix}.LASTTEST{case_no % 7}.{event_name}",
            "producentarendetKraverKundatgard": event_name == "KOMPLETTERING",
            "producentarendetKlart": event_name == "BESLUT",
            "version": "6.1",
            "taggar": ["lasttest"],
        }
        if event_name == "KOMPLETTERING":
            raw["utokadInformation"] = {"senastDatum": (when + dt.timedelta(days=30)).date().isoformat()}
        producer.put(Event.from_json(raw))
