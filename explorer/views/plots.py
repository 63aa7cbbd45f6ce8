"""Bokeh figures shared by the pages: live line charts, categorical heatmaps and mosaics of matrices.

Every chart keeps its ``ColumnDataSource`` objects, so live updates replace or stream data instead of rebuilding
figures (cheap on the server, no flicker in the browser).
"""

from __future__ import annotations

import numpy as np
from bokeh.models import (
    AdaptiveTicker,
    ColorBar,
    ColumnDataSource,
    FactorRange,
    FixedTicker,
    Label,
    LinearColorMapper,
    LogColorMapper,
    LogTicker,
    Range1d,
)
from bokeh.palettes import RdBu11, Viridis256
from bokeh.plotting import figure

__all__ = [
    "make_figure",
    "placeholder",
    "LineChart",
    "Heatmap",
    "MatrixMosaic",
    "PALETTE",
    "log_ticks",
]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
"""Line colours, in the order series are added."""

MARKERS = ("circle", "triangle", "square", "diamond", "inverted_triangle", "star")
REFERENCE_COLORS = ("#000000", "#7f7f7f", "#bcbd22", "#17becf")

FORBIDDEN = "#eeeeee"
"""Fill of cells that the block structure forbids."""

TOOLS = "pan,box_zoom,reset,save,hover"
"""Chart tools: few enough to fit beside the frame of a chart with a two-row legend (no overflow menu); no wheel
zoom, which would catch the page's scrolling."""

WAITING = "Press Run: this chart fills while the computation runs."
"""Text of an empty chart."""

FEW_DECADES = 2.0
"""Below this many decades of data Bokeh's log ticker falls back to linear ticks (0.05, 0.1, 0.15 on a log
axis from 3e-3 to 0.15, nothing below); such charts get ticks at 1, 2 and 5 times the powers of ten instead."""


LOG_PAD = 6.0
"""Least ratio end/start of a log axis' range: data within a narrower band (one point, or all near one value) is
centred in a range this wide, which always holds a 1, 2 or 5 times a power of ten."""


def log_ticks(low: float, high: float) -> list[float]:
    """Ticks ``m * 10**k`` (``m`` in 1, 2, 5) covering ``[low / 10, high * 10]``, for a log axis with few decades."""
    first, last = int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1
    return [float(m * 10.0**k) for k in range(first, last + 1) for m in (1, 2, 5)]


def make_figure(title: str, x_label: str, y_label: str, *, width: int = 500, height: int = 330, **kwargs):
    """A Bokeh figure with the dashboard's common size, tools and readable fonts."""
    fig = figure(title=title, width=width, height=height, tools=TOOLS, toolbar_location="right", **kwargs)
    fig.toolbar.logo = None
    fig.xaxis.axis_label = x_label
    fig.yaxis.axis_label = y_label
    fig.title.text_font_size = "13px"
    fig.axis.axis_label_text_font_size = "12px"
    fig.axis.axis_label_text_font_style = "normal"
    return fig


FRAME_MARGIN = 80
"""Pixels of a figure's height taken by its title and x axis."""

LEGEND_ROW = 28
"""Pixels per row of a legend below the frame."""

LEGEND_COLUMNS = 3
"""Entries per row of a legend below the frame."""


def placeholder(fig, text: str = WAITING, legend_rows: int = 0) -> Label:
    """A grey note in the middle of an empty figure's frame; the charts hide it as soon as they hold data."""
    frame = fig.height - FRAME_MARGIN - LEGEND_ROW * legend_rows
    label = Label(x=60, y=max(frame // 2, 20), x_units="screen", y_units="screen", text=text, text_color="#888888",
                  text_font_size="12px", text_font_style="italic")
    fig.add_layout(label)
    return label


class LineChart:
    """Named series of ``(x, y)`` points with markers, for live per-sweep or per-resolution curves.

    Parameters
    ----------
    title, x_label, y_label : str
    series : sequence of str
        Legend labels; each gets its own source (``sources[label]``) with columns ``x`` and ``y``.
    log_y : bool
        Logarithmic y axis (residua, energy errors).
    integer_x : bool
        Ticks only at integers (sweeps, sites).
    references : sequence of str
        Further series drawn as dashed lines without markers (reference values).
    lines : bool
        Connect the points of the (non-reference) series.
    name : str
        Prefix of the sources' Bokeh names (``"{name}:{label}"``), so browser tests can find them.
    empty : str
        Note shown while the chart holds no points.
    """

    def __init__(self, title: str, x_label: str, y_label: str, series, *, log_y: bool = False,
                 integer_x: bool = True, references=(), lines: bool = True, name: str = "chart",
                 empty: str = WAITING, **kwargs):
        self.name = name
        self.figure = make_figure(title, x_label, y_label, y_axis_type="log" if log_y else "linear", **kwargs)
        self._tickers = {"y": (LogTicker(), FixedTicker(ticks=[]))} if log_y else {}
        if kwargs.get("x_axis_type") == "log":
            self._tickers["x"] = (LogTicker(), FixedTicker(ticks=[]))
        rows = -(-(len(series) + len(references)) // LEGEND_COLUMNS)
        self.note = placeholder(self.figure, empty, legend_rows=rows)
        if integer_x:
            self.figure.xaxis.ticker = AdaptiveTicker(min_interval=1, num_minor_ticks=0)
        self.sources = {}
        for index, label in enumerate(series):
            source = self._source(label)
            color, marker = PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]
            if lines:
                self.figure.line("x", "y", source=source, color=color, line_width=2, legend_label=label)
            self.figure.scatter("x", "y", source=source, color=color, size=7, marker=marker, legend_label=label)
        for index, label in enumerate(references):
            color = REFERENCE_COLORS[index % len(REFERENCE_COLORS)]
            self.figure.line("x", "y", source=self._source(label), color=color, line_width=2, line_dash="dashed",
                             legend_label=label)
        legend = self.figure.legend[0]
        legend.click_policy = "hide"
        legend.label_text_font_size = "11px"
        legend.spacing = 12
        legend.padding = 4
        legend.margin = 4
        legend.orientation = "horizontal"
        legend.ncols = LEGEND_COLUMNS
        self.figure.add_layout(legend, "below")
        self.legend = legend
        self._pad = ColumnDataSource({"x": [], "y": []})
        self.figure.scatter("x", "y", source=self._pad, size=1, alpha=0)
        self._show_legend()

    def _show_legend(self) -> None:
        """List only the series that hold points (an empty series has no swatch to show); no legend when empty."""
        for item in self.legend.items:
            item.visible = any(len(r.data_source.data["x"]) for r in item.renderers)
        self.legend.visible = any(item.visible for item in self.legend.items)

    def _source(self, label: str) -> ColumnDataSource:
        self.sources[label] = ColumnDataSource({"x": [], "y": []}, name=f"{self.name}:{label}")
        return self.sources[label]

    def stream(self, label: str, x, y) -> None:
        """Append points to one series (``None`` becomes NaN, a gap)."""
        y = [np.nan if v is None else float(v) for v in y]
        self.sources[label].stream({"x": list(x), "y": y})
        self.note.visible = False
        self._retick()
        self._show_legend()

    def set(self, label: str, x, y) -> None:
        """Replace the points of one series."""
        self.sources[label].data = {"x": list(x), "y": [np.nan if v is None else float(v) for v in y]}
        self.note.visible = not any(self.count(name) for name in self.sources)
        self._retick()
        self._show_legend()

    def _retick(self) -> None:
        """Log axes: Bokeh's log ticks from :data:`FEW_DECADES` of data on, 1-2-5 ticks below that (Bokeh's own
        run together on x, "500600", or leave y without a label); data in a band narrower than :data:`LOG_PAD` gets
        invisible points that widen the range to that factor, so that a labelled 1-2-5 tick falls inside."""
        pad = {"x": [], "y": []}
        for axis, (log_ticker, fixed) in self._tickers.items():
            other = "x" if axis == "y" else "y"
            points = [np.asarray(s.data[name], dtype=float) for s in self.sources.values() for name in (axis, other)]
            values, partners = np.concatenate(points[0::2]), np.concatenate(points[1::2])
            keep = np.isfinite(values) & (values > 0) & np.isfinite(partners)
            if not keep.any():
                continue
            low, high = float(values[keep].min()), float(values[keep].max())
            if np.log10(high / low) >= FEW_DECADES:
                ticker = log_ticker
            else:
                fixed.ticks = log_ticks(low, high)
                ticker = fixed
            target = self.figure.yaxis[0] if axis == "y" else self.figure.xaxis[0]
            if target.ticker is not ticker:
                target.ticker = ticker
            if high / low < LOG_PAD:
                middle, partner = np.sqrt(low * high), float(partners[keep][0])
                pad[axis] += [middle / np.sqrt(LOG_PAD), middle * np.sqrt(LOG_PAD)]
                pad[other] += [partner, partner]
        if pad != self._pad.data:
            self._pad.data = pad

    def clear(self) -> None:
        """Remove every point (the note shows again)."""
        for source in self.sources.values():
            source.data = {"x": [], "y": []}
        self._pad.data = {"x": [], "y": []}
        self.note.visible = True
        self._show_legend()

    def count(self, label: str) -> int:
        """Number of points of one series."""
        return len(self.sources[label].data["x"])


class Heatmap:
    """A heatmap on categorical axes with a text label per cell and a colour bar (log or linear).

    Cells whose value is NaN are drawn in a light grey: forbidden by the block structure. ``name`` names the
    cells' source in the Bokeh document (for browser tests).
    """

    def __init__(self, title: str, x_label: str, y_label: str, *, log: bool = True, bar_title: str = "",
                 empty: str = WAITING, name: str | None = None, integer: bool = False, **kwargs):
        self.log, self.integer = log, integer and not log
        self.source = ColumnDataSource({"x": [], "y": [], "value": [], "text": [], "fill": [], "ink": []},
                                       name=name)
        self.figure = make_figure(
            title, x_label, y_label, x_range=FactorRange(), y_range=FactorRange(), **kwargs
        )
        mapper_cls = LogColorMapper if log else LinearColorMapper
        self.mapper = mapper_cls(palette=Viridis256, low=1e-3 if log else 0.0, high=1.0, nan_color=FORBIDDEN)
        self.figure.rect("x", "y", 1, 1, source=self.source, line_color="white",
                         fill_color={"field": "fill", "transform": self.mapper})
        self.figure.text("x", "y", text="text", source=self.source, text_align="center",
                         text_baseline="middle", text_font_size="11px", text_color="ink")
        self.colorbar = ColorBar(color_mapper=self.mapper, title=bar_title, width=10)
        if self.integer:
            self.colorbar.ticker = AdaptiveTicker(min_interval=1, num_minor_ticks=0)
        self.figure.add_layout(self.colorbar, "right")
        self.figure.grid.visible = False
        self.figure.axis.major_tick_line_color = None
        self.note = placeholder(self.figure, empty)

    def update(self, xs, ys, values, texts, x_factors, y_factors) -> None:
        """Show ``values`` at categorical cells ``(xs[i], ys[i])``; ranges follow ``x_factors``/``y_factors``."""
        values = np.asarray(values, dtype=np.float64)
        fill = values.copy()
        if self.log:
            fill[~(fill > 0)] = np.nan
        finite = fill[np.isfinite(fill)]
        if finite.size and self.integer:
            self._integer_colours(int(finite.min()), int(finite.max()))
        elif finite.size:
            low, high = float(finite.min()), float(finite.max())
            if high <= low:
                high = low * 10 if self.log and low > 0 else low + 1
            self.mapper.update(low=low, high=high)
        self.figure.x_range.factors = list(x_factors)
        self.figure.y_range.factors = list(y_factors)
        self.source.data = {"x": list(xs), "y": list(ys), "value": values.tolist(), "text": list(texts),
                            "fill": fill.tolist(), "ink": self._ink(fill)}
        self.note.visible = not len(xs)

    def _integer_colours(self, low: int, high: int) -> None:
        """One colour band per whole number from ``low`` to ``high``, centred on it (a discrete colour bar); the
        colours are the palette's at the bands' middles, so that a single size gets the palette's middle colour."""
        count = high - low + 1
        size = len(Viridis256)
        palette = [Viridis256[int((i + 0.5) * size / count)] for i in range(count)] if count <= size else Viridis256
        self.mapper.update(palette=palette, low=low - 0.5, high=high + 0.5)

    def _ink(self, fill: np.ndarray) -> list[str]:
        """Text colour per cell: white on the dark lower half of the palette, black elsewhere."""
        low, high = self.mapper.low, self.mapper.high
        if self.log:
            low, high, fill = np.log(low), np.log(high), np.log(np.where(fill > 0, fill, np.nan))
        position = (fill - low) / (high - low) if high > low else np.zeros_like(fill)
        return ["white" if p < 0.5 else "black" for p in np.nan_to_num(position, nan=1.0)]


class MatrixMosaic:
    """Many small matrices tiled in one figure (gauge matrices, slices of a core), each with a caption.

    Entries are rectangles coloured by value (diverging palette, symmetric about 0, or sequential) or grey
    where the value is NaN; thin lines can mark block boundaries inside each tile.
    """

    MARGIN_X, MARGIN_Y, MIN_HEIGHT, MAX_HEIGHT = 130, 50, 180, 720

    def __init__(self, title: str, *, diverging: bool = True, bar_title: str = "", log: bool = False,
                 empty: str = WAITING, **kwargs):
        self.diverging, self.log = diverging, log
        self.figure = make_figure(title, "", "", x_range=Range1d(0, 1), y_range=Range1d(0, 1), **kwargs)
        self.note = placeholder(self.figure, empty)
        self.entries = ColumnDataSource({"x": [], "y": [], "value": [], "fill": [], "tile": []})
        self.captions = ColumnDataSource({"x": [], "y": [], "text": []})
        self.ticks = ColumnDataSource({"x": [], "y": [], "text": [], "align": []})
        self.lines = ColumnDataSource({"xs": [], "ys": []})
        if diverging:
            self.mapper = LinearColorMapper(palette=tuple(reversed(RdBu11)), low=-1, high=1, nan_color=FORBIDDEN)
        else:
            cls = LogColorMapper if log else LinearColorMapper
            self.mapper = cls(palette=Viridis256, low=1e-3 if log else 0, high=1, nan_color=FORBIDDEN)
        self.figure.rect("x", "y", 1, 1, source=self.entries, line_color=None,
                         fill_color={"field": "fill", "transform": self.mapper})
        self.figure.multi_line("xs", "ys", source=self.lines, line_color="#444444", line_width=1)
        self.figure.text("x", "y", text="text", source=self.captions, text_font_size="11px",
                         text_baseline="bottom", text_align="left")
        self.figure.text("x", "y", text="text", source=self.ticks, text_font_size="9px",
                         text_baseline="middle", text_align="align", text_color="#555555")
        self.colorbar = ColorBar(color_mapper=self.mapper, title=bar_title, width=10)
        self.figure.add_layout(self.colorbar, "right")
        self.figure.axis.visible = False
        self.figure.grid.visible = False

    def update(self, tiles: list[dict], columns: int, scale: bool = True) -> None:
        """Tile matrices row by row, ``columns`` per row (fewer when there are fewer tiles).

        Each tile is a dict with ``matrix`` (2-D, NaN for forbidden entries), ``caption`` and optionally
        ``row_blocks``/``col_blocks``: lists of ``(start, stop, label)`` that draw block lines and labels.
        Without ``scale`` all finite entries get one colour and the colour bar is hidden (a pattern, not values).
        """
        layout = _MosaicLayout(tiles, min(columns, len(tiles)))
        entries = {"x": [], "y": [], "value": [], "fill": [], "tile": []}
        captions = {"x": [], "y": [], "text": []}
        ticks = {"x": [], "y": [], "text": [], "align": []}
        lines = {"xs": [], "ys": []}
        for index, tile in enumerate(tiles):
            x0, y0 = layout.origin(index)
            matrix = np.asarray(tile["matrix"], dtype=np.float64)
            rows, cols = np.indices(matrix.shape)
            entries["x"] += (x0 + cols.ravel() + 0.5).tolist()
            entries["y"] += (y0 - rows.ravel() - 0.5).tolist()
            entries["value"] += matrix.ravel().tolist()
            entries["tile"] += [index] * matrix.size
            captions["x"].append(x0)
            captions["y"].append(y0 + 0.2)
            captions["text"].append(tile.get("caption", ""))
            _block_marks(tile, matrix.shape, x0, y0, lines, ticks)
        values = np.asarray(entries["value"], dtype=np.float64)
        entries["fill"] = (self._fill(values) if scale else self._pattern(values)).tolist()
        self.colorbar.visible = scale
        self.entries.data, self.captions.data, self.ticks.data, self.lines.data = entries, captions, ticks, lines
        self.note.visible = not tiles
        self._fit(*layout.extent())

    def _fit(self, x_end: float, y_end: float) -> None:
        """Ranges around the tiles and a height that keeps entries square."""
        x_range, y_range = (-2.5, x_end + 1), (-y_end - 1, 2.5)
        self.figure.x_range.update(start=x_range[0], end=x_range[1])
        self.figure.y_range.update(start=y_range[0], end=y_range[1])
        inner = self.figure.width - self.MARGIN_X
        ratio = (y_range[1] - y_range[0]) / (x_range[1] - x_range[0])
        self.figure.height = int(np.clip(inner * ratio + self.MARGIN_Y, self.MIN_HEIGHT, self.MAX_HEIGHT))

    def _pattern(self, values: np.ndarray) -> np.ndarray:
        self.mapper.update(low=0.1 if self.log else 0.0, high=10.0 if self.log else 2.0)
        return np.where(np.isfinite(values), 1.0, np.nan)

    def _fill(self, values: np.ndarray) -> np.ndarray:
        fill = values.copy()
        finite = fill[np.isfinite(fill)]
        if self.diverging:
            bound = float(np.max(np.abs(finite))) if finite.size else 1.0
            self.mapper.update(low=-(bound or 1.0), high=bound or 1.0)
            return fill
        if self.log:
            fill[~(fill > 0)] = np.nan
            finite = fill[np.isfinite(fill)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            self.mapper.update(low=low, high=high if high > low else (low * 10 if self.log else low + 1))
        return fill

    def count(self) -> int:
        """Number of drawn tiles."""
        return len(self.captions.data["text"])


class _MosaicLayout:
    """Positions of tiles in a mosaic: rows of ``columns`` tiles separated by gaps for captions and labels."""

    GAP = 3.0

    def __init__(self, tiles: list[dict], columns: int):
        shapes = [np.shape(t["matrix"]) for t in tiles]
        self.columns = max(1, columns)
        self.width = max((s[1] for s in shapes), default=1)
        self.heights = []
        for start in range(0, len(shapes), self.columns):
            self.heights.append(max(s[0] for s in shapes[start:start + self.columns]))

    def origin(self, index: int) -> tuple[float, float]:
        row, col = divmod(index, self.columns)
        y = -sum(h + self.GAP for h in self.heights[:row])
        return col * (self.width + self.GAP), y

    def extent(self) -> tuple[float, float]:
        return self.columns * (self.width + self.GAP), sum(h + self.GAP for h in self.heights)


def _block_marks(tile: dict, shape, x0: float, y0: float, lines: dict, ticks: dict) -> None:
    """Block boundary lines and block labels (left of rows, above columns) of one mosaic tile."""
    rows, cols = shape
    for start, stop, label in tile.get("row_blocks", []):
        if start > 0:
            lines["xs"].append([x0, x0 + cols])
            lines["ys"].append([y0 - start, y0 - start])
        ticks["x"].append(x0 - 0.3)
        ticks["y"].append(y0 - (start + stop) / 2)
        ticks["text"].append(str(label))
        ticks["align"].append("right")
    for start, stop, label in tile.get("col_blocks", []):
        if start > 0:
            lines["xs"].append([x0 + start, x0 + start])
            lines["ys"].append([y0, y0 - rows])
        ticks["x"].append(x0 + (start + stop) / 2)
        ticks["y"].append(y0 - rows - 0.6)
        ticks["text"].append(str(label))
        ticks["align"].append("center")
