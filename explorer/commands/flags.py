"""Command-line flags generated from param models, so that every setting is declared once.

A :class:`param.Parameterized` model declares each setting's type, default, bounds and doc; :func:`add_flags`
turns the chosen parameters into ``argparse`` options (``block_size`` becomes ``--block-size``) whose help shows
the doc, the default and the bounds. Every flag defaults to ``None`` in the parsed arguments, so
:func:`given` returns exactly the settings the user typed and the model keeps its own defaults for the rest.
Values are checked by the model when they are set (a ``ValueError`` naming the parameter).
"""

from __future__ import annotations

import argparse

import param

__all__ = ["add_flags", "flag", "given", "parse_assignments"]


def flag(name: str) -> str:
    """The option string of a parameter: ``block_size`` -> ``--block-size``."""
    return "--" + name.replace("_", "-")


def _kind(parameter: param.Parameter) -> dict:
    """``argparse`` keywords (type, choices, nargs, action) for one parameter."""
    if isinstance(parameter, param.Boolean):
        return {"action": argparse.BooleanOptionalAction}
    if isinstance(parameter, param.Selector):
        objects = list(parameter.objects)
        return {"type": type(objects[0]), "choices": objects}
    if isinstance(parameter, param.NumericTuple):
        return {"type": float, "nargs": parameter.length}
    if isinstance(parameter, param.Integer):
        return {"type": int}
    if isinstance(parameter, param.Number):
        return {"type": float}
    return {"type": str}


def _bounds(parameter: param.Parameter) -> str:
    bounds = getattr(parameter, "bounds", None)
    if bounds is None or isinstance(parameter, param.Selector) or bounds == (None, None):
        return ""
    (low, high), (low_in, high_in) = bounds, parameter.inclusive_bounds
    left = "[" if low is not None and low_in else "("
    right = "]" if high is not None and high_in else ")"
    return f", in {left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


def _help(parameter: param.Parameter, default: str | None) -> str:
    doc = (parameter.doc or "").strip()
    text = f"{doc} (default: {parameter.default if default is None else default}{_bounds(parameter)})"
    return text.replace("%", "%%")


def add_flags(parser, model: type[param.Parameterized], names, defaults: dict | None = None) -> None:
    """Add one option per parameter of ``model`` named in ``names`` to ``parser`` (a parser or a group).

    ``defaults`` maps a name to the text shown as its default where the model's own default is not the whole
    story (e.g. a per-system preset); the parsed value stays ``None`` unless the flag is given.
    """
    defaults = defaults or {}
    for name in names:
        parameter = model.param[name]
        parser.add_argument(
            flag(name), dest=name, default=None, help=_help(parameter, defaults.get(name)), **_kind(parameter)
        )


def given(args, names) -> dict:
    """``{name: value}`` of the flags among ``names`` that were given (lists of ``nargs`` become tuples)."""
    values = {}
    for name in names:
        value = getattr(args, name, None)
        if value is not None:
            values[name] = tuple(value) if isinstance(value, list) else value
    return values


def parse_assignments(items, option: str) -> dict:
    """``["beta=0.5", "disordered=true"]`` -> ``{"beta": "0.5", "disordered": "true"}`` (strings, for the model).

    Raises ValueError naming ``option`` for an item without ``=`` or with an empty name.
    """
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{option} expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out
