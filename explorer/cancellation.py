"""Cooperative stop: a stop request that long computations check between their small steps.

A run's generator yields one report per sweep, DP site or resolution, and its consumer can stop it between
reports. One report can take seconds (a sweep of a d = 1000 law fits about 10,000 local problems), so the
computations also check a *stop flag* between their small steps (:func:`check`): a local ALS problem, a block of
samples evaluated, a DP transition's chunk, a step of a simulation. The flag is a :class:`threading.Event` that
the code running the generator installs with :func:`stoppable`; a computation nobody runs under a flag checks
nothing and costs one context-variable lookup per step.

When the flag is set, :func:`check` raises :class:`Cancelled`. It derives from :class:`BaseException` (like
:class:`KeyboardInterrupt`), so ``except Exception`` blocks that report a failed method and go on do not swallow
it; whoever installed the flag catches it and ends the run as stopped, keeping the reports it has.

The flag lives in a :class:`contextvars.ContextVar`, so concurrent runs in threads of one process (the notebook
engine) each see their own. Threads a computation starts do not inherit it: such code reads :func:`current_flag`
in the calling thread and passes the flag to :func:`check` in its helpers (as the parallel half-sweep does).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Cancelled", "stoppable", "current_flag", "check"]

_flag: ContextVar[threading.Event | None] = ContextVar("explorer_stop_flag", default=None)


class Cancelled(BaseException):
    """The computation's stop flag was set: it ended between two of its steps, on request."""


@contextmanager
def stoppable(flag: threading.Event) -> Iterator[threading.Event]:
    """Run the enclosed code (and every generator advanced inside it) under ``flag``."""
    token = _flag.set(flag)
    try:
        yield flag
    finally:
        _flag.reset(token)


def current_flag() -> threading.Event | None:
    """The stop flag of the calling context (None: not stoppable)."""
    return _flag.get()


def check(flag: threading.Event | None = None) -> None:
    """Raise :class:`Cancelled` if ``flag`` (default: the calling context's flag) is set."""
    flag = _flag.get() if flag is None else flag
    if flag is not None and flag.is_set():
        raise Cancelled
