"""The benchmark's world: a data folder with extra persons, the mock agencies, and the portal under gunicorn.

Nothing here changes ``mock_producers`` or ``portal``. The mock world's ``--scale-person N`` gives exactly one
person (199303032230) N events, so the other persons the scenarios need (one with 100 events, one with 1,000, and
fresh "cold" persons) are written into a copy of the demo data folder and served with ``--data DIR``. Their events
have the same shape as the scale person's (``mock_producers.data.add_scale_person``): spread round-robin over the
eight agencies, one case per event, so a 100-event party and the 10,000-event party differ only in size.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from mock_producers.data import DEMO_DIR, SCALE_PERSON
from portal.config import DEMO_API_KEY
from portal.standard.identity import luhn_digit
from portal.store import DatabaseUnavailable, connect, prepare_database

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # tests/mockworld.py is imported as a top-level module, as the tests do
from launcher import Launched  # noqa: E402
from mockworld import MockWorld  # noqa: E402
from portalserver import free_port, worker_pids  # noqa: E402
from testconfig import demo_doc, portal_doc, write_toml  # noqa: E402
from testdb import test_database  # noqa: E402

from mock_producers.state import DEMO_ADMIN_KEY  # noqa: E402

LARGE = SCALE_PERSON  # 10,000 events through --scale-person
LARGE_EVENTS = 10_000
SMALL_EVENTS = 100
MEDIUM_EVENTS = 1_000
COLD_EVENTS = 24  # three per agency: every agency has cases for a cold person
REPRESENTED = 300  # companies the representative person signs for (P10's party switcher)

_TITLES = [
    ("INKOMST", "Vi har tagit emot din deklaration", "Deklarationen granskas nu."),
    ("BESLUT", "Beslut i ditt ärende", "Beslutet finns att läsa hos myndigheten."),
    ("KOMPLETTERING", "Vi behöver mer information", "Skicka in de handlingar som saknas."),
    ("HANDLAGGNING", "Ditt ärende handläggs", "En handläggare arbetar med ärendet."),
]


def personnummer(birth: dt.date, serial: int) -> str:
    """A valid (fictitious) 12-digit personnummer: date, three-digit serial, Luhn check digit."""
    nine = birth.strftime("%y%m%d") + f"{serial:03d}"
    return birth.strftime("%Y%m%d") + f"{serial:03d}" + str(luhn_digit(nine))


@dataclass
class Persons:
    small: str = personnummer(dt.date(1971, 2, 3), 101)
    medium: str = personnummer(dt.date(1971, 2, 3), 102)
    cold: list[str] = field(default_factory=list)
    large: str = LARGE
    representative: str = personnummer(dt.date(1960, 5, 6), 301)  # signs for REPRESENTED companies (P10)

    def __post_init__(self):
        if not self.cold:
            self.cold = [personnummer(dt.date(1972, 3, 4), 200 + i) for i in range(40)]


def _events(pnr: str, count: int, producers: list[dict], seed: int) -> dict[str, list[dict]]:
    """Events shaped like ``add_scale_person``'s, per producer slug."""
    rng = random.Random(seed)
    start = dt.datetime(2020, 1, 1, 8, 0, tzinfo=dt.timezone.utc)
    out: dict[str, list[dict]] = {p["slug"]: [] for p in producers}
    for i in range(count):
        producer = producers[i % len(producers)]
        event_name, title, text = _TITLES[rng.randrange(len(_TITLES))]
        case_no = i // 4
        when = start + dt.timedelta(minutes=137 * i + rng.randrange(60))
        raw = {
            "kundhandelseId": f"bench-{pnr}-{i:06d}",
            "part": {"kund": {"identifierare": pnr, "typ": "Personnummer"},
                     "arende": {"identifierare": f"{producer['prefix']}-B{pnr[-4:]}-{case_no:05d}",
                                "typ": "Producentarendereferens"}},
            "rubrik": f"{title} ({case_no})",
            "beskrivning": text,
            "sprak": "sv",
            "producent": producer["namn"],
            "tidpunkt": when.isoformat(),
            "kundhandelseTyp": f"{producer['prefix']}.LASTTEST{case_no % 7}.{event_name}",
            "producentarendetKraverKundatgard": event_name == "KOMPLETTERING",
            "producentarendetKlart": event_name == "BESLUT",
            "version": "6.1",
            "taggar": ["lasttest"],
        }
        if event_name == "KOMPLETTERING":
            raw["utokadInformation"] = {"senastDatum": (when + dt.timedelta(days=30)).date().isoformat()}
        out[producer["slug"]].append(raw)
    return out


# The demo world's eight agencies, in the demo config's order.
SLUGS = ["skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
         "livsmedelsverket", "lantmateriet"]


def write_demo_data(target: Path, people: list[tuple[str, int | None]], seed: int) -> Path:
    """The demo data in ``target``, each (person, count) given ``count`` events spread over the agencies (None: one
    per agency); validated by the mock world when it loads them."""
    target.mkdir(parents=True, exist_ok=True)
    docs = {}
    for path in sorted(DEMO_DIR.glob("*.json")):
        shutil.copy(path, target / path.name)
        if path.name != "minaombud.json" and not path.name.startswith("_"):
            docs[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    producers = [{"slug": slug, "prefix": d["producent"]["prefix"], "namn": d["producent"]["namn"]}
                 for slug, d in sorted(docs.items())]
    for n, (pnr, count) in enumerate(people):
        for slug, events in _events(pnr, count or len(producers), producers, seed=seed + n).items():
            docs[slug]["kundhandelser"].extend(events)
    for slug, doc in docs.items():
        (target / f"{slug}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return target


def write_data_dir(target: Path, persons: Persons) -> Path:
    """The demo data plus the bench persons' events, and the representative's 300 companies in the registry."""
    wanted = [(persons.small, SMALL_EVENTS), (persons.medium, MEDIUM_EVENTS)] + [(p, COLD_EVENTS) for p in persons.cold]
    write_demo_data(target, wanted, seed=1000)
    registry = json.loads((DEMO_DIR / "minaombud.json").read_text(encoding="utf-8"))
    registry.setdefault("firmatecknare", []).extend(
        {"orgnr": org, "pnr": persons.representative, "namn": f"Kund {i + 1:03d} AB"}
        for i, org in enumerate(organisation_numbers(REPRESENTED)))
    (target / "minaombud.json").write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    return target


def organisation_numbers(count: int) -> list[str]:
    """Valid (fictitious) organisation numbers: 5597 + a serial + the Luhn check digit."""
    return [f"5597{n:05d}{luhn_digit(f'5597{n:05d}')}" for n in range(count)]


def agency_names() -> dict[str, str]:
    """slug -> the name the portal shows (from the demo config)."""
    return {p["slug"]: p["name"] for p in demo_doc()["producer"]}


def stored_events(database: str, pnr: str) -> int:
    """How many events of ``pnr`` the portal's database holds now (0 before its schema exists)."""
    db = connect(database)
    try:
        return db.scalar("select count(*) from events where party = ?", [pnr])
    except (DatabaseUnavailable, SQLAlchemyError):
        return 0
    finally:
        db.close()


def start_world(data_dir: Path, scale: int = LARGE_EVENTS) -> MockWorld:
    return MockWorld("--data", str(data_dir), "--scale-person", str(scale))


def admin(world: MockWorld, method: str, path: str, body=None):
    r = world.admin(method, path, body)
    r.raise_for_status()
    return r.json()


def set_latencies(world: MockWorld, latencies_ms: dict[str, float]) -> None:
    admin(world, "DELETE", "/faults")
    for slug, ms in latencies_ms.items():
        admin(world, "PUT", f"/faults/{slug}", {"latency_ms": ms, "jitter_ms": 0})


def producer_bytes(world: MockWorld, slugs) -> tuple[int, int]:
    """(bytes sent, requests) by these producers since the last reset."""
    stats = admin(world, "GET", "/stats")
    return (sum(stats.get(s, {}).get("bytes_sent", 0) for s in slugs),
            sum(stats.get(s, {}).get("requests", 0) for s in slugs))


class Portal:
    """``gunicorn 'portal:create_app()'`` in demo mode on a free loopback port, with its own database.

    Like ``tests/portalserver.py``, plus: settings through ``PORTAL_*`` env overrides, a worker count, and
    gunicorn's access log with the request time in microseconds (``%(D)s``) for the server-side view.
    ``database`` is a file path or a ``postgresql://`` URL (by default ``testdb.test_database(workdir)``: a new
    SQLite file in ``workdir``, or a new database on the tests' PostgreSQL with PORTAL_TEST_BACKEND=postgresql); two
    portals given the same one share its sessions and cache, as two instances of one deployment do.
    """

    def __init__(self, mock_url: str, workdir: Path, *, workers: int = 2, threads: int = 4,
                 gunicorn_args: tuple[str, ...] = (), database: str | None = None, **settings):
        workdir.mkdir(parents=True, exist_ok=True)
        self.database = database = database or test_database(workdir)
        config = write_toml(portal_doc(mock_url, database, lookup_deadline_s=None), workdir / "portal.toml")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = workdir / "access.log"
        self.log_path = workdir / "gunicorn.log"
        env = {**os.environ, "PORTAL_CONFIG": str(config), "PORTAL_DEMO": "1", "PORTAL_DATABASE": database,
               "PORTAL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
               "MOCK_PRODUCER_API_KEY": DEMO_API_KEY}
        env.update({"PORTAL_" + k.upper(): str(v) for k, v in settings.items()})
        # Two workers booting on a new database race to create the schema ("database is locked", worker exits,
        # gunicorn gives up): create the schema once before they start.
        prepare_database(database)
        self.server = Launched(
            "portal (bench)",
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "--timeout", "120",
             "--no-control-socket",  # gunicorn 27 otherwise shares ~/.gunicorn/gunicorn.ctl between instances
             # A listening socket per worker (SO_REUSEPORT): the kernel spreads new connections over the workers.
             # With one shared socket the idle worker wins nearly every accept, and keep-alive connections stay
             # with it: one process (one GIL) served the whole load while the other waited.
             "--reuse-port",
             "--access-logfile", str(self.access_log), "--access-logformat", '"%(r)s" %(s)s %(B)s %(D)s %(p)s',
             *gunicorn_args, "portal:create_app()"],
            env=env, ready_url=self.url + "/login", ready=lambda server: len(worker_pids(server.pid)) >= workers,
            timeout_s=30, scan=False, log_path=self.log_path)
        self.proc = self.server.proc

    def worker_pids(self) -> list[int]:
        return worker_pids(self.proc.pid)

    def memory(self) -> dict[int, dict[str, float]]:
        """Per worker: peak RSS (VmHWM) and current RSS (VmRSS), in MB, from /proc/<pid>/status."""
        out = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            values = {}
            for line in status.splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0]) / 1024  # kB -> MB
            out[pid] = values
        return out

    def worker_cpu_s(self) -> float:
        """CPU seconds (user + system) used so far by the live gunicorn workers."""
        return sum(_proc_cpu_s(pid) for pid in self.worker_pids())

    def access_entries(self, path: str = "/") -> list[tuple[float, str]]:
        """Every ``GET <path>`` so far, oldest first: (gunicorn's request time %(D)s in ms, worker pid)."""
        out = []
        if not self.access_log.exists():
            return out
        for line in self.access_log.read_text().splitlines():
            if line.startswith(f'"GET {path} HTTP'):
                *_, micros, pid = line.split(" ")
                out.append((int(micros) / 1000, pid.strip("<>")))
        return out

    def access_times_ms(self, path: str = "/") -> list[float]:
        """Server-side request times (gunicorn's %(D)s) of every ``GET <path>`` so far, in ms, oldest first."""
        return [ms for ms, _pid in self.access_entries(path)]

    def stop(self) -> None:
        self.server.stop()


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu_s(pid: int, children: bool = False) -> float:
    """utime + stime of one process (all its threads), optionally with its waited-for children's, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / _TICK


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def cpu_snapshot() -> dict:
    """Machine-wide CPU jiffies (busy, steal, total) and the CPU seconds of this bench's own process tree."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return {"busy": busy / _TICK, "steal": steal / _TICK, "total": (busy + idle + iowait + steal) / _TICK,
            "ours": sum(_proc_cpu_s(pid, children=pid == os.getpid()) for pid in _tree(os.getpid()))}


def cpu_shares(before: dict, after: dict) -> dict:
    """Between two snapshots, the share of the machine's CPU time used by the bench (mock world, portal, clients),
    by everything else on the machine, and stolen by the hypervisor."""
    total = max(after["total"] - before["total"], 1e-9)
    ours = after["ours"] - before["ours"]
    others = max(0.0, after["busy"] - before["busy"] - ours)
    return {"bench": round(ours / total, 2), "other_processes": round(others / total, 2),
            "steal": round((after["steal"] - before["steal"]) / total, 2)}


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="portal-bench-"))


__all__ = ["Persons", "Portal", "MockWorld", "SLUGS", "write_data_dir", "write_demo_data", "start_world", "set_latencies", "producer_bytes",
           "agency_names", "admin", "workdir", "DEMO_ADMIN_KEY", "LARGE", "LARGE_EVENTS", "SMALL_EVENTS",
           "MEDIUM_EVENTS", "COLD_EVENTS", "stored_events"]
