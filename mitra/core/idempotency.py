"""Idempotent submissions: each carries a client-made UUID and a digest of its content.

A repeat with the same UUID and the same digest returns the stored record; the same UUID with
another digest is a conflict (HTTP 409), never a silent overwrite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any


class SubmissionConflict(Exception):
    """A submission UUID reused for different content, or a change to a final record."""


def payload_digest(payload: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """sha256 of the payload as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=default)
    return hashlib.sha256(canonical.encode()).hexdigest()
