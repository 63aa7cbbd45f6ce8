"""Settings are declared once, on the param models: the command line, the presets and the solvers follow them."""

from __future__ import annotations

import inspect
import json

import pytest

from explorer.cli import build_parser, main
from explorer.commands import groundstate as groundstate_command
from explorer.commands import learn as learn_command
from explorer.groundstate.dp import EpsilonNetDP
from explorer.groundstate.model import GroundStateModel
from explorer.learning.experiment import LearningExperiment
from explorer.learning.learner import Learner
from explorer.learning.presets import PRESETS, preset
from explorer.systems import SYSTEMS, DynamicalSystem, make_system


def _help(command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return " ".join(sub.format_help().split())


def test_learn_has_a_flag_with_its_default_for_every_learner_and_experiment_setting():
    text = _help("learn")
    for name in set(Learner.param) - {"name"}:
        assert f"--{name.replace('_', '-')}" in text
    for name in learn_command.EXPERIMENT_FLAGS:
        assert f"--{name.replace('_', '-')}" in text
    assert "Number of modes d. (default: 10, in [2, 5000])" in text
    assert "Largest block size rho. (default: the system's preset, learner default 2, in [1, 64])" in text
    assert "lennard-jones 6000" in text


def test_groundstate_flags_show_the_models_defaults():
    text = _help("groundstate")
    assert "Haar net size. (default: 500; Haar nets, in [1, 200000])" in text
    assert "(default: 10, in [0, 50])" in text
    assert "trap 0.3" in text
    for name in groundstate_command.MODEL_FLAGS + groundstate_command.NET_FLAGS:
        assert f"--{name.replace('_', '-')}" in text


def test_one_default_per_setting():
    dp_defaults = inspect.signature(EpsilonNetDP).parameters
    assert GroundStateModel.param["net_size"].default == dp_defaults["net_size"].default == 500
    assert GroundStateModel.param["refine"].default == dp_defaults["refine"].default == 10
    assert LearningExperiment.param["modes"].default == DynamicalSystem.param["modes"].default
    assert LearningExperiment().modes == make_system("fput").modes == 10


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_every_listed_system_parameter_but_the_size_is_settable(name):
    system = make_system(name)
    assert set(system.parameter_info()) - {"modes"} == set(system.settable_parameters())


def test_cli_sets_system_parameters(capsys):
    argv = ["learn", "--system", "fput", "--modes", "4", "--samples", "200", "--test-samples", "200", "--sweeps", "1",
            "--param", "beta=0", "--param", "kappa=2", "--equations", "--threshold", "1e-8", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["system_params"] == {"beta": 0.0, "kappa": 2.0}
    second = out["equations"][1]
    terms = {tuple(t["modes"]): t["coefficient"] for t in second["terms"]}
    assert terms == pytest.approx({(0,): 2.0, (1,): -4.0, (2,): 2.0}, abs=1e-9)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--param", "q=3"], "no settable parameter 'q'"),
        (["--param", "beta"], "--param expects NAME=VALUE"),
        (["--param", "beta=nan"], "beta"),
        (["--param", "beta=-1"], "FPUT.beta"),
        (["--block-size", "0"], "Learner.block_size"),
        (["--unknown"], None),
    ],
)
def test_cli_learn_rejects_bad_settings_naming_them(capsys, argv, message):
    if message is None:
        with pytest.raises(SystemExit):
            main(["learn", *argv])
        return
    assert main(["learn", "--modes", "4", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_change_of_system_brings_its_whole_preset():
    experiment = LearningExperiment(system="lennard-jones")
    assert experiment.learner.patience == 3 and experiment.samples == 6000
    experiment.system = "dipoles"
    assert {k: getattr(experiment.learner, k) for k in preset("dipoles")} == preset("dipoles")
    experiment.system = "fput"
    assert experiment.learner.patience == Learner.param["patience"].default
    assert set(preset("mymodule:law")) == set(preset("fput"))


def test_from_settings_rules():
    fput = LearningExperiment.from_settings(system="fput", degree=5, seed=3)
    assert (fput.learner.degree, fput.learner.total_degree, fput.learner.seed, fput.seed) == (5, 5, 3, 3)
    assert fput.samples == 1400
    dipoles = LearningExperiment.from_settings(system="dipoles", degree=4)
    assert (dipoles.learner.degree, dipoles.learner.total_degree) == (1, 2)
    user = LearningExperiment.from_settings(system="m:f", dictionary="trigonometric")
    assert (user.learner.degree, user.learner.total_degree) == (1, 2)
    legendre = LearningExperiment.from_settings(system="dipoles", preset_of="dipoles-legendre", samples=10)
    assert legendre.learner.degree == PRESETS["dipoles-legendre"]["degree"] and legendre.samples == 10
    with pytest.raises(ValueError, match="unknown settings"):
        LearningExperiment.from_settings(system="fput", rho=2)


def test_copy_is_independent():
    experiment = LearningExperiment.from_settings(system="fput", system_params={"beta": 0.5})
    twin = experiment.copy()
    twin.learner.block_size = 3
    twin.system_params["beta"] = 0.1
    assert experiment.learner.block_size == 2 and experiment.system_params == {"beta": 0.5}
    assert twin.learner.param.values() | {"name": None} == (
        experiment.learner.param.values() | {"name": None, "block_size": 3}
    )


def test_methods_and_chains_come_from_registries():
    from explorer.groundstate.model import MODELS, NAMED_MODELS
    from explorer.learning.methods import METHODS

    assert Learner.param["method"].objects == list(METHODS)
    assert {name: (m.gauge, m.shares, m.dense) for name, m in METHODS.items()} == {
        "gmws": (True, True, False), "shared": (False, True, False),
        "independent": (True, False, False), "dense": (True, True, True),
    }
    assert Learner(method="independent").effective_interaction_length(7) == 6
    assert GroundStateModel.param["model"].objects == list(MODELS)
    assert NAMED_MODELS == ("tfim", "heisenberg", "xxz", "trap")
    tfim = GroundStateModel(model="tfim", sites=6)
    assert tfim.reference(tfim.hamiltonian()) == pytest.approx(-7.296229810558755, abs=1e-12)
    text = _help("learn")
    assert "{gmws,shared,independent,dense}" in text
