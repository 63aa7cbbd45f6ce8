"""``explorer learn``: recover a dynamical law from samples, one progress line per sweep.

With ``--json`` the last line of stdout is one JSON object with at least ``residuum`` (final test residuum),
``residuum_per_sweep``, ``seconds``, ``sweep_seconds`` and ``parameters``. ``--equations`` prints the learned
law term by term (monomials for polynomial dictionaries) and adds them to the JSON object as ``equations``.
The run keeps BLAS to one thread (set once, before any sweep starts): the sweep's own threads share the local
problems, whose many small products BLAS threads only slow down.
"""

from __future__ import annotations

import inspect
import json
import time
from dataclasses import asdict

from threadpoolctl import threadpool_limits

from explorer.commands.flags import add_flags, given, parse_assignments
from explorer.commands.learn_data import add_data_arguments, run_data
from explorer.learning.equations import BASES, equations, format_equations
from explorer.learning.experiment import LearningExperiment
from explorer.learning.from_data import attach_system
from explorer.learning.learner import Learner
from explorer.learning.presets import DEFAULT_SAMPLES, PRESET_KEYS, default_samples

EXPERIMENT_FLAGS = ("system", "modes", "samples", "test_samples", "noise", "seed", "domain", "order")
"""Flags of :class:`LearningExperiment` parameters (``seed`` also seeds the learner's initialisation)."""

LEARNER_FLAGS = tuple(name for name in Learner.param if name not in ("name", "seed"))
"""Flags of every :class:`Learner` parameter."""

EQUATION_DEFAULTS = inspect.signature(equations).parameters
"""Defaults of ``--threshold`` and ``--basis``: those of :func:`explorer.learning.equations.equations`."""

PRESET_DEFAULT = "the system's preset, learner default {}"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "learn",
        help="learn a dynamical law with block-sparse tensor trains",
        description="Learn a dynamical law with block-sparse tensor trains. Every setting is a parameter of "
        "LearningExperiment or Learner (same defaults, bounds and docs as the library and the dashboard); "
        "learner settings left out take the preset of the system (explorer.learning.presets).",
    )
    add_flags(p, LearningExperiment, EXPERIMENT_FLAGS, defaults={"samples": _samples_default()})
    add_data_arguments(p)
    p.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE",
        help="set a parameter of the system, e.g. --param beta=0.5 (repeatable; `explorer systems` lists them)",
    )
    defaults = {name: PRESET_DEFAULT.format(Learner.param[name].default) for name in PRESET_KEYS}
    defaults["threads"] = "the available cores, at most 4"
    add_flags(p, Learner, LEARNER_FLAGS, defaults=defaults)
    p.add_argument("--equations", action="store_true", help="print the learned law as equations")
    threshold, basis = (EQUATION_DEFAULTS[k].default for k in ("threshold", "basis"))
    p.add_argument(
        "--threshold", type=float, default=threshold,
        help=f"smallest |coefficient| printed by --equations (default: {threshold})",
    )
    p.add_argument(
        "--basis", choices=["auto", *BASES], default=basis,
        help=f"basis of --equations (auto: monomials for polynomial dictionaries; default: {basis})",
    )
    p.add_argument("--save", default=None, help="write the learned law to this .npz file")
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    p.set_defaults(run=run)


def _samples_default() -> str:
    per_system = ", ".join(f"{name} {count}" for name, count in DEFAULT_SAMPLES.items())
    return f"per system: {per_system}; otherwise {default_samples('')}"


def build_experiment(args) -> LearningExperiment:
    """The experiment of the parsed arguments (:meth:`LearningExperiment.from_settings`)."""
    settings = given(args, EXPERIMENT_FLAGS + LEARNER_FLAGS)
    settings["system_params"] = parse_assignments(args.param, "--param")
    experiment = LearningExperiment.from_settings(**settings)
    system = experiment.make_system()
    experiment.system_params = {name: getattr(system, name) for name in experiment.system_params}
    return experiment


def run(args) -> int:
    if args.data:
        return run_data(args, given(args, LEARNER_FLAGS))
    if args.test_data:
        raise ValueError("--test-data needs --data")
    experiment = build_experiment(args)
    start = time.perf_counter()
    reports = []
    with threadpool_limits(limits=1, user_api="blas"):
        for report in experiment.iterate():
            reports.append(report)
            test = "-" if report.test_residuum is None else f"{report.test_residuum:.3e}"
            print(
                f"sweep {report.sweep:3d}  train {report.train_residuum:.3e}  test {test}  {report.seconds:.2f} s",
                flush=True,
            )
    seconds = time.perf_counter() - start
    law = attach_system(reports[-1].law, experiment.make_system(), experiment.learner.param.values())
    if args.save:
        law.save(args.save)
    rows = law.equations(args.threshold, args.basis) if args.equations else None
    if rows is not None:
        print(format_equations(law, rows, order=experiment.make_system().order), flush=True)
    if args.json:
        out = summary(experiment, reports, seconds)
        if rows is not None:
            out["equations"] = [asdict(row) for row in rows]
        print(json.dumps(out))
    return 0


def summary(experiment: LearningExperiment, reports, seconds: float) -> dict:
    law = reports[-1].law
    return {
        "system": experiment.system,
        "modes": experiment.modes,
        "samples": experiment.samples,
        "system_params": experiment.system_params,
        "method": experiment.learner.method,
        "residuum": reports[-1].test_residuum,
        "residuum_per_sweep": [r.test_residuum for r in reports],
        "train_residuum_per_sweep": [r.train_residuum for r in reports],
        "seconds": seconds,
        "sweep_seconds": [r.seconds for r in reports],
        "parameters": law.parameter_count(),
        "learner": experiment.learner.param.values(),
    }
