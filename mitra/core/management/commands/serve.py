"""Serve Mitra with gunicorn and supervise the background worker beside it.

Exit status, for a supervisor that restarts on failure (deploy/mitra.service):
0 stopped on request (SIGTERM, SIGINT); 1 the web server could not start (port taken, database
unreachable) or stopped by itself (its master died); 2 a bad argument or setting.

The background worker (`mitra worker`) is started again whenever it exits, after a pause that
starts at 1 s and doubles to 60 s while it keeps exiting (mitra.lib.serving.Backoff).
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from importlib import import_module

from django.core.management.base import CommandError
from django.db import connection, connections

from mitra.lib.command import MitraCommand, UsageError
from mitra.lib.env import env_int
from mitra.lib.forked_gunicorn import ForkedProcess, fork_gunicorn
from mitra.lib.serving import (
    GRACEFUL_TIMEOUT,
    Backoff,
    become_subreaper,
    child_pids,
    collect_static_if_changed,
    die_with_parent,
    exit_description,
    gunicorn_argv,
)

# How long `mitra serve` waits for a free port (a server stopping on it frees it within a
# second), and for the workers of a dead gunicorn master to finish their requests: a request
# takes milliseconds, and each second here is a second more before the supervisor can start
# the server again (a request cut short is retried by its client with the same UUID).
PORT_WAIT_SECONDS = 3
ORPHAN_GRACE_SECONDS = 1
POLL_SECONDS = 0.2


def port_problem(host: str, port: int) -> tuple[str, bool] | None:
    """Why gunicorn could not listen on host:port (it binds with SO_REUSEADDR, as this probe
    does), and whether the port is merely in use; None when it could."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"--host {host} is not an address this machine has ({exc.strerror})", False
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
            probe.listen()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is in use by another program "
                        "(choose another --port)"), True
            return f"cannot listen on {host}:{port}: {exc.strerror}", False
    return None


class Command(MitraCommand):
    help = "Serve Mitra with gunicorn on HOST:PORT and run the background task worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=env_int("WEB_CONCURRENCY", 2),
            help="gunicorn worker processes (default: WEB_CONCURRENCY or 2)",
        )
        parser.add_argument(
            "--threads", type=int, default=env_int("WEB_THREADS", 4),
            help="threads per worker process (default: WEB_THREADS or 4); keep-alive "
                 "connections, and a request waiting on the database leaves the core to another",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the task worker."
        )

    def handle(self, *args, host, port, workers, threads, no_worker, **options):
        if not 0 < port < 65536:
            raise UsageError(f"--port must be between 1 and 65535, not {port}")
        if not 0 < workers <= 64:
            raise UsageError(f"--workers must be from 1 to 64, not {workers}")
        if not 0 < threads <= 64:
            raise UsageError(f"--threads must be from 1 to 64, not {threads}")
        connection.ensure_connection()  # fail here, in one line, if the database is unreachable
        connection.close()
        problem = port_problem(host, port)
        deadline = time.monotonic() + PORT_WAIT_SECONDS
        while problem and problem[1] and time.monotonic() < deadline:  # a server stopping
            time.sleep(0.25)
            problem = port_problem(host, port)
        if problem:
            raise CommandError(problem[0])
        if collect_static_if_changed():
            self.stdout.write("Static files collected (new or changed since the last time)")
        else:
            self.stdout.write("Static files are up to date")
        # The dead master's workers become this process's children, to wait for (and stop).
        become_subreaper()

        self.stop_signal: int | None = None
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_stop_signal)
        # gunicorn's master is forked from this process with Mitra imported here, once
        # (mitra.lib.forked_gunicorn: a restart costs one Python start-up, not two).
        application = import_module("mitra.wsgi").application
        connections.close_all()
        web = fork_gunicorn(application, gunicorn_argv(f"{host}:{port}", workers, threads),
                            in_child=die_with_parent)
        # One id per host and port: a restarted worker takes over the tasks its predecessor
        # left RUNNING at once (mitra.core.taskworker).
        worker_id = f"serve-{socket.gethostname()[:40]}-{port}"
        worker_argv = [sys.executable, "-m", "mitra.cli", "worker", "--worker-id", worker_id]
        worker = None if no_worker else self._start(worker_argv)
        self.stdout.write(f"Mitra is serving on http://{host}:{port}/ (Ctrl-C stops it)")
        self.stdout.flush()

        backoff, worker_started, restart_at = Backoff(), time.monotonic(), None
        while self.stop_signal is None and web.poll() is None:
            now = time.monotonic()
            if worker is not None and restart_at is None and worker.poll() is not None:
                delay = backoff.after_exit(now - worker_started)
                self.stderr.write(
                    f"mitra serve: the background worker stopped "
                    f"({exit_description(worker.returncode)}); starting it again in {delay:g} s")
                restart_at = now + delay
            elif restart_at is not None and now >= restart_at:
                worker, worker_started, restart_at = self._start(worker_argv), now, None
                self.stderr.write("mitra serve: the background worker started again")
            time.sleep(POLL_SECONDS)

        if self.stop_signal is not None:
            self._stop(web, worker)
            return
        status = web.returncode
        self._stop(web, worker)
        raise CommandError(
            f"the web server (gunicorn) stopped by itself ({exit_description(status)}); "
            "exiting with an error so that the supervisor starts Mitra again")

    def _on_stop_signal(self, signum, frame):
        self.stop_signal = signum

    def _start(self, argv: list[str]) -> subprocess.Popen:
        return subprocess.Popen(argv, preexec_fn=die_with_parent)  # noqa: S603 - fixed argv

    def _stop(self, web: ForkedProcess, worker: subprocess.Popen | None) -> None:
        """SIGTERM to gunicorn (its workers finish their requests) and to the worker (it
        finishes its task), SIGKILL past the grace period. The workers of a master that died
        are this process's children now (become_subreaper): they have closed the listening
        socket and finish their requests for ORPHAN_GRACE_SECONDS at most. None outlives
        `mitra serve`."""
        children = [p for p in (web, worker) if p is not None]
        for child in children:
            if child.poll() is None:
                child.terminate()
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            running = [child for child in children if child.poll() is None]
            if elapsed > GRACEFUL_TIMEOUT + 5:
                for child in running:
                    child.kill()
                    child.wait()
                running = []
            orphans = self._orphans(exclude={child.pid for child in children})
            if orphans and elapsed > ORPHAN_GRACE_SECONDS:
                for pid in orphans:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if not running and not orphans:
                return
            time.sleep(POLL_SECONDS / 2)

    def _orphans(self, exclude: set[int]) -> list[int]:
        """Reap the orphans that have exited; return the pids of those still running."""
        running = []
        for pid in child_pids(zombies=True):
            if pid in exclude:
                continue
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    running.append(pid)
            except ChildProcessError:
                pass
        return running
