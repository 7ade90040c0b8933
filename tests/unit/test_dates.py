"""The shared clock and demo data that moves to today: no test and no demo depends on the day it runs."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mock_producers.data import DEMO_DIR, load_dir
from mock_producers.dates import shift_days, shift_event, shift_registry, shift_value
from portal.standard import clock, schemas, tidpunkt


def test_the_clock_moves_by_whole_days_from_the_environment(monkeypatch):
    monkeypatch.delenv(clock.SHIFT_ENV, raising=False)
    real = clock.now()
    monkeypatch.setenv(clock.SHIFT_ENV, "200")
    ahead = clock.now()
    assert dt.timedelta(days=200) <= ahead - real < dt.timedelta(days=200, minutes=1)
    monkeypatch.setenv(clock.SHIFT_ENV, "-200")
    assert clock.today() == (clock.now().astimezone(tidpunkt.STOCKHOLM)).date()
    assert dt.timedelta(days=-200, minutes=-1) < clock.now() - real <= dt.timedelta(days=-200, minutes=1)


@pytest.mark.parametrize("value", ["tomorrow", "1.5", "2027-01-01"])
def test_a_bad_shift_is_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv(clock.SHIFT_ENV, value)
    with pytest.raises(clock.InvalidShift, match=clock.SHIFT_ENV):
        clock.now()


def test_a_file_moves_by_the_days_since_its_reference_date():
    assert shift_days({"referensdatum": "2026-11-27"}, today=dt.date(2026, 12, 2)) == 5
    assert shift_days({"referensdatum": "2026-11-27"}, today=dt.date(2026, 5, 11)) == -200
    assert shift_days({}, today=dt.date(2030, 1, 1)) == 0  # no reference date: served as written
    with pytest.raises(ValueError, match="referensdatum"):
        shift_days({"referensdatum": "27/11/2026"})


def test_dates_keep_the_form_they_were_written_in():
    assert shift_value("2026-12-08", 5) == "2026-12-13"
    assert shift_value("2026-09-10T10:00:00+02:00", 5) == "2026-09-15T10:00:00+02:00"
    # Local Swedish time stays local; across the change to winter time the same instant reads an hour earlier.
    assert shift_value("2026-10-20 10:00:00", 10) == "2026-10-30 09:00:00"
    utc = dt.timezone.utc
    assert tidpunkt.parse(shift_value("2026-10-20 10:00:00", 10)).astimezone(utc) == \
        tidpunkt.parse("2026-10-20 10:00:00").astimezone(utc) + dt.timedelta(days=10)
    assert shift_value("not a date", 5) == "not a date"  # the schema check names it, not the mover


def test_an_event_and_a_registry_move_every_date_they_hold():
    event = {"kundhandelseId": "e", "tidpunkt": "2026-11-20T09:00:00+01:00",
             "utokadInformation": {"senastDatum": "2026-12-10", "saknadeHandlingar": ["karta"]}}
    moved = shift_event(event, 30)
    assert moved["tidpunkt"] == "2026-12-20T09:00:00+01:00"
    assert moved["utokadInformation"] == {"senastDatum": "2027-01-09", "saknadeHandlingar": ["karta"]}
    assert event["tidpunkt"] == "2026-11-20T09:00:00+01:00"  # the original is not touched
    registry = {"fullmakter": [{"id": "f", "giltigFrom": "2026-01-01", "giltigTom": "2026-12-31",
                                "aterkallad": "2026-10-01"}]}
    [f] = shift_registry(registry, -1)["fullmakter"]
    assert (f["giltigFrom"], f["giltigTom"], f["aterkallad"]) == ("2025-12-31", "2026-12-30", "2026-09-30")


@pytest.mark.parametrize("days", [0, 200, -200, 3650])
def test_the_demo_world_looks_the_same_on_any_day(monkeypatch, days):
    """What a newcomer sees in `make demo`: recent events and open deadlines ahead, in any month."""
    monkeypatch.setenv(clock.SHIFT_ENV, str(days))
    today = clock.today()
    producers, registry = load_dir(DEMO_DIR)
    events = [e for p in producers.values() for e in p.snapshot()]
    newest = max(e.tidpunkt for e in events).astimezone(tidpunkt.STOCKHOLM).date()
    assert dt.timedelta(days=0) <= today - newest <= dt.timedelta(days=14)
    open_deadlines = [e.deadline for e in events if e.kraver_kundatgard and not e.klart and e.deadline]
    # The deadlines the author wrote as ahead are ahead (the data has a few overdue ones on purpose).
    assert sum(d >= today for d in open_deadlines) >= 5
    # Mandates the author meant as valid today are valid today.
    valid = [f for f in registry["fullmakter"]
             if dt.date.fromisoformat(f["giltigFrom"]) <= today <= dt.date.fromisoformat(f["giltigTom"])]
    assert len(valid) >= 3


def test_the_shipped_files_stay_absolute_and_valid():
    for path in sorted(DEMO_DIR.glob("*.json")):
        if path.name.startswith("_"):
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["referensdatum"] == "2026-11-27", path.name
        if path.name == "minaombud.json":
            assert schemas.problems("ombud", doc, "Registerfil") == []
        else:
            envelope = {k: v for k, v in doc.items() if k != "kundhandelser"} | {"kundhandelser": []}
            assert schemas.problems("producentfil", envelope) == []
            assert all(schemas.problems("kundhandelse", e) == [] for e in doc["kundhandelser"]), path.name
