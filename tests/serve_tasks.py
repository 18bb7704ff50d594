"""Tasks that tests/test_serve.py enqueues for a real `mitra worker` to run: each appends a line
to a file the test reads, so the test sees when a task started and finished, and in which
process."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


def _append(path: str, line: str) -> None:
    with Path(path).open("a") as out:
        out.write(f"{line} {os.getpid()}\n")


@task()
def note(path: str, text: str) -> str:
    _append(path, text)
    return text


@task()
def linger(path: str, seconds: float) -> None:
    """Starts, waits, finishes: a worker killed in between leaves it RUNNING."""
    _append(path, "started")
    time.sleep(seconds)
    _append(path, "finished")
