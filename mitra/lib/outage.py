"""Telling a passing outage from a bug, so that the client gets 503 with Retry-After, not 500.

Two outages are told apart:

- DATABASE: the database cannot be reached or has dropped the connection. Django raises
  `OperationalError` (server down or restarting, connection refused or reset, too many
  connections, a SQLite file that cannot be opened or stays locked) or `InterfaceError` (a
  connection closed under it).
- DISK_FULL: nothing can be written: `OSError` ENOSPC or EDQUOT, SQLite's "database or disk is
  full", PostgreSQL's SQLSTATE 53100 (disk_full). Every page records its audit event, so with a
  full disk every page fails; failing is right (no unaudited access), a 500 is not.

Anything else is a bug and stays a 500. The exception's causes are looked at too: a failure
raised while Django handled a database error (the session store does this) is the outage.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from enum import Enum

from django.db import InterfaceError, OperationalError

# What Retry-After says: a database restart takes a few seconds, a failover up to a minute.
RETRY_AFTER_SECONDS = 30


class Outage(Enum):
    DATABASE = "database"
    DISK_FULL = "disk_full"


DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
PG_DISK_FULL = "53100"


def _chain(first: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    exc: BaseException | None = first
    while exc is not None and id(exc) not in seen and len(seen) < 10:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return True
    if getattr(exc, "sqlstate", None) == PG_DISK_FULL:  # psycopg.errors.DiskFull
        return True
    return "database or disk is full" in str(exc)  # SQLite's SQLITE_FULL


def outage_of(exc: BaseException | None) -> Outage | None:
    """The outage this exception shows, or None for any other failure."""
    if exc is None:
        return None
    chain = list(_chain(exc))
    if any(_is_disk_full(e) for e in chain):
        return Outage.DISK_FULL
    if any(isinstance(e, (OperationalError, InterfaceError)) for e in chain):
        return Outage.DATABASE
    return None


def problem_text(outage: Outage) -> str:
    """One sentence for an API client."""
    if outage is Outage.DISK_FULL:
        return ("the server's storage is full, so nothing new can be recorded; the request may "
                "not have been completed; try again later")
    return (f"the database is unavailable; the request may not have been completed; "
            f"try again in {RETRY_AFTER_SECONDS} seconds")
