"""gunicorn's master as a fork of `mitra serve`, with Mitra already imported.

Why: a restart of the site (the supervisor starting `mitra serve` again after its gunicorn
master died) took two Python start-ups in a row, `mitra serve`'s own and then the master's,
each importing Django and Mitra: about 2 s each on a quiet 2-core machine and up to 4 s on a
busy one, against a target of 5 s without service. `mitra serve` has imported Django already
for its checks, so it imports the application too and forks the master from itself: the
master's workers are forked from it in turn (`--preload`) and answer at once.

The master is gunicorn's own `WSGIApplication` (the same command line as `python -m
gunicorn`, from `mitra.lib.serving.gunicorn_argv`), given the application object instead of
importing it by name. `ForkedProcess` is the little of `subprocess.Popen` that `mitra serve`
uses to watch and stop it.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from gunicorn.app.wsgiapp import WSGIApplication  # type: ignore[import-untyped]


class _LoadedApplication(WSGIApplication):
    """gunicorn's WSGI application with its command line given, and the WSGI callable already
    imported."""

    def __init__(self, application: Callable[..., Any], argv: list[str]) -> None:
        self._application = application
        sys.argv = ["gunicorn", *argv]  # gunicorn's option parser reads sys.argv
        super().__init__("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn")

    def load_wsgiapp(self) -> Callable[..., Any]:
        return self._application


class ForkedProcess:
    """A forked child, watched like `subprocess.Popen`: poll, wait, terminate, kill."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: gone, status unknown
                self.returncode = 1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            try:
                _pid, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = 1
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def fork_gunicorn(application: Callable[..., Any], argv: list[str],
                  *, in_child: Callable[[], None]) -> ForkedProcess:
    """Fork a gunicorn master serving `application` with gunicorn's command line `argv`.

    The caller closes its database connections first: a connection open across the fork
    would be one socket shared by two processes. `in_child` runs in the child before
    gunicorn starts (to die with this process). The child never returns into the caller's
    code: it leaves with gunicorn's exit status, 1 if gunicorn raised."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return ForkedProcess(pid)
    status = 1
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):  # gunicorn installs its own
            signal.signal(signum, signal.SIG_DFL)
        in_child()
        _LoadedApplication(application, argv).run()
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the child must not return into mitra serve
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
