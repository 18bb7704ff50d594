"""Reading Mitra's YAML data files (instruments, knowledge base, crisis lines, CBT catalogue).

With libyaml's C loader, which PyYAML's wheels include: the pure-Python loader took about two
seconds of every process start (each `mitra` command, each gunicorn worker) to read them.
Both are the safe loader: plain data only, no Python objects.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(source: str | bytes | IO[str] | IO[bytes]) -> Any:
    return yaml.load(source, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
