"""The ``explorer`` command line: one sub-command per module in :mod:`explorer.commands`.

:func:`main` gives every command the same behaviour at its edges: a bad input (``ValueError``, including
:class:`~explorer.resources.ResourceError` and errors raised inside a user's law) or a numerical breakdown
(``ArithmeticError``) ends it with one line ``explorer COMMAND: error: ...`` and exit code 2; Ctrl-C ends it with
one line ``explorer COMMAND: interrupted`` (plus what was kept, :class:`~explorer.commands.checks.Interrupted`) and
exit code 130. An error raised while an interrupt is pending (e.g. numba's ``SystemError`` when the signal lands in
a compiled kernel) counts as the interrupt. No traceback reaches the user for any of these.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from explorer import __version__
from explorer.cancellation import stoppable
from explorer.commands.checks import INTERRUPT, interrupted

COMMANDS = ("systems", "learn", "simulate", "equations", "groundstate", "reproduce")

INTERRUPTED = 130
"""Exit code of a command ended by Ctrl-C (128 + SIGINT)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explorer",
        description="Learn dynamical laws with block-sparse tensor trains; find 1D ground states by "
        "epsilon-net dynamic programming.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"explorer.commands.{name}").add_parser(sub)
    for command in sub.choices.values():
        _show_defaults(command)
    return parser


def _show_defaults(parser: argparse.ArgumentParser) -> None:
    """Append ``(default: ...)`` to the help of every option whose help does not state its default yet."""
    for action in parser._actions:
        if not action.option_strings or action.help in (None, argparse.SUPPRESS) or "default" in action.help:
            continue
        if action.default in (None, False, [], ()):
            shown = "off" if action.default is False else "none"
        else:
            shown = str(action.default).replace("%", "%%")
        action.help = f"{action.help} (default: {shown})"


def _error(command: str, err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return f"{command}: error: {text}"


def main(argv=None) -> int:
    """Run one command; returns its exit code (0 ok, 1 some points failed, 2 bad input, 130 interrupted)."""
    INTERRUPT.reset()
    previous = signal.signal(signal.SIGINT, INTERRUPT) if _main_thread() else None
    command = "explorer"
    try:
        args = build_parser().parse_args(argv)
        command = f"explorer {args.command}"
        with stoppable(INTERRUPT.stop):
            return int(args.run(args) or 0)
    except BaseException as err:
        if interrupted(err):
            note = f"; {err}" if isinstance(err, KeyboardInterrupt) and str(err) else ""
            print(f"{command}: interrupted{note}", file=sys.stderr, flush=True)
            return INTERRUPTED
        if isinstance(err, (ValueError, ArithmeticError)):
            print(_error(command, err), file=sys.stderr, flush=True)
            return 2
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def entry() -> None:
    """Console entry point: :func:`main`, then leave at once after an interrupt (no waiting on stray threads)."""
    try:
        code = main()
    except KeyboardInterrupt:
        print("explorer: interrupted", file=sys.stderr, flush=True)
        code = INTERRUPTED
    if code == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
