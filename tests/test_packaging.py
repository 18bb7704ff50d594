"""The wheel and the sdist carry what they must: each domain's README (the instruments' and
rules' sources and licences), the reference data; the sdist also the test helpers and suite.

Built for real with `python -m build --no-isolation` (nothing fetched) from a copy of the
project, so that the checkout gains no build/ or dist/ folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".venv", "var", "build", "dist", "*.egg-info", ".git",
                              "test-artifacts", "__pycache__", ".*_cache", ".hypothesis",
                              "staticfiles", "node_modules")
DOMAIN_READMES = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("mitra/*/README.md"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[set[str], set[str]]:
    """The file names in the wheel and in the sdist (without the sdist's top folder)."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "mitra-src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "dist"),
         str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = (tmp / "dist").glob("*.whl")
    (sdist,) = (tmp / "dist").glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        wheel_names = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        sdist_names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    return wheel_names, sdist_names


@pytest.mark.slow
def test_the_wheel_carries_every_domain_readme_and_the_data(built):
    wheel, _sdist = built
    assert len(DOMAIN_READMES) >= 6, DOMAIN_READMES
    missing = [name for name in DOMAIN_READMES if name not in wheel]
    assert not missing, f"left out of the wheel: {missing}"
    data = [name for name in wheel if name.startswith("mitra/") and name.endswith(".yaml")]
    assert any(name.startswith("mitra/measures/") for name in data), data
    assert any(name.startswith("mitra/safety/") for name in data), data
    assert not any(name.startswith("tests/") for name in wheel), "the suite is not installed"


@pytest.mark.slow
def test_the_sdist_carries_the_readmes_the_test_helpers_and_the_suite(built):
    _wheel, sdist = built
    wanted = [*DOMAIN_READMES, "README.md", "ARCHITECTURE.md", "CONTRIBUTING.md", "Makefile",
              "constraints.txt", "conftest.py", "mitra/testing.py", "tests/conftest.py",
              "tests/browser.py", "tests/clitools.py", "tests/routes.py",
              "deploy/mitra.service", "bench/drills/common.py",
              # what `make test` installs axe-core from (the accessibility checks)
              "package.json", "package-lock.json", ".npmrc"]
    missing = [name for name in wanted if name not in sdist]
    assert not missing, f"left out of the sdist: {missing}"
