"""The committed OpenAPI snapshot: a change to the API's shape is a reviewed diff.

Regenerate on purpose with `mitra openapi --write` after an intended change.
"""

from __future__ import annotations

import json
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent / "tests" / "snapshots" / "openapi.json"


def current_schema() -> dict:
    from mitra.api.endpoints import api

    # The path prefix is where the API is mounted (/api/), the same on every installation.
    return json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True, default=str))


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
