"""Test settings that make the suite fast and strict.

Shared helpers: mitra/testing.py (cast of users, MFA login); browser fixtures: tests/browser.py.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_audit_triggers():
    # Transactional tests end with a flush that the audit trail's triggers refuse.
    from mitra.audit.testing import allow_test_flush

    allow_test_flush()


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


# Fixtures through which a test reaches the database (pytest-django refuses it to any other).
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences",
                     "django_db_serialized_rollback", "live_server"}


@pytest.hookimpl(tryfirst=True)  # the marks below must be there before `-m` selects
def pytest_collection_modifyitems(config, items):
    """Browser tests are slow; the PostgreSQL pass repeats only the tests that reach the database.

    A browser test (a live server, a real Chromium, a database flushed after it) takes seconds,
    so `pytest -m "not slow"` leaves it out without each needing two marks.

    The PostgreSQL pass of `make test` repeats only the tests that reach the database.

    A test without database access (pytest-django refuses it: no django_db mark, no database
    fixture) cannot tell SQLite from PostgreSQL; it ran in the SQLite pass already. Most of
    them start `mitra` as a subprocess against a database of their own, which takes minutes.
    """
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    keep, drop = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
