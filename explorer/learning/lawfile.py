"""The law file: a versioned, self-describing ``.npz`` (no pickle) that is validated in full when loaded.

Layout (format version 1): one array per core, ``core_{mode}_{type}`` of shape ``(r_mode, p, r_{mode+1})``; the
array ``selection_table`` ``(d, d)`` (seed eq. 41); and ``metadata``, a JSON string with

- ``format`` (``"tn-explorer-law"``), ``format_version``, ``package_version``;
- ``order`` (1: ``xdot = f(x)``, 2: ``xddot = f(x)``, or null when unknown), ``learned`` (``"law"``, or what else
  the tensor train represents, e.g. the Lennard-Jones target of seed eq. 50);
- ``modes``, ``interaction_length``, ``dictionary`` (name, degree, domain), ``structure`` (degree map, rho, total
  degrees, dense), ``block_sizes`` (label sizes of every interface) and ``ranks``;
- ``cores``: the shape and sha256 of every core;
- ``source`` (the system's description, or the training file's name and sha256), ``training`` (the settings the
  law was learned with) and ``history`` (per-sweep records).

:func:`read_law` rebuilds the structure from the recorded settings and refuses (:class:`LawFileError`, naming what
is wrong) a file whose version is unknown, whose block sizes, ranks or selection table disagree with the settings,
whose cores are missing, extra, misshapen, not finite, nonzero outside their blocks, or differ from their recorded
checksums (an edited or damaged file): a law never predicts silently wrong.

Files written before format versions (version 0: metadata without ``format``, order, block sizes or checksums)
are still read, with every structural check (shapes, block pattern, finite values) but no checksum; their order is
unknown, so set ``law.order`` before simulating one.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from explorer import __version__
from explorer.dictionaries import make_dictionary
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.selection import selection_table
from explorer.tt.structure import BlockStructure

__all__ = ["LawFileError", "FORMAT", "FORMAT_VERSION", "write_law", "read_law", "law_to_bytes", "law_from_bytes"]

FORMAT = "tn-explorer-law"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)


class LawFileError(ValueError):
    """A law file that cannot be trusted; the message names the file and what is wrong."""


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).hexdigest()


def _core_name(mode: int, kind: int) -> str:
    return f"core_{mode}_{kind}"


def _block_sizes(structure: BlockStructure) -> list[list[list[int]]]:
    return [[[int(a), int(s)] for a, s in sorted(sizes.items())] for sizes in structure.label_sizes]


def _metadata(law: SelfSimilarLaw) -> dict:
    provenance = law.provenance or {}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "order": law.order,
        "learned": provenance.get("learned", "law"),
        "modes": law.modes,
        "interaction_length": law.interaction_length,
        "dictionary": law.dictionary.describe(),
        "structure": law.structure.describe(),
        "block_sizes": _block_sizes(law.structure),
        "ranks": [int(r) for r in law.structure.ranks],
        "cores": {_core_name(m, t): {"shape": list(c.shape), "sha256": _digest(c)} for (m, t), c in law.cores.items()},
        "source": provenance.get("source"),
        "training": provenance.get("training"),
        "history": law.history,
    }


def law_to_bytes(law: SelfSimilarLaw) -> bytes:
    """The law file's bytes (for a download button or a network transfer)."""
    buffer = io.BytesIO()
    arrays = {_core_name(m, t): np.asarray(c, dtype=np.float64) for (m, t), c in law.cores.items()}
    np.savez(buffer, metadata=np.array(json.dumps(_metadata(law))),
             selection_table=selection_table(law.modes, law.interaction_length), **arrays)
    return buffer.getvalue()


def write_law(law: SelfSimilarLaw, path) -> None:
    """Write the law file to ``path`` (the whole file is built in memory first, so a failure writes nothing)."""
    Path(path).write_bytes(law_to_bytes(law))


def read_law(path) -> SelfSimilarLaw:
    """Load and validate a law file (see the module docstring); raises :class:`LawFileError`."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as err:
        raise LawFileError(f"{path}: cannot read the law file ({err.strerror or err})") from err
    return law_from_bytes(content, str(path))


def law_from_bytes(content: bytes, name: str = "law") -> SelfSimilarLaw:
    """Load and validate a law file from its bytes; ``name`` appears in error messages."""
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise LawFileError(f"{name}: not a readable law file (.npz without pickled objects): {err}") from err
    try:
        return _build(arrays, name)
    except LawFileError:
        raise
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as err:
        raise LawFileError(f"{name}: invalid law file: {type(err).__name__}: {err}") from err


def _read_metadata(arrays: dict, name: str) -> dict:
    if "metadata" not in arrays:
        raise LawFileError(f"{name}: no 'metadata' entry: not a tn-explorer law file")
    meta = json.loads(str(arrays["metadata"]))
    if isinstance(meta, dict) and "format" not in meta and "structure" in meta:
        return _legacy(meta)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise LawFileError(f"{name}: metadata 'format' must be {FORMAT!r}: not a tn-explorer law file")
    version = meta.get("format_version")
    if version not in SUPPORTED_VERSIONS:
        raise LawFileError(f"{name}: unknown format_version {version!r} (this package, {__version__}, reads "
                           f"{list(SUPPORTED_VERSIONS)})")
    if meta.get("order") not in (None, 1, 2):
        raise LawFileError(f"{name}: metadata 'order' must be 1, 2 or null, got {meta.get('order')!r}")
    return meta


def _legacy(meta: dict) -> dict:
    """Metadata of a file written before format versions (version 0): no order, block sizes or checksums."""
    return {**meta, "format_version": 0, "order": None, "modes": meta["structure"]["modes"], "block_sizes": None,
            "ranks": None, "cores": None, "learned": "law"}


def _structure(meta: dict, name: str):
    st = meta["structure"]
    rho = st["block_size"] if "block_size" in st else st["max_block_size"]  # the key before the rename
    structure = BlockStructure(st["degrees"], st["modes"], rho, st["total_degrees"], st["dense"])
    dic = meta["dictionary"]
    dictionary = make_dictionary(dic["name"], dic["degree"], dic.get("domain"))
    if structure.degrees.tolist() != dictionary.degrees.tolist():
        raise LawFileError(f"{name}: the structure's degree map {structure.degrees.tolist()} does not match the "
                           f"dictionary {dic['name']} of degree {dic['degree']}")
    if structure.modes != meta["modes"]:
        raise LawFileError(f"{name}: 'modes' is {meta['modes']} but the structure has {structure.modes}")
    if meta["format_version"] > 0 and (_block_sizes(structure) != meta["block_sizes"]
                                       or list(structure.ranks) != meta["ranks"]):
        raise LawFileError(f"{name}: the recorded block sizes or ranks do not follow from the recorded structure "
                           "(rho, degrees, total degrees): the file was edited or damaged")
    return structure, dictionary


def _check_core(core: np.ndarray, key: str, mask: np.ndarray, record: dict | None, name: str) -> None:
    """Shape, dtype, finiteness, the block pattern, and the checksum (``record`` None: a version-0 file)."""
    if core.shape != mask.shape:
        raise LawFileError(f"{name}: {key} must have shape {mask.shape} (r_l, p, r_l+1), got {core.shape}")
    if core.dtype != np.float64:
        raise LawFileError(f"{name}: {key} must be float64, got {core.dtype}")
    if not np.all(np.isfinite(core)):
        raise LawFileError(f"{name}: {key} contains NaN or infinite values")
    if np.any(core[~mask] != 0):
        raise LawFileError(f"{name}: {key} has nonzero entries outside its blocks (seed eq. 19)")
    if record is not None and record.get("sha256") != _digest(core):
        raise LawFileError(f"{name}: {key} does not match the checksum recorded when the law was saved "
                           "(the file was edited or damaged)")


def _build(arrays: dict, name: str) -> SelfSimilarLaw:
    meta = _read_metadata(arrays, name)
    structure, dictionary = _structure(meta, name)
    lint = meta["interaction_length"]
    if not isinstance(lint, int) or not 0 <= lint < max(structure.modes, 1):
        raise LawFileError(f"{name}: 'interaction_length' must be an integer in [0, {structure.modes - 1}], "
                           f"got {lint!r}")
    expected_table = selection_table(structure.modes, lint)
    table = arrays.get("selection_table", expected_table if meta["format_version"] == 0 else None)
    if table is None or table.shape != expected_table.shape or np.any(table != expected_table):
        raise LawFileError(f"{name}: 'selection_table' must be the ({structure.modes}, {structure.modes}) table of "
                           f"interaction length {lint} (seed eq. 41)")
    law = SelfSimilarLaw(structure, dictionary, lint, history=meta.get("history") or [], order=meta["order"],
                         provenance={k: meta.get(k) for k in ("learned", "source", "training")})
    expected = {_core_name(m, t): (m, t) for m, t in law.core_keys()}
    present = {k for k in arrays if k.startswith("core_")}
    records = meta["cores"]
    if present != set(expected):
        missing, extra = sorted(set(expected) - present), sorted(present - set(expected))
        raise LawFileError(f"{name}: the cores do not match the selection table (missing {missing[:5]}, "
                           f"unexpected {extra[:5]})")
    for key, (m, t) in expected.items():
        record = None if records is None else records.get(key, {})
        _check_core(arrays[key], key, structure.masks[m], record, name)
        law.cores[(m, t)] = arrays[key]
    return law
