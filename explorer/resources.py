"""What a run needs before it starts: memory estimates, checked against what the machine (or a worker) has.

Every front end (command line, dashboard) asks here before any work starts, and refuses a run that cannot fit with
one message naming the parameters, the estimate and the limit (:class:`ResourceError`).

Learning (:func:`learning_bytes`): the sweep keeps, per training sample and mode, the features of the mode, the
left and right environments and the transported sums of the equations, all samples-last. Measured peak resident
memory above the interpreter's (one sweep in a fresh process, FPUT and dipole presets, d = 10 to 200, N = 2,000 to
50,000) grows by 0.9-1.5 kB per sample and mode; :data:`LEARNING_BYTES_PER_SAMPLE_MODE` takes
1.6 kB, and the held-out test states add their own states and targets.

Ground states (:func:`groundstate_bytes`), peak resident memory of ``explorer groundstate`` (``/usr/bin/time -f
%M``; TFIM, n = 6, eta = 0.05, so the Schmidt grid has 17 points per direction; the interpreter alone: 149 MB):

- epsilon-net DP: the pair nets (Schmidt vector x isometry) and the stitching links between the pairs of
  neighbouring sites dominate. ``pairs`` = Schmidt-net size x ``net_size``; measured 5-11 kB per pair above the
  interpreter (D = 2: K = 100 -> 9 MB, K = 400 -> 51 MB, K = 1600 -> 305 MB; D = 3, K = 200: 30,600 pairs ->
  227 MB; D = 4, K = 200: 193,800 pairs -> 1.14 GB), slightly super-linear in the pairs;
  :data:`DP_BYTES_PER_PAIR` takes 12 kB. Before that, the Schmidt net of D > 2 enumerates the full grid of
  ``count**(D-1)`` points of ``D-1`` coordinates (three float64 copies), which alone rules out D >= 8 at eta = 0.05
  (17**7 points: 69 GB).
- DMRG: the dense two-site effective Hamiltonian, ``(D^2 d^2)^2`` float64 entries, counted twice (its
  eigensolver's workspace); measured: Heisenberg, n = 10, D = 8/16/32 -> 4/27/27 MB above the interpreter (the
  largest matrix there is 2048^2, 34 MB).
- exact diagonalisation: Lanczos on ``d^n`` amplitudes, a few tens of vectors plus the sparse Hamiltonian.
"""

from __future__ import annotations

import math
import os

__all__ = ["ResourceError", "learning_bytes", "available_bytes", "check_memory", "LEARNING_BYTES_PER_SAMPLE_MODE",
           "format_bytes", "groundstate_bytes", "DP_BYTES_PER_PAIR"]

LEARNING_BYTES_PER_SAMPLE_MODE = 1600
"""Peak bytes per training sample and mode of a learning run (measured 900-1,500; see the module docstring)."""

BASE_BYTES = 300 * 2**20
"""Interpreter, libraries and compiled kernels of a process that learns (measured ~140-220 MB)."""


DP_BYTES_PER_PAIR = 12 * 2**10
"""Peak bytes per pair of the epsilon-net DP (measured 5-11 kB; see the module docstring)."""

ED_VECTORS = 64
"""Vectors of ``d^n`` complex amplitudes an exact diagonalisation holds at its peak (Lanczos basis, Hamiltonian)."""


class ResourceError(ValueError):
    """A run that cannot fit: the message names the parameters, the estimate and the limit."""


def format_bytes(count: float) -> str:
    """``count`` bytes as a short human-readable text (``"1.5 GB"``)."""
    if count >= 2**50:
        return f"{count / 2**40:.1e} TB"
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count / 2**10:.0f} kB"


def learning_bytes(modes: int, samples: int, test_samples: int = 0) -> int:
    """Estimated peak memory of learning a ``modes``-mode law from ``samples`` pairs (plus ``test_samples``)."""
    train = LEARNING_BYTES_PER_SAMPLE_MODE * modes * samples
    test = 4 * 8 * modes * test_samples
    return BASE_BYTES + train + test


def available_bytes() -> int:
    """Memory this machine has available now (``MemAvailable``; the physical memory if that cannot be read)."""
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(estimate: int, limit: int | None, what: str, advice: str = "use fewer samples or modes") -> None:
    """Raise :class:`ResourceError` when ``estimate`` exceeds ``limit`` (None: the machine's available memory).

    ``what`` names the parameters that drive the estimate, e.g. ``"d = 10 modes x N = 10,000,000 samples"``.
    """
    limit = available_bytes() if limit is None else limit
    if estimate > limit:
        raise ResourceError(f"{what} needs about {format_bytes(estimate)} of memory, more than the "
                            f"{format_bytes(limit)} available; {advice}")


def schmidt_points(bond_dim: int, count: int) -> tuple[int, int]:
    """(grid points enumerated, Schmidt vectors kept) of the Schmidt net of ``bond_dim`` with ``count`` steps."""
    if bond_dim == 1:
        return 1, 1
    if bond_dim == 2:
        return count, count
    return count ** (bond_dim - 1), math.comb(count + bond_dim - 2, bond_dim - 1)


def groundstate_bytes(method: str, bond_dim: int, d: int, sites: int, net_size: int = 0,
                      schmidt_count: int = 2) -> int:
    """Estimated peak memory of a ground-state run (module docstring): ``method`` dp, product, dmrg or exact;
    ``d`` the local dimension; ``schmidt_count`` the Schmidt grid's steps (DP)."""
    if method in ("dp", "product"):
        grid, kept = schmidt_points(bond_dim, schmidt_count)
        return BASE_BYTES + max(3 * 8 * grid * max(1, bond_dim - 1), DP_BYTES_PER_PAIR * kept * net_size)
    if method == "dmrg":
        return BASE_BYTES + 2 * 8 * (bond_dim * bond_dim * d * d) ** 2
    return BASE_BYTES + ED_VECTORS * 16 * d**sites
