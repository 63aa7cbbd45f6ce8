r"""Epsilon-nets of MPS tensors (the paper's Defs. 1-2 and Lemma 3; docs/algorithms.md B3, reconstructed).

* :func:`lemma3_isometries` -- Lemma 3's construction: every entry of a ``rows x cols`` matrix on a grid of
  spacing :math:`\delta/\sqrt{\mathrm{cols}}` in :math:`[-1, 1]` (real and imaginary parts for complex nets),
  each grid matrix mapped to its polar factor :math:`(G G^\dagger)^{-1/2} G`, rank-deficient ``G`` skipped and
  duplicates dropped up to a tolerance. Every element has orthonormal rows; every isometry has a net element
  whose rows differ by at most :math:`\sim\delta` (reconstructed). Size
  :math:`\le (C\sqrt{\mathrm{cols}}/\delta)^{\mathrm{rows}\cdot\mathrm{cols}}` (twice the exponent if
  complex).
* :func:`haar_isometries` -- Haar-random isometries (QR of Gaussian matrices with the sign fix of
  Mezzadri 2007). Not part of the paper: the practical alternative, far smaller for the same accuracy.
* :func:`schmidt_net` -- :math:`N_\lambda`: sorted, normalised Schmidt vectors.
* :func:`pair_net` -- :math:`N_{pair} = N_\lambda\times N_A` as pairs :math:`(\lambda, A)` with
  :math:`A` a right isometry (Def. 2 (1), (3)); optionally *gauge-fixed* (our addition, see there).
* :func:`boundary_blocks` -- the end-site grouping of Sec. II.3: ``m = ceil(log_d D)`` sites per end block.

An isometry net of shape ``(N, rows, cols)`` becomes MPS tensors ``(N, D_l, d, D_r)`` with ``rows = D_l`` and
``cols = d D_r``: :math:`N_{first}` has ``D_l = 1`` (unit vectors), :math:`N_{last}` has ``D_r = 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GRID_LIMIT = 2_000_000


def lemma3_grid_count(rows: int, cols: int, delta: float, real: bool = True) -> int:
    """Number of grid matrices Lemma 3 enumerates before projection and deduplication."""
    per_entry = 2 * int(math.floor(math.sqrt(cols) / delta)) + 1
    return per_entry ** (rows * cols * (1 if real else 2))


def lemma3_size_bound(rows: int, cols: int, delta: float, real: bool = True) -> float:
    """Lemma 3's size bound :math:`(C\\sqrt{cols}/\\delta)^{rows\\,cols}`, ``C = 3`` (exponent doubled if
    complex)."""
    return (3.0 * math.sqrt(cols) / delta) ** (rows * cols * (1 if real else 2))


def _check_delta(delta: float) -> float:
    delta = float(delta)
    if not np.isfinite(delta) or not 0.0 < delta <= 2.0:
        raise ValueError(f"delta must lie in (0, 2], got {delta}")
    return delta


def _check_shape(rows: int, cols: int) -> None:
    if rows < 1 or cols < rows:
        raise ValueError(f"isometries need 1 <= rows <= cols, got rows={rows}, cols={cols}")


def polar_factor(matrices: np.ndarray, rank_tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Polar factors :math:`(G G^\\dagger)^{-1/2} G = U V^\\dagger` of a stack; returns (factors, full-rank
    mask)."""
    u, s, vh = np.linalg.svd(matrices, full_matrices=False)
    keep = s[:, -1] > rank_tol * np.maximum(s[:, 0], 1e-300)
    return np.einsum("nij,njk->nik", u[keep], vh[keep]), keep


def unique_up_to(points: np.ndarray, tol: float) -> np.ndarray:
    """Drop duplicates of a stack (first axis) whose entries agree after rounding to ``tol``."""
    flat = points.reshape(points.shape[0], -1)
    keys = (
        np.round(np.concatenate([flat.real, flat.imag], axis=1) / tol).astype(np.int64)
        if np.iscomplexobj(flat)
        else np.round(flat / tol).astype(np.int64)
    )
    _, index = np.unique(keys, axis=0, return_index=True)
    return points[np.sort(index)]


def lemma3_isometries(
    rows: int, cols: int, delta: float, real: bool = True, tol: float | None = None
) -> np.ndarray:
    """Lemma 3 net of ``rows x cols`` matrices with orthonormal rows, shape ``(N, rows, cols)``.

    Parameters
    ----------
    rows, cols : int
        Matrix shape, ``rows <= cols``.
    delta : float
        Net resolution in (0, 2]; the grid spacing is ``delta / sqrt(cols)``.
    real : bool
        Real net (entries only) or complex (real and imaginary parts on the grid).
    tol : float, optional
        Duplicates are elements whose entries agree after rounding to ``tol``; default a quarter of the grid
        spacing, which merges near-identical polar factors and enlarges the covering radius by at most
        ``delta / 4`` per row.

    Raises
    ------
    ValueError
        If the grid would exceed ``GRID_LIMIT`` matrices (choose a larger ``delta``).
    """
    _check_shape(rows, cols)
    delta = _check_delta(delta)
    count = lemma3_grid_count(rows, cols, delta, real)
    if count > GRID_LIMIT:
        raise ValueError(
            f"delta={delta:g} needs {count} grid matrices (> {GRID_LIMIT}); choose a larger delta"
        )
    spacing = delta / math.sqrt(cols)
    if spacing > 1.0:
        raise ValueError(
            f"delta={delta:g} exceeds sqrt(cols)={math.sqrt(cols):g}: the grid would hold only zero"
        )
    tol = 0.25 * spacing if tol is None else float(tol)
    axis = spacing * np.arange(-math.floor(1 / spacing), math.floor(1 / spacing) + 1)
    entries = rows * cols * (1 if real else 2)
    found = []
    for chunk in _grid_chunks(axis, entries):
        grid = chunk if real else chunk[:, : entries // 2] + 1j * chunk[:, entries // 2 :]
        factors, _ = polar_factor(grid.reshape(-1, rows, cols))
        if factors.shape[0]:
            found.append(unique_up_to(factors, tol))
    return unique_up_to(np.concatenate(found), tol)


def _grid_chunks(axis: np.ndarray, entries: int, chunk: int = 200_000):
    """Yield the Cartesian grid ``axis ** entries`` in row chunks (mixed-radix counting)."""
    total = axis.size**entries
    radix = axis.size ** np.arange(entries - 1, -1, -1, dtype=np.int64)
    for start in range(0, total, chunk):
        index = np.arange(start, min(start + chunk, total), dtype=np.int64)
        yield axis[(index[:, None] // radix[None, :]) % axis.size]


def haar_isometries(
    rows: int, cols: int, size: int, rng: np.random.Generator, real: bool = True
) -> np.ndarray:
    """``size`` Haar-random ``rows x cols`` matrices with orthonormal rows (practical alternative, not Lemma
    3).

    QR of a Gaussian ``cols x rows`` matrix, columns of Q multiplied by the phases of diag(R) so that the
    distribution is exactly Haar, then transposed (conjugated).
    """
    _check_shape(rows, cols)
    if int(size) != size or size < 1:
        raise ValueError(f"net size must be a positive integer, got {size}")
    gauss = rng.standard_normal((int(size), cols, rows))
    if not real:
        gauss = gauss + 1j * rng.standard_normal((int(size), cols, rows))
    q, r = np.linalg.qr(gauss)
    diag = np.diagonal(r, axis1=1, axis2=2)
    phases = np.where(np.abs(diag) > 0, diag / np.maximum(np.abs(diag), 1e-300), 1.0)
    return np.swapaxes(q * phases[:, None, :], 1, 2).conj()


def as_tensors(isometries: np.ndarray, left: int, phys: int, right: int) -> np.ndarray:
    """Reshape an isometry net ``(N, left, phys*right)`` to MPS tensors ``(N, left, phys, right)``."""
    if isometries.shape[1:] != (left, phys * right):
        raise ValueError(f"net of shape {isometries.shape[1:]} cannot hold ({left}, {phys}, {right}) tensors")
    return isometries.reshape(-1, left, phys, right)


def schmidt_net(bond_dim: int, count: int) -> np.ndarray:
    """:math:`N_\\lambda`: sorted (decreasing), normalised, nonnegative Schmidt vectors, shape ``(N, D)``.

    ``D = 1``: the single vector (1). ``D = 2``: :math:`(\\cos t, \\sin t)` with ``count`` values of ``t``
    evenly spaced on :math:`[0, \\pi/4]`. ``D > 2``: vectors :math:`(1, x_2, \\dots, x_D)/\\|\\cdot\\|` with
    :math:`1 \\ge x_2 \\ge \\dots \\ge x_D \\ge 0` on the grid :math:`\\{j/(count-1)\\}`.
    """
    if int(count) != count or count < 1 or (bond_dim > 1 and count < 2):
        raise ValueError(f"schmidt net count must be an integer >= 2, got {count}")
    if bond_dim == 1:
        return np.ones((1, 1))
    if bond_dim == 2:
        t = np.linspace(0.0, np.pi / 4, int(count))
        return np.stack([np.cos(t), np.sin(t)], axis=1)
    steps = np.linspace(0.0, 1.0, int(count))
    grids = np.stack(np.meshgrid(*([steps] * (bond_dim - 1)), indexing="ij"), axis=-1).reshape(
        -1, bond_dim - 1
    )
    grids = grids[np.all(np.diff(grids, axis=1) <= 0, axis=1)]
    vectors = np.concatenate([np.ones((grids.shape[0], 1)), grids], axis=1)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def boundary_blocks(n: int, d: int, bond_dim: int) -> list:
    """Block sizes ``[m, 1, ..., 1, m]`` with ``m = ceil(log_d D)`` (Sec. II.3), so the end sites have
    dimension ``d^m >= D``; ``[1] * n`` when ``D <= d``.
    """
    m = max(1, math.ceil(math.log(bond_dim) / math.log(d) - 1e-12))
    if n < 2 * m:
        raise ValueError(f"n={n} sites are too few to group {m} sites at each end for D={bond_dim}, d={d}")
    if n == 2 * m:
        return [m, m]
    return [m] + [1] * (n - 2 * m) + [m]


@dataclass(frozen=True)
class PairNet:
    """Candidate pairs :math:`P = (\\lambda, A)` for one site.

    Attributes
    ----------
    lam : ndarray (P, D_l)
        Schmidt vector :math:`\\lambda^{[k-1]}` of each pair.
    tensors : ndarray (P, D_l, d, D_r)
        Right-isometric :math:`A^{[k]}`.
    gram : ndarray (P, D_r, D_r)
        :math:`X(P) = \\sum_s A_s^\\dagger\\,\\mathrm{diag}(\\lambda^2)A_s`; approximately left canonical
        means
        :math:`\\|X(P) - \\mathrm{diag}(\\lambda'^2)\\|_1 \\le \\eta` for a :math:`\\lambda'` of the next net.
    lam_index : ndarray (P,) of int
        Row of the site's Schmidt net each pair uses (pairs sharing it share their stitch candidates).
    """

    lam: np.ndarray
    tensors: np.ndarray
    gram: np.ndarray
    lam_index: np.ndarray

    @property
    def size(self) -> int:
        """Number of pairs."""
        return self.tensors.shape[0]

    def subset(self, mask: np.ndarray) -> PairNet:
        """Pairs selected by a boolean mask."""
        return PairNet(self.lam[mask], self.tensors[mask], self.gram[mask], self.lam_index[mask])


def gram_matrices(lam: np.ndarray, tensors: np.ndarray) -> np.ndarray:
    """:math:`X = \\sum_s A_s^\\dagger\\,\\mathrm{diag}(\\lambda^2) A_s`.

    Shapes: ``lam`` (P, Dl), ``tensors`` (P, Dl, d, Dr); returns (P, Dr, Dr).
    """
    return np.einsum("pasb,pa,pasc->pbc", tensors.conj(), lam**2, tensors)


def gauge_fix(lam: np.ndarray, tensors: np.ndarray) -> np.ndarray:
    """Rotate each tensor's right index to the eigenbasis of :math:`X(P)` (eigenvalues decreasing).

    Our addition, not in the paper. :math:`A \\mapsto A V` with :math:`X = V\\mathrm{diag}(\\mu)V^\\dagger`
    keeps :math:`\\sum_s A_s A_s^\\dagger = I` and makes :math:`X(AV) = \\mathrm{diag}(\\mu)` exactly,
    so every pair is perfectly left canonical with :math:`\\lambda' = \\sqrt{\\mu}` and only the Schmidt-net
    spacing limits the stitching. A canonical pair is already in this gauge, so a net element close to it
    stays close when its Schmidt values are non-degenerate. Conventions: each eigenvector's largest entry is
    made real positive; a pair whose ``X`` is already diagonal (to 1e-13) is only permuted into decreasing
    order, so exactly canonical pairs are left unchanged.
    """
    gram = gram_matrices(lam, tensors)
    _, vecs = np.linalg.eigh(gram)
    vecs = vecs[:, :, ::-1]
    pivot = np.take_along_axis(vecs, np.abs(vecs).argmax(axis=1)[:, None, :], axis=1)
    vecs = vecs * (np.abs(pivot) / pivot).conj()
    diagonal = np.einsum("pbb->pb", gram)
    off = np.abs(gram - np.einsum("pb,bc->pbc", diagonal, np.eye(gram.shape[1]))).max(axis=(1, 2))
    settled = off <= 1e-13 * np.maximum(np.abs(diagonal).sum(axis=1), 1e-300)
    order = np.argsort(-diagonal[settled].real, axis=1, kind="stable")
    vecs[settled] = np.eye(gram.shape[1])[:, order].transpose(1, 0, 2)
    return np.einsum("pasb,pbc->pasc", tensors, vecs)


def pair_net(lams: np.ndarray, tensors: np.ndarray, gauge: bool = True) -> PairNet:
    """All pairs :math:`N_\\lambda\\times N_A` (``lams`` (L, Dl), ``tensors`` (N, Dl, d, Dr)), maybe
    gauge-fixed."""
    if lams.shape[1] != tensors.shape[1]:
        raise ValueError(f"Schmidt vectors of length {lams.shape[1]} do not fit tensors {tensors.shape[1:]}")
    lam_index = np.repeat(np.arange(lams.shape[0]), tensors.shape[0])
    lam = lams[lam_index]
    stacked = np.tile(tensors, (lams.shape[0], 1, 1, 1))
    if gauge:
        stacked = gauge_fix(lam, stacked)
    return PairNet(lam, stacked, gram_matrices(lam, stacked), lam_index)


def trace_norm_distance(gram: np.ndarray, lam_next: np.ndarray) -> np.ndarray:
    """:math:`\\|X - \\mathrm{diag}(\\lambda'^2)\\|_1` (trace norm) for ``gram`` (P, D, D), ``lam_next`` (P,
    D)."""
    diff = gram.copy()
    index = np.arange(gram.shape[1])
    diff[:, index, index] -= lam_next**2
    return np.abs(np.linalg.eigvalsh(diff)).sum(axis=1)
