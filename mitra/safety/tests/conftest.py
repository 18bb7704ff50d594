"""For the safety tests that check the knowledge base's start-up validation: a copy of the
packaged data files to spoil (`factories.edit_yaml` spoils one)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mitra.safety import kb as kbmod


@pytest.fixture
def data_copy(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(kbmod.DATA_DIR, target)
    return target
