"""`mitra serve` for real: gunicorn and the task worker start, the login page answers, and a
SIGTERM stops everything."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.clitools import MITRA, mitra_env, run_mitra


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


def _running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping remains


@pytest.mark.slow
def test_serve_answers_runs_the_worker_and_stops_cleanly(tmp_path):
    env = mitra_env(tmp_path)
    assert run_mitra("migrate", "--no-input", env=env, timeout=300).returncode == 0
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [MITRA, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        status, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(  # noqa: S310 - our own local server
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=5
                ) as response:
                    status, body = response.status, response.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert server.poll() is None, server.communicate(timeout=10)
        assert status == 200
        assert 'name="login"' in body and 'name="password"' in body
        commands = [cmd for _pid, cmd in children_of(server.pid)]
        assert any("gunicorn" in c and "mitra.wsgi:application" in c
                   and "--worker-class gthread --threads 4" in c for c in commands), commands
        assert any("db_worker" in c for c in commands), commands
        descendants = [pid for pid, _cmd in children_of(server.pid)]
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"Mitra is serving on http://127.0.0.1:{port}/" in out
    assert "Traceback" not in err
    time.sleep(0.5)
    alive = [pid for pid in descendants if _running(pid)]
    assert not alive, f"left running after SIGTERM: {alive}"
