"""What `mitra serve` needs around gunicorn: its command line (bench/diary_submissions.py
measures the same), static files collected once per release, the worker's restart backoff, and
the Linux process settings that keep no process of the server alive after it."""

from __future__ import annotations

import ctypes
import hashlib
import os
import signal
import sys
from pathlib import Path

# How long a worker told to stop may finish the requests under way (gunicorn's default is 30 s;
# Mitra's requests take well under a second, a report a few).
GRACEFUL_TIMEOUT = 10


def gunicorn_argv(bind: str, workers: int, threads: int, *, access_log: bool = True) -> list[str]:
    """Arguments after `gunicorn`: threaded workers (a request waiting on the database leaves
    the core to another), each taking at most twice as many connections as it has threads.

    The cap is for balance. A worker runs Python on one core at a time, and without the cap
    one worker may accept every keep-alive connection while the others idle: the diary
    benchmark's 16 connections all landed on one of two workers in most runs (204-273
    submissions/s against 253-300/s with them shared, alternating on the same two cores).
    Past the cap a worker answers with `Connection: close`, and the client's next connection
    goes to whichever worker accepts it.

    The application is loaded once, in the master, before the workers are forked (`--preload`):
    a (re)started server answers as soon as the master has imported Mitra, instead of each
    worker importing it again on the same cores (about 2 s each on a 2-core machine), which is
    most of the time a restart takes. The hooks in mitra.lib.gunicorn_config close the
    master's database connections before it forks, and free the port as soon as a worker
    finds its master gone. gunicorn's control socket is off: its default path is one per user
    (~/.gunicorn/gunicorn.ctl), shared by every server that user runs, and nothing uses it.
    """
    argv = [
        "mitra.wsgi:application", "--bind", bind, "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads),
        "--worker-connections", str(2 * threads),
        "--forwarded-allow-ips", "127.0.0.1",
        "--config", "python:mitra.lib.gunicorn_config",
        "--graceful-timeout", str(GRACEFUL_TIMEOUT),
        "--preload",
        "--no-control-socket",
    ]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv


# ---- static files: collected when the sources change, not at every start ----------------------

STAMP_NAME = ".mitra-collected"


def static_fingerprint() -> str:
    """A digest of every file collectstatic would copy (its static path, size and modification
    time), and of the storage that compresses them: it changes when a release, an installed
    package or a setting changes what is collected."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):  # collectstatic's default ignores
            prefix = getattr(storage, "prefix", None) or ""
            stat = os.stat(storage.path(path))
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def collect_static_if_changed() -> bool:
    """Run collectstatic when STATIC_ROOT was not collected from the present sources; True when
    it ran. The stamp is written last, so an interrupted collection runs again next time."""
    from django.conf import settings
    from django.core.management import call_command

    stamp = Path(settings.STATIC_ROOT) / STAMP_NAME
    fingerprint = static_fingerprint()
    try:
        if stamp.read_text().strip() == fingerprint:
            return False
    except OSError:
        pass
    call_command("collectstatic", interactive=False, verbosity=0)
    partial = stamp.with_suffix(".tmp")
    partial.write_text(fingerprint + "\n")
    partial.replace(stamp)
    return True


# ---- the background worker's restarts ---------------------------------------------------------

class Backoff:
    """Delays between restarts of a process that keeps exiting: FIRST, doubling up to MOST;
    back to FIRST once it has run STABLE seconds (a crash an hour later is not a crash loop)."""

    FIRST = 1.0
    MOST = 60.0
    STABLE = 60.0

    def __init__(self) -> None:
        self.delay = self.FIRST

    def after_exit(self, ran_for: float) -> float:
        """The delay before the next start, for a process that ran `ran_for` seconds."""
        if ran_for >= self.STABLE:
            self.delay = self.FIRST
        delay = self.delay
        self.delay = min(self.delay * 2, self.MOST)
        return delay


# ---- Linux process settings -------------------------------------------------------------------

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Make this process the parent of its orphaned descendants (Linux), so that when the
    gunicorn master dies its workers become this process's children, to be waited for."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent() -> None:
    """For subprocess's preexec_fn: the child gets SIGTERM when the process that started it
    dies, even by SIGKILL (Linux), instead of living on unsupervised."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def child_pids(pid: int | None = None, *, zombies: bool = False) -> list[int]:
    """The children of `pid` (this process by default), read from /proc: the running ones, and
    with `zombies` those that have exited but not been waited for."""
    pid = os.getpid() if pid is None else pid
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and (zombies or fields[0] != "Z"):
            found.append(int(stat.parent.name))
    return found


def exit_description(returncode: int) -> str:
    """How a child ended, in words: "exit status 3", "killed by SIGKILL"."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"
