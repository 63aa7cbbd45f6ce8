r"""Epsilon-net dynamic programming with stitching (the paper's Sec. III.3; docs/algorithms.md B4-B5,
reconstructed).

For every site ``k`` a net of pairs :math:`P_k = (\lambda^{[k-1]}, A^{[k]})` (right-isometric ``A``) is
scored by

.. math::
    f_1(P) = 0, \qquad f_{k+1}(\lambda', B) = \min_{P:\ \|X(P) - \mathrm{diag}(\lambda'^2)\|_1 \le \eta}
    f_k(P) + e(P, B), \qquad X(P) = \sum_s A_s^\dagger\,\mathrm{diag}(\lambda^2)\,A_s,

(the stitching condition is the paper's (13), approximate left canonicity of a pair its (11); both in the
trace norm as reconstructed in docs/algorithms.md B2/B4) with the bond energy
:math:`e(P, B) = \langle M(\lambda, A), R(B)\rangle` (:mod:`.mps`), so a table of bond
energies is one matrix product. :math:`\tilde E = \min f_n`; back-pointers give :math:`A^{[1..n]}`, a
normalised MPS whose true energy :math:`E` (B5) is reported next to :math:`\tilde E`. As in the paper's Claim
4, the DP returns the minimiser of :math:`\tilde E` over all MPS built from the nets whose stitches all hold.
If every stitch holds with tolerance :math:`\eta`, :math:`|E - \tilde E| \le J\eta(n-1)(n-2)/2`
(reconstructed bound).

Stitch candidates are prefiltered with a KD-tree ball query in the :math:`\ell_1` norm on
:math:`\mathrm{diag}\,X(P)` around :math:`\lambda'^2` (valid because the trace norm of a Hermitian matrix
bounds the :math:`\ell_1` norm of its diagonal) and then checked exactly. When the interior of the chain is
translation invariant one pair net, one candidate list and (memory permitting) one energy table serve every
interior site.

Our additions (documented, not in the paper): gauge-fixed pairs (:func:`.nets.gauge_fix`) and optional
*refinement rounds* which re-run the DP with per-site nets concentrated around the canonical pairs of the
best solution so far, with a shrinking perturbation size and stitch tolerance. That solution's exact canonical
pairs are in the new nets and stitch perfectly, so each round's :math:`\tilde E` is at most the true energy of
the solution it refines; the round with the lowest true energy is returned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from explorer.cancellation import check
from explorer.progress import run_to_end

from . import nets
from .hamiltonians import ChainHamiltonian
from .mps import MPS, diagonal_left_block, right_block

NET_SIZE = 500
"""Default size of each Haar net (``EpsilonNetDP`` and ``GroundStateModel``)."""
REFINE = 10
"""Default number of refinement rounds after the global DP (``EpsilonNetDP`` and ``GroundStateModel``)."""
CHUNK = 4_000_000
REFINE_SCHMIDT = 9
TABLE_CACHE = 25_000_000


@dataclass(frozen=True)
class SiteReport:
    """Progress after scoring one site.

    Attributes
    ----------
    round : int
        0 for the DP over the global nets, ``r >= 1`` for refinement round ``r``.
    site : int
        1-based index of the (grouped) site just scored; ``sites`` is their number.
    best_energy : float
        :math:`\\min_P f_k(P)`: best partial energy of bonds ``1..k-1``.
    pairs : int
        Pairs at this site with a finite score.
    links : int
        Stitch-compatible (previous pair, Schmidt vector) links evaluated for this site.
    seconds : float
        Wall time since the solver started.
    """

    round: int
    site: int
    sites: int
    best_energy: float
    pairs: int
    links: int
    seconds: float


@dataclass(frozen=True)
class DPResult:
    """Output of :meth:`EpsilonNetDP.solve`.

    Attributes
    ----------
    energy : float
        True energy :math:`E` of ``mps`` (B5).
    energy_dp : float
        :math:`\\tilde E`, the DP's own estimate.
    mps : MPS
        Normalised output state on the original sites with right-isometric tensors (grouped end sites are
        split by exact SVDs and re-canonicalised).
    net_sizes : dict
        ``schmidt``/``first``/``interior``/``last``: sizes of the global nets; ``pairs``: largest pair net.
    seconds : float
        Wall time.
    bound : float
        :math:`J\\eta(n-1)(n-2)/2`.
    max_stitch : float
        Largest :math:`\\|X(P_k) - \\mathrm{diag}(\\lambda_{k+1}^2)\\|_1` along the chosen path.
    rounds : int
        Refinement rounds run.
    history : list
        :math:`(\\tilde E, E)` after each round.
    """

    energy: float
    energy_dp: float
    mps: MPS
    net_sizes: dict
    seconds: float
    bound: float
    max_stitch: float
    rounds: int
    history: list = field(default_factory=list)


@dataclass
class _Layer:
    """DP state of one site: its pair net, scores and back-pointers into the previous layer."""

    pairs: nets.PairNet
    score: np.ndarray
    back: np.ndarray


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0.0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def default_schmidt_count(eta: float) -> int:
    """Schmidt-grid size so every gauge-fixed :math:`\\lambda'` has a grid point within ``eta``.

    For D = 2 the grid spacing in ``t`` is at most ``eta``; the l1 distance of squared Schmidt vectors is
    :math:`2|\\sin(t+t')\\sin(t-t')| \\le 2|t-t'|`, so the nearest point is within ``eta``.
    """
    return max(2, math.ceil((math.pi / 4) / eta) + 1)


class EpsilonNetDP:
    """Epsilon-net DP for the ground state of a chain within bond dimension ``D``.

    Parameters
    ----------
    ham : ChainHamiltonian
        The chain (uniform local dimension ``d``).
    bond_dim : int
        ``D >= 1``; ``D = 1`` is the product-state (mean-field) DP over a net of unit vectors.
    family : {"haar", "lemma3"}
        Isometry nets: Haar-random (practical, ``net_size`` elements) or Lemma 3's grid (``delta``).
    net_size : int
        Elements of each Haar net.
    delta : float
        Lemma-3 resolution (capped at ``sqrt(cols)`` per net shape).
    eta : float
        Stitching tolerance (trace norm).
    schmidt_count : int, optional
        Size parameter of the Schmidt net (default :func:`default_schmidt_count`).
    seed : int
        Seed of the numpy Generator drawing Haar nets and refinement perturbations.
    gauge : bool
        Gauge-fix pairs (our addition); without it most random pairs fail the stitch test.
    refine : int
        Refinement rounds after the global DP (our addition); none for ``D = 1``, whose product-state DP is
        the mean-field answer on its net.
    refine_size : int
        Isometries per site in a refinement round (plus the previous solution's tensor).
    refine_scale : float
        Perturbation size of the first refinement round.
    refine_decay : float
        Factor in (0, 1] applied to the perturbation size after every round.
    """

    def __init__(
        self,
        ham: ChainHamiltonian,
        bond_dim: int,
        family: str = "haar",
        net_size: int = NET_SIZE,
        delta: float = 1.0,
        eta: float = 0.05,
        schmidt_count: int | None = None,
        seed: int = 0,
        gauge: bool = True,
        refine: int = REFINE,
        refine_size: int = 200,
        refine_scale: float = 0.5,
        refine_decay: float = 0.7,
    ):
        if int(bond_dim) != bond_dim or bond_dim < 1:
            raise ValueError(f"bond_dim must be a positive integer, got {bond_dim}")
        if family not in ("haar", "lemma3"):
            raise ValueError(f"net family must be 'haar' or 'lemma3', got {family!r}")
        if int(refine) != refine or refine < 0:
            raise ValueError(f"refine must be a non-negative integer, got {refine}")
        self.ham, self.bond_dim, self.family = ham, int(bond_dim), family
        self.net_size, self.delta = int(net_size), _check_positive("delta", delta)
        self.eta = _check_positive("eta", eta)
        self.schmidt_count = int(schmidt_count or default_schmidt_count(self.eta))
        self.rng = np.random.default_rng(seed)
        self.gauge, self.refine = bool(gauge), int(refine) if self.bond_dim > 1 else 0
        self.refine_size, self.refine_scale = int(refine_size), _check_positive("refine_scale", refine_scale)
        self.refine_decay = _check_positive("refine_decay", refine_decay)
        if self.refine_decay > 1.0 or self.refine_size < 1:
            raise ValueError(
                f"refine_decay must lie in (0, 1] and refine_size be >= 1, got {refine_decay}, {refine_size}"
            )
        self.blocks = nets.boundary_blocks(ham.n, ham.d, self.bond_dim)
        self.grouped = ham.grouped(self.blocks) if len(self.blocks) < ham.n else ham
        dims = self.grouped.dims
        self.bonds = (
            [1]
            + [
                min(self.bond_dim, math.prod(dims[: k + 1]), math.prod(dims[k + 1 :]))
                for k in range(len(dims) - 1)
            ]
            + [1]
        )
        self.net_sizes: dict = {}
        self._table_cache: dict = {}

    # ----------------------------------------------------------------- nets
    def _isometry_net(self, left: int, phys: int, right: int) -> np.ndarray:
        """Global net of tensors ``(N, left, phys, right)`` of the chosen family.

        Lemma-3 nets use ``min(delta, sqrt(phys * right))`` so that narrow boundary nets keep a nonzero grid.
        """
        real = self.ham.is_real
        if self.family == "haar":
            iso = nets.haar_isometries(left, phys * right, self.net_size, self.rng, real)
        else:
            iso = nets.lemma3_isometries(left, phys * right, min(self.delta, math.sqrt(phys * right)), real)
        return nets.as_tensors(iso, left, phys, right)

    def _global_sites(self) -> list:
        """Per-site (Schmidt net, pair net); interior sites share one object when the chain allows it."""
        dims, out, shared, schmidts = self.grouped.dims, [], {}, {}
        for k, d in enumerate(dims):
            key = (self.bonds[k], d, self.bonds[k + 1])
            interior = 0 < k < len(dims) - 1 and self.grouped.interior_uniform
            if interior and key in shared:
                out.append(shared[key])
                continue
            if self.bonds[k] not in schmidts:
                schmidts[self.bonds[k]] = nets.schmidt_net(self.bonds[k], self.schmidt_count)
            schmidt = schmidts[self.bonds[k]]
            site = (schmidt, nets.pair_net(schmidt, self._isometry_net(*key), self.gauge))
            if interior:
                shared[key] = site
            out.append(site)
        self.net_sizes = {
            "schmidt": int(out[-1][0].shape[0]),
            "first": int(out[0][1].size),
            "interior": int(out[1][1].size // out[1][0].shape[0]) if len(out) > 2 else 0,
            "last": int(out[-1][1].size // out[-1][0].shape[0]),
        }
        out = self._filter(out, self.eta)
        self.net_sizes["pairs"] = int(max(p.size for _, p in out))
        return out

    def _filter(self, sites: list, eta: float) -> list:
        """Keep pairs that can stitch to some Schmidt vector of the next site (approximately left
        canonical)."""
        out, memo = [], {}
        for k, (schmidt, pairs) in enumerate(sites):
            if k < len(sites) - 1:
                key = (id(pairs), id(sites[k + 1][0]))
                if key not in memo:
                    links = stitch_links(pairs, sites[k + 1][0], eta)
                    alive = np.zeros(pairs.size, dtype=bool)
                    for cand in links:
                        alive[cand] = True
                    memo[key] = pairs.subset(alive)
                pairs = memo[key]
            out.append((schmidt, pairs))
        if min(p.size for _, p in out) == 0:
            raise ValueError(f"eta={eta:g} is too small: some site has no approximately left-canonical pair")
        return out

    # ------------------------------------------------------------------- DP
    def _run(self, sites: list, round_index: int, eta: float, start: float) -> Generator[SiteReport, None, list]:
        """Forward DP over ``sites``; yields one report per site and returns the list of layers."""
        first = sites[0][1]
        layers = [_Layer(first, np.zeros(first.size), np.full(first.size, -1))]
        yield SiteReport(round_index, 1, len(sites), 0.0, first.size, 0, time.perf_counter() - start)
        for k in range(1, len(sites)):
            schmidt, pairs = sites[k]
            score, back, links = self._transition(layers[-1], pairs, schmidt, k - 1, round_index, eta)
            finite = np.isfinite(score)
            if not finite.any():
                raise ValueError(f"eta={eta:g} is too small: no stitch-compatible pairs at site {k + 1}")
            layers.append(_Layer(pairs, score, back))
            yield SiteReport(
                round_index,
                k + 1,
                len(sites),
                float(score[finite].min()),
                int(finite.sum()),
                links,
                time.perf_counter() - start,
            )
        return layers

    def _transition(
        self, prev: _Layer, pairs: nets.PairNet, schmidt: np.ndarray, bond: int, round_index: int, eta: float
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Vectorised min-plus step from ``prev`` to the pairs of the next site."""
        links = stitch_links(prev.pairs, schmidt, eta)
        left = _realify(
            diagonal_left_block(prev.pairs.lam, prev.pairs.tensors, self.grouped.local_term(bond)), 1
        )
        right = _realify(right_block(pairs.tensors), 0)
        score, back = np.full(pairs.size, np.inf), np.full(pairs.size, -1)
        cacheable = round_index == 0 and 0 < bond < len(self.bonds) - 3 and self.grouped.interior_uniform
        for ell, cand in enumerate(links):
            cols = np.flatnonzero(pairs.lam_index == ell)
            if cand.size == 0 or cols.size == 0:
                continue
            key = (id(prev.pairs), id(pairs), ell) if cacheable else None
            score[cols], back[cols] = self._best_tails(prev.score, left, right, cand, cols, key)
        return score, back, int(sum(c.size for c in links))

    def _best_tails(self, prev_score, left, right, cand, cols, key) -> tuple[np.ndarray, np.ndarray]:
        """``min_P f(P) + e(P, B)`` over candidates ``cand`` for every ``B`` in ``cols`` (chunked)."""
        table = self._table_cache.get(key) if key is not None else None
        if (
            table is None
            and key is not None
            and self._cached_entries() + cand.size * cols.size <= TABLE_CACHE
        ):
            table = left[cand] @ right[cols].T
            self._table_cache[key] = table
        best, arg = np.empty(cols.size), np.empty(cols.size, dtype=np.int64)
        step = max(1, CHUNK // max(cand.size, 1))
        for lo in range(0, cols.size, step):
            check()
            block = (
                table[:, lo : lo + step] if table is not None else left[cand] @ right[cols[lo : lo + step]].T
            )
            total = block + prev_score[cand][:, None]
            idx = total.argmin(axis=0)
            best[lo : lo + step] = total[idx, np.arange(total.shape[1])]
            arg[lo : lo + step] = cand[idx]
        return best, arg

    def _cached_entries(self) -> int:
        return sum(t.size for t in self._table_cache.values())

    # ------------------------------------------------------------- results
    def _backtrack(self, layers: list) -> tuple[float, list, float]:
        """:math:`\\tilde E`, the chosen pair per site, and the largest stitch distance along the path."""
        index = int(np.argmin(layers[-1].score))
        energy_dp = float(layers[-1].score[index])
        chosen = [index]
        for layer in layers[:0:-1]:
            chosen.append(int(layer.back[chosen[-1]]))
        chosen.reverse()
        stitches = [
            float(
                nets.trace_norm_distance(
                    layers[k].pairs.gram[[chosen[k]]], layers[k + 1].pairs.lam[[chosen[k + 1]]]
                )[0]
            )
            for k in range(len(layers) - 1)
        ]
        tensors = [layer.pairs.tensors[i] for layer, i in zip(layers, chosen, strict=True)]
        return energy_dp, tensors, max(stitches, default=0.0)

    def _result(self, best: dict, history: list, start: float) -> DPResult:
        state = MPS(tuple(best["tensors"]))
        if len(self.blocks) < self.ham.n:
            state = state.ungroup(self._site_groups()).right_canonical()
        n = self.ham.n
        bound = self.ham.norm_bound * best["eta"] * (n - 1) * (n - 2) / 2
        return DPResult(
            state.energy(self.ham),
            best["energy_dp"],
            state,
            dict(self.net_sizes),
            time.perf_counter() - start,
            bound,
            best["stitch"],
            self.refine,
            history,
        )

    def _site_groups(self) -> list:
        starts = np.concatenate([[0], np.cumsum(self.blocks)])
        return [self.ham.dims[s:e] for s, e in zip(starts[:-1], starts[1:], strict=True)]

    # ------------------------------------------------------------- refinement
    def _local_sites(self, tensors: list, round_index: int) -> list:
        """Per-site nets around the canonical pairs of the current solution (refinement, our addition)."""
        scale = self.refine_scale_of(round_index)
        canonical = _padded_pairs(MPS(tuple(tensors)), self.bonds)
        sites = []
        for lam, tensor in canonical:
            schmidt = _local_schmidt(lam, scale, REFINE_SCHMIDT, self.rng)
            iso = _local_isometries(tensor, scale, self.refine_size, self.rng)
            pairs = nets.pair_net(schmidt, iso, self.gauge)
            sites.append((schmidt, pairs))
        return self._filter(sites, self.round_eta(round_index))

    # ------------------------------------------------------------- public API
    def refine_scale_of(self, round_index: int) -> float:
        """Perturbation size of refinement round ``r >= 1``: ``refine_scale * refine_decay ** (r - 1)``."""
        return self.refine_scale * self.refine_decay ** (round_index - 1)

    def round_eta(self, round_index: int) -> float:
        """Stitch tolerance of a round: ``eta`` for the global DP; in refinement round ``r`` at most the local
        Schmidt-grid spacing ``refine_scale 2^{1-r} / (REFINE_SCHMIDT - 1)`` (our addition)."""
        if round_index == 0:
            return self.eta
        return min(self.eta, self.refine_scale_of(round_index) / (REFINE_SCHMIDT - 1))

    def iterate(self) -> Generator[SiteReport, None, DPResult]:
        """Run the DP (and refinement rounds), yielding a :class:`SiteReport` per site; returns the
        :class:`DPResult` (``result = yield from dp.iterate()``, or :class:`explorer.progress.Progress`).

        The result is the round whose output has the lowest true energy; ``history`` lists every round.
        """
        start = time.perf_counter()
        sites, history, best = self._global_sites(), [], None
        for round_index in range(self.refine + 1):
            if round_index:
                sites = self._local_sites(best["tensors"], round_index)
            eta = self.round_eta(round_index)
            layers = yield from self._run(sites, round_index, eta, start)
            self._table_cache.clear()
            energy_dp, tensors, stitch = self._backtrack(layers)
            energy = MPS(tuple(tensors)).energy(self.grouped)
            history.append((energy_dp, energy))
            if best is None or energy < best["energy"]:
                best = {
                    "energy": energy,
                    "energy_dp": energy_dp,
                    "tensors": tensors,
                    "stitch": stitch,
                    "eta": eta,
                }
        return self._result(best, history, start)

    def solve(self) -> DPResult:
        """Run :meth:`iterate` to the end and return the :class:`DPResult`."""
        return run_to_end(self.iterate())


def _realify(blocks: np.ndarray, conj_sign: int) -> np.ndarray:
    """Flatten (P, ...) blocks; complex ones become ``[Re, -Im]`` (left) or ``[Re, Im]`` (right) so that the
    real dot product equals :math:`\\mathrm{Re}\\sum M R`."""
    flat = blocks.reshape(blocks.shape[0], -1)
    if not np.iscomplexobj(flat):
        return flat
    return np.concatenate([flat.real, -flat.imag if conj_sign else flat.imag], axis=1)


def stitch_links(pairs: nets.PairNet, schmidt: np.ndarray, eta: float) -> list:
    """Per Schmidt vector :math:`\\lambda'`: pairs with
    :math:`\\|X(P) - \\mathrm{diag}(\\lambda'^2)\\|_1 \\le \\eta`.

    KD-tree :math:`\\ell_1` ball query on :math:`\\mathrm{diag}\\,X(P)` (a valid prefilter), then the exact
    trace norm.
    """
    diag = np.einsum("pbb->pb", pairs.gram).real
    tree = cKDTree(diag)
    out = []
    for lam in schmidt:
        check()
        cand = np.asarray(tree.query_ball_point(lam**2, r=eta * (1 + 1e-12), p=1), dtype=np.int64)
        if cand.size:
            dist = nets.trace_norm_distance(pairs.gram[cand], np.broadcast_to(lam, (cand.size, lam.size)))
            cand = np.sort(cand[dist <= eta])
        out.append(cand)
    return out


def _padded_pairs(state: MPS, bonds: list) -> list:
    """Canonical pairs of ``state`` padded to the bond dimensions ``bonds`` (zero Schmidt values, isometries
    completed with orthonormal rows), so every pair is right-isometric with the full shape."""
    out = []
    for k, (lam, tensor) in enumerate(state.vidal(tol=1e-10).pairs()):
        dl, dr = bonds[k], bonds[k + 1]
        padded = np.zeros((dl, tensor.shape[1], dr), dtype=tensor.dtype)
        padded[: tensor.shape[0], :, : tensor.shape[2]] = tensor
        out.append((np.pad(lam, (0, dl - lam.size)), _complete_rows(padded)))
    return out


def _complete_rows(tensor: np.ndarray) -> np.ndarray:
    """Replace zero rows of the ``(Dl, d*Dr)`` matricisation by an orthonormal completion."""
    dl, d, dr = tensor.shape
    mat = tensor.reshape(dl, d * dr)
    filled = np.linalg.norm(mat, axis=1) > 1e-12
    if filled.all():
        return tensor
    q, _ = np.linalg.qr(np.concatenate([mat[filled].conj().T, np.eye(d * dr, dtype=mat.dtype)], axis=1))
    mat = mat.copy()
    mat[~filled] = q[:, filled.sum() : filled.sum() + (~filled).sum()].conj().T
    return mat.reshape(dl, d, dr)


def _local_schmidt(lam: np.ndarray, scale: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """Schmidt vectors near ``lam`` (exact one included): a t-window for D = 2, random jitter otherwise."""
    if lam.size == 1:
        return lam[None, :].copy()
    if lam.size == 2:
        t0 = math.atan2(lam[1], lam[0])
        t = np.unique(np.clip(t0 + 0.5 * scale * np.linspace(-1, 1, count), 0.0, math.pi / 4))
        near = np.stack([np.cos(t), np.sin(t)], axis=1)
    else:
        near = np.abs(
            lam[None, :] + 0.5 * scale * rng.standard_normal((count, lam.size)) / math.sqrt(lam.size)
        )
        near = -np.sort(-near, axis=1)
        near /= np.linalg.norm(near, axis=1, keepdims=True)
    return np.concatenate([lam[None, :], near])


def _local_isometries(tensor: np.ndarray, scale: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """``tensor`` plus ``size`` polar-projected Gaussian perturbations of it (same shape, right
    isometries)."""
    dl, d, dr = tensor.shape
    mat = tensor.reshape(dl, d * dr)
    noise = rng.standard_normal((size, dl, d * dr))
    if np.iscomplexobj(mat):
        noise = noise + 1j * rng.standard_normal((size, dl, d * dr))
    factors, _ = nets.polar_factor(mat[None] + scale * noise / math.sqrt(d * dr))
    return np.concatenate([mat[None], factors]).reshape(-1, dl, d, dr)
