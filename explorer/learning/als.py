r"""Half-sweeps of ALS and ALS-GMWS over a self-similar block-sparse TT law (docs/algorithms.md A6-A7, Algorithm 1).

A half-sweep visits modes ``l = 1..d`` left to right; at every mode it fits every core type used there:

- the left-outside core (type 1), common left environment (the shared prefix chain), right environments summed
  over every equation whose window starts later (kept in square-root form, :mod:`explorer.learning.local`);
- the window cores (types ``2..2L+2``), each used by exactly one equation;
- the right-outside core (type ``2L+3``), right environment common (the shared suffix chain). ALS-GMWS fits it
  on the equations whose window ended earlier (left neighbour of type ``2L+3``) only, then fits a block-diagonal
  gauge ``U`` for the one equation entering the shared chain: its window-end core ``C_{l-1}^{(2L+2)} -> C U``
  (seed eq. 45). Without gauge mediation (the ``shared`` baseline) the core is fitted on all its equations.

Cores whose successors are used only by equations passing through them are left-orthogonalised after their fit
with a block-preserving QR, the factor ``R`` pushed into the successors (the left-outside chain and the window
cores before the window end). The right-to-left half-sweep is the same code run on the mirrored chain
(:meth:`Chain.reflected`: modes reversed, cores transposed, type ``t -> 2L + 4 - t``), which turns the seed's
"mirrored" rules (left-outside core fitted on the later windows, window-start core gauge-fixed) into the ones
above. Every environment is carried along the chain, so a half-sweep costs :math:`O(N d (2L+3) r^3 p)`.

The far side of a half-sweep (suffix chain, right environments inside every window, sums of the right
environments of later windows) comes from the cores as they stand when it starts. The half-sweep before it, run
on the mirrored chain, has just built exactly these environments from the same final cores while it moved: its
prefix chain, its left environments inside the windows, and the sums of the windows that ended. It records them
(:attr:`_RightSweep.mirror_far`), so the far side is computed from the cores only once per run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from threading import Condition

import numpy as np

from explorer.cancellation import check, current_flag
from explorer.learning.local import Common, Single, Sums, solve_core, solve_gauge
from explorer.learning.selection import LEFT_TYPE, right_type, window
from explorer.tt.blocksparse import block_qr
from explorer.tt.contraction import apply_left, apply_right

__all__ = ["Chain", "half_sweep", "right_orthogonalise"]


@dataclass
class Chain:
    """A law's cores with the data, oriented so that a half-sweep runs left to right.

    ``features`` are ``(d, p, N)`` and ``targets`` ``(d, N)``: one mode's features and one equation's targets are
    contiguous, with the samples last like every environment (:mod:`explorer.tt.contraction`).
    """

    cores: dict
    masks: list
    blocks: list
    left_vec: np.ndarray
    right_vec: np.ndarray
    features: np.ndarray
    targets: np.ndarray
    interaction_length: int

    @property
    def modes(self) -> int:
        return len(self.masks)

    def reflected(self) -> Chain:
        """The mirrored chain: mode ``m -> d-1-m``, type ``t -> 2L+4-t``, cores transposed."""
        d, lint = self.modes, self.interaction_length
        return Chain(
            cores={(d - 1 - m, 2 * lint + 4 - t): c.transpose(2, 1, 0) for (m, t), c in self.cores.items()},
            masks=[mk.transpose(2, 1, 0) for mk in reversed(self.masks)],
            blocks=list(reversed(self.blocks)),
            left_vec=self.right_vec,
            right_vec=self.left_vec,
            features=self.features[::-1],
            targets=self.targets[::-1],
            interaction_length=lint,
        )


@dataclass
class _FarSide:
    """Right environments from the cores before the half-sweep changes them."""

    suffix: dict
    window_right: dict
    summed_right: dict


def _far_side(chain: Chain) -> _FarSide:
    d, lint, cores, feats = chain.modes, chain.interaction_length, chain.cores, chain.features
    rtype = right_type(lint)
    suffix = {d: _constant(chain.right_vec, feats.shape[2])}
    for m in range(d - 1, -1, -1):
        if (m, rtype) not in cores:
            break
        suffix[m] = apply_right(cores[(m, rtype)], feats[m], suffix[m + 1])
    window_right, start_right = {}, {}
    for e in range(d):
        check()
        modes = window(d, lint, e)
        v = suffix[modes.stop]
        for m in reversed(modes):
            window_right[(e, m)] = v
            v = apply_right(cores[(m, m - e + lint + 2)], feats[m], v)
        start_right[e] = v
    summed, acc = {}, None
    for m in range(d - 2 - lint, -1, -1):
        e = m + lint + 1
        eq = Single(start_right[e], chain.targets[e])
        if acc is None:
            acc = eq.sums()
        else:
            acc = acc.transported_right(cores[(m + 1, LEFT_TYPE)], feats[m + 1]).add(eq)
        summed[m] = acc
    return _FarSide(suffix, window_right, summed)


def _constant(vector: np.ndarray, samples: int) -> np.ndarray:
    """The same boundary vector for every sample, ``(r, N)``."""
    return np.repeat(vector[:, None], samples, axis=1)


def _push_right(chain: Chain, key, successors) -> None:
    """Left-orthogonalise core ``key`` and move its ``R`` into the successor cores that exist."""
    mode = key[0]
    if mode + 1 >= chain.modes:
        return
    q, r = block_qr(chain.cores[key], chain, mode)
    chain.cores[key] = q
    for succ in successors:
        if succ in chain.cores:
            core = chain.cores[succ]
            chain.cores[succ] = (r @ core.reshape(core.shape[0], -1)).reshape(core.shape)


def right_orthogonalise(chain: Chain) -> None:
    """Right-orthogonalise, in place, every core that a left-to-right half-sweep reads only through its right
    environments: the right-outside chain and the window cores after the window start (block LQ, the factor ``L``
    pushed into the predecessors). The function the chain represents does not change.

    This is the mirrored image of what a right-to-left half-sweep leaves behind, so it matters only before the
    first sweep. A random start needs it: its pass-through cores carry the constant channel, but every other
    channel of a right environment is a product of noise entries, ``(noise)^distance`` (1e-70 across 48 modes of
    FPUT with noise 0.05). Local problems then see a single active column on the right side and the first
    sweep fits almost nothing. After the LQs every right environment has orthonormal channels.
    """
    mirror = chain.reflected()
    lint = chain.interaction_length
    for m in range(mirror.modes):
        if (m, LEFT_TYPE) in mirror.cores:
            _push_right(mirror, (m, LEFT_TYPE), [(m + 1, LEFT_TYPE), (m + 1, 2)])
        for t in range(2, 2 * lint + 2):
            if (m, t) in mirror.cores:
                _push_right(mirror, (m, t), [(m + 1, t + 1)])
    chain.cores.clear()
    chain.cores.update(mirror.reflected().cores)


def _windows_starting(d: int, lint: int, mode: int) -> range:
    if mode == 0:
        return range(min(lint + 1, d))
    return range(mode + lint, min(mode + lint + 1, d))


class _Aborted(Exception):
    """Another lane of the half-sweep failed (its own error is the one raised to the caller)."""


class _Progress:
    """The last mode each lane of a half-sweep has finished; lanes wait here for the modes they depend on."""

    def __init__(self, lanes: int):
        self.done = [-1] * lanes
        self.failed = False
        self.changed = Condition()

    def advance(self, lane: int, mode: int) -> None:
        with self.changed:
            self.done[lane] = mode
            self.changed.notify_all()

    def wait(self, lane: int, mode: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.failed or self.done[lane] >= mode)
            if self.failed:
                raise _Aborted

    def abort(self) -> None:
        with self.changed:
            self.failed = True
            self.changed.notify_all()


class _RightSweep:
    """State of one left-to-right half-sweep.

    Lanes. The problems of a half-sweep form three kinds of chains: the left-outside cores (each needs the prefix
    of the previous one), the window cores of one equation (each needs the previous one of the same equation; the
    first one the prefix where the window starts) and the right-outside cores (each needs the previous one and the
    window that has just ended). No chain ever reads what the right-outside chain writes, and the cores and
    environments of different chains are disjoint. So with ``threads > 1`` each thread runs a lane (lane 0: the
    left-outside chain, lane 1: the right-outside chain, lane ``e % threads``: the windows of equation ``e``) and
    waits only where a chain of another lane feeds it (:class:`_Progress`). Every problem sees exactly the data it
    sees in a single thread, so the result does not depend on the number of threads.

    While it runs it also records the far side of the *mirrored* half-sweep that follows (``mirror_far``): every
    environment it carries is already built from final cores (fitted, orthogonalised, gauge-fixed), and the
    environments that the mirrored sweep needs from its far side are exactly these ones, read from the other end.
    """

    def __init__(self, chain: Chain, gauge: bool, ridge: float, far: _FarSide | None, pool=None, threads=1):
        self.chain, self.gauge, self.ridge = chain, gauge, ridge
        self.pool, self.threads = pool, threads
        self.stop_flag = current_flag()
        self.far = _far_side(chain) if far is None else far
        self.prefix = _constant(chain.left_vec, chain.features.shape[2])
        self.window_left: dict = {}
        self.ended: Sums | None = None
        self.gauges: list = []
        self.mirror_far = _FarSide({chain.modes: self.prefix}, {}, {})

    def run(self) -> list:
        """Fit every core of the chain; with ``threads > 1`` the problems are spread over lanes (class doc)."""
        lanes = max(1, self.threads)
        progress = _Progress(lanes)
        for e in _windows_starting(self.chain.modes, self.chain.interaction_length, 0):
            self.window_left[e] = self.prefix
        helpers = []
        try:
            helpers.extend(self.pool.submit(self._lane, k, lanes, progress) for k in range(1, lanes))
            self._lane(0, lanes, progress)
        except _Aborted:
            pass
        except BaseException:
            progress.abort()
            raise
        finally:
            wait(helpers)
        for helper in helpers:
            error = helper.exception()
            if error is not None and not isinstance(error, _Aborted):
                raise error
        return self.gauges

    def _lane(self, lane: int, lanes: int, progress: _Progress) -> None:
        """The problems of one lane, mode by mode: lane 0 the left-outside chain, lane ``1 % lanes`` the
        right-outside chain, lane ``e % lanes`` the window cores of equation ``e``."""
        d, lint = self.chain.modes, self.chain.interaction_length
        try:
            for m in range(d):
                if lane == 0:
                    self._left_outside(m)
                    for e in _windows_starting(d, lint, m + 1):
                        self.window_left[e] = self.prefix
                if lane:
                    progress.wait(0, m - 1)
                for t in range(2, 2 * lint + 3):
                    e = m - t + lint + 2
                    if 0 <= e < d and e % lanes == lane:
                        self._window_core(m, t)
                if lane == 1 % lanes:
                    progress.wait((m - lint - 1) % lanes, m - 1)
                    self._right_outside(m)
                progress.advance(lane, m)
        except BaseException:
            progress.abort()
            raise

    def _solve(self, key, left, right) -> None:
        check(self.stop_flag)
        m, chain = key[0], self.chain
        chain.cores[key] = solve_core(left, chain.features[m], right, chain.masks[m], chain.cores[key], self.ridge)

    def _left_outside(self, m: int) -> None:
        key = (m, LEFT_TYPE)
        if key not in self.chain.cores:
            return
        self._solve(key, Common(self.prefix), self.far.summed_right[m])
        _push_right(self.chain, key, [(m + 1, LEFT_TYPE), (m + 1, 2)])
        self.prefix = apply_left(self.prefix, self.chain.cores[key], self.chain.features[m])
        self.mirror_far.suffix[self.chain.modes - 1 - m] = self.prefix

    def _window_core(self, m: int, t: int) -> None:
        d, lint = self.chain.modes, self.chain.interaction_length
        e, key = m - t + lint + 2, (m, t)
        self.mirror_far.window_right[(d - 1 - e, d - 1 - m)] = self.window_left[e]
        right = Single(self.far.window_right[(e, m)], self.chain.targets[e])
        self._solve(key, Common(self.window_left[e]), right)
        if t < 2 * lint + 2:
            _push_right(self.chain, key, [(m + 1, t + 1)])
        self.window_left[e] = apply_left(self.window_left[e], self.chain.cores[key], self.chain.features[m])

    def _right_outside(self, m: int) -> None:
        lint, cores = self.chain.interaction_length, self.chain.cores
        key = (m, right_type(lint))
        if key not in cores:
            return
        e = m - lint - 1
        eq = Single(self.window_left[e], self.chain.targets[e])
        right = Common(self.far.suffix[m + 1])
        if self.gauge and self.ended is not None:
            self._solve(key, self.ended, right)
            eq = self._gauge_fix(m, eq)
            group = self.ended.add(eq)
        else:
            group = eq.sums() if self.ended is None else self.ended.add(eq)
            self._solve(key, eq if self.ended is None else group, right)
        self.mirror_far.summed_right[self.chain.modes - 1 - m] = group
        self.ended = group.transported_left(cores[key], self.chain.features[m])

    def _gauge_fix(self, m: int, eq: Single) -> Single:
        """Fit ``U`` for the equation entering the shared chain at ``m`` and apply it to its window end."""
        cores, lint = self.chain.cores, self.chain.interaction_length
        b = apply_right(cores[(m, right_type(lint))], self.chain.features[m], self.far.suffix[m + 1])
        u = solve_gauge(eq.v, b, eq.y, self.chain.blocks[m], self.ridge)
        end = (m - 1, 2 * lint + 2)
        cores[end] = cores[end] @ u
        self.gauges.append({"mode": end[0], "type": end[1], "equation": m - lint - 1, "U": u})
        return Single(u.T @ eq.v, eq.y)


def half_sweep(
    chain: Chain, gauge: bool = True, ridge: float = 0.0, far: _FarSide | None = None, threads: int = 1
) -> tuple[list[dict], _FarSide]:
    """One left-to-right half-sweep, fitting every core in place.

    ``far``: the far side of this half-sweep when the previous (mirrored) half-sweep recorded it; computed from the
    cores otherwise. ``threads``: how many threads share the independent problems of each mode (the compiled
    kernels, BLAS and LAPACK release the GIL); the result is the same for every value. Returns the gauges applied
    (chain orientation) and the far side of the mirrored half-sweep that may follow.
    """
    pool = ThreadPoolExecutor(threads - 1, thread_name_prefix="half-sweep") if threads > 1 else nullcontext()
    with pool:
        sweep = _RightSweep(chain, gauge, ridge, far, pool if threads > 1 else None, threads)
        return sweep.run(), sweep.mirror_far
