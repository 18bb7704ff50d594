"""What the fault drills share: a site of their own, clients that post diary entries and retry
with the same UUID, the faults' helpers, and the figures every drill prints.

Each drill (`bench/drills/*.py`, run as `.venv/bin/python bench/drills/<name>.py`) builds a
Mitra of its own under a temporary folder (a SQLite file, or with `--db postgres` a private
PostgreSQL cluster made with initdb on its own port), starts `mitra serve` on a free loopback
port, signs in patients, and has client threads post diary entries: each entry carries a UUID
the client made, and a request that fails (a refused or reset connection, a timeout, a 5xx) is
sent again with the same UUID and body until it is acknowledged (200 or 201) or the drill ends.
While they post, the drill causes its fault and ends it. At the end it compares what was
acknowledged with what is stored and prints:

    requests, acknowledged, lost (acknowledged, not stored), duplicated (a day stored twice),
    5xx (by status), connection errors, seconds without service (the longest gap between two
    acknowledged posts), and how soon after the fault ended the first post was acknowledged.

Targets: 0 lost, 0 duplicated, back within 5 s of the fault ending, no 500 (503 while the
database is away). A drill exits 1 when it missed one. Everything is bounded: a deadline, a
cap on requests, loopback addresses only; the processes, the cluster and any tmpfs a drill made
are stopped and removed when it ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this worktree's mitra, before any installed one

from mitra.safety.tests.smtpservers import SilentServer, SmtpSink, free_port  # noqa: E402

__all__ = ["SilentServer", "SmtpSink", "free_port"]

BIN = Path(sys.executable).parent
MITRA = str(BIN / "mitra")
TARGET_BACK_SECONDS = 5.0
REQUEST_TIMEOUT = 10.0  # every client request, seconds
RETRY_PAUSE = 0.2
# Each client posts the diary of PATIENTS_PER_CLIENT patients in turn, DAYS_OF_HISTORY days each
# (today backwards, as far as the diary takes): more than a drill of 90 s at about 100 posts a
# second gets through, so that the load does not run out before the drill ends.
DAYS_OF_HISTORY = 365
PATIENTS_PER_CLIENT = 4


class Skip(Exception):
    """The drill cannot run here (no root for a tmpfs, no PostgreSQL binaries): says why."""


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- the drill's own site ----------------------------------------------------------------

@dataclass
class Site:
    """The drill's Mitra: its folder, the environment of every process, and its port."""

    tmp: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def make_site(tmp: Path, database_url: str, **extra: str) -> Site:
    """Environment for the drill's processes, the database migrated, and Django set up in
    this process on the same database (to sign people in and to count what is stored)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update({
        "DATABASE_URL": database_url, "MITRA_VAR_DIR": str(tmp / "var"),
        "SECRET_KEY": secrets.token_urlsafe(40), "DEBUG": "false", "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "mitra.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(free_port()), "EMAIL_TIMEOUT": "2",
        **extra,
    })
    run([MITRA, "migrate", "--no-input", "-v0"], env, timeout=300)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    # Only the drill's own accounts are made here, never signed in with a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return Site(tmp, env)


def run(argv: list[str], env: dict[str, str], *, timeout: float = 60,
        check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, env=env, capture_output=True, text=True,  # noqa: S603
                            timeout=timeout, cwd=ROOT)
    if check and result.returncode:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({result.returncode}): "
                         f"{result.stderr.strip()[-800:]}")
    return result


@dataclass
class People:
    patient_sessions: list[str]
    patient_ids: list[int]
    clinician_session: str
    team_id: int

    @property
    def client_sessions(self) -> list[list[str]]:
        """The patients' sessions, PATIENTS_PER_CLIENT for each client of the load."""
        return [self.patient_sessions[i:i + PATIENTS_PER_CLIENT]
                for i in range(0, len(self.patient_sessions), PATIENTS_PER_CLIENT)]


def make_people(clients: int) -> People:
    """PATIENTS_PER_CLIENT patients for each of `clients` clients and one clinician (with an
    e-mail address) on one care team, each signed in as after a full login."""
    from django.test import Client

    from mitra.accounts.models import CareTeam, Membership, Role
    from mitra.testing import login, make_patient, make_user

    team = CareTeam.objects.create(name="Drill team")
    clinician = make_user("drill-clinician", Role.CLINICIAN)
    Membership.objects.create(team=team, user=clinician)
    sessions, ids = [], []
    for i in range(clients * PATIENTS_PER_CLIENT):
        # Enrolled before the first day the load posts for them.
        patient = make_patient(
            f"drill{i:03d}", f"Drill patient {i}", team,
            enrolled_on=date.today() - timedelta(days=DAYS_OF_HISTORY))  # noqa: DTZ011
        sessions.append(login(Client(), patient.user).cookies["sessionid"].value)
        ids.append(patient.pk)
    staff = login(Client(), clinician).cookies["sessionid"].value
    close_db()
    return People(sessions, ids, staff, team.pk)


def close_db() -> None:
    """Let go of this process's database connection (a fault may break it meanwhile)."""
    from django.db import connections

    connections.close_all()


# ---- mitra serve, and a supervisor ---------------------------------------------------------

class Server:
    """`mitra serve` on the site's port, in a process group of its own (its log in tmp)."""

    def __init__(self, site: Site, *, workers: int = 2, threads: int = 4):
        self.site, self.workers, self.threads = site, workers, threads
        self.proc: subprocess.Popen | None = None
        self.log = open(site.tmp / "serve.log", "ab")  # noqa: SIM115 - closed in stop()

    def start(self) -> subprocess.Popen:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            [MITRA, "serve", "--host", "127.0.0.1", "--port", str(self.site.port), "--no-worker",
             "--workers", str(self.workers), "--threads", str(self.threads)],
            env=self.site.env, cwd=ROOT, stdout=self.log, stderr=self.log,
            start_new_session=True)
        return self.proc

    def wait_ready(self, timeout: float = 90) -> float:
        """Seconds until /healthz answers 200 (SystemExit if it never does)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if get_status(self.site.port, "/healthz") == 200:
                return time.monotonic() - started
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit(f"mitra serve did not answer on /healthz; its log:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.site.tmp / "serve.log").read_text(errors="replace")[-3000:]

    def gunicorn_events(self) -> list[tuple[float, str]]:
        """gunicorn's own log lines (`[2026-12-03 13:05:34 +0000] [pid] [INFO] Booting
        worker ...`) as (epoch seconds, message): where a restart's time went, to the second."""
        events = []
        for line in (self.site.tmp / "serve.log").read_text(errors="replace").splitlines():
            if not line.startswith("[") or "] [" not in line:
                continue
            try:
                stamp = datetime.strptime(line[1:26], "%Y-%m-%d %H:%M:%S %z")
            except ValueError:
                continue
            events.append((stamp.timestamp(), line.rsplit("] ", 1)[-1]))
        return events

    def gunicorn_master(self) -> int:
        assert self.proc is not None
        masters = [pid for pid in children(self.proc.pid) if b"gunicorn" in cmdline(pid)]
        if not masters:
            raise SystemExit("no gunicorn master under mitra serve")
        return masters[0]

    def gunicorn_workers(self) -> list[int]:
        return children(self.gunicorn_master())

    def stop(self) -> None:
        """SIGTERM to serve, then SIGKILL to its whole process group if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this drill started
        self.log.close()


def deploy_restart_sec() -> float:
    """RestartSec of deploy/mitra.service (systemd's own default, 0.1 s, if it sets none)."""
    unit = ROOT / "deploy" / "mitra.service"
    text = unit.read_text() if unit.exists() else ""
    for line in text.splitlines():
        if line.strip().startswith("RestartSec="):
            return float(line.split("=", 1)[1].strip().rstrip("s"))
    return 0.1


class Supervisor:
    """A restart loop standing in for systemd's Restart=on-failure: starts `mitra serve` again,
    RestartSec (deploy/mitra.service's) after it exits with a status other than 0 or 2
    (RestartPreventExitStatus=2 there too), and records each exit and start."""

    def __init__(self, server: Server, restart_sec: float | None = None):
        self.server = server
        self.restart_sec = deploy_restart_sec() if restart_sec is None else restart_sec
        self.exits: list[tuple[float, int]] = []  # (monotonic time, status) of each exit
        self.gave_up: int | None = None  # the status after which it did not restart
        self.starts: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self.starts.append(time.monotonic())
        self.server.start()
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            proc = self.server.proc
            assert proc is not None
            status = proc.wait()
            if self._stop.is_set():
                return  # the drill's own stop, not an exit to report
            self.exits.append((time.monotonic(), status))
            if status in (0, 2):
                say(f"supervisor: mitra serve exited {status}: not restarted (on-failure)")
                self.gave_up = status
                return
            say(f"supervisor: mitra serve exited {status}; restarting in {self.restart_sec} s")
            if self._stop.wait(self.restart_sec):
                return
            self.starts.append(time.monotonic())
            self.server.start()

    def stop(self) -> None:
        self._stop.set()
        self.server.stop()
        self._thread.join(timeout=30)


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(stat.split("/")[2]))
    return sorted(found)


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def get_status(port: int, path: str) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


# ---- clients ------------------------------------------------------------------------------

def post_form(site: Site, session: str, path: str, data: str = "") -> tuple[int | None, float]:
    """One signed-in form POST (CSRF token as cookie and header): (status or None, seconds)."""
    token = uuid.uuid4().hex
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=REQUEST_TIMEOUT)
    started = time.monotonic()
    try:
        conn.request("POST", path, body=data, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token,
            "Cookie": f"sessionid={session}; csrftoken={token}", "Referer": site.url("/")})
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    except (OSError, http.client.HTTPException):
        return None, time.monotonic() - started
    finally:
        conn.close()


@dataclass
class Attempt:
    at: float  # monotonic time the answer (or the error) came
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    error: str = ""
    seconds: float = 0.0


class DiaryLoad:
    """Client threads, each with its patients' sessions, posting one diary day after another
    (each with a new UUID) and retrying each until acknowledged, with the same UUID and body.

    Bounded: stops at `stop()`, at `deadline` seconds, or after `max_requests` in all."""

    def __init__(self, site: Site, sessions: list[list[str]], *, deadline: float = 120,
                 max_requests: int = 50_000, pause: float = 0.02):
        self.site, self.sessions, self.pause = site, sessions, pause
        self.deadline = time.monotonic() + deadline
        self.max_requests = max_requests
        self.attempts: list[Attempt] = []
        self.sent: dict[str, tuple[str, str]] = {}  # uuid -> (session, day)
        self.acknowledged: dict[str, float] = {}  # uuid -> when
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                        for i in range(len(sessions))]
        self.started = time.monotonic()

    def start(self) -> DiaryLoad:
        self.started = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=REQUEST_TIMEOUT + 5)

    def _done(self) -> bool:
        return (self.stopping.is_set() or time.monotonic() > self.deadline
                or len(self.attempts) >= self.max_requests)

    def _client(self, index: int) -> None:
        """Client `index`: the diary of each of its patients in turn, a day at a time."""
        rng = random.Random(index)  # noqa: S311 - made-up diary answers
        conn: http.client.HTTPConnection | None = None
        for session in self.sessions[index]:
            conn = self._post_days(session, rng, conn)
            if self._done():
                break
        if conn is not None:
            conn.close()

    def _post_days(self, session: str, rng: random.Random,
                   conn: http.client.HTTPConnection | None) -> http.client.HTTPConnection | None:
        """Post one patient's days, each retried with its UUID until acknowledged; returns the
        connection to go on with."""
        token = uuid.uuid4().hex
        headers = {"Content-Type": "application/json", "X-CSRFToken": token,
                   "Cookie": f"sessionid={session}; csrftoken={token}",
                   "Referer": self.site.url("/diary/")}
        today = date.today()  # noqa: DTZ011 - the server's TIME_ZONE is UTC, as is this
        for back in range(DAYS_OF_HISTORY):  # each day once, today backwards
            day = (today - timedelta(days=back)).isoformat()
            entry = str(uuid.uuid4())
            body = json.dumps({
                "uuid": entry, "date": day, "mood": rng.randint(0, 10),
                "anxiety": rng.randint(0, 10), "craving": rng.randint(0, 10),
                "sleep_quality": rng.randint(0, 10), "withdrawal": rng.randint(0, 10),
                "motives": ["pain"], "note": "",
                "uses": [{"substance": "kratom_powder", "amount": str(rng.randint(1, 8)),
                          "unit": "g", "time": "08:00"}],
            })
            with self.lock:
                self.sent[entry] = (session, day)
            while not self._done():
                started = time.monotonic()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.site.port,
                                                          timeout=REQUEST_TIMEOUT)
                    conn.request("POST", "/diary/api/entries/", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status, error = response.status, ""
                    if response.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as exc:
                    status, error = None, type(exc).__name__
                    if conn is not None:
                        conn.close()
                    conn = None
                now = time.monotonic()
                with self.lock:
                    self.attempts.append(Attempt(now, status, error, now - started))
                    if status in (200, 201):
                        self.acknowledged.setdefault(entry, now)
                if status in (200, 201):
                    break
                if status is not None and 400 <= status < 500:
                    break  # refused for good (a bug in the drill): counted, not retried
                time.sleep(RETRY_PAUSE)
            if self._done():
                break
            time.sleep(self.pause)
        return conn


# ---- the figures ------------------------------------------------------------------------------

@dataclass
class Figures:
    requests: int
    acknowledged: int
    lost: int
    duplicated: int
    stored_unacknowledged: int
    statuses: Counter
    connection_errors: Counter
    seconds_without_service: float
    gap_from: float  # when that longest gap began, seconds after the posting started
    back_after: float | None  # seconds from the fault's end to the next acknowledged post
    slowest: float

    @property
    def fivexx(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)

    def line(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items())
                          if code >= 500) or "none"
        errors = ", ".join(f"{name} {n}" for name, n in self.connection_errors.most_common())
        back = "n/a" if self.back_after is None else f"{self.back_after:.1f} s"
        return (f"requests {self.requests}, acknowledged {self.acknowledged}, lost {self.lost}, "
                f"duplicated {self.duplicated}, 5xx {self.fivexx} ({codes}), connection "
                f"errors {sum(self.connection_errors.values())}"
                f"{f' ({errors})' if errors else ''}, seconds without service "
                f"{self.seconds_without_service:.1f} (from t={self.gap_from:.1f} s), back "
                f"{back} after the fault ended, "
                f"slowest answer {self.slowest:.2f} s; stored but never acknowledged "
                f"{self.stored_unacknowledged}")

    def misses(self, *, no_500: bool = True) -> list[str]:
        """The targets this run missed, each said in words."""
        missed = []
        if self.lost:
            missed.append(f"{self.lost} acknowledged entries lost")
        if self.duplicated:
            missed.append(f"{self.duplicated} entries stored twice")
        if self.back_after is None or self.back_after > TARGET_BACK_SECONDS:
            missed.append(f"service not back within {TARGET_BACK_SECONDS:.0f} s of the fault "
                          "ending")
        refused = sum(n for code, n in self.statuses.items() if 400 <= code < 500)
        if refused:
            missed.append(f"{refused} posts refused with a 4xx (the drill's own mistake: "
                          "they were not retried)")
        if no_500 and self.statuses.get(500):
            missed.append(f"{self.statuses[500]} answers were 500 (503 expected)")
        return missed


def answers_between(load: DiaryLoad, start: float, end: float) -> str:
    """What the clients were answered from `start` to `end` (a fault): "503 x264, 201 x37"
    (an error name for no HTTP answer), most frequent first."""
    seen = Counter(a.status or a.error for a in load.attempts if start <= a.at <= end)
    return ", ".join(f"{answer} x{n}" for answer, n in seen.most_common()) or "none"


def back_after(load: DiaryLoad, moment: float) -> float | None:
    """Seconds from `moment` (a fault's end) to the next acknowledged post; None if none."""
    after = [t for t in load.acknowledged.values() if t >= moment]
    return min(after) - moment if after else None


def outage(load: DiaryLoad, start: float, end: float) -> float:
    """The longest time without an acknowledged post between `start` (a kill) and `end` (the
    next kill, or the end of posting), counting the time before the first and after the last
    acknowledged post in that window: a site still down at `end` shows its whole outage."""
    times = sorted(t for t in load.acknowledged.values() if start <= t <= end)
    edges = [start, *times, end]
    return max(b - a for a, b in zip(edges, edges[1:], strict=False))


def figures(load: DiaryLoad, patient_ids: list[int], fault_ended: float | None) -> Figures:
    """Compare what the clients were told with what the database holds."""
    from django.db.models import Count

    from mitra.diary.models import DiaryEntry

    close_db()  # a fresh connection: the fault may have broken the old one
    stored = set(map(str, DiaryEntry.objects.filter(patient_id__in=patient_ids)
                     .values_list("uuid", flat=True)))
    # Each client posts each day once, retrying with one UUID: a day stored twice (a second
    # version) is a duplicate.
    twice = (DiaryEntry.objects.filter(patient_id__in=patient_ids)
             .values("patient_id", "date").annotate(n=Count("id")).filter(n__gt=1))
    duplicated = sum(row["n"] - 1 for row in twice)
    acked = set(load.acknowledged)
    ack_times = sorted([load.started, *load.acknowledged.values()])
    end = max((a.at for a in load.attempts), default=load.started)
    gaps = [b - a for a, b in zip(ack_times, [*ack_times[1:], end], strict=True)]
    back = None if fault_ended is None else back_after(load, fault_ended)
    return Figures(
        requests=len(load.attempts), acknowledged=len(acked), lost=len(acked - stored),
        duplicated=duplicated, stored_unacknowledged=len(stored - acked),
        statuses=Counter(a.status for a in load.attempts if a.status is not None),
        connection_errors=Counter(a.error for a in load.attempts if a.status is None),
        seconds_without_service=max(gaps, default=0.0),
        gap_from=ack_times[gaps.index(max(gaps))] - load.started if gaps else 0.0,
        back_after=back,
        slowest=max((a.seconds for a in load.attempts), default=0.0),
    )


def finish(title: str, result: Figures, extra_misses: list[str] | None = None,
           *, no_500: bool = True) -> int:
    """Print the drill's figures and the targets missed; the exit status (1 when any)."""
    print(f"\n{title}\n  {result.line()}")
    missed = result.misses(no_500=no_500) + (extra_misses or [])
    print("  targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


# ---- faults' helpers -------------------------------------------------------------------------

@contextlib.contextmanager
def drill_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder for one drill, removed afterwards unless MITRA_DRILL_KEEP is set (then
    its path is printed, for the server's log)."""
    path = Path(tempfile.mkdtemp(prefix=f"mitra-drill-{prefix}-"))
    try:
        yield path
    finally:
        if os.environ.get("MITRA_DRILL_KEEP"):
            say(f"kept {path} (MITRA_DRILL_KEEP)")
        else:
            shutil.rmtree(path, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of the drill's own: initdb into a temporary folder, its own port on
    127.0.0.1 and its own socket folder; stopped and removed at the end. Never the machine's
    shared server. As root, the cluster runs as the `postgres` system user (initdb refuses
    root)."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise Skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(bins[-1]).parent
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mitra-drill-pg-"))
        self.data = self.root / "data"
        self.user: str | None = None
        if os.geteuid() == 0:
            import pwd

            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise Skip("running as root and no `postgres` user to run the cluster") from None
            self.user = "postgres"
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self._pg(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8"], timeout=120)
        self.start()
        self._pg(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "mitra_drill"])

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/mitra_drill"

    def _pg(self, argv: list[str], timeout: float = 60) -> None:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [str(self.bin / argv[0]), *argv[1:]], capture_output=True, text=True,
            timeout=timeout, user=self.user, cwd=self.root)
        if result.returncode:
            raise SystemExit(f"{argv[0]} failed: {result.stderr.strip()[-500:]}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=60")
        self._pg(["pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "postgres.log"), "-w", "-t", "60", "start"], timeout=90)

    def kill(self) -> None:
        """Stop at once, as a crash would: no checkpoint, every connection cut."""
        self._pg(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self._pg(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)


def database_for(kind: str, tmp: Path) -> tuple[str, PrivatePostgres | None]:
    """(DATABASE_URL, the private cluster or None) for `--db sqlite|postgres`."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'drill.sqlite3'}", None
    cluster = PrivatePostgres()
    return cluster.url, cluster


@contextlib.contextmanager
def tmpfs(path: Path, size_mb: int) -> Iterator[Path]:
    """A small tmpfs mounted on `path` (root only; Skip where it cannot be mounted)."""
    if os.geteuid() != 0:
        raise Skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    argv = ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)]
    mounted = subprocess.run(argv, capture_output=True, text=True, timeout=30)  # noqa: S603, S607
    if mounted.returncode:
        raise Skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        argv = ["umount", "-l", str(path)]
        subprocess.run(argv, capture_output=True, timeout=30)  # noqa: S603, S607


def fill(path: Path) -> int:
    """Write a file into `path` until its file system is full; returns the bytes written."""
    written = 0
    chunk = b"\0" * (1 << 20)
    with open(path, "wb", buffering=0) as out:
        while True:
            try:
                written += out.write(chunk)
            except OSError:
                break
        for size in (1 << 16, 1 << 12, 1 << 9):  # the last few blocks
            while True:
                try:
                    written += out.write(chunk[:size])
                except OSError:
                    break
    return written


def common_arguments(parser, *, db_default: str = "sqlite") -> None:
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=db_default,
                        help="a SQLite file, or a private PostgreSQL cluster made with initdb")
    parser.add_argument("--clients", type=int, default=6, help="client threads posting")
