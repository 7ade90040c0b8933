"""Start-up of ``python -m mock_producers``: bad data stops it with a useful message; --scale-person.

A failed start must exit non-zero with one message on stderr naming the file,
the event and the field, and no traceback. Data folders are copies of the
fixture world in ``tmp_path``, spoiled one way per test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mock_producers.data import SCALE_PERSON
from mock_producers.state import DEMO_ADMIN_KEY, DEMO_API_KEY
from portal.standard import schemas

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_WORLD = ROOT / "tests" / "fixtures" / "world"


class Started:
    """What happened when the server was started: ``rc`` is None when it came up (and was stopped again)."""

    def __init__(self, rc: int | None, stdout: str, stderr: str):
        self.rc, self.stdout, self.stderr = rc, stdout, stderr


def start(data_dir: Path | None, *args: str) -> Started:
    """Run the server; stop it as soon as it is up. Never waits on a server that did start."""
    env = {**os.environ, "MOCK_PRODUCER_API_KEY": DEMO_API_KEY, "MOCK_ADMIN_KEY": DEMO_ADMIN_KEY}
    cmd = [sys.executable, "-m", "mock_producers", "--port", "0"]
    if data_dir is not None:
        cmd += ["--data", str(data_dir)]
    proc = subprocess.Popen([*cmd, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()  # the banner, or "" once a failed start has closed stdout
    if line.startswith("Mock producers on "):
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        return Started(None, line, err)
    out, err = proc.communicate(timeout=20)
    return Started(proc.returncode, line + out, err)


def assert_refused(result: Started, *names: str) -> str:
    assert result.rc is not None, f"the server started: {result.stdout}"
    assert result.rc != 0
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr.strip()
    assert message.startswith("mock_producers: "), message
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"
    assert "Mock producers on" not in result.stdout
    return message


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    target = tmp_path / "world"
    shutil.copytree(FIXTURE_WORLD, target)
    return target


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, doc) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def spoil_event(data_dir: Path, slug: str, event_id: str, change) -> None:
    path = data_dir / f"{slug}.json"
    doc = read(path)
    [event] = [e for e in doc["kundhandelser"] if e["kundhandelseId"] == event_id]
    change(event)
    write(path, doc)


# --- a good start ----------------------------------------------------------------------------------------------


def test_an_unspoiled_copy_starts(data_dir):
    result = start(data_dir)
    assert result.rc is None, result.stderr
    assert result.stdout.strip().endswith(": alfa, beta")


def test_files_starting_with_underscore_are_ignored(data_dir):
    (data_dir / "_notes.json").write_text("not json at all", encoding="utf-8")
    assert start(data_dir).rc is None


# --- a bad event stops start-up --------------------------------------------------------------------------------


def set_field(name, value):
    return lambda e: e.__setitem__(name, value)


def set_kund(identifierare):
    return lambda e: e["part"]["kund"].__setitem__("identifierare", identifierare)


BAD_EVENTS = {
    "missing rubrik": ("alfa", "alfa-1", lambda e: e.pop("rubrik"), ["rubrik"]),
    "empty rubrik": ("alfa", "alfa-1", set_field("rubrik", ""), ["rubrik"]),
    "lower-case type": ("alfa", "alfa-2", set_field("kundhandelseTyp", "ALFA.bygglov.mottagen"), ["kundhandelseTyp"]),
    "type with two segments": ("beta", "beta-2", set_field("kundhandelseTyp", "BETA.AKTIEBOLAG"), ["kundhandelseTyp"]),
    "other producer's prefix": ("beta", "beta-1", set_field("kundhandelseTyp", "ALFA.FORALDRAPENNING.MOTTAGEN"),
                                ["kundhandelseTyp", "BETA"]),
    "personnummer checksum": ("alfa", "alfa-3", set_kund("199009091234"), ["part.kund.identifierare", "check digit"]),
    "organisationsnummer checksum": ("alfa", "alfa-6", set_kund("165590001236"), ["part.kund.identifierare"]),
    "local time in the DST gap": ("alfa", "alfa-4", set_field("tidpunkt", "2026-03-29 02:30:00"), ["tidpunkt"]),
    "impossible date": ("alfa", "alfa-5", set_field("tidpunkt", "2026-02-30T10:00:00+01:00"), ["tidpunkt"]),
    "flag not boolean": ("beta", "beta-3", set_field("producentarendetKlart", "nej"), ["producentarendetKlart"]),
    "unknown field": ("alfa", "alfa-7", set_field("status", "klar"), ["status"]),
    "wrong version": ("beta", "beta-1", set_field("version", "6.x"), ["version"]),
    "no part": ("alfa", "alfa-1", lambda e: e.pop("part"), ["part"]),  # answers leave it out; a data file may not
}


@pytest.mark.parametrize("case", BAD_EVENTS, ids=list(BAD_EVENTS))
def test_bad_event_stops_startup_naming_file_event_and_field(data_dir, case):
    slug, event_id, change, fields = BAD_EVENTS[case]
    spoil_event(data_dir, slug, event_id, change)
    assert_refused(start(data_dir), f"{slug}.json", repr(event_id), *fields)


def test_bad_identity_number_is_not_repeated_in_the_message(data_dir):
    spoil_event(data_dir, "alfa", "alfa-3", set_kund("199009091234"))
    message = assert_refused(start(data_dir))
    assert "199009091234" not in message and "9009091234" not in message


def test_duplicate_event_id(data_dir):
    spoil_event(data_dir, "beta", "beta-2", set_field("kundhandelseId", "beta-1"))
    assert_refused(start(data_dir), "beta.json", "'beta-1'", "kundhandelseId")


def test_event_without_id_is_named_by_position(data_dir):
    spoil_event(data_dir, "beta", "beta-3", lambda e: e.pop("kundhandelseId"))
    assert_refused(start(data_dir), "beta.json", "#2", "kundhandelseId")


def test_producer_file_that_is_not_json(data_dir):
    (data_dir / "beta.json").write_text('{"producent": {"namn": "Betaverket",', encoding="utf-8")
    assert_refused(start(data_dir), "beta.json", "JSON")


@pytest.mark.parametrize("doc, names", [
    ([], ["alfa.json"]),
    ({"producent": {"namn": "Alfaverket", "orgnr": "2021005448", "prefix": "ALFA"}}, ["alfa.json", "kundhandelser"]),
    ({"producent": {"namn": "Alfaverket", "prefix": "ALFA"}, "kundhandelser": []}, ["alfa.json", "orgnr"]),
])
def test_producer_file_with_a_bad_envelope(data_dir, doc, names):
    write(data_dir / "alfa.json", doc)
    assert_refused(start(data_dir), *names)


# --- the registry file ----------------------------------------------------------------------------------------


def spoil_registry(data_dir: Path, change) -> None:
    path = data_dir / "minaombud.json"
    doc = read(path)
    change(doc)
    write(path, doc)


@pytest.mark.parametrize("change, names", [
    (lambda d: d["fullmakter"][0].pop("tredjeman"), ["tredjeman"]),
    (lambda d: d["fullmakter"][1].__setitem__("giltigFrom", "2028-01-01"),
     ["a1fa0000-0000-4000-8000-000000000002", "giltigFrom"]),
    (lambda d: d["fullmakter"][2].__setitem__("giltigTom", "2026-02-30"), ["giltigTom"]),
    (lambda d: d["fullmakter"][0]["tredjeman"].__setitem__("id", "2021005449"), ["fullmakt #0", "check digit"]),
    (lambda d: d["fullmakter"][0].__setitem__("tredjeman", "2021005448"), ["tredjeman", "object"]),
    (lambda d: d["fullmakter"][3]["behorigheter"][0]["behorighetsobjekt"].pop("typer"), ["typer"]),
    (lambda d: d["fullmakter"][3]["behorigheter"][0]["behorighetsobjekt"]["typer"][0].pop("vald"), ["vald"]),
    (lambda d: d["fullmakter"][3].pop("skapadTidpunkt"), ["skapadTidpunkt"]),
    (lambda d: d.pop("fullmakter"), ["fullmakter"]),
    (lambda d: d["firmatecknare"][0].__setitem__("orgnr", "165590001235"), ["firmatecknare", "orgnr"]),
])
def test_invalid_registry_stops_startup(data_dir, change, names):
    spoil_registry(data_dir, change)
    assert_refused(start(data_dir), "minaombud.json", *names)


def test_registry_that_is_not_json(data_dir):
    (data_dir / "minaombud.json").write_text("fullmakter: []", encoding="utf-8")
    assert_refused(start(data_dir), "minaombud.json", "JSON")


def test_registry_tolerates_extra_top_level_keys_and_a_referensdatum(data_dir):
    spoil_registry(data_dir, lambda d: d.update({"referensdatum": "2026-11-27", "kommentar": "x"}))
    assert start(data_dir).rc is None


def test_missing_registry_is_an_empty_one(data_dir):
    (data_dir / "minaombud.json").unlink()
    assert start(data_dir).rc is None


# --- folders and flags ----------------------------------------------------------------------------------------


def test_empty_folder(tmp_path):
    assert_refused(start(tmp_path), "no producer files")


def test_folder_with_only_a_registry(tmp_path):
    shutil.copy(FIXTURE_WORLD / "minaombud.json", tmp_path / "minaombud.json")
    assert_refused(start(tmp_path), "no producer files")


def test_missing_folder(tmp_path):
    assert_refused(start(tmp_path / "nowhere"), "not a directory")


@pytest.mark.parametrize("flag, value, names", [
    ("--latency", "alfa=fast", ["fast", "duration"]),
    ("--latency", "alfa=-5ms", ["-5ms"]),
    ("--latency", "alfa=200ms+soon", ["soon"]),
    ("--latency", "alfa=200us", ["200us"]),
    ("--latency", "alfa", ["SLUG=VALUE"]),
    ("--latency", "gamma=200ms", ["gamma"]),
    ("--latency", "alfa=700s", ["latency_ms"]),
    ("--fault", "beta=meltdown", ["meltdown"]),
    ("--fault", "gamma=error500", ["gamma"]),
])
def test_bad_knob_flag_stops_startup(data_dir, flag, value, names):
    assert_refused(start(data_dir, flag, value), *names)


def test_good_knob_flags_start(data_dir):
    assert start(data_dir, "--latency", "alfa=1.5s", "--latency", "beta=20ms+5ms", "--fault", "beta=hostile").rc is None


# --- --scale-person -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scale_world(world):
    """A second server (the harness's MockWorld class) with 1000 generated events for the load-test person."""
    w = type(world)("--data", str(FIXTURE_WORLD), "--scale-person", "1000")
    yield w
    w.stop()


def scale_query(**fraga) -> dict:
    return {"fraga": {"parter": [{"kund": {"identifierare": SCALE_PERSON, "typ": "Personnummer"}}], **fraga},
            "anvandare": SCALE_PERSON}


def test_scale_person_has_1000_events_across_the_producers(scale_world):
    totals = {}
    for slug in ("alfa", "beta"):
        r = scale_world.query(f"/{slug}/kundhandelseFragaSynkron", scale_query())
        assert r.status_code == 200, r.text
        [entry] = r.json()["kundhandelser"]
        totals[slug] = entry["totaltAntalKundhandelser"]
        assert len(entry["kundhandelserForPart"]) == totals[slug]
        prefix = {"alfa": "ALFA.", "beta": "BETA."}[slug]
        assert all(e["kundhandelseTyp"].startswith(prefix) for e in entry["kundhandelserForPart"])
        assert entry["part"]["kund"]["identifierare"] == SCALE_PERSON  # said once per group, as real answers do
        assert not any("part" in e or "taggar" in e for e in entry["kundhandelserForPart"])
    assert sum(totals.values()) == 1000
    assert all(t > 0 for t in totals.values())


def test_scale_person_through_the_forwarder_with_paging(scale_world):
    body = scale_query(behandling={"sortering": [{"attribut": "TIDPUNKT", "stigande": True}],
                                   "paginering": {"offset": 950, "limit": 50}})
    r = scale_world.query("/vidareformedling/kundhandelseFragaSynkron", body)
    assert r.status_code == 200, r.text
    assert schemas.problems("svar", r.json()) == []
    [entry] = r.json()["kundhandelser"]
    assert entry["totaltAntalKundhandelser"] == 1000
    assert len(entry["kundhandelserForPart"]) == 50
    assert {e["kundhandelseId"] for e in entry["kundhandelserForPart"]} == {f"scale-{i:06d}" for i in range(950, 1000)}


def test_scale_person_leaves_the_fixture_people_alone(scale_world):
    body = {"fraga": {"parter": [{"kund": {"identifierare": "199009091233", "typ": "Personnummer"}}]},
            "anvandare": "199009091233"}
    r = scale_world.query("/alfa/kundhandelseFragaSynkron", body)
    assert r.json()["kundhandelser"][0]["totaltAntalKundhandelser"] == 5
    index = requests.get(scale_world.url + "/", timeout=10).json()
    assert index["producenter"]["alfa"]["kundhandelser"] == 7 + 500
    assert index["producenter"]["beta"]["kundhandelser"] == 3 + 500
