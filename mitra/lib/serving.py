"""gunicorn's command line for Mitra: `mitra serve` runs it, bench/diary_submissions.py
measures it."""

from __future__ import annotations


def gunicorn_argv(bind: str, workers: int, threads: int, *, access_log: bool = True) -> list[str]:
    """Arguments after `gunicorn`: threaded workers (a request waiting on the database leaves
    the core to another), each taking at most twice as many connections as it has threads.

    The cap is for balance. A worker runs Python on one core at a time, and without the cap
    one worker may accept every keep-alive connection while the others idle: the diary
    benchmark's 16 connections all landed on one of two workers in most runs (204-273
    submissions/s against 253-300/s with them shared, alternating on the same two cores).
    Past the cap a worker answers with `Connection: close`, and the client's next connection
    goes to whichever worker accepts it.
    """
    argv = [
        "mitra.wsgi:application", "--bind", bind, "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads),
        "--worker-connections", str(2 * threads),
        "--forwarded-allow-ips", "127.0.0.1",
    ]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv
