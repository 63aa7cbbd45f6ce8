"""Checks every command runs on its whole input before any work starts.

Each check raises :class:`ValueError` (memory: :class:`~explorer.resources.ResourceError`) with one line naming
the option; :func:`explorer.cli.main` prints it as ``explorer COMMAND: error: ...`` and exits with code 2.
:class:`Interrupted` carries the note of what a command kept when Ctrl-C ended it (exit code 130).
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

from explorer.resources import check_memory

__all__ = [
    "INTERRUPT",
    "Interrupted",
    "interrupted",
    "check_memory",
    "finite",
    "finite_flags",
    "input_array",
    "input_file",
    "output_file",
    "output_folder",
]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C ended a command; ``str(self)`` says what was kept (e.g. the law of the last finished sweep)."""


class InterruptFlag:
    """SIGINT handler that raises KeyboardInterrupt once and remembers that it did.

    Later signals are ignored, so the clean-up of the first one (saving the last law, closing a cluster) is not cut
    short; ``raised`` lets a command tell an error caused by the interrupt (numba's ``SystemError`` when the signal
    lands in a compiled kernel) from a real one. The handler also sets :attr:`stop`, the stop flag the command runs
    under (:mod:`explorer.cancellation`): should the KeyboardInterrupt be swallowed where it lands (Python ignores
    an exception raised in a finaliser or a callback), the computation still ends at its next small step.
    """

    def __init__(self):
        self.raised = False
        self.stop = threading.Event()

    def reset(self) -> None:
        """Forget an earlier interrupt (a new command starts)."""
        self.raised = False
        self.stop.clear()

    def __call__(self, signum, frame):
        if not self.raised:
            self.raised = True
            self.stop.set()
            raise KeyboardInterrupt


INTERRUPT = InterruptFlag()
"""The SIGINT handler :func:`explorer.cli.main` installs while a command runs."""


def interrupted(err: BaseException) -> bool:
    """True when ``err`` is Ctrl-C or was raised while an interrupt was being delivered."""
    return isinstance(err, KeyboardInterrupt) or INTERRUPT.raised


def finite(value: float, option: str, low: float | None = None, high: float | None = None) -> float:
    """``value`` if it is a finite number within ``[low, high]``; ValueError naming ``option`` otherwise."""
    if not math.isfinite(value):
        raise ValueError(f"{option} must be a finite number, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{option} must be at least {low:g}, got {value:g}")
    if high is not None and value > high:
        raise ValueError(f"{option} must be at most {high:g}, got {value:g}")
    return value


def finite_flags(args, names) -> None:
    """Check that every float (or tuple of floats) among the given flags ``names`` is finite."""
    for name in names:
        value = getattr(args, name, None)
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, float):
                finite(item, "--" + name.replace("_", "-"))


def _writable_folder(folder: Path, option: str, path) -> None:
    if not folder.is_dir():
        raise ValueError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path}: folder {folder} is not writable")


def output_file(path, option: str) -> Path:
    """A file the command will write: its folder exists and is writable, and it is not an existing folder."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder, not a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{option} {path} exists and is not writable")
    _writable_folder(path.parent if str(path.parent) else Path("."), option, path)
    return path


def output_folder(path, option: str) -> Path:
    """A folder the command writes into (created if missing): an existing writable folder, or a missing one whose
    parent folder exists and is writable; never an existing non-folder."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{option} {path} exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError(f"{option} {path} is not writable")
        return path
    _writable_folder(path.parent, option, path)
    return path


def input_file(path, option: str) -> Path:
    """A file the command reads: it exists, is a file, and is not empty."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{option} {path} does not exist or is not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"{option} {path} is empty")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{option} {path} is not readable")
    return path


def input_array(path, option: str):
    """The array of a ``.npy`` file (no pickles); one-line ValueError for a missing, empty, or non-``.npy`` file,
    an empty array or non-finite entries."""
    import numpy as np  # here, so that `explorer --help` and an early Ctrl-C need no numpy

    path = input_file(path, option)
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{option} {path} is not a readable .npy array of numbers ({type(err).__name__})") from err
    if not isinstance(array, np.ndarray) or array.size == 0:
        raise ValueError(f"{option} {path} holds no numbers")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{option} {path} holds {array.dtype} values, not numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{option} {path} holds NaN or infinite values")
    return array
