"""Widgets built from the param models, run/stop buttons, status lines and readable error messages."""

from __future__ import annotations

import panel as pn
import param

from explorer.views.worker import ui_callback

__all__ = [
    "param_controls", "RunBar", "ErrorBox", "SIDEBAR_WIDTH", "WIDGET_WIDTH", "SEED_END", "int_input", "float_input",
    "select", "checkbox",
]

SIDEBAR_WIDTH = 290
"""Width of the control column of every page."""

WIDGET_WIDTH = SIDEBAR_WIDTH - 30
"""Width of a control inside that column."""


SEED_END = 2**31 - 1
"""Largest seed a widget offers (browsers hold integers exactly only up to 2**53)."""


def int_input(label: str, end: int | None = None) -> dict:
    """Widget spec for an integer parameter: a typed input bounded by the parameter's bounds (or by ``end``)."""
    spec = {"type": pn.widgets.IntInput, "name": label, "width": WIDGET_WIDTH}
    return spec if end is None else {**spec, "end": end}


def float_input(label: str, step: float = 0.01) -> dict:
    """Widget spec for a number parameter."""
    return {"type": pn.widgets.FloatInput, "name": label, "step": step, "width": WIDGET_WIDTH}


def checkbox(label: str) -> dict:
    """Widget spec for a boolean parameter."""
    return {"type": pn.widgets.Checkbox, "name": label, "width": WIDGET_WIDTH}


def select(label: str) -> dict:
    """Widget spec for a selector parameter."""
    return {"type": pn.widgets.Select, "name": label, "width": WIDGET_WIDTH}


def param_controls(obj: param.Parameterized, widgets: dict) -> pn.Param:
    """Widgets for the parameters named in ``widgets`` (in that order), linked both ways to ``obj``.

    Bounds become the widgets' limits and each parameter's doc its tooltip (``pn.Param`` does both).
    """
    return pn.Param(
        obj, parameters=list(widgets), widgets=widgets, show_name=False, width=SIDEBAR_WIDTH - 10,
        default_layout=pn.Column, margin=0,
    )


class ErrorBox:
    """A red message box that stays hidden until something goes wrong."""

    def __init__(self):
        self.pane = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")

    def show(self, error: BaseException | str, prefix: str = "Cannot run") -> None:
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.pane.object = f"**{prefix}.** {text}"
        self.pane.visible = True

    def clear(self) -> None:
        self.pane.object = ""
        self.pane.visible = False

    @property
    def text(self) -> str:
        return self.pane.object if self.pane.visible else ""


class RunBar:
    """Run and Stop buttons and a status line; the page supplies the callbacks."""

    def __init__(self, on_run, on_stop, run_label: str = "Run"):
        self.run_button = pn.widgets.Button(label=run_label, color="primary", sizing_mode="stretch_width")
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", disabled=True,
                                             sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("Ready.", css_classes=["run-status"], sizing_mode="stretch_width",
                                       margin=(0, 10))
        self.run_button.on_click(ui_callback(lambda _event: on_run()))
        self.stop_button.on_click(ui_callback(lambda _event: on_stop()))
        self.panel = pn.Column(pn.Row(self.run_button, self.stop_button, sizing_mode="stretch_width"),
                               self.status, sizing_mode="stretch_width")

    def running(self, is_running: bool) -> None:
        self.run_button.disabled = is_running
        self.stop_button.disabled = not is_running

    def say(self, text: str) -> None:
        self.status.object = text
