"""The ``explorer`` command line: one sub-command per module in :mod:`explorer.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("systems", "learn", "simulate", "equations", "groundstate", "reproduce")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explorer",
        description="Learn dynamical laws with block-sparse tensor trains; find 1D ground states by "
        "epsilon-net dynamic programming.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"explorer.commands.{name}").add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ValueError as err:
        print(f"explorer {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
