"""Progress of a command: a tqdm bar on stderr when it is a terminal, nothing otherwise.

The plain progress lines on stdout stay as they are (scripts and tests read them); the bar only adds a live view of
how far the run is (sweeps, DP sites) for a person at a terminal.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int | None, unit: str, desc: str) -> tqdm:
    """A tqdm bar of ``total`` steps on stderr, disabled unless stderr is a terminal."""
    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True,
                disable=not sys.stderr.isatty())
