"""What a run needs before it starts: memory estimates, checked against what the machine (or a worker) has.

Every front end (command line, dashboard) asks here before any work starts, and refuses a run that cannot fit with
one message naming the parameters, the estimate and the limit (:class:`ResourceError`).

Learning (:func:`learning_bytes`): the sweep keeps, per training sample and mode, the features of the mode, the
left and right environments and the transported sums of the equations, all samples-last. Measured peak resident
memory above the interpreter's (one sweep in a fresh process, FPUT and dipole presets, d = 10 to 200, N = 2,000 to
50,000) grows by 0.9-1.5 kB per sample and mode; :data:`LEARNING_BYTES_PER_SAMPLE_MODE` takes
1.6 kB, and the held-out test states add their own states and targets.
"""

from __future__ import annotations

import os

__all__ = ["ResourceError", "learning_bytes", "available_bytes", "check_memory", "LEARNING_BYTES_PER_SAMPLE_MODE",
           "format_bytes"]

LEARNING_BYTES_PER_SAMPLE_MODE = 1600
"""Peak bytes per training sample and mode of a learning run (measured 900-1,500; see the module docstring)."""

BASE_BYTES = 300 * 2**20
"""Interpreter, libraries and compiled kernels of a process that learns (measured ~140-220 MB)."""


class ResourceError(ValueError):
    """A run that cannot fit: the message names the parameters, the estimate and the limit."""


def format_bytes(count: float) -> str:
    """``count`` bytes as a short human-readable text (``"1.5 GB"``)."""
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


def check_memory(estimate: int, limit: int | None, what: str) -> None:
    """Raise :class:`ResourceError` when ``estimate`` exceeds ``limit`` (None: the machine's available memory).

    ``what`` names the parameters that drive the estimate, e.g. ``"d = 10 modes x N = 10,000,000 samples"``.
    """
    limit = available_bytes() if limit is None else limit
    if estimate > limit:
        raise ResourceError(f"{what} needs about {format_bytes(estimate)} of memory, more than the "
                            f"{format_bytes(limit)} available; use fewer samples or modes")
