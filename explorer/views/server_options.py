"""Options of the dashboard's server, given by the operator: ``panel serve apps/ --args [OPTIONS]``.

``--law MODULE:CALLABLE`` (repeatable)
    Registers a user law; the Learn page's System box then offers it next to the built-in systems. The browser can
    only choose among these: it never names code for the server to import.
``--scheduler tcp://HOST:PORT``
    Sends every run to an existing Dask scheduler instead of the LocalCluster the server starts otherwise (the
    environment variable ``EXPLORER_SCHEDULER`` does the same when this option is absent).

Bokeh runs each app script once per browser session with ``sys.argv`` set to the script and these arguments;
:func:`apply_server_options` acts on the first call of a process only. ``panel serve apps/`` makes that call when the
server starts (``apps/server_lifecycle.py``), before its worker pool starts; a single page served on its own makes
it when its first session opens.
"""

from __future__ import annotations

import argparse
import sys
import threading

from explorer.systems import SYSTEMS
from explorer.systems.custom import load_callable
from explorer.views.worker import configure_engine, in_server_session

__all__ = ["apply_server_options", "parse_server_args", "register_law", "registered_laws", "system_choices"]

_LAWS: list[str] = []
_APPLIED: list[bool] = []
_LOCK = threading.RLock()


def parse_server_args(argv: list[str]) -> argparse.Namespace:
    """The options in ``argv`` (without the program name); raises ValueError on anything else."""
    parser = argparse.ArgumentParser(prog="panel serve apps/ --args", add_help=False, exit_on_error=False)
    parser.add_argument("--law", action="append", default=[], metavar="MODULE:CALLABLE")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT")
    try:
        args, unknown = parser.parse_known_args(argv)
    except argparse.ArgumentError as exc:
        raise ValueError(f"server options: {exc}") from None
    if unknown:
        raise ValueError(f"unknown server options {unknown}; known: --law MODULE:CALLABLE, --scheduler ADDRESS")
    return args


def register_law(spec: str) -> None:
    """Offer the user law ``spec`` (``MODULE:CALLABLE``, imported now so that a typo fails when the server starts,
    ``apps/server_lifecycle.py``, not when a user runs it)."""
    load_callable(spec)
    with _LOCK:
        if spec not in _LAWS:
            _LAWS.append(spec)


def registered_laws() -> list[str]:
    """The laws registered in this process, in registration order."""
    return list(_LAWS)


def system_choices() -> list[str]:
    """What the System box offers: the built-in systems, then the registered laws."""
    return sorted(SYSTEMS) + registered_laws()


def apply_server_options(argv: list[str] | None = None) -> None:
    """Register the laws and configure the engine from ``argv``, once per process.

    Without ``argv`` the options are ``sys.argv[1:]`` inside a server session and nothing elsewhere (an app file
    run as a plain script or by a test does not read its host's command line).
    """
    if argv is None and not in_server_session():
        return
    with _LOCK:
        if _APPLIED:
            return
        args = parse_server_args(sys.argv[1:] if argv is None else argv)
        for spec in args.law:
            register_law(spec)
        if args.scheduler:
            configure_engine(scheduler=args.scheduler)
        _APPLIED.append(True)
