"""Running `mitra` as a user would: in this process (call_mitra) or as the installed console
script against a temporary database (run_mitra).

call_mitra is the default: `mitra.cli:main` is what the console script runs, and a process start
costs about 2 s. run_mitra is for what only a new process sees: settings and DATABASE_URL read
at start-up, and the exit status of the installed script itself.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

MITRA = str(Path(sys.executable).with_name("mitra"))


def mitra_env(tmp: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env["MITRA_VAR_DIR"] = str(tmp / "var")
    env["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'cli.sqlite3'}"
    env.pop("SECRET_KEY", None)
    env.update(extra)
    return env


def run_mitra(*args: str, env: dict[str, str], timeout: float = 120,
              stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [MITRA, *args], env=env, capture_output=True, text=True, timeout=timeout, input=stdin,
    )


@dataclass(frozen=True)
class Ran:
    """What `mitra ARGS` left: its exit status and what it wrote (as CompletedProcess has)."""

    returncode: int
    stdout: str
    stderr: str


def call_mitra(*args: str) -> Ran:
    """`mitra ARGS` in this process, through the console script's own `mitra.cli:main`.

    The exit status is the one the script (`sys.exit(main())`) would end with: main's return
    value, or the code of a SystemExit on the way (argparse and MitraCommand exit 2 on a bad
    argument, 1 with the message for a string). The command runs with this process's settings
    and test database: a test that lets it reach the database needs `transactional_db`, because
    a command run from the command line closes its connections when it ends.
    """
    from mitra.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = _logging_state()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        # main() runs django.setup() again, whose logging configuration replaces the handlers
        # (pytest's capture among them) and would leave one writing to this call's buffer.
        _restore_logging(saved)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        err.write(f"{code}\n")
        code = 1
    return Ran(code, out.getvalue(), err.getvalue())


def _loggers() -> list[logging.Logger]:
    return [logging.root] + [logger for logger in logging.Logger.manager.loggerDict.values()
                             if isinstance(logger, logging.Logger)]


def _logging_state() -> list[tuple[logging.Logger, list, int, bool, bool]]:
    return [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in _loggers()]


def _restore_logging(saved) -> None:
    known = {id(state[0]) for state in saved}
    for logger, handlers, level, propagate, disabled in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled
    for logger in _loggers():  # loggers first made during the call: back to the defaults
        if id(logger) not in known:
            logger.handlers.clear()
