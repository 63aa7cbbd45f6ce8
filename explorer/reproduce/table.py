"""The tidy results table: one CSV row per finished point, appended and flushed as soon as the point finishes.

The ``key`` column identifies a point (all its parameters), so a rerun skips the keys already in the file. A
sweep killed while writing can leave a partial last line; :meth:`ResultTable.read` drops it. Floats are written
with ``repr`` and read back with ``float``, which round-trips every float64 exactly.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

__all__ = ["ResultTable", "point_key", "parse_value"]


def point_key(point: dict) -> str:
    """A stable text key of a point: ``name=value`` pairs in the point's order."""
    return "|".join(f"{name}={value!r}" for name, value in point.items())


def parse_value(text: str):
    """A CSV cell back to None (empty), int, float or str."""
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


class ResultTable:
    """A CSV file with a fixed header, read whole and appended one row at a time.

    Parameters
    ----------
    path : str or Path
        The CSV file; its folder is created on the first append.
    columns : list of str
        The header; an existing file with another header raises ValueError.
    """

    def __init__(self, path, columns):
        self.path = Path(path)
        self.columns = list(columns)

    def _drop_partial_line(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def read(self) -> list[dict]:
        """All complete rows, values parsed with :func:`parse_value` (an empty list for a missing file)."""
        if not self.path.exists():
            return []
        self._drop_partial_line()
        with self.path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return []
            if header != self.columns:
                raise ValueError(
                    f"out: {self.path} holds a table with columns {header}, expected {self.columns}; "
                    "choose another output folder"
                )
            rows = []
            for cells in reader:
                if len(cells) != len(header):
                    raise ValueError(
                        f"out: {self.path} line {reader.line_num} has {len(cells)} cells, the header {len(header)}; "
                        "repair or delete that line"
                    )
                rows.append(dict(zip(header, map(parse_value, cells), strict=True)))
            return rows

    def keys(self) -> set[str]:
        """Keys of the finished points."""
        return {row["key"] for row in self.read()}

    def append(self, row: dict) -> None:
        """Write one row (missing columns empty) and flush it to the operating system."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, self.columns, extrasaction="raise")
            if new:
                writer.writeheader()
            writer.writerow({name: "" if row.get(name) is None else row[name] for name in self.columns})
            handle.flush()
            os.fsync(handle.fileno())
