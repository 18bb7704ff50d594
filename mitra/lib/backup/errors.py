"""Why a backup or a restore stopped; each kind has its own exit status (see `mitra backup -h`).

0 done; 1 failed (database, pg_dump or pg_restore missing, failing or too slow, disk);
2 bad argument; 3 the backup is refused (partial, damaged, foreign, other vendor);
4 the target database is not empty; 5 restored, but the restored content differs from the
manifest.
"""

from __future__ import annotations


class BackupError(Exception):
    """The backup or restore could not be done (exit 1)."""

    exit_code = 1


class BadArgument(BackupError):
    """A PATH or option the command cannot use (exit 2, as for any bad argument)."""

    exit_code = 2


class BackupRefused(BackupError):
    """Not a whole Mitra backup for this database vendor (exit 3)."""

    exit_code = 3


class TargetNotEmpty(BackupError):
    """A restore only goes into an empty database (exit 4)."""

    exit_code = 4


class VerificationFailed(BackupError):
    """The restored tables' counts or digests differ from the manifest (exit 5)."""

    exit_code = 5


def shown(names: list[str], limit: int = 5) -> str:
    """The first few names, and how many more: for one-line messages."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


EXIT_STATUSES = (
    "exit status: 0 done; 1 failed (database, pg_dump/pg_restore missing, failing or over "
    "--timeout, disk); 2 bad argument; 3 backup refused (partial, damaged, foreign, other "
    "vendor); 4 target database not empty; 5 restored content differs from the manifest"
)
