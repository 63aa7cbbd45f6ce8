"""Measured data files: trajectories and data pairs from ``.npz`` (read without pickle) and ``.csv``.

Trajectory files
    ``t``: times, shape ``(T,)`` (shared by all trajectories) or ``(M, T)``; ``x``: states ``(M, T, d)`` or
    ``(T, d)`` (one trajectory); optional ``v`` (velocities), ``xdot``, ``xddot`` (measured derivatives), each
    shaped like ``x``. In a ``.csv`` file: one row per time point with a header naming the columns
    ``trajectory, t, x1..xd`` and optionally ``v1..vd``, ``xdot1..xdotd``, ``xddot1..xddotd``.
Pair files
    ``x`` and ``y`` of shape ``(N, d)``: states and the derivatives of the law's order (``.csv``: columns
    ``x1..xd, y1..yd``), as :meth:`explorer.systems.DynamicalSystem.sample` produces them.

Every check failure raises :class:`DataError` with one line naming the file, the key and the expected shape.
:func:`parse_data` reads the bytes of an uploaded file (the dashboard's file input); :func:`load_data` a path.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

from explorer.data.trajectories import PairData, TrajectoryData

__all__ = ["DataError", "load_data", "parse_data", "save_trajectories", "save_pairs", "DERIVATIVE_KEYS"]

DERIVATIVE_KEYS = ("v", "xdot", "xddot")
TRAJECTORY_KEYS = ("t", "x", *DERIVATIVE_KEYS)
PAIR_KEYS = ("x", "y")
SUFFIXES = (".npz", ".csv")


class DataError(ValueError):
    """A data file that cannot be used; the message names the file, the key and the expected shape."""


def load_data(path) -> TrajectoryData | PairData:
    """Read a trajectory or pair file (``.npz`` or ``.csv``); see the module docstring for the layout."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read the file ({err.strerror or err})") from err
    return parse_data(content, str(path))


def parse_data(content: bytes, name: str) -> TrajectoryData | PairData:
    """Parse the bytes of a data file called ``name`` (its suffix selects ``.npz`` or ``.csv``); no pickle."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{name}: expected a .npz or .csv file, got suffix {suffix!r}")
    arrays = _read_npz(content, name) if suffix == ".npz" else _read_csv(content, name)
    digest = hashlib.sha256(content).hexdigest()
    if "t" in arrays:
        unknown = sorted(set(arrays) - set(TRAJECTORY_KEYS))
        if unknown:
            raise DataError(f"{name}: unknown keys {unknown} in a trajectory file (keys: t, x, v, xdot, xddot)")
        return _trajectories(arrays, name, digest)
    if set(arrays) == set(PAIR_KEYS):
        return _pairs(arrays, name, digest)
    raise DataError(f"{name}: expected keys t and x (trajectories) or x and y (pairs), found {sorted(arrays)}")


def _read_npz(content: bytes, name: str) -> dict:
    try:
        data = np.load(io.BytesIO(content), allow_pickle=False)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise DataError(f"{name}: not a readable .npz file ({err})") from err
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise DataError(f"{name}: not a .npz archive (a single .npy array?): expected keys t and x, or x and y")
    with data:
        return {key: _numeric(data, key, name) for key in data.files}


def _numeric(data, key: str, name: str) -> np.ndarray:
    try:
        array = data[key]
    except ValueError as err:
        raise DataError(f"{name}: key '{key}' holds Python objects; only numeric arrays are read") from err
    if not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise DataError(f"{name}: key '{key}' must be a real numeric array, got dtype {array.dtype}")
    return array.astype(np.float64)


def _read_csv(content: bytes, name: str) -> dict:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: not a UTF-8 text file") from err
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise DataError(f"{name}: expected a header row and at least one data row")
    header = [c.strip() for c in lines[0].split(",")]
    try:
        table = np.loadtxt(io.StringIO("\n".join(lines[1:])), delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as err:
        raise DataError(f"{name}: rows must hold {len(header)} numbers separated by commas ({err})") from err
    if table.shape[1] != len(header):
        raise DataError(f"{name}: the header names {len(header)} columns, the rows hold {table.shape[1]}")
    columns = dict(zip(header, table.T, strict=True))
    if "t" in columns:
        return _csv_trajectories(columns, name)
    return {key: _csv_block(columns, key, name) for key in PAIR_KEYS}


def _csv_block(columns: dict, key: str, name: str, required: bool = True):
    """Columns ``key1..keyd`` as an array ``(rows, d)``; ``None`` when absent and not required."""
    count = 0
    while f"{key}{count + 1}" in columns:
        count += 1
    if count == 0:
        if required:
            raise DataError(f"{name}: expected columns {key}1..{key}d in the header")
        return None
    return np.stack([columns[f"{key}{i + 1}"] for i in range(count)], axis=1)


def _csv_trajectories(columns: dict, name: str) -> dict:
    labels = columns.get("trajectory", np.zeros_like(columns["t"]))
    ids, first = np.unique(labels, return_index=True)
    ids = ids[np.argsort(first)]
    rows = [np.flatnonzero(labels == i) for i in ids]
    lengths = {len(r) for r in rows}
    if len(lengths) != 1:
        raise DataError(f"{name}: column 'trajectory': every trajectory must have the same number of rows, "
                        f"got {sorted(lengths)}")
    out = {"t": np.stack([columns["t"][r] for r in rows])}
    for key in ("x", *DERIVATIVE_KEYS):
        block = _csv_block(columns, key, name, required=key == "x")
        if block is not None:
            out[key] = np.stack([block[r] for r in rows])
    return out


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def _check_finite(array: np.ndarray, key: str, name: str) -> None:
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        first = tuple(int(i) for i in bad[0])
        raise DataError(f"{name}: key '{key}' contains NaN or infinite values (first at index {first})")


def _trajectories(arrays: dict, name: str, digest: str) -> TrajectoryData:
    if "x" not in arrays:
        raise DataError(f"{name}: key 'x' is missing: expected states of shape (M, T, d) or (T, d)")
    x, t = arrays["x"], arrays["t"]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise DataError(f"{name}: key 'x' must have shape (M, T, d) or (T, d), got {_shape(arrays['x'].shape)}")
    m, n, d = x.shape
    if t.ndim == 1:
        t = np.broadcast_to(t, (m, t.shape[0]))
    if t.shape != (m, n):
        raise DataError(f"{name}: key 't' must have shape ({n},) or ({m}, {n}) to match 'x' "
                        f"{_shape(arrays['x'].shape)}, got {_shape(arrays['t'].shape)}")
    out = {"t": np.array(t), "x": x}
    for key in DERIVATIVE_KEYS:
        if key in arrays:
            value = arrays[key][None] if arrays[key].ndim == 2 else arrays[key]
            if value.shape != x.shape:
                raise DataError(f"{name}: key '{key}' must have the shape of 'x', {_shape(arrays['x'].shape)}, "
                                f"got {_shape(arrays[key].shape)}")
            out[key] = value
    for key, value in out.items():
        _check_finite(value, key, name)
    steps = np.diff(out["t"], axis=1)
    if n < 2 or np.any(steps <= 0):
        where = np.argwhere(steps <= 0)
        detail = f"first at trajectory {where[0][0]}, index {where[0][1] + 1}" if where.size else f"T = {n}"
        raise DataError(f"{name}: key 't' must hold at least 2 strictly increasing times per trajectory ({detail})")
    return TrajectoryData(**out, name=name, sha256=digest)


def _pairs(arrays: dict, name: str, digest: str) -> PairData:
    x, y = arrays["x"], arrays["y"]
    if x.ndim != 2 or x.shape[0] < 1:
        raise DataError(f"{name}: key 'x' must have shape (N, d), got {_shape(x.shape)}")
    if y.shape != x.shape:
        raise DataError(f"{name}: key 'y' must have the shape of 'x', {_shape(x.shape)}, got {_shape(y.shape)}")
    _check_finite(x, "x", name)
    _check_finite(y, "y", name)
    return PairData(x=x, y=y, name=name, sha256=digest)


def save_trajectories(path, t, x, **derivatives) -> None:
    """Write a trajectory file (``.npz``): ``t``, ``x`` and any of ``v``, ``xdot``, ``xddot``."""
    unknown = sorted(set(derivatives) - set(DERIVATIVE_KEYS))
    if unknown:
        raise ValueError(f"unknown keys {unknown}; allowed: {list(DERIVATIVE_KEYS)}")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in derivatives.items() if v is not None}
    np.savez(path, t=np.asarray(t, dtype=np.float64), x=np.asarray(x, dtype=np.float64), **arrays)


def save_pairs(path, x, y) -> None:
    """Write a pair file (``.npz``) with keys ``x`` and ``y``."""
    np.savez(path, x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64))
