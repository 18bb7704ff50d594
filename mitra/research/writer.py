"""One kind's rows written as they come to a CSV file and a Parquet file, in bounded batches:
memory holds one batch, whatever the number of rows."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mitra.research.kinds import Column

ARROW_TYPES = {
    "string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
    "date": pa.date32(), "timestamp": pa.timestamp("s", tz="UTC"),
}


def schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in columns])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class KindWriter:
    """Writes rows to `<dir>/<name>.csv` and `<dir>/<name>.parquet`; `close` returns the
    count."""

    def __init__(self, directory: Path, name: str, columns: Sequence[Column],
                 batch_rows: int = 50_000) -> None:
        self.name, self.columns, self.batch_rows = name, list(columns), batch_rows
        self.csv_path = directory / f"{name}.csv"
        self.parquet_path = directory / f"{name}.parquet"
        self._csv_file = self.csv_path.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file, lineterminator="\r\n")
        self._csv.writerow([c.name for c in self.columns])
        self.schema = schema(self.columns)
        self._parquet = pq.ParquetWriter(self.parquet_path, self.schema, compression="zstd")
        self._batch: list[tuple[Any, ...]] = []
        self.rows = 0

    def write(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for row in rows:
            self._batch.append(row)
            if len(self._batch) >= self.batch_rows:
                self.flush()

    def flush(self) -> None:
        if not self._batch:
            return
        self._csv.writerows([_cell(v) for v in row] for row in self._batch)
        # Column-wise for Arrow: one list per column, typed by the schema.
        arrays = [pa.array([row[i] for row in self._batch], type=field.type)
                  for i, field in enumerate(self.schema)]
        self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += len(self._batch)
        self._batch = []

    def close(self) -> int:
        self.flush()
        self._csv_file.close()
        self._parquet.close()
        return self.rows

    def abort(self) -> None:
        self._batch = []
        self._csv_file.close()
        self._parquet.close()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
