"""Running the installed `mitra` console script as a user would, against a temporary database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MITRA = str(Path(sys.executable).with_name("mitra"))


def mitra_env(tmp: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env["MITRA_VAR_DIR"] = str(tmp / "var")
    env["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'cli.sqlite3'}"
    env.pop("SECRET_KEY", None)
    env.update(extra)
    return env


def run_mitra(*args: str, env: dict[str, str], timeout: float = 120,
              stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [MITRA, *args], env=env, capture_output=True, text=True, timeout=timeout, input=stdin,
    )
