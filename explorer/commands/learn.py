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

from explorer.commands.checks import Interrupted, finite, finite_flags, interrupted, output_file
from explorer.commands.console import progress_bar
from explorer.commands.flags import add_flags, given, parse_assignments
from explorer.commands.learn_data import add_data_arguments, run_data
from explorer.learning.equations import BASES, equations, format_equations
from explorer.learning.experiment import LearningExperiment
from explorer.learning.from_data import attach_system
from explorer.learning.learner import Learner
from explorer.learning.presets import DEFAULT_SAMPLES, PRESET_KEYS, default_samples
from explorer.resources import check_memory, learning_bytes

EXPERIMENT_FLAGS = ("system", "modes", "samples", "test_samples", "noise", "seed", "domain", "order")
"""Flags of :class:`LearningExperiment` parameters (``seed`` also seeds the learner's initialisation)."""

LEARNER_FLAGS = tuple(name for name in Learner.param if name not in ("name", "seed"))
"""Flags of every :class:`Learner` parameter."""

EQUATION_DEFAULTS = inspect.signature(equations).parameters
"""Defaults of ``--threshold`` and ``--basis``: those of :func:`explorer.learning.equations.equations`."""

PRESET_DEFAULT = "the system's preset, learner default {}"

NOISE_LIMIT = 1e100
"""Largest ``--noise``: beyond it the squared residuals of 10^7 samples overflow float64."""

USER_LAW_FLAGS = ("order", "domain")
"""Flags that only a user law (``--system MODULE:CALLABLE``) takes; a built-in system has its own."""


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
        help="set a parameter of the system, e.g. --param beta=0.5 (repeatable; `explorer systems` lists them;"
        " default: the system's own values)",
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
    p.add_argument(
        "--save", default=None,
        help="write the learned law to this .npz file (on Ctrl-C: the law of the last finished sweep; "
        "default: not saved)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    p.set_defaults(run=run)


def _samples_default() -> str:
    per_system = ", ".join(f"{name} {count}" for name, count in DEFAULT_SAMPLES.items())
    return f"per system: {per_system}; otherwise {default_samples('')}"


def check_flags(args) -> None:
    """Refuse, before any work, values that are not finite, out of range or meaningless together."""
    finite_flags(args, EXPERIMENT_FLAGS + LEARNER_FLAGS)
    finite(args.threshold, "--threshold", low=0.0)
    if args.noise is not None:
        finite(args.noise, "--noise", low=0.0, high=NOISE_LIMIT)
    if args.domain is not None and not args.domain[0] < args.domain[1]:
        raise ValueError(f"--domain must be two numbers a < b, got {args.domain[0]:g} {args.domain[1]:g}")
    system = args.system or LearningExperiment.param["system"].default
    if ":" not in system:
        extra = [f"--{name}" for name in USER_LAW_FLAGS if getattr(args, name) is not None]
        if extra:
            raise ValueError(f"{' and '.join(extra)} apply only to a user law (--system MODULE:CALLABLE); "
                             f"{system} has its own order and domain (`explorer systems`)")
    if args.save:
        output_file(args.save, "--save")


def build_experiment(args) -> LearningExperiment:
    """The experiment of the parsed arguments (:meth:`LearningExperiment.from_settings`), checked before any work:
    flags (:func:`check_flags`) and the memory the run needs (:mod:`explorer.resources`)."""
    check_flags(args)
    settings = given(args, EXPERIMENT_FLAGS + LEARNER_FLAGS)
    settings["system_params"] = parse_assignments(args.param, "--param")
    experiment = LearningExperiment.from_settings(**settings)
    system = experiment.make_system()
    experiment.system_params = {name: getattr(system, name) for name in experiment.system_params}
    check_memory(
        learning_bytes(experiment.modes, experiment.samples, experiment.test_samples),
        None,
        f"--modes {experiment.modes} x --samples {experiment.samples} (+ --test-samples {experiment.test_samples})",
    )
    return experiment


def _sweeps(experiment: LearningExperiment, reports: list) -> None:
    """Run the sweeps, printing one line per sweep and appending its report to ``reports``."""
    bar = progress_bar(experiment.learner.sweeps, "sweep", "learn")
    with threadpool_limits(limits=1, user_api="blas"), bar:
        for report in experiment.iterate():
            reports.append(report)
            test = "-" if report.test_residuum is None else f"{report.test_residuum:.3e}"
            bar.clear()
            print(
                f"sweep {report.sweep:3d}  train {report.train_residuum:.3e}  test {test}  {report.seconds:.2f} s",
                flush=True,
            )
            bar.set_postfix_str(f"train {report.train_residuum:.2e}", refresh=False)
            bar.update()


def _kept(args, experiment: LearningExperiment, reports: list) -> str:
    """On Ctrl-C: save the law of the last finished sweep (with ``--save``) and say what was kept."""
    if not reports:
        return "no sweep had finished, nothing kept"
    if not args.save:
        return f"{len(reports)} sweep(s) finished, nothing saved (no --save)"
    _law(experiment, reports).save(args.save)
    return f"law of sweep {reports[-1].sweep} saved to {args.save}"


def _law(experiment: LearningExperiment, reports: list):
    """The law of the last finished sweep, with its system and learner settings attached."""
    return attach_system(reports[-1].law, experiment.make_system(), experiment.learner.param.values())


def run(args) -> int:
    if args.data:
        return run_data(args, given(args, LEARNER_FLAGS))
    if args.test_data:
        raise ValueError("--test-data needs --data")
    experiment = build_experiment(args)
    start = time.perf_counter()
    reports = []
    try:
        _sweeps(experiment, reports)
    except BaseException as err:
        if interrupted(err):
            raise Interrupted(_kept(args, experiment, reports)) from None
        raise
    seconds = time.perf_counter() - start
    law = _law(experiment, reports)
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
