"""`mitra worker`: the background task worker (django-tasks-db's `db_worker`, with its options)
that outlives database outages, beats a heartbeat and takes over the tasks of dead workers
(mitra.core.taskworker). `mitra serve` runs it and restarts it when it exits."""

from __future__ import annotations

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from mitra.core.taskworker import ResilientWorker


class Command(db_worker.Command):
    help = ("Run the background task worker: it survives database outages, writes a heartbeat "
            "for /readyz and runs again the tasks of workers that died.")

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay,
               reload, max_tasks, worker_id, exclude_queues, **options):
        # db_worker's own handle() with ResilientWorker in place of its Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names, interval=interval, batch=batch, backend_name=backend_name,
            startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the reloaded child handles the signals
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
