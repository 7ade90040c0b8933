"""PostgreSQL for the tests: a server to create databases on, and throwaway clusters a test may stop and start.

``server_url()`` finds the server once per process, in this order:

1. ``PORTAL_TEST_POSTGRES_URL`` (``postgresql://`` or ``postgresql+psycopg://``, an admin user that may
   ``CREATE DATABASE``);
2. a server on 127.0.0.1:5432 that lets user ``postgres`` in without a password;
3. a throwaway cluster (``Cluster``) this module starts from Debian's binaries (``/usr/lib/postgresql/*/bin``,
   the newest; ``make postgresql`` installs them), stopped and removed when the process exits.

``fresh_database()`` gives each test its own empty database on that server. ``Cluster`` is also for fault tests
that must stop a server and start it again (PostgreSQL down at start-up, while running, back up).

PostgreSQL refuses to run as root: as root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` system user.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ENV_URL = "PORTAL_TEST_POSTGRES_URL"
LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 5432
DEBIAN_BINS = "/usr/lib/postgresql/*/bin"
RUN_AS = "postgres"  # the system user the server runs as when we are root

# Durability is worth nothing in a throwaway cluster; speed is. A fast stop still checkpoints, so data a test
# committed survives stop() and start() even with these.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}

# Set in a server's environment, the libpq variables would redirect our own pg_ctl and psql calls.
_PG_ENV = ("PGDATA", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSERVICE",
           "PGOPTIONS")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started; the message says what is missing."""


# -- URLs ---------------------------------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    """``url`` as a ``postgresql+psycopg://`` SQLAlchemy URL; its database ``postgres`` when it names none."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise PostgresUnavailable(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise PostgresUnavailable(f"not a PostgreSQL URL (expected postgresql://…): {url!r}")
    parsed = parsed.set(drivername="postgresql+psycopg")
    if not parsed.database:
        parsed = parsed.set(database="postgres")
    return _render(parsed)


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _connect_args(url: str | URL) -> dict:
    """psycopg.connect() keyword arguments for a SQLAlchemy URL."""
    parsed = make_url(url) if isinstance(url, str) else url
    args = {k: v for k, v in dict(parsed.query).items() if isinstance(v, str)}
    for key, value in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username),
                       ("password", parsed.password), ("dbname", parsed.database)):
        if value is not None:
            args[key] = str(value)
    return args


def connect(url: str, **kwargs) -> psycopg.Connection:
    """A psycopg connection to the database a SQLAlchemy URL names (autocommit, for admin statements)."""
    return psycopg.connect(**_connect_args(url), autocommit=True, **kwargs)


# -- binaries and the user the server runs as ----------------------------------------------------------------


def _version_key(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.]", Path(path).parent.name))


def find_bin_dir() -> Path:
    """The newest Debian PostgreSQL's bin folder, else the one holding ``initdb`` on PATH."""
    found = sorted(glob.glob(f"{DEBIAN_BINS}/initdb"), key=_version_key)
    if found:
        bin_dir = Path(found[-1]).parent
    elif shutil.which("initdb"):
        bin_dir = Path(shutil.which("initdb")).parent
    else:
        raise PostgresUnavailable(
            f"PostgreSQL's initdb was not found in {DEBIAN_BINS} nor on PATH: run `make postgresql` (it installs "
            f"Debian's postgresql), or point {ENV_URL} at a server")
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not os.access(bin_dir / tool, os.X_OK):
            raise PostgresUnavailable(f"{bin_dir / tool} is missing or not executable")
    return bin_dir


def _as_root() -> bool:
    return os.geteuid() == 0


def _server_user() -> pwd.struct_passwd:
    """The ``postgres`` system user, created when we are root and it does not exist."""
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        raise PostgresUnavailable(f"we run as root, PostgreSQL refuses to, and there is no {RUN_AS!r} user "
                                  f"to run it as (and no useradd to create one)")
    done = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                           "--shell", "/usr/sbin/nologin", RUN_AS], capture_output=True, text=True, check=False)
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        raise PostgresUnavailable(f"we run as root, PostgreSQL refuses to, and creating the system user "
                                  f"{RUN_AS!r} failed: {done.stderr.strip()}") from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL_HOST, 0))
        return s.getsockname()[1]


# -- a cluster of our own ----------------------------------------------------------------------------------------

# Runs beside the test process; when that process dies without stopping its cluster (SIGKILL, a timeout),
# stdin reaches EOF and the watchdog stops the server and removes its folder, so no orphan postgres is left.
_WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.read()
subprocess.run(sys.argv[2:] + ["-D", sys.argv[1] + "/data", "-m", "immediate", "-w", "stop"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on 127.0.0.1 at a free port, trust auth.

    ``start()`` creates it on first use (initdb) and starts the server; ``stop()`` stops it (the data stays, the
    port too, so ``url()`` stays valid across a restart); ``close()`` stops it and removes the folder. As a
    context manager: started on entry, closed on exit. Superuser ``postgres``, no password.
    """

    def __init__(self, *, settings: dict[str, str] | None = None):
        self.settings = {**FAST_SETTINGS, **(settings or {})}
        self.port: int | None = None
        self.dir: Path | None = None
        self.running = False
        self.closed = False
        self._owner_pid = os.getpid()
        self._watchdog: subprocess.Popen | None = None
        self._bin: Path | None = None

    # -- public ---------------------------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """The ``postgresql+psycopg://`` URL of database ``dbname`` on this cluster (started or not)."""
        if self.port is None:
            raise RuntimeError("the cluster was never started, so it has no port yet")
        return _render(URL.create("postgresql+psycopg", username="postgres", host=LOCAL_HOST, port=self.port,
                                  database=dbname))

    def start(self) -> Cluster:
        """Create the cluster (first time only) and start its server; returns once it accepts connections."""
        if self.closed:
            raise RuntimeError("the cluster was closed; make a new one")
        if self.running:
            return self
        if self.dir is None:
            self._create()
            # Another process may take the free port between our probe and the server's bind: try a new one.
            for attempt in range(3):
                try:
                    self._pg_ctl_start()
                    break
                except PostgresUnavailable:
                    if attempt == 2 or "could not bind" not in self.log_tail():
                        raise
                    self._set_port(_free_port())
        else:
            self._pg_ctl_start()
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server, ending every connection. ``mode="immediate"`` is a crash: commits the server had not
        yet written (``synchronous_commit=off``) may be lost, as on a real crash."""
        if not self.running:
            return
        done = self._run([str(self._bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "-t", "60",
                          "stop"])
        if done.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl stop failed: {done.stdout}{done.stderr}\n{self.log_tail()}")
        self.running = False

    def close(self) -> None:
        """Stop the server and remove the cluster's folder (idempotent; only in the process that started it)."""
        if self.closed or os.getpid() != self._owner_pid:
            return
        self.closed = True
        try:
            if self.running:
                self.stop("immediate")
        finally:
            if self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)
            if self._watchdog is not None:
                self._watchdog.kill()
                self._watchdog.wait()
                self._watchdog.stdin.close()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server logged."""
        if self.dir is None:
            return ""
        try:
            return "\n".join((self.dir / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "running" if self.running else "stopped"
        return f"<Cluster {self.dir} port={self.port} {state}>"

    # -- inside ---------------------------------------------------------------------------------------------

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess:
        """Run a PostgreSQL binary, as the postgres user when we are root, in the cluster's folder."""
        if _as_root():
            argv = ["runuser", "-u", RUN_AS, "--", *argv]
        env = {k: v for k, v in os.environ.items() if k not in _PG_ENV}
        return subprocess.run(argv, cwd=self.dir, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)

    def _create(self) -> None:
        self._bin = find_bin_dir()
        # As root, the folder must be reachable by the postgres user: not under a private TMPDIR.
        self.dir = Path(tempfile.mkdtemp(prefix="pgcluster-", dir="/tmp" if _as_root() else None))
        atexit.register(self.close)
        if _as_root():
            user = _server_user()
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self._start_watchdog()
        locale = "C.UTF-8" if _has_c_utf8() else "C"
        done = self._run([str(self._bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                          "-A", "trust", "-E", "UTF8", f"--locale={locale}", "--no-sync"])
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb ({self._bin / 'initdb'}) failed:\n{done.stdout}{done.stderr}")
        self._set_port(_free_port())

    def _set_port(self, port: int) -> None:
        self.port = port
        conf = {
            **self.settings,
            "listen_addresses": f"'{LOCAL_HOST}'",
            "port": str(port),
            "unix_socket_directories": f"'{self.dir}'",
        }
        # The last setting wins in postgresql.conf, so a new port is simply appended.
        text = "".join(f"{key} = {value}\n" for key, value in conf.items())
        conf_file = self.dir / "data" / "postgresql.conf"
        with open(conf_file, "a") as f:
            f.write("\n# pgcluster (tests)\n" + text)

    def _pg_ctl_start(self) -> None:
        done = self._run([str(self._bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"),
                          "-w", "-t", "60", "start"])
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"PostgreSQL ({self._bin}) did not start on {LOCAL_HOST}:{self.port}: {done.stdout}{done.stderr}"
                f"\n--- server log (last lines) ---\n{self.log_tail()}")

    def _start_watchdog(self) -> None:
        pg_ctl = [str(self._bin / "pg_ctl")]
        if _as_root():
            pg_ctl = ["runuser", "-u", RUN_AS, "--", *pg_ctl]
        # Its own session, so a Ctrl-C in the terminal leaves it to our atexit handler.
        self._watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(self.dir), *pg_ctl],
                                          stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, cwd="/", start_new_session=True)


def _has_c_utf8() -> bool:
    try:
        names = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout.split()
    except OSError:
        return False
    return any(n.lower() in ("c.utf8", "c.utf-8") for n in names)


# -- the shared server ----------------------------------------------------------------------------------------

_lock = threading.Lock()
_server_url: str | None = None
_shared: Cluster | None = None


def _local_server() -> str | None:
    """The admin URL of a server on 127.0.0.1:5432 that lets ``postgres`` in without a password, if any."""
    url = _render(URL.create("postgresql+psycopg", username="postgres", host=LOCAL_HOST, port=LOCAL_PORT,
                             database="postgres"))
    try:
        with connect(url, connect_timeout=3):
            return url
    except psycopg.Error:
        return None


def server_url() -> str:
    """An admin ``postgresql+psycopg://`` URL of a PostgreSQL server the tests may create databases on.

    From ``PORTAL_TEST_POSTGRES_URL``, else a password-less ``postgres`` on 127.0.0.1:5432, else a throwaway
    cluster started now and removed at exit. Decided once per process.
    """
    global _server_url, _shared
    with _lock:
        if _server_url is None:
            if os.environ.get(ENV_URL):
                _server_url = normalise_url(os.environ[ENV_URL])
            else:
                _server_url = _local_server()
            if _server_url is None:
                _shared = Cluster().start()
                _server_url = _shared.url()
        return _server_url


def shared_cluster() -> Cluster | None:
    """The cluster ``server_url()`` started, or None when it found a server."""
    server_url()
    return _shared


def _database_url(admin_url: str, dbname: str) -> str:
    return _render(make_url(admin_url).set(database=dbname))


def fresh_database(prefix: str = "t", *, server: str | None = None, template: str = "template0") -> str:
    """Create a new, uniquely named, empty database and return its ``postgresql+psycopg://`` URL.

    On ``server`` (an admin URL, e.g. ``Cluster.url()``), by default on ``server_url()``'s; a copy of
    ``template`` (a database nobody is connected to), by default empty.
    """
    admin = normalise_url(server) if server else server_url()
    stem = re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:40] or "t"
    name = f"{stem}_{uuid.uuid4().hex[:12]}"
    # template0 rather than template1: nothing a site added to template1 leaks in, and it was no slower.
    with connect(admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} ENCODING 'UTF8'").format(sql.Identifier(name),
                                                                                       sql.Identifier(template)))
    return _database_url(admin, name)


def drop_database(url: str) -> None:
    """Drop the database ``url`` names, ending its connections first; no error when it is already gone."""
    parsed = make_url(normalise_url(url))
    if parsed.database in (None, "postgres", "template0", "template1"):
        raise ValueError(f"refusing to drop {parsed.database!r}")
    with connect(_render(parsed.set(database="postgres"))) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parsed.database)))
