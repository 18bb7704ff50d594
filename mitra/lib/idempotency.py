"""Idempotent submissions: each carries a client-made UUID and a digest of its content.

A repeat with the same UUID and the same digest returns the stored record; the same UUID with
another digest is a conflict (HTTP 409), never a silent overwrite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

T = TypeVar("T")


class SubmissionConflict(Exception):
    """A submission UUID reused for different content, or a change to a final record."""


def payload_digest(payload: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """sha256 of the payload as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=default)
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_or_created(stored: Callable[[], T | None], create: Callable[[], T]) -> tuple[T, bool]:
    """The record already saved for a submission, or a new one: (record, created).

    `stored` returns the record saved under the submission's UUID, raising SubmissionConflict
    when its content differs, or None. When a concurrent request saves the same UUID first,
    `create` fails on the unique constraint and the record that request saved is returned.
    """
    existing = stored()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        existing = stored()
        if existing is None:
            raise
        return existing, False
