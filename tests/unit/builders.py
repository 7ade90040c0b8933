"""Shared builders for the unit tests of ``portal.standard`` (imported as ``builders``).

Identity numbers are fictitious and built with the library's own
``make_personnummer`` / ``make_orgnr`` (Luhn-correct, belong to nobody).
"""

from __future__ import annotations

import copy
import datetime as dt

from hypothesis import HealthCheck, settings

from portal.standard import identity, tidpunkt
from portal.standard.models import Arende, Event, Kund, Part

# No example database on disk (we write nothing outside tests/unit), no deadline:
# schema validation is slow on a cold cache.
settings.register_profile(
    "unit", database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("unit")

PNR = "199009091233"  # make_personnummer("19900909", "123")
PNR2 = "198504124564"  # make_personnummer("19850412", "456")
SAMNR = "199106613343"  # make_personnummer("19910661", "334"): day 61 = 1 + 60
ORGNR10 = "5590001235"  # make_orgnr("559000123")
ORGNR12 = "16" + ORGNR10
ANVANDARE = PNR

assert identity.make_personnummer("19900909", "123") == PNR
assert identity.make_personnummer("19850412", "456") == PNR2
assert identity.make_personnummer("19910661", "334") == SAMNR
assert identity.make_orgnr("559000123") == ORGNR10


def kund_json(identifierare: str = PNR, typ: str = "Personnummer", tillagg: str | None = None) -> dict:
    out = {"identifierare": identifierare, "typ": typ}
    if tillagg is not None:
        out["tillagg"] = tillagg
    return out


def arende_json(identifierare: str = "BN 2026-123", typ: str = "Diarienummer") -> dict:
    return {"identifierare": identifierare, "typ": typ}


def event_json(**overrides) -> dict:
    """A complete, schema-valid event (every optional field present); ``overrides`` replace fields.

    An override value of ``...`` (Ellipsis) removes the field.
    """
    base = {
        "kundhandelseId": "evt-1",
        "part": {"kund": kund_json(), "arende": arende_json()},
        "rubrik": "Ansökan om bygglov mottagen",
        "beskrivning": "Vi har tagit emot din ansökan.",
        "sprak": "sv",
        "producent": "Referenskommunen",
        "tidpunkt": "2026-09-14T10:12:00+02:00",
        "kundhandelseTyp": "REFKOM.BYGGLOV.MOTTAGEN",
        "producentarendetKraverKundatgard": False,
        "producentarendetKlart": False,
        "version": "6.1",
        "utokadInformation": {"senastDatum": "2026-09-30", "saknadeHandlingar": ["Situationsplan"]},
        "referenser": {"diarienummer": "BN 2026-123", "lank": "https://kommun.example/arenden/123"},
        "taggar": ["bygglov"],
    }
    base = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is ...:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def make_event(
    kundhandelse_id: str = "evt-1",
    *,
    kund: Kund | None = None,
    arende: Arende | None = None,
    no_kund: bool = False,
    rubrik: str = "Rubrik",
    beskrivning: str = "",
    producent: str = "Referenskommunen",
    tidpunkt: str | dt.datetime = "2026-09-14T10:12:00+02:00",
    typ: str = "REFKOM.BYGGLOV.MOTTAGEN",
    kraver: bool = False,
    klart: bool = False,
    taggar=(),
    utokad: dict | None = None,
    referenser: dict | None = None,
) -> Event:
    """An Event model built directly (no schema round trip)."""
    if kund is None and not no_kund:
        kund = Kund(PNR, "Personnummer")
    when = tidpunkt if isinstance(tidpunkt, dt.datetime) else _parse_tidpunkt(tidpunkt)
    return Event(
        kundhandelse_id=kundhandelse_id,
        part=Part(kund, arende),
        rubrik=rubrik,
        producent=producent,
        tidpunkt=when,
        typ=typ,
        kraver_kundatgard=kraver,
        klart=klart,
        version="6.1",
        beskrivning=beskrivning,
        utokad_information=utokad,
        referenser=referenser,
        taggar=tuple(taggar),
    )


def _parse_tidpunkt(value: str) -> dt.datetime:
    # ``make_event`` has a parameter named ``tidpunkt`` that hides the module.
    return tidpunkt.parse(value)


def fraga_body(parter=None, *, anvandare: str = ANVANDARE, **fraga_fields) -> dict:
    """A kundhandelseFragaSynkron request body."""
    fraga = {"parter": parter if parter is not None else [{"kund": kund_json()}]}
    fraga.update(fraga_fields)
    return {"fraga": fraga, "anvandare": anvandare}


def svar_body(events: list, *, part: dict | None = None, total: int | None = None, **extra) -> dict:
    """A response body with one part entry holding ``events`` (raw JSON)."""
    body = {
        "kundhandelser": [{
            "part": part if part is not None else {"kund": kund_json()},
            "totaltAntalKundhandelser": len(events) if total is None else total,
            "kundhandelserForPart": events,
        }],
    }
    body.update(extra)
    return body


def fullmakt(
    id_: str = "fm-1",
    *,
    holder: dict | None = None,
    giver: dict | None = None,
    tredjeman: str = "2021005448",
    koder=(("SKV.MOMS", "aktiv"),),
    giltig_from: str = "2026-01-01",
    giltig_tom: str | None = "2026-12-31",
    aterkallad: str | None = None,
) -> dict:
    """A Mina ombud ``Fullmakt`` in the contract's full shape (as ``fullmakter/{id}`` returns it).

    ``koder``: (code, selected type) pairs; each behörighetsobjekt offers aktiv and passiv with one ``vald``.
    """
    giver = dict(giver or {"id": ORGNR10, "typ": "orgnr", "namn": "Fiskodlarna AB"})
    giver.setdefault("roll", "ORGANISATION" if giver["typ"] == "orgnr" else "PRIVAT")
    holder = holder or {"id": PNR, "typ": "pnr", "fornamn": "Anna", "namn": "Användare"}
    out = {
        "id": id_,
        "ursprung": {"mall": "standard"},
        "rubrik": "Fullmakt",
        "beskrivning": "En fullmakt i testerna.",
        "giltigFrom": giltig_from,
        "skapare": {**holder, "namn": holder.get("namn", "Användare")},
        "skapadTidpunkt": giltig_from + "T09:00:00+01:00",
        "transportfullmakt": False,
        "fullmaktsgivare": giver,
        "fullmaktshavare": [{**holder, "namn": holder.get("namn", "Användare")}],
        "tredjeman": {"id": tredjeman, "namn": "Myndigheten"},
        "signatarer": [],
        "behorigheter": [{"behorighetsobjekt": {"kod": k, "rubrik": f"Behörighet {k}", "typer": [
            {"typ": t, "rubrik": t.capitalize(), "vald": t == chosen, "niva": n}
            for t, n in (("aktiv", 2), ("passiv", 1))]}} for k, chosen in koder],
    }
    if giltig_tom is not None:
        out["giltigTom"] = giltig_tom
    if aterkallad is not None:
        out["aterkallad"] = aterkallad
    return out
