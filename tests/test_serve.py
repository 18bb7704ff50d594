"""`mitra serve` and `mitra worker` for real, through real faults.

Real gunicorn and worker processes on a database of their own: a killed gunicorn master (the
port is free again at once, and serve exits 1 so that a supervisor restarts it), a port taken
by another program, a worker killed in the middle of a task (serve starts it again, the task
runs again), a database outage (SQLite: a lock held past the busy timeout; PostgreSQL: every
connection cut for 9 s by a proxy in front of the shared server). Every wait has a deadline.

The measured times are written to stderr (`pytest -s` shows them).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from tests.clitools import MITRA, mitra_env, run_mitra
from tests.faults import CuttableProxy

# Real servers in their own processes: seconds each.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live descendant process, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent:
                try:
                    cmd = (Path("/proc") / str(child) / "cmdline").read_bytes()
                except OSError:
                    continue
                found.append((child, cmd.replace(b"\0", b" ").decode()))
                frontier.append(child)
    return found


def parent_of(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def _running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping remains


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
    return True


def report(line: str) -> None:
    sys.stderr.write(f"[measured] {line}\n")


def get(port: int, path: str, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body) of one GET on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def wait_until(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def wait_for_status(port: int, path: str, status: int, timeout: float) -> bool:
    def answered():
        try:
            return get(port, path, timeout=5)[0] == status
        except OSError:
            return False
    return bool(wait_until(answered, timeout, 0.3))


# ---- a database for the servers under test -----------------------------------------------

def _pg_admin():
    import psycopg

    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    return psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username,
                           password=url.password, dbname="postgres", autocommit=True,
                           connect_timeout=5)


def _pg_name(suffix: str) -> str:
    base = urllib.parse.urlparse(os.environ["DATABASE_URL"]).path.lstrip("/") or "mitra"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{base}_srv{worker}_{suffix}"[:63]


def _pg_url(name: str, port: int | None = None) -> str:
    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    netloc = f"{url.username or 'postgres'}@127.0.0.1:{port or url.port or 5432}"
    return f"postgres://{netloc}/{name}"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A database migrated once per module, copied for each test: a SQLite file, or on the
    PostgreSQL pass a PostgreSQL template database."""
    tmp = tmp_path_factory.mktemp("migrated")
    if not ON_POSTGRES:
        url = f"sqlite:///{tmp / 'template.sqlite3'}"
        result = run_mitra("migrate", "--no-input", env=mitra_env(tmp, url), timeout=300)
        assert result.returncode == 0, result.stderr
        yield tmp / "template.sqlite3"
        return
    name = _pg_name("tpl")
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    result = run_mitra("migrate", "--no-input", env=mitra_env(tmp, _pg_url(name)), timeout=300)
    assert result.returncode == 0, result.stderr
    yield name
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ServerDatabase:
    """The database one test's servers use: `url` for them, `query` for the test."""

    def __init__(self, migrated, tmp: Path, proxy_port: int | None = None) -> None:
        if ON_POSTGRES:
            self.name = _pg_name(uuid.uuid4().hex[:8])
            with _pg_admin() as admin:
                admin.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{migrated}"')
            self.direct = _pg_url(self.name)
            self.url = _pg_url(self.name, proxy_port)
        else:
            self.path = tmp / "server.sqlite3"
            shutil.copy(migrated, self.path)
            self.url = self.direct = f"sqlite:///{self.path}"

    def query(self, sql: str) -> list[tuple]:
        if ON_POSTGRES:
            import psycopg

            with psycopg.connect(self.direct, connect_timeout=5) as conn:
                return conn.execute(sql).fetchall()
        with sqlite3.connect(self.path, timeout=10) as conn:
            return conn.execute(sql).fetchall()

    def drop(self) -> None:
        if ON_POSTGRES:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def proxy():
    if not ON_POSTGRES:
        yield None
        return
    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    cuttable = CuttableProxy(url.hostname or "127.0.0.1", url.port or 5432)
    yield cuttable
    cuttable.close()


@pytest.fixture
def server_db(migrated, tmp_path, proxy):
    database = ServerDatabase(migrated, tmp_path, proxy.port if proxy else None)
    yield database
    database.drop()


def server_env(tmp_path: Path, server_db: ServerDatabase, **extra: str) -> dict[str, str]:
    # PYTHONPATH: the worker imports the test tasks (tests/serve_tasks.py) by their path.
    return mitra_env(tmp_path, server_db.url, PYTHONPATH=str(REPO),
                     MITRA_TASKS_BACKEND="django_tasks_db.DatabaseBackend", **extra)


class Served:
    """A `mitra serve` (or `mitra worker`) process with its output in files (a pipe would be
    held open by any process it leaves behind)."""

    def __init__(self, args: list[str], env: dict, tmp: Path, name: str = "serve") -> None:
        self.out_path, self.err_path = tmp / f"{name}.out", tmp / f"{name}.err"
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.process = subprocess.Popen([MITRA, *args], env=env,  # noqa: S603
                                            stdout=out, stderr=err)

    @property
    def out(self) -> str:
        return self.out_path.read_text()

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    def stop(self, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for pid, _cmd in children_of(self.process.pid):
                os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=10)
            raise


def serve(tmp_path: Path, env: dict, port: int, *extra: str, name: str = "serve") -> Served:
    return Served(["serve", "--host", "127.0.0.1", "--port", str(port), *extra], env, tmp_path,
                  name)


def enqueue(env: dict, call: str) -> None:
    """Enqueue a task from tests/serve_tasks.py, as application code does."""
    code = f"from tests import serve_tasks; serve_tasks.{call}"
    result = run_mitra("shell", "-v", "0", "-c", code, env=env, timeout=60)
    assert result.returncode == 0, result.stderr


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# ---- the web server -----------------------------------------------------------------------

@pytest.mark.django_db  # also in the PostgreSQL pass (the servers use their own database)
def test_serve_answers_runs_the_worker_and_stops_cleanly(tmp_path, server_db):
    env = server_env(tmp_path, server_db)
    port = free_port()
    server = serve(tmp_path, env, port, "--workers", "1")
    try:
        assert wait_for_status(port, "/accounts/login/", 200, timeout=90), server.err
        status, _headers, body = get(port, "/accounts/login/")
        assert 'name="login"' in body and 'name="password"' in body
        children = children_of(server.process.pid)
        commands = [cmd for _pid, cmd in children]
        # gunicorn's master is forked from mitra serve (mitra.lib.forked_gunicorn) and names
        # itself; its one worker (--workers 1) is its child.
        masters = [pid for pid, cmd in children
                   if cmd.startswith("gunicorn: master [mitra.wsgi:application]")]
        assert len(masters) == 1, commands
        workers = [cmd for _pid, cmd in children_of(masters[0])]
        assert len(workers) == 1 and workers[0].startswith("gunicorn: worker"), workers
        assert any("mitra.cli worker" in c for c in commands), commands
        # The worker's heartbeat makes /readyz ready.
        assert wait_for_status(port, "/readyz", 200, timeout=60), get(port, "/readyz")
        descendants = [pid for pid, _cmd in children_of(server.process.pid)]
    finally:
        returncode = server.stop()
    assert returncode == 0, server.err
    assert f"Mitra is serving on http://127.0.0.1:{port}/" in server.out
    assert "Traceback" not in server.err
    alive = [pid for pid in descendants if _running(pid)]
    assert not alive, f"left running after SIGTERM: {alive}"


def test_a_killed_master_frees_the_port_and_serve_fails_so_it_is_restarted(tmp_path,
                                                                           server_db):
    env = server_env(tmp_path, server_db)
    port = free_port()
    server = serve(tmp_path, env, port, "--workers", "2")
    held = []
    try:
        assert wait_for_status(port, "/healthz", 200, timeout=90), server.err
        assert "Static files collected" in server.out
        collected = Path(env["MITRA_VAR_DIR"]) / "static" / "core" / "mitra.css"
        collected_at = collected.stat().st_mtime_ns
        # Clients half-way through sending a request: what kept the port for gunicorn's
        # graceful timeout (30 s) before the worker hook.
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            held.append(sock)
        descendants = children_of(server.process.pid)
        [master] = [pid for pid, cmd in descendants
                    if "gunicorn" in cmd and parent_of(pid) == server.process.pid]
        killed = time.monotonic()
        os.kill(master, signal.SIGKILL)
        freed = wait_until(lambda: port_is_free(port) and time.monotonic(), 20, 0.05)
        returncode = server.process.wait(timeout=30)
        exited = time.monotonic()
    finally:
        for sock in held:
            sock.close()
        if server.process.poll() is None:
            server.stop()
    assert freed, "the port was still held 20 s after the master was killed"
    report(f"port free {freed - killed:.2f} s after kill -9 of the gunicorn master; "
           f"mitra serve exited {exited - killed:.2f} s after it, status {returncode}")
    assert freed - killed < 5
    assert returncode == 1
    assert exited - killed < 15
    assert "the web server (gunicorn) stopped by itself (killed by SIGKILL)" in server.err
    alive = [pid for pid, _cmd in descendants if _running(pid)]
    assert not alive, f"left running after the master died: {alive}"

    # What a supervisor does next: start it again. It binds at once, and does not collect the
    # static files again: nothing changed since.
    again = serve(tmp_path, env, port, "--workers", "1", name="again")
    try:
        assert wait_for_status(port, "/healthz", 200, timeout=90), again.err
    finally:
        assert again.stop() == 0, again.err
    assert "Static files are up to date" in again.out
    assert collected.stat().st_mtime_ns == collected_at


def test_serve_exits_1_naming_the_port_when_it_is_taken(tmp_path, server_db):
    env = server_env(tmp_path, server_db)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = run_mitra("serve", "--port", str(port), env=env, timeout=60)
        took = time.monotonic() - started
    report(f"serve on a taken port exited {result.returncode} after {took:.1f} s")
    assert result.returncode == 1
    assert result.stderr.strip() == (f"mitra serve: error: port {port} on 127.0.0.1 is in use "
                                     "by another program (choose another --port)")
    assert "Mitra is serving" not in result.stdout


# ---- the background worker ----------------------------------------------------------------

@pytest.mark.django_db  # also in the PostgreSQL pass (the servers use their own database)
def test_serve_restarts_a_killed_worker_and_its_task_runs_again(tmp_path, server_db):
    env = server_env(tmp_path, server_db)
    port = free_port()
    trace = tmp_path / "linger.txt"
    server = serve(tmp_path, env, port, "--workers", "1")
    try:
        assert wait_for_status(port, "/healthz", 200, timeout=90), server.err
        enqueue(env, f"linger.enqueue({str(trace)!r}, 4)")
        assert wait_until(lambda: lines(trace), 60), server.err
        [worker] = [pid for pid, cmd in children_of(server.process.pid)
                    if "mitra.cli worker" in cmd]
        killed = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        restarted = wait_until(lambda: "worker started again" in server.err
                               and time.monotonic(), 30)
        finished = wait_until(lambda: any(x.startswith("finished") for x in lines(trace))
                              and time.monotonic(), 90)
        assert server.process.poll() is None, server.err
    finally:
        assert server.stop() == 0, server.err
    assert restarted and finished, (server.err, lines(trace))
    report(f"worker killed mid-task: started again after {restarted - killed:.1f} s, the task "
           f"ran again to its end {finished - killed:.1f} s after the kill")
    assert "the background worker stopped (killed by SIGKILL); starting it again in 1 s" \
        in server.err
    started = [x for x in lines(trace) if x.startswith("started")]
    assert len(started) == 2 and started[0] != started[1], lines(trace)  # two processes
    [(status, worker_ids)] = server_db.query(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE task_path = 'tests.serve_tasks.linger'")
    assert status == "SUCCESSFUL"
    worker_ids = worker_ids if isinstance(worker_ids, list) else json.loads(worker_ids)
    assert len(worker_ids) == 2


@pytest.mark.django_db  # also in the PostgreSQL pass (the servers use their own database)
def test_the_worker_survives_a_database_outage(tmp_path, server_db, proxy):
    env = server_env(tmp_path, server_db)
    notes = tmp_path / "notes.txt"
    worker = Served(["worker", "--interval", "0.2", "--worker-id", "outage"], env, tmp_path,
                    "worker")
    try:
        enqueue(env, f"note.enqueue({str(notes)!r}, 'before')")
        assert wait_until(lambda: any("before" in x for x in lines(notes)), 60), worker.err
        began = time.monotonic()
        if proxy is not None:  # PostgreSQL: every connection dropped, new ones refused
            proxy.cut()
            time.sleep(9)
            proxy.mend()
        else:  # SQLite: a writer holds the database past the busy timeout (5 s)
            lock = sqlite3.connect(server_db.path, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            time.sleep(9)
            lock.execute("COMMIT")
            lock.close()
        ended = time.monotonic()
        assert worker.process.poll() is None, worker.err
        enqueue(env, f"note.enqueue({str(notes)!r}, 'after')")
        done = wait_until(lambda: any("after" in x for x in lines(notes))
                          and time.monotonic(), 60)
    finally:
        assert worker.stop() == 0, worker.err
    assert done, worker.err
    report(f"worker through a {ended - began:.0f} s outage: the task enqueued after it ran "
           f"{done - ended:.1f} s after the outage ended")
    assert "database error" in worker.err and "trying again in 1 s" in worker.err
    assert len({x.split()[-1] for x in lines(notes)}) == 1, lines(notes)  # one process


# ---- pages and API through a PostgreSQL outage --------------------------------------------

@pytest.mark.django_db  # runs in the PostgreSQL pass (the servers use their own database)
@pytest.mark.skipif(not ON_POSTGRES, reason="cuts PostgreSQL connections; SQLite pass: "
                    "mitra/core/tests/test_outage.py covers the answers")
def test_pages_and_api_answer_503_through_a_database_outage_and_200_after(tmp_path, server_db,
                                                                        proxy):
    env = server_env(tmp_path, server_db, DB_CONN_MAX_AGE="60")
    port = free_port()
    server = serve(tmp_path, env, port, "--workers", "1", "--threads", "2")
    cookie = {"Cookie": f"sessionid={uuid.uuid4().hex}"}  # a session the database looks up
    bearer = {"Authorization": "Bearer mitra_pat_not-a-token"}
    try:
        assert wait_for_status(port, "/readyz", 200, timeout=90), server.err
        for _ in range(6):  # each gunicorn thread keeps a connection (DB_CONN_MAX_AGE)
            assert get(port, "/caseload/", cookie)[0] == 302

        # A restart between requests: the kept connections are dead, and health checks
        # replace them before the first query (without, the first request on each failed).
        proxy.cut()
        time.sleep(1)
        proxy.mend()
        after_restart = [get(port, "/caseload/", cookie)[0] for _ in range(8)]
        assert after_restart == [302] * 8

        proxy.cut()
        cut = time.monotonic()
        assert get(port, "/healthz")[0] == 200
        status, headers, body = get(port, "/readyz")
        assert (status, headers["Retry-After"]) == (503, "30")
        assert json.loads(body)["checks"]["database"] == {
            "ok": False, "problem": "the database cannot be reached"}
        status, headers, body = get(port, "/caseload/", cookie)
        assert (status, headers["Retry-After"]) == (503, "30")
        assert "briefly unavailable" in body and "988" in body
        for headers_sent in (bearer, {**bearer, **cookie}):
            status, headers, body = get(port, "/api/me", headers_sent)
            assert (status, headers["Retry-After"]) == (503, "30")
            assert headers["Content-Type"].startswith("application/json")
            error = json.loads(body)
            assert error["status"] == 503 and "database is unavailable" in \
                error["errors"][0]["problem"]
            status, headers, body = get(port, "/fhir/Patient", headers_sent)
            assert status == 503 and headers["Content-Type"].startswith("application/fhir+json")
            outcome = json.loads(body)
            assert outcome["resourceType"] == "OperationOutcome"
            assert outcome["issue"][0]["code"] == "transient"
        time.sleep(max(0.0, 9 - (time.monotonic() - cut)))
        proxy.mend()
        mended = time.monotonic()
        assert [get(port, "/caseload/", cookie)[0] for _ in range(8)] == [302] * 8
        assert get(port, "/api/me", bearer)[0] == 401
        ready = wait_for_status(port, "/readyz", 200, timeout=60)
        report(f"web after a 9 s PostgreSQL outage: ready again {time.monotonic() - mended:.1f}"
               " s after it ended")
        assert ready, get(port, "/readyz")
    finally:
        assert server.stop() == 0, server.err
    assert "background worker stopped" not in server.err  # it waited the outage out
