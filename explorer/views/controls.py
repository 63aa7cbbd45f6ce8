"""Widgets built from the param models, run/stop buttons, status lines and readable error messages.

Numbers and free-text choices are typed into text fields that never replace what was typed: a value that is not a
number, lies outside the parameter's bounds or is not one of the offered choices stays visible with a message under
the field naming what is allowed, the model keeps its last good value, and every :class:`RunBar` guarding the field
keeps Run disabled until the field is fixed.
"""

from __future__ import annotations

import math

import panel as pn
import param
from panel.viewable import Viewer

from explorer.views.worker import ui_callback

__all__ = [
    "param_controls", "RunBar", "ErrorBox", "SIDEBAR_WIDTH", "WIDGET_WIDTH", "SEED_END", "int_input", "float_input",
    "select", "checkbox", "choice_input", "NumberField", "ChoiceField", "Controls", "allowed_range",
]

SIDEBAR_WIDTH = 290
"""Width of the control column of every page."""

WIDGET_WIDTH = SIDEBAR_WIDTH - 30
"""Width of a control inside that column."""


SEED_END = 2**31 - 1
"""Largest seed a widget offers (browsers hold integers exactly only up to 2**53)."""

MESSAGE_STYLE = {"color": "#b00020", "font-size": "12px", "line-height": "1.3"}


def int_input(label: str, end: int | None = None) -> dict:
    """Spec of a whole-number field bounded by the parameter's bounds (and by ``end`` when given)."""
    return {"type": NumberField, "name": label, "integer": True, "end": end}


def float_input(label: str, step: float = 0.01) -> dict:
    """Spec of a number field bounded by the parameter's bounds (``step`` is kept for callers; text has none)."""
    return {"type": NumberField, "name": label, "integer": False, "end": None}


def choice_input(label: str, options: list[str], note: str = "") -> dict:
    """Spec of a text field with suggestions that accepts only ``options`` (``note`` ends the refusal message)."""
    return {"type": ChoiceField, "name": label, "options": list(options), "note": note}


def checkbox(label: str) -> dict:
    """Widget spec for a boolean parameter."""
    return {"type": pn.widgets.Checkbox, "name": label, "width": WIDGET_WIDTH}


def select(label: str) -> dict:
    """Widget spec for a selector parameter."""
    return {"type": pn.widgets.Select, "name": label, "width": WIDGET_WIDTH}


def _number_text(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, int) else repr(float(value))


def allowed_range(parameter: param.Parameter, integer: bool, end: float | None = None) -> str:
    """Words for the values ``parameter`` accepts, e.g. ``"a whole number from 1 to 5000"``."""
    low, high = parameter.bounds or (None, None)
    if end is not None:
        high = end if high is None else min(high, end)
    low_open, high_open = (not b for b in getattr(parameter, "inclusive_bounds", (True, True)))
    kind = "a whole number" if integer else "a number"
    fmt = (lambda v: f"{int(v):,}") if integer else (lambda v: f"{v:g}")
    if low is not None and high is not None and not (low_open or high_open):
        text = f"{kind} from {fmt(low)} to {fmt(high)}"
    else:
        parts = [] if low is None else [f"{'>' if low_open else '≥'} {fmt(low)}"]
        parts += [] if high is None else [f"{'<' if high_open else '≤'} {fmt(high)}"]
        text = f"{kind} {' and '.join(parts)}" if parts else kind
    return text + (" (or empty for the default)" if parameter.allow_None else "")


class NumberField(param.Parameterized):
    """A typed number for parameter ``name`` of ``obj``; what was typed stays, a bad value gets a message.

    ``error`` is the message under the field ("" when the text is a valid value); the model is set only with valid
    values, and a change of the model (a preset, another control) rewrites the text.
    """

    error = param.String(default="", doc="Why the text is not a valid value ('' when it is).")

    def __init__(self, obj: param.Parameterized, name: str, label: str, integer: bool, end: float | None = None):
        super().__init__()
        self.obj, self.parameter_name, self.label = obj, name, label
        self.integer, self.end = integer, end
        text = _number_text(getattr(obj, name))
        self.input = pn.widgets.TextInput(label=label, value=text, value_input=text, width=WIDGET_WIDTH,
                                          description=obj.param[name].doc, css_classes=["number-field"])
        self.message = pn.pane.HTML("", visible=False, width=WIDGET_WIDTH, margin=(0, 10, 5, 10),
                                    styles=MESSAGE_STYLE, css_classes=["field-error"])
        self.input.param.watch(ui_callback(self._typed), "value_input")
        self.input.param.watch(ui_callback(self._committed), "value")
        obj.param.watch(ui_callback(self._model_changed), name)

    def __panel__(self):
        return pn.Column(self.input, self.message, margin=0)

    def allowed(self) -> str:
        return allowed_range(self.obj.param[self.parameter_name], self.integer, self.end)

    def parse(self, text: str):
        """``(value, error)`` for ``text``: the value when it is allowed, else None and a message."""
        text = (text or "").strip().replace(",", "").replace("_", "")
        parameter = self.obj.param[self.parameter_name]
        if not text and parameter.allow_None:
            return None, ""
        bad = f"{self.label}: '{text}' is not allowed; give {self.allowed()}."
        try:
            number = float(text)
        except ValueError:
            return None, bad
        if not math.isfinite(number) or (self.integer and not number.is_integer()):
            return None, bad
        value = int(number) if self.integer else number
        if not self._within(parameter, value):
            return None, bad
        return value, ""

    def _within(self, parameter: param.Parameter, value) -> bool:
        low, high = parameter.bounds or (None, None)
        low_in, high_in = getattr(parameter, "inclusive_bounds", (True, True))
        if low is not None and (value < low or (value == low and not low_in)):
            return False
        if high is not None and (value > high or (value == high and not high_in)):
            return False
        return self.end is None or value <= self.end

    def _show(self, error: str) -> None:
        self.message.object = error
        self.message.visible = bool(error)
        self.error = error

    def _typed(self, event) -> None:
        self._show(self.parse(event.new)[1])

    def _committed(self, event) -> None:
        value, error = self.parse(event.new)
        if not error and value != getattr(self.obj, self.parameter_name):
            try:
                setattr(self.obj, self.parameter_name, value)
            except ValueError as exc:
                error = f"{self.label}: {exc}"
        self._show(error)

    def _model_changed(self, event) -> None:
        value, error = self.parse(self.input.value_input)
        if error or value != event.new:
            text = _number_text(event.new)
            self.input.param.update(value=text, value_input=text)
            self._show("")


class ChoiceField(param.Parameterized):
    """A text field with suggestions for a string parameter that accepts only ``options`` (anything else: a
    message under the field, and the model keeps its value)."""

    error = param.String(default="", doc="Why the text is not an offered choice ('' when it is).")

    def __init__(self, obj: param.Parameterized, name: str, label: str, options: list[str], note: str = ""):
        super().__init__()
        self.obj, self.parameter_name, self.label, self.options = obj, name, label, list(options)
        self.note = note
        self.input = pn.widgets.AutocompleteInput(
            label=label, options=self.options, value=getattr(obj, name), restrict=False, min_characters=0,
            case_sensitive=False, width=WIDGET_WIDTH, description=obj.param[name].doc,
        )
        self.message = pn.pane.HTML("", visible=False, width=WIDGET_WIDTH, margin=(0, 10, 5, 10),
                                    styles=MESSAGE_STYLE, css_classes=["field-error"])
        self.input.param.watch(ui_callback(self._committed), "value")
        obj.param.watch(ui_callback(self._model_changed), name)

    def __panel__(self):
        return pn.Column(self.input, self.message, margin=0)

    def parse(self, text: str):
        """``(choice, error)``: the choice when ``text`` is one of the options, else None and a message."""
        text = (text or "").strip()
        if text in self.options:
            return text, ""
        refusal = f"{self.label}: '{text}' is not offered; choose one of {', '.join(self.options)}."
        return None, f"{refusal} {self.note}".strip()

    def _committed(self, event) -> None:
        value, error = self.parse(event.new)
        if not error and value != getattr(self.obj, self.parameter_name):
            setattr(self.obj, self.parameter_name, value)
        self.message.object = error
        self.message.visible = bool(error)
        self.error = error

    def _model_changed(self, event) -> None:
        if event.new != self.input.value:
            self.input.value = event.new


class Controls(Viewer):
    """Controls for some parameters of one model: the widgets and the checked fields among them (``fields``)."""

    def __init__(self, layout: pn.Column, fields: list):
        super().__init__()
        self.layout, self.fields = layout, fields

    def __panel__(self):
        return self.layout


def param_controls(obj: param.Parameterized, widgets: dict) -> Controls:
    """Widgets for the parameters named in ``widgets`` (in that order), linked both ways to ``obj``.

    Number and choice specs (:func:`int_input`, :func:`float_input`, :func:`choice_input`) become checked fields;
    the other specs go to ``pn.Param``, which sets bounds as the widgets' limits and each doc as its tooltip.
    """
    items, fields = [], []
    for name, spec in widgets.items():
        kind = spec["type"]
        if kind in (NumberField, ChoiceField):
            options = {k: v for k, v in spec.items() if k not in ("type", "name")}
            field = kind(obj, name, spec["name"], **options)
            fields.append(field)
            items.append(field)
        else:
            items.append(pn.Param(obj, parameters=[name], widgets={name: spec}, show_name=False,
                                  width=SIDEBAR_WIDTH - 10, default_layout=pn.Column, margin=0))
    return Controls(pn.Column(*items, width=SIDEBAR_WIDTH - 10, margin=0), fields)


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
    """Run and Stop buttons and a status line; the page supplies the callbacks.

    Fields handed to :meth:`guard` keep Run disabled (and a click refused) while any of them holds a bad value.
    """

    def __init__(self, on_run, on_stop, run_label: str = "Run"):
        self.run_button = pn.widgets.Button(label=run_label, color="primary", sizing_mode="stretch_width")
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", disabled=True,
                                             sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("Ready.", css_classes=["run-status"], sizing_mode="stretch_width",
                                       margin=(0, 10))
        self.hint = pn.pane.HTML("", visible=False, styles=MESSAGE_STYLE, css_classes=["run-hint"],
                                 sizing_mode="stretch_width", margin=(0, 10))
        self.fields: list = []
        self._running = False
        self.run_button.on_click(ui_callback(lambda _event: self._run(on_run)))
        self.stop_button.on_click(ui_callback(lambda _event: on_stop()))
        self.panel = pn.Column(pn.Row(self.run_button, self.stop_button, sizing_mode="stretch_width"),
                               self.hint, self.status, sizing_mode="stretch_width")

    def guard(self, *controls) -> None:
        """Keep Run disabled while a checked field of ``controls`` (:class:`Controls` or fields) is invalid."""
        for item in controls:
            for field in getattr(item, "fields", [item]):
                self.fields.append(field)
                field.param.watch(lambda _event: self._update(), "error")
        self._update()

    def invalid(self) -> list[str]:
        """Labels of the guarded fields that hold a bad value."""
        return [field.label for field in self.fields if field.error]

    def _update(self) -> None:
        bad = self.invalid()
        self.run_button.disabled = self._running or bool(bad)
        self.hint.object = f"Fix {', '.join(bad)} to run (see the message under the field)." if bad else ""
        self.hint.visible = bool(bad)

    def _run(self, on_run) -> None:
        if not self.invalid():
            on_run()

    def running(self, is_running: bool) -> None:
        self._running = is_running
        self.stop_button.disabled = not is_running
        self._update()

    def say(self, text: str) -> None:
        self.status.object = text
