"""gunicorn's command line, the worker's restart delays, static files collected only when their
sources change. (Real servers: tests/test_serve.py.)"""

from __future__ import annotations

import os

import pytest

from mitra.lib.serving import (
    GRACEFUL_TIMEOUT,
    STAMP_NAME,
    Backoff,
    collect_static_if_changed,
    exit_description,
    gunicorn_argv,
)


def test_gunicorn_gets_the_hooks_a_short_grace_and_no_shared_control_socket():
    argv = gunicorn_argv("127.0.0.1:8000", 2, 4)
    assert argv[argv.index("--config") + 1] == "python:mitra.lib.gunicorn_config"
    assert argv[argv.index("--graceful-timeout") + 1] == str(GRACEFUL_TIMEOUT)
    assert "--no-control-socket" in argv
    # The workers are forked from a master that has imported Mitra (a restart is one start-up).
    assert "--preload" in argv


def test_restarts_wait_longer_each_time_and_start_over_after_a_stable_run():
    backoff = Backoff()
    delays = [backoff.after_exit(ran_for=2) for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.after_exit(ran_for=Backoff.STABLE) == 1
    assert backoff.after_exit(ran_for=0.5) == 2


def test_exit_description():
    assert exit_description(3) == "exit status 3"
    assert exit_description(-9) == "killed by SIGKILL"


@pytest.fixture
def static_dirs(settings, tmp_path):
    source, root = tmp_path / "source", tmp_path / "collected"
    (source / "core").mkdir(parents=True)
    (source / "core" / "site.css").write_text("body { color: black }")
    root.mkdir()
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = root
    return source, root


def test_static_files_are_collected_once_until_their_sources_change(static_dirs):
    source, root = static_dirs
    assert collect_static_if_changed() is True
    copied = root / "core" / "site.css"
    assert copied.read_text() == "body { color: black }"
    assert (root / STAMP_NAME).is_file()
    copied_at = copied.stat().st_mtime_ns

    assert collect_static_if_changed() is False  # a second start copies nothing
    assert copied.stat().st_mtime_ns == copied_at

    edited = source / "core" / "site.css"
    edited.write_text("body { color: navy }")
    os.utime(edited, ns=(copied_at + 10**9, copied_at + 10**9))
    assert collect_static_if_changed() is True  # a new release
    assert copied.read_text() == "body { color: navy }"


def test_a_missing_stamp_means_collect_again(static_dirs):
    _source, root = static_dirs
    assert collect_static_if_changed() is True
    (root / STAMP_NAME).unlink()
    assert collect_static_if_changed() is True
