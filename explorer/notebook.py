"""ipywidgets for param models: the classic-Jupyter alternative to ``pn.Param``.

:func:`ipywidgets_for` builds one ipywidget per parameter of a :class:`param.Parameterized` object and links the
two both ways: editing a widget sets the parameter (param validates it), and setting the parameter in code (or
from another widget) updates the widget through ``param.watch``. A value that param rejects leaves the parameter
unchanged; the widget snaps back to the parameter's value and the container shows param's error message.

=========================  ==========================================================================
parameter                  widget
=========================  ==========================================================================
``Boolean``                ``Checkbox``
``Event``, ``Action``      ``Button`` (``Event``: triggers the parameter; ``Action``: calls it)
``Integer``                ``IntSlider`` when bounded on both sides, else ``IntText``
``Number``                 ``FloatLogSlider`` for bounds ``0 < a < b`` with ``b/a >= 1000``,
                           ``FloatSlider`` for other two-sided bounds, else ``FloatText``
``ListSelector``           ``SelectMultiple``
``Selector``               ``Dropdown``
``String``                 ``Text``
=========================  ==========================================================================

Every widget's description is the parameter's label and its tooltip is the parameter's doc. Sliders follow later
changes of a parameter's bounds and dropdowns changes of its objects (``model.param.x.bounds = ...``); constant
and read-only parameters give disabled widgets.

:func:`ipywidgets_view` adds an ``ipywidgets.Output`` that shows ``view()`` and redraws it whenever one of the
parameters changes: the whole interactive figure without Panel.
"""

from __future__ import annotations

import html
import math

import ipywidgets
import param
import traitlets
from IPython.display import display

__all__ = ["ParamWidgets", "ipywidgets_for", "ipywidgets_view", "widget_for"]

LOG_SLIDER_RATIO = 1000.0
"""A ``Number`` bounded by ``0 < a < b`` gets a logarithmic slider when ``b / a`` is at least this."""

_STYLE = {"description_width": "initial"}


class ParamWidgets(ipywidgets.VBox):
    """The widgets of a param model, one per parameter, and a message line for rejected values.

    Attributes
    ----------
    parameterized : param.Parameterized
        The model the widgets are linked to.
    widgets : dict
        ``{parameter name: widget}`` in display order.
    message : ipywidgets.HTML
        Empty, or the last error raised by param for a value entered in a widget (cleared by the next
        accepted value).
    """

    def __init__(self, parameterized: param.Parameterized, widgets: dict, message: ipywidgets.HTML):
        super().__init__(children=[*widgets.values(), message])
        self.parameterized = parameterized
        self.widgets = widgets
        self.message = message


def _numeric_bounds(parameter: param.Number, step: float) -> tuple[float | None, float | None]:
    """Smallest and largest allowed value; an exclusive bound moves inward by ``step``."""
    low, high = parameter.bounds or (None, None)
    inc_low, inc_high = parameter.inclusive_bounds
    if low is not None and not inc_low:
        low += step
    if high is not None and not inc_high:
        high -= step
    return low, high


def _two_sided(parameter: param.Number) -> bool:
    low, high = parameter.bounds or (None, None)
    return low is not None and high is not None and math.isfinite(low) and math.isfinite(high)


def _widget_class(parameter: param.Parameter) -> type:
    """The ipywidget class of a parameter (table in the module doc); ``TypeError`` if there is none."""
    if isinstance(parameter, param.Event | param.Action):
        return ipywidgets.Button
    if isinstance(parameter, param.Boolean):
        return ipywidgets.Checkbox
    if isinstance(parameter, param.Integer):
        return ipywidgets.IntSlider if _two_sided(parameter) else ipywidgets.IntText
    if isinstance(parameter, param.Number) and not isinstance(parameter, param.Date | param.CalendarDate):
        if not _two_sided(parameter):
            return ipywidgets.FloatText
        low, high = parameter.bounds
        return ipywidgets.FloatLogSlider if low > 0 and high / low >= LOG_SLIDER_RATIO else ipywidgets.FloatSlider
    if isinstance(parameter, param.ListSelector):
        return ipywidgets.SelectMultiple
    if isinstance(parameter, param.Selector):
        return ipywidgets.Dropdown
    if isinstance(parameter, param.String):
        return ipywidgets.Text
    raise TypeError(f"parameter {parameter.name!r} is a {type(parameter).__name__}, which has no ipywidget here")


def _range(kind: type, parameter: param.Parameter) -> dict:
    """The widget traits that follow the parameter's bounds or objects (empty for other widgets)."""
    if kind is ipywidgets.IntSlider:
        low, high = _numeric_bounds(parameter, 1)
        return {"min": low, "max": high}
    if kind is ipywidgets.FloatLogSlider:
        low, high = parameter.bounds
        return {"min": math.log10(low), "max": math.log10(high)}
    if kind is ipywidgets.FloatSlider:
        step = (parameter.bounds[1] - parameter.bounds[0]) / 200
        low, high = _numeric_bounds(parameter, step)
        return {"min": low, "max": high, "step": step}
    if kind in (ipywidgets.Dropdown, ipywidgets.SelectMultiple):
        names = parameter.names or {str(obj): obj for obj in parameter.objects}
        return {"options": list(names.items())}
    return {}


def _widget_value(widget: ipywidgets.Widget, value):
    """A parameter value in the form the widget holds (tuples for SelectMultiple, text for None strings)."""
    if isinstance(widget, ipywidgets.SelectMultiple):
        return tuple(value or ())
    if isinstance(widget, ipywidgets.Text):
        return value or ""
    return value


def widget_for(parameterized: param.Parameterized, name: str) -> ipywidgets.Widget:
    """An unlinked widget showing parameter ``name`` of ``parameterized`` (types in the module doc).

    Raises ``TypeError`` for parameter types without a widget and for numeric parameters whose value is None.
    """
    parameter = parameterized.param[name]
    kind = _widget_class(parameter)
    traits = {
        "description": parameter.label,
        "tooltip": parameter.doc or parameter.label,
        "disabled": bool(parameter.constant or parameter.readonly),
    }
    if kind is ipywidgets.Button:
        return kind(**traits)
    value = getattr(parameterized, name)
    if value is None and isinstance(parameter, param.Number):
        raise TypeError(f"parameter {name!r} is None; a numeric widget cannot show None")
    traits.update(_range(kind, parameter), style=_STYLE)
    if kind is ipywidgets.Checkbox:
        traits["indent"] = False
    if kind in (ipywidgets.IntSlider, ipywidgets.FloatSlider, ipywidgets.FloatLogSlider):
        traits["continuous_update"] = False
    if kind in (ipywidgets.FloatSlider, ipywidgets.FloatLogSlider):
        traits["readout_format"] = ".3g"
    if kind is ipywidgets.FloatLogSlider:
        traits.update(base=10, step=0.01)
    widget = kind(**traits)
    widget.value = _widget_value(widget, value)
    return widget


def _link(parameterized: param.Parameterized, name: str, widget: ipywidgets.Widget, message: ipywidgets.HTML):
    """Link ``widget`` and parameter ``name`` both ways; rejected values revert the widget and set ``message``."""
    parameter = parameterized.param[name]
    if isinstance(parameter, param.Event):
        widget.on_click(lambda _: parameterized.param.trigger(name))
        return
    if isinstance(parameter, param.Action):
        widget.on_click(lambda _: getattr(parameterized, name)(parameterized))
        return
    syncing = False

    def show_error(text: str) -> None:
        message.value = f"<b>{html.escape(name)}</b>: {html.escape(text)}"

    def to_widget(value) -> None:
        nonlocal syncing
        syncing = True
        try:
            widget.value = _widget_value(widget, value)
        except traitlets.TraitError as err:
            show_error(f"value {value!r} cannot be shown ({err})")
        finally:
            syncing = False

    def from_widget(change) -> None:
        if syncing:
            return
        value = list(change["new"]) if isinstance(widget, ipywidgets.SelectMultiple) else change["new"]
        try:
            setattr(parameterized, name, value)
        except (ValueError, TypeError) as err:
            show_error(str(err))
            to_widget(getattr(parameterized, name))
        else:
            message.value = ""

    def follow_range(event) -> None:
        """New bounds or objects: update the widget's range; a value outside it is clamped and set."""
        parameter = parameterized.param[name]
        if _widget_class(parameter) is not type(widget):
            show_error(f"the new {event.what} {event.new!r} need another kind of widget; rebuild the controls")
            return
        with widget.hold_trait_notifications():
            for trait, value in _range(type(widget), parameter).items():
                setattr(widget, trait, value)

    widget.observe(from_widget, names="value")
    parameterized.param.watch(lambda event: to_widget(event.new), [name])
    what = "objects" if isinstance(parameter, param.Selector) else "bounds"
    if _range(type(widget), parameter):
        parameterized.param.watch(follow_range, [name], what=what)


def ipywidgets_for(parameterized: param.Parameterized, parameters=None) -> ParamWidgets:
    """Widgets for ``parameters`` (default: every supported one) of ``parameterized``, linked both ways.

    Parameters
    ----------
    parameterized : param.Parameterized
        The model (an instance).
    parameters : list of str, optional
        Names to show, in this order. Unknown names raise ``ValueError`` and unsupported types ``TypeError``;
        the default skips ``name``, parameters with negative precedence and unsupported types.

    Returns
    -------
    ParamWidgets
        A ``VBox`` of the widgets and a message line; ``.widgets[name]`` is the widget of a parameter.
    """
    if not isinstance(parameterized, param.Parameterized):
        raise TypeError(f"expected a param.Parameterized instance, got {type(parameterized).__name__}")
    message = ipywidgets.HTML(value="")
    widgets = {}
    if parameters is None:
        for name, parameter in parameterized.param.objects("existing").items():
            if name == "name" or (parameter.precedence is not None and parameter.precedence < 0):
                continue
            try:
                widgets[name] = widget_for(parameterized, name)
            except TypeError:
                continue
    else:
        unknown = [n for n in parameters if n not in parameterized.param]
        if unknown:
            raise ValueError(f"{type(parameterized).__name__} has no parameter(s) {unknown}")
        widgets = {name: widget_for(parameterized, name) for name in parameters}
    for name, widget in widgets.items():
        _link(parameterized, name, widget, message)
    return ParamWidgets(parameterized, widgets, message)


def ipywidgets_view(parameterized: param.Parameterized, view, parameters=None) -> ipywidgets.VBox:
    """Controls from :func:`ipywidgets_for` above an ``Output`` showing ``view()``, redrawn when it may change.

    ``view`` is a callable without arguments returning anything ``IPython.display.display`` shows, e.g. a
    HoloViews element. A method declared with ``@param.depends(...)`` is redrawn when its declared dependencies
    change (as Panel does), including parameters without a widget and parameters of sub-objects; any other
    callable is redrawn when one of the shown parameters changes, Events included.
    """
    controls = ipywidgets_for(parameterized, parameters)
    output = ipywidgets.Output()

    def redraw(*_) -> None:
        output.clear_output(wait=True)
        with output:
            display(view())

    owner = getattr(view, "__self__", None)
    if isinstance(owner, param.Parameterized) and hasattr(view, "_dinfo"):
        for info in owner.param.method_dependencies(view.__name__):
            info.inst.param.watch(redraw, [info.name], what=info.what)
    else:
        parameterized.param.watch(redraw, list(controls.widgets))
    redraw()
    return ipywidgets.VBox(children=[controls, output])
