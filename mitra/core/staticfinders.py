"""Serve the JavaScript that Python packages ship (plotly.min.js) as local static files.

Third-party assets come in through the package manager, never copied into the repository; this
finder exposes only the named files, not the rest of the package's data.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path -> (package, file inside it)
PACKAGED = {
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


class PackagedAssetFinder(BaseFinder):
    def _path(self, name: str) -> Path | None:
        if name not in PACKAGED:
            return None
        package, inner = PACKAGED[name]
        path = Path(str(files(package).joinpath(inner)))
        return path if path.exists() else None

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        found = self._path(path)
        if found is None:
            return [] if find_all else None
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns):
        for name in PACKAGED:
            path = self._path(name)
            if path is not None:
                yield Path(name).name, _Storage(path.parent, Path(name).parent)


class _Storage(FileSystemStorage):
    def __init__(self, location: Path, prefix: Path):
        super().__init__(location=str(location))
        self.prefix = str(prefix)
