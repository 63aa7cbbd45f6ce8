"""``explorer systems``: list the built-in dynamical systems with their parameters."""

from __future__ import annotations

import json

from explorer.systems import SYSTEMS, make_system

__all__ = ["add_parser", "catalogue", "run"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "systems",
        help="list the dynamical systems and their parameters",
        description="List the built-in dynamical systems with each parameter's default, bounds and meaning. "
        "explorer learn sets modes with --modes and every other parameter with --param NAME=VALUE. "
        "A user law is given elsewhere as MODULE:CALLABLE.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(run=run)


def catalogue() -> dict:
    """``{name: {"class", "order", "summary", "parameters"}}`` for every registered system."""
    result = {}
    for name in SYSTEMS:
        system = make_system(name)
        result[name] = {
            "class": type(system).__name__,
            "order": system.order,
            "summary": (type(system).__doc__ or "").strip().splitlines()[0],
            "parameters": system.parameter_info(),
        }
    return result


def _format_bounds(info: dict) -> str:
    if info["bounds"] is None:
        return "-"
    (low, high), (low_in, high_in) = info["bounds"], info["inclusive_bounds"]
    left = "[" if low is not None and low_in else "("
    right = "]" if high is not None and high_in else ")"
    return f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


def _table(entries: dict) -> str:
    lines = []
    for name, entry in entries.items():
        lines.append(f"{name}  ({entry['class']}, order {entry['order']}): {entry['summary']}")
        rows = [("parameter", "default", "bounds", "doc")]
        rows += [(p, json.dumps(i["default"]), _format_bounds(i), i["doc"])
                 for p, i in entry["parameters"].items()]
        widths = [max(len(row[c]) for row in rows) for c in range(3)]
        lines += ["  " + "  ".join([*(row[c].ljust(widths[c]) for c in range(3)), row[3]]) for row in rows]
        lines.append("")
    return "\n".join(lines).rstrip()


def run(args) -> int:
    entries = catalogue()
    print(json.dumps(entries, indent=2) if args.json else _table(entries))
    return 0
