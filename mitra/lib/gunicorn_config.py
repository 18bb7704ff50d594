"""gunicorn server hooks for Mitra, loaded with `--config python:mitra.lib.gunicorn_config`
(see `mitra.lib.serving.gunicorn_argv`). gunicorn reads every module-level name that is one of
its settings, so this module holds the hooks and nothing else.

Why a hook: a gthread worker notices within a second that its master died (it compares
`os.getppid()` with the master's pid on every turn of its loop) and then stops like a worker told
to stop gracefully: it lets its open connections finish for up to `--graceful-timeout` and only
then closes the listening socket. Until then the orphaned worker keeps the port, and a restarted
server fails with "Connection in use"; with a client holding a half-sent request that was
measured at 30 s, gunicorn's default graceful timeout. The hook closes the listening socket the
moment the worker sees its master gone, so the port is free for the restart at once, while the
requests already being answered still finish.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Wrap the worker's parent check so that a worker whose master died stops listening first."""
    parent_alive = getattr(worker, "is_parent_alive", None)
    if parent_alive is None:  # not a gthread worker: nothing to wrap
        return

    def is_parent_alive() -> bool:
        if parent_alive():
            return True
        worker.log.warning("gunicorn master (pid %s) is gone: closing the listening socket, "
                           "finishing the requests under way", worker.ppid)
        worker.set_accept_enabled(False)
        for listener in worker.sockets:
            listener.close()
        return False

    worker.is_parent_alive = is_parent_alive


def pre_fork(server: Any, worker: Any) -> None:
    """With `--preload` the workers are forked from a master that has imported Mitra: a database
    connection the import opened would be one socket shared by every worker. Close it first."""
    from django.db import connections

    connections.close_all()
