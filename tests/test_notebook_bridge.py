"""The ipywidgets bridge of the notebooks (explorer.notebook), exercised without a browser or kernel."""

from __future__ import annotations

import ipywidgets
import param
import pytest

from explorer.learning.learner import Learner
from explorer.notebook import ParamWidgets, ipywidgets_for, ipywidgets_view, widget_for


class Knobs(param.Parameterized):
    modes = param.Integer(default=10, bounds=(2, 50), doc="Number of modes d.")
    samples = param.Integer(default=100, bounds=(1, None), doc="Training samples N.")
    noise = param.Number(default=1e-3, bounds=(1e-8, 1.0), doc="Noise level.")
    scale = param.Number(default=0.5, bounds=(0.0, 2.0), doc="A linear knob.")
    shift = param.Number(default=0.0, doc="Unbounded.")
    positive = param.Number(default=1.0, bounds=(0, 10), inclusive_bounds=(False, True), doc="Strictly positive.")
    dictionary = param.Selector(default="legendre", objects=["legendre", "monomial"], doc="Functions of one mode.")
    order = param.Selector(default=1, objects={"first": 1, "second": 2}, doc="Order of the law.")
    systems = param.ListSelector(default=["fput"], objects=["fput", "dipoles"], doc="Systems to compare.")
    gauge = param.Boolean(default=True, doc="Gauge mediation.")
    label = param.String(default="run", doc="A name.")
    fixed = param.Integer(default=3, constant=True, doc="Cannot be changed.")
    hidden = param.Integer(default=1, precedence=-1, doc="Not shown.")
    run = param.Event(doc="Start the computation.")
    callback = param.Callable(default=None, doc="No widget for this.")


@pytest.fixture
def knobs():
    model = Knobs()
    return model, ipywidgets_for(model)


def test_widget_types_descriptions_and_tooltips(knobs):
    model, box = knobs
    assert isinstance(box, ParamWidgets) and isinstance(box, ipywidgets.VBox)
    expected = {
        "modes": ipywidgets.IntSlider,
        "samples": ipywidgets.IntText,
        "noise": ipywidgets.FloatLogSlider,
        "scale": ipywidgets.FloatSlider,
        "shift": ipywidgets.FloatText,
        "positive": ipywidgets.FloatSlider,
        "dictionary": ipywidgets.Dropdown,
        "order": ipywidgets.Dropdown,
        "systems": ipywidgets.SelectMultiple,
        "gauge": ipywidgets.Checkbox,
        "label": ipywidgets.Text,
        "fixed": ipywidgets.IntText,
        "run": ipywidgets.Button,
    }
    assert list(box.widgets) == list(expected)
    for name, kind in expected.items():
        assert type(box.widgets[name]) is kind, name
    assert "hidden" not in box.widgets and "callback" not in box.widgets
    assert box.widgets["modes"].description == "Modes"
    assert box.widgets["modes"].tooltip == "Number of modes d."
    assert box.children[-1] is box.message
    assert box.widgets["fixed"].disabled and not box.widgets["modes"].disabled


def test_bounds_become_widget_ranges(knobs):
    _, box = knobs
    modes = box.widgets["modes"]
    assert (modes.min, modes.max, modes.value) == (2, 50, 10)
    noise = box.widgets["noise"]
    assert noise.min == pytest.approx(-8) and noise.max == pytest.approx(0) and noise.value == pytest.approx(1e-3)
    scale = box.widgets["scale"]
    assert (scale.min, scale.max) == (0.0, 2.0)
    assert box.widgets["positive"].min > 0  # the exclusive lower bound is not selectable
    assert box.widgets["order"].options == (("first", 1), ("second", 2))


def test_widget_change_sets_parameter(knobs):
    model, box = knobs
    box.widgets["modes"].value = 20
    box.widgets["noise"].value = 1e-5
    box.widgets["dictionary"].value = "monomial"
    box.widgets["order"].value = 2
    box.widgets["systems"].value = ("fput", "dipoles")
    box.widgets["gauge"].value = False
    box.widgets["label"].value = "second run"
    assert model.modes == 20
    assert model.noise == pytest.approx(1e-5)
    assert model.dictionary == "monomial"
    assert model.order == 2
    assert model.systems == ["fput", "dipoles"]
    assert model.gauge is False
    assert model.label == "second run"
    assert box.message.value == ""


def test_parameter_change_updates_widget(knobs):
    model, box = knobs
    model.modes = 33
    model.shift = -2.5
    model.dictionary = "monomial"
    model.systems = ["dipoles"]
    model.gauge = False
    model.param.update(samples=7, label="x")
    assert box.widgets["modes"].value == 33
    assert box.widgets["shift"].value == -2.5
    assert box.widgets["dictionary"].value == "monomial"
    assert box.widgets["systems"].value == ("dipoles",)
    assert box.widgets["gauge"].value is False
    assert box.widgets["samples"].value == 7
    assert box.widgets["label"].value == "x"


def test_slider_cannot_leave_bounds(knobs):
    model, box = knobs
    box.widgets["modes"].value = 500
    assert box.widgets["modes"].value == 50 and model.modes == 50
    box.widgets["scale"].value = -1.0
    assert model.scale == 0.0


def test_widget_follows_new_bounds_and_objects(knobs):
    model, box = knobs
    model.param.modes.bounds = (2, 8)  # e.g. set by a param.depends(watch=True) handler
    assert (box.widgets["modes"].min, box.widgets["modes"].max) == (2, 8)
    assert model.modes == 8 and box.widgets["modes"].value == 8  # the old value 10 is clamped on both sides
    model.param.scale.bounds = (1.0, 3.0)
    assert box.widgets["scale"].min == 1.0 and model.scale == 1.0
    model.param.dictionary.objects = ["legendre", "trigonometric"]
    assert box.widgets["dictionary"].options == (("legendre", "legendre"), ("trigonometric", "trigonometric"))
    assert model.dictionary == "legendre"
    model.param.modes.bounds = (2, None)
    assert "rebuild" in box.message.value and box.widgets["modes"].max == 8


def test_rejected_value_reverts_widget_and_shows_error(knobs):
    model, box = knobs
    box.widgets["samples"].value = 0  # below the lower bound 1, which IntText does not enforce
    assert model.samples == 100
    assert box.widgets["samples"].value == 100
    assert "samples" in box.message.value and "at least 1" in box.message.value
    box.widgets["samples"].value = 5  # a good value clears the message
    assert model.samples == 5 and box.message.value == ""


def test_error_message_is_escaped():
    class Tagged(param.Parameterized):
        tag = param.String(default="<1>", regex=r"^<\d+>$", doc="Digits in angle brackets.")

    model = Tagged()
    box = ipywidgets_for(model)
    box.widgets["tag"].value = "abc"
    assert model.tag == "<1>" and box.widgets["tag"].value == "<1>"
    assert "&lt;" in box.message.value and "<\\d" not in box.message.value


def test_event_button_triggers_watchers(knobs):
    model, box = knobs
    fired = []
    model.param.watch(lambda event: fired.append(event.name), ["run"])
    box.widgets["run"].click()
    assert fired == ["run"]


def test_action_button_calls_the_action():
    calls = []

    class WithAction(param.Parameterized):
        go = param.Action(default=lambda self: calls.append(self), doc="Go.")

    model = WithAction()
    box = ipywidgets_for(model)
    box.widgets["go"].click()
    assert calls == [model]


def test_selected_parameters_and_errors():
    model = Knobs()
    box = ipywidgets_for(model, ["noise", "modes"])
    assert list(box.widgets) == ["noise", "modes"]
    with pytest.raises(ValueError, match="no parameter"):
        ipywidgets_for(model, ["modes", "nonsense"])
    with pytest.raises(TypeError, match="Callable"):
        ipywidgets_for(model, ["callback"])
    with pytest.raises(TypeError, match="Parameterized"):
        ipywidgets_for(object())


def test_none_numeric_value_has_no_widget():
    class Optional(param.Parameterized):
        x = param.Number(default=None, allow_None=True)

    model = Optional()
    assert ipywidgets_for(model).widgets == {}
    with pytest.raises(TypeError, match="None"):
        widget_for(model, "x")


def test_learner_model_round_trip():
    learner = Learner()
    box = ipywidgets_for(learner)
    assert isinstance(box.widgets["method"], ipywidgets.Dropdown)
    assert isinstance(box.widgets["sweeps"], ipywidgets.IntSlider)
    assert isinstance(box.widgets["interaction_length"], ipywidgets.IntText)
    box.widgets["method"].value = "shared"
    box.widgets["interaction_length"].value = -1
    assert learner.method == "shared" and learner.interaction_length == 1
    learner.degree = 5
    assert box.widgets["degree"].value == 5


def test_view_redraws_on_parameter_change(capsys):
    model = Knobs()
    drawn = []

    def view():
        drawn.append(model.modes)
        return f"d = {model.modes}"

    box = ipywidgets_view(model, view, ["modes", "run"])
    assert drawn == [10]
    controls, output = box.children
    assert isinstance(output, ipywidgets.Output) and list(controls.widgets) == ["modes", "run"]
    controls.widgets["modes"].value = 12
    model.modes = 14
    controls.widgets["run"].click()
    model.scale = 1.0  # not among the shown parameters: no redraw
    assert drawn == [10, 12, 14, 14]


def test_view_follows_declared_dependencies():
    class Lab(param.Parameterized):
        samples = param.Integer(default=10, bounds=(1, 100))
        colour = param.Selector(default="red", objects=["red", "blue"])
        run = param.Event()
        results = param.List(default=[], precedence=-1)

        @param.depends("run", watch=True)
        def learn(self):
            self.results = [*self.results, self.samples]

        @param.depends("results", "colour")
        def view(self):
            drawn.append(list(self.results))
            return f"{self.colour}: {self.results}"

    drawn = []
    lab = Lab()
    box = ipywidgets_view(lab, lab.view)
    controls = box.children[0]
    assert list(controls.widgets) == ["samples", "colour", "run"] and drawn == [[]]
    controls.widgets["samples"].value = 20  # not a dependency of the view: no redraw
    assert drawn == [[]]
    controls.widgets["run"].click()  # learn() updates results, which the view depends on
    controls.widgets["colour"].value = "blue"
    assert drawn == [[], [20], [20]]
