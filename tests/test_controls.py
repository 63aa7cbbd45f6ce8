"""Checked fields, the System box's choices, server options and the uploaded two-site term (no browser)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from explorer.groundstate.model import GroundStateModel
from explorer.learning.experiment import LearningExperiment
from explorer.systems import SYSTEMS
from explorer.views import server_options
from explorer.views.controls import RunBar, choice_input, float_input, int_input, param_controls
from explorer.views.epsnet import EpsnetPage, read_term

APPS = Path(__file__).resolve().parents[1] / "apps"


def _fields(controls):
    return {field.label: field for field in controls.fields}


def test_bad_numbers_stay_with_a_message_and_block_run():
    experiment = LearningExperiment(modes=10)
    controls = param_controls(experiment, {"modes": int_input("d (modes)"), "noise": float_input("Noise")})
    bar = RunBar(lambda: ran.append(True), lambda: None)
    bar.guard(controls)
    ran: list = []
    modes, noise = _fields(controls).values()
    for text in ("0", "-5", "5001", "ten", "", "2.5", "nan"):
        modes.input.value = text
        assert modes.error == f"d (modes): '{text}' is not allowed; give a whole number from 2 to 5,000."
        assert modes.input.value == text and experiment.modes == 10
        assert bar.run_button.disabled and bar.invalid() == ["d (modes)"]
        bar.run_button.clicks += 1
    assert ran == []
    modes.input.value = "1e3"
    assert (modes.error, experiment.modes, bar.run_button.disabled) == ("", 1000, False)
    noise.input.value = "-0.1"
    assert "a number ≥ 0" in noise.error and experiment.noise == 0.0
    experiment.modes = 12
    assert modes.input.value == "12"


def test_field_follows_bounds_that_change_with_another_parameter():
    model = GroundStateModel()
    fields = _fields(param_controls(model, {"sites": int_input("n"), "field": float_input("Field")}))
    fields["n"].input.value = "201"
    assert "from 2 to 200" in fields["n"].error and model.sites == 10
    fields["Field"].input.value = ""
    assert fields["Field"].error == "" and model.field is None


def test_system_box_accepts_only_offered_choices():
    experiment = LearningExperiment()
    box = _fields(param_controls(experiment, {"system": choice_input("System", sorted(SYSTEMS), "Ask.")}))["System"]
    box.input.value = "os:system"
    assert box.error.startswith("System: 'os:system' is not offered") and box.error.endswith("Ask.")
    assert experiment.system == "fput"
    box.input.value = "dipoles"
    assert box.error == "" and experiment.system == "dipoles"


def test_server_options_register_laws_and_refuse_others(monkeypatch):
    monkeypatch.setattr(server_options, "_LAWS", [])
    monkeypatch.setattr(server_options, "_APPLIED", [])
    configured = []
    monkeypatch.setattr(server_options, "configure_engine", lambda **kw: configured.append(kw))
    server_options.apply_server_options(["--law", "numpy:negative", "--scheduler", "tcp://127.0.0.1:8786"])
    assert server_options.system_choices() == [*sorted(SYSTEMS), "numpy:negative"]
    assert configured == [{"scheduler": "tcp://127.0.0.1:8786"}]
    server_options.apply_server_options(["--law", "numpy:positive"])
    assert server_options.registered_laws() == ["numpy:negative"]
    with pytest.raises(ValueError, match="unknown server options"):
        server_options.parse_server_args(["--lawz", "x:y"])
    with pytest.raises(ValueError, match="cannot import"):
        server_options.register_law("no_such_module_xyz:law")


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_uploaded_term_is_read_without_pickle_and_checked():
    pauli = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    heisenberg = sum(np.kron(s, s) for s in pauli).real
    assert np.array_equal(read_term(_npy(heisenberg)), heisenberg)
    with pytest.raises(ValueError, match="pickled"):
        read_term(_npy(np.array([{"a": 1}], dtype=object)))
    with pytest.raises(ValueError, match="d\\^2 x d\\^2"):
        read_term(_npy(np.eye(3)))
    with pytest.raises(ValueError, match="NaN"):
        read_term(_npy(np.full((4, 4), np.nan)))
    with pytest.raises(ValueError, match="at most"):
        read_term(b"\0" * (5 * 2**20))
    page = EpsnetPage(model=GroundStateModel(sites=4, bond_dim=2))
    page.upload.input.filename = "heisenberg.npy"
    page.upload.input.value = _npy(heisenberg)
    assert page.model.model == "custom" and "Using **heisenberg.npy**" in page.upload.note.object
    assert page.model.validate().n == 4
    assert page.model.reference(page.model.validate()) == pytest.approx(-3 - 2 * np.sqrt(3))


def test_server_start_applies_the_options_before_it_starts_the_pool(monkeypatch):
    """``panel serve apps/ --args --scheduler ...``: the pool that starts with the server is the one asked for."""
    from bokeh.application.handlers.server_lifecycle import ServerLifecycleHandler

    from explorer.views import worker

    monkeypatch.setattr(server_options, "_LAWS", [])
    monkeypatch.setattr(server_options, "_APPLIED", [])
    monkeypatch.setattr(worker, "_ENGINE_OPTIONS", {})
    monkeypatch.setattr(worker, "_ENGINE", [])
    started = []
    monkeypatch.setattr(worker, "DaskEngine", lambda **options: started.append(options) or "pool")
    hooks = ServerLifecycleHandler(filename=str(APPS / "server_lifecycle.py"),
                                   argv=["--scheduler", "tcp://127.0.0.1:8786", "--law", "numpy:negative"])
    hooks.on_server_loaded(None)
    assert started == [{"scheduler": "tcp://127.0.0.1:8786", "workers": None, "memory_limit": "auto"}]
    assert server_options.registered_laws() == ["numpy:negative"]


def test_gauge_page_offers_the_registered_laws_too(monkeypatch):
    import panel as pn

    from explorer.views.gauge import GaugePage

    monkeypatch.setattr(server_options, "_LAWS", [])
    server_options.register_law("numpy:negative")
    page = GaugePage()
    boxes = [w for w in page.panel.select(pn.widgets.Select) if w.name == "System"]
    assert len(boxes) == 1 and boxes[0].options == [*sorted(SYSTEMS), "numpy:negative"]
