"""The result convention of long computations: a generator yields one report per step and *returns* its result.

``yield from`` hands the result to a calling generator (``result = yield from solver.iterate()``);
:func:`run_to_end` runs a generator to its end and returns the result; :class:`Progress` lets a ``for`` loop
consume the reports and keeps the result for afterwards. No solver stores its result as an attribute.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

__all__ = ["Progress", "run_to_end"]


def run_to_end(generator: Generator):
    """Consume every report of ``generator`` and return the value it returns."""
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            return stop.value


class Progress:
    """Iterate over the reports of ``generator``; once it is exhausted, ``result`` holds what it returned.

    ``result`` stays None while the loop runs and when the loop is left early (the computation then has no result).
    """

    def __init__(self, generator: Generator):
        self._generator = generator
        self.result = None

    def __iter__(self) -> Iterator:
        self.result = yield from self._generator
