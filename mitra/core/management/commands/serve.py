"""Serve Mitra with gunicorn and run the background worker beside it."""

from __future__ import annotations

import signal
import subprocess
import sys

from django.core.management import call_command
from django.db import connection

from mitra.lib.command import MitraCommand, UsageError
from mitra.lib.env import env_int
from mitra.lib.serving import gunicorn_argv


class Command(MitraCommand):
    help = "Serve Mitra with gunicorn on HOST:PORT and start the background task worker."

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
        call_command("collectstatic", interactive=False, verbosity=0)
        children = []
        if not no_worker:
            children.append(subprocess.Popen([sys.executable, "-m", "mitra.cli", "db_worker"]))
        web = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "-m", "gunicorn", *gunicorn_argv(f"{host}:{port}", workers, threads)])
        children.append(web)
        self.stdout.write(f"Mitra is serving on http://{host}:{port}/ (Ctrl-C stops it)")

        def stop(*_):
            for child in children:
                child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                child.wait(timeout=10)
