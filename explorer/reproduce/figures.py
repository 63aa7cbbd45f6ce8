"""Figures of a sweep in the style of the seed's: log-scale y, one line of markers per group, optional panels.

The same HoloViews object is saved as interactive HTML (Bokeh) and as PNG (Matplotlib). Points whose y value is
missing or not positive cannot be drawn on a log scale and are left out.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

__all__ = ["figure", "save_figure", "series"]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
SYMBOLS = {
    "modes": "d",
    "block_size": "rho",
    "noise": "sigma",
    "sites": "n",
    "bond_dim": "D",
    "interaction_length": "L",
}
MARKERS = {"bokeh": ("x", "cross"), "matplotlib": ("x", "+")}
PANEL_TITLES = {"interaction_length": lambda v: f"window {2 * v + 1} (L = {v}; the seed's L = {2 * v + 3})"}


def _label(names, values) -> str:
    pairs = zip(names, values, strict=True)
    return ", ".join(str(value) if name not in SYMBOLS else f"{SYMBOLS[name]} = {value:g}" for name, value in pairs)


def _drawable(rows: list, y: str) -> list:
    return [r for r in rows if isinstance(r.get(y), int | float) and math.isfinite(r[y]) and r[y] > 0]


def series(rows: list, x: str, y: str, lines: tuple, aggregate: str) -> dict:
    """Group rows by the ``lines`` columns; per group the x values, the aggregate of y over seeds and every point.

    Returns
    -------
    dict
        ``label -> (xs, ys, all_xs, all_ys)`` with ``xs`` sorted and ``ys`` the median or mean at each x.
    """
    reduce = {"median": np.median, "mean": np.mean}[aggregate]
    groups: dict = {}
    for row in _drawable(rows, y):
        groups.setdefault(tuple(row[name] for name in lines), []).append((row[x], row[y]))
    out = {}
    for values in sorted(groups):
        pairs = np.array(groups[values], dtype=np.float64)
        xs = np.unique(pairs[:, 0])
        ys = np.array([reduce(pairs[pairs[:, 0] == v, 1]) for v in xs])
        out[_label(lines, values)] = (xs, ys, pairs[:, 0], pairs[:, 1])
    return out


def _overlay(sweep, rows: list, title: str, backend: str):
    import holoviews as hv

    dims = (hv.Dimension(sweep.x, label=sweep.xlabel), hv.Dimension(sweep.y, label=sweep.ylabel))
    aggregate, instance = MARKERS[backend]
    layers = []
    groups = series(rows, sweep.x, sweep.y, sweep.lines, sweep.aggregate)
    for i, (label, (xs, ys, all_xs, all_ys)) in enumerate(groups.items()):
        color = PALETTE[i % len(PALETTE)]
        style = dict(color=color, backend=backend)
        layers.append(hv.Curve((xs, ys), *dims, label=label).opts(color=color, backend=backend))
        layers.append(hv.Scatter((xs, ys), *dims).opts(marker=aggregate, **style))
        if sweep.instances:
            layers.append(hv.Scatter((all_xs, all_ys), *dims).opts(marker=instance, alpha=0.6, **style))
    if not layers:
        layers.append(hv.Curve([], *dims))
    return hv.Overlay(layers).opts(title=title, backend=backend)


def figure(sweep, rows: list, backend: str = "bokeh"):
    """The sweep's figure for one HoloViews backend: an overlay, or one overlay per value of ``sweep.panel``."""
    import holoviews as hv

    hv.renderer(backend)
    if sweep.panel is None:
        return _overlay(sweep, rows, sweep.title, backend)
    values = sorted({row[sweep.panel] for row in rows})
    titles = PANEL_TITLES.get(sweep.panel, lambda v: f"{sweep.panel} = {v}")
    panels = [_overlay(sweep, [r for r in rows if r[sweep.panel] == v], titles(v), backend) for v in values]
    return hv.Layout(panels).cols(2).opts(title=sweep.title, backend=backend)


def _styled(obj, backend: str, logx: bool):
    import holoviews as hv

    axes = dict(logy=True, logx=logx, show_grid=True, backend=backend)
    if backend == "bokeh":
        frame, marker, layout = dict(width=560, height=380), dict(size=8), {}
    else:
        frame, marker = dict(fig_inches=(6, 4), aspect="auto"), dict(s=40)
        layout = dict(fig_inches=(12, 4), sublabel_format="")
    return obj.opts(
        hv.opts.Curve(**axes),
        hv.opts.Scatter(**axes, **marker),
        hv.opts.Overlay(**frame, legend_position="best" if backend == "matplotlib" else "top_right",
                        backend=backend),
        hv.opts.Layout(**layout, backend=backend),
    )


def save_figure(sweep, rows: list, stem) -> list[Path]:
    """Save the figure of ``rows`` as ``STEM.html`` (Bokeh) and ``STEM.png`` (Matplotlib); return both paths."""
    import holoviews as hv

    stem = Path(stem)
    paths = []
    for backend, suffix in (("bokeh", ".html"), ("matplotlib", ".png")):
        obj = _styled(figure(sweep, rows, backend), backend, sweep.logx)
        path = stem.with_suffix(suffix)
        with warnings.catch_warnings():  # HoloViews gives Matplotlib edge colours for the unfilled markers x, +
            warnings.filterwarnings("ignore", "You passed an edgecolor", UserWarning)
            hv.save(obj, path, backend=backend)
        paths.append(path)
    return paths
