"""Learning benchmarks: the seed's targets (docs/algorithms.md A8), speed and memory, scale in d, peers.

Every point runs in a fresh child process (so its peak RSS is its own) and reports the test residuum on 20,000
fresh samples, wall seconds and peak MB. Before the clock starts, each child runs one sweep on a 6-mode chain
(``warm_up_seconds``), which loads the compiled kernels from Numba's on-disk cache (or compiles them, ~10 s, on
the very first run after an install or a change of the kernels). Studies:

  targets   the A8 quality targets (FPUT, disordered FPUT, dipoles windows 3 and 7, noisy dipoles, LJ seeds)
  speed     FPUT d=50, N=2000, 10 GMWS sweeps from a random start; seconds per sweep vs N and vs d
  scale     FPUT d = 50 .. 1000 at N=2000 (window start, until the residuum is below 1e-10)
  compare   gmws / shared / independent / dense / pysindy at d = 10, 20, 50 and N = 1400, 2000
  exact     smallest N at which each method recovers FPUT exactly (residuum <= 1e-10), d = 20 and 50
  pysindy   pysindy alone at larger d (memory permitting)
  solver    the local least-squares solver: refined semi-normal equations vs QR, on the shapes of real sweeps
  gram      the Gram matrix of a core shared by many equations: factored (grouped) vs formed design
  capacity  dipoles d=50, N=1000: learned residuum against the lower bound of any law with that rho and window
            (explorer.learning.capacity), windows 3, 7, 11, 19 and rho = 3, 4, 5
  fig1      seed Fig. 1: FPUT and disordered FPUT d=50, residuum after 10 sweeps vs N, seeds 0-4: ours from a
            random start and from the window start (``explorer learn --init random|window``) and, with
            ``--reference PATH``, the seed's reference code (a checkout of StephenVintskevich/bstt2, run as a peer
            on the same data: ``ALSSystem2`` with its own settings, ``--reference-samples`` limits its N grid)

Each study prints one table and, as its last line, one JSON object with every figure.
Usage: python benchmarks/learning.py STUDY [--quick]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

TEST_SAMPLES = 20_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _experiment(spec: dict, modes: int, samples: int, test_samples: int):
    from explorer.learning.experiment import LearningExperiment

    learner = dict(spec.get("learner", {}))
    return LearningExperiment.from_settings(
        system=spec["system"], modes=modes, samples=samples, test_samples=test_samples,
        noise=spec.get("noise", 0.0), seed=spec.get("seed", 0), init_seed=learner.pop("seed", 0), **learner,
    )


def _warm_up(spec: dict) -> float:
    """One sweep of the same learner on a small chain, so that the compiled kernels are loaded (or compiled, on a
    first run) before the clock starts; returns its seconds (a one-off cost per process)."""
    start = time.perf_counter()
    modes = min(spec["d"], 6)
    experiment = _experiment(spec, modes, 200, 200)
    experiment.learner.param.update(sweeps=1, interaction_length=min(experiment.learner.interaction_length, modes - 1))
    list(experiment.iterate())
    return time.perf_counter() - start


def _ours(spec: dict) -> dict:
    warm_up = _warm_up(spec)
    experiment = _experiment(spec, spec["d"], spec["N"], TEST_SAMPLES)
    start = time.perf_counter()
    reports = []
    for report in experiment.iterate():
        reports.append(report)
        if report.test_residuum <= spec.get("stop_below", 0.0):
            break
    seconds = time.perf_counter() - start
    return {
        "residuum": reports[-1].test_residuum,
        "residuum_per_sweep": [r.test_residuum for r in reports],
        "sweeps": len(reports),
        "sweep_seconds": [r.seconds for r in reports],
        "seconds": seconds,
        "warm_up_seconds": warm_up,
        "threads": experiment.learner.thread_count(),
        "parameters": reports[-1].law.parameter_count(),
    }


def _pysindy(spec: dict) -> dict:
    import pysindy as ps

    from explorer.systems import make_system

    system = make_system(spec["system"], modes=spec["d"])
    X, Y = system.sample(spec["N"], seed=spec.get("seed", 0))
    X_test, F_test = system.sample(TEST_SAMPLES, seed=spec.get("seed", 0) + 1_000_003)
    start = time.perf_counter()
    model = ps.SINDy(feature_library=ps.PolynomialLibrary(degree=3), optimizer=ps.STLSQ(threshold=0.05))
    model.fit(X, x_dot=Y, t=1.0)
    fit_seconds = time.perf_counter() - start
    chunk = max(1, 2**27 // model.n_output_features_)  # about 1 GB of library rows at a time
    prediction = np.concatenate([model.predict(X_test[i : i + chunk]) for i in range(0, len(X_test), chunk)])
    seconds = time.perf_counter() - start
    residuum = float(np.linalg.norm(prediction - F_test) / np.linalg.norm(F_test))
    return {"residuum": residuum, "seconds": seconds, "fit_seconds": fit_seconds,
            "parameters": int(np.count_nonzero(model.coefficients()))}


MEMORY_CAP_BYTES = 20 * 2**30
"""Address-space cap of a pysindy child (the machine has 24 GB): past it pysindy fails with MemoryError."""


def _import_reference(path: str):
    """The reference code's modules from a checkout at ``path``; sklearn and matplotlib (imported at the top of its
    ``als.py`` but not used by ``ALSSystem2``) are stubbed when missing."""
    import importlib
    import importlib.util
    import sys
    import types
    import warnings

    if importlib.util.find_spec("sklearn") is None:
        linear_model = types.ModuleType("sklearn.linear_model")
        for attr in ("LassoCV", "RidgeCV", "Ridge", "Lasso"):
            setattr(linear_model, attr, None)
        sys.modules["sklearn"] = types.ModuleType("sklearn")
        sys.modules["sklearn.linear_model"] = linear_model
    os.environ.setdefault("MPLBACKEND", "Agg")
    warnings.filterwarnings("ignore")
    sys.path.insert(0, path)
    return importlib.import_module("misc"), importlib.import_module("helpers"), importlib.import_module("als")


def _reference(spec: dict) -> dict:
    """The seed's reference ALS-GMWS (``ALSSystem2``) on our data: Legendre degree 3 with its normalisation, the
    all-ones augmented mode, ``maxGroupSize = 2``, ``2L + 3`` activation types, random cores from its own
    initialiser (``numpy.random.seed(seed)``), 10 sweeps or its own stops (training residual 1e-6, increase, or a
    decrease below 1e-3)."""
    misc, helpers, als = _import_reference(spec["reference"])
    experiment = _experiment(spec, spec["d"], spec["N"], TEST_SAMPLES)
    _, X, Y, X_test, F_test = experiment.data()
    degree, d = 3, spec["d"]
    types = 2 * experiment.learner.interaction_length + 3

    def measures(points: np.ndarray) -> np.ndarray:
        features = misc.legendre_measures(points, degree)
        return np.concatenate([features, np.ones((1, points.shape[0], degree + 1))], axis=0)

    np.random.seed(spec.get("seed", 0))  # noqa: NPY002 - the reference draws its cores from the global generator
    law = misc.random_homogenous_polynomial_sum_system2([degree] * d, degree, 2, types, helpers.SMat(types, d))
    solver = als.ALSSystem2(law, measures(X), Y, _verbosity=0)
    solver.maxSweeps, solver.targetResidual, solver.maxGroupSize = 10, 1e-6, 2
    start = time.perf_counter()
    solver.run()
    seconds = time.perf_counter() - start
    prediction = law.evaluate(measures(X_test))
    residuum = float(np.linalg.norm(prediction - F_test) / np.linalg.norm(F_test))
    return {"residuum": residuum, "seconds": seconds, "parameters": int(law.dofs())}


def _child(spec: dict, queue) -> None:
    if spec.get("method") == "pysindy":
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    try:
        runner = {"pysindy": _pysindy, "reference": _reference}.get(spec.get("method"), _ours)
        row = runner(spec)
        row["peak_mb"] = _peak_mb()
    except Exception as exc:  # noqa: BLE001 - a failed point is a result to report, not a hung study
        row = {"error": f"{type(exc).__name__}: {exc}"}
    queue.put(row)


def run_point(spec: dict, timeout: float = 3600.0) -> dict:
    """Run one point in a fresh process; returns ``spec`` merged with the measured figures."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(spec, queue))
    process.start()
    try:
        row = queue.get(timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a crashed or timed-out child is a result to report
        row = {"error": f"{type(exc).__name__}: no result within {timeout:.0f} s"}
    process.join(timeout=10)
    if process.is_alive():
        process.kill()
    print(json.dumps({**spec, **row}), flush=True)
    return {**spec, **row}


def _fput_learner(init: str = "window", **extra) -> dict:
    settings = {"init": init, "init_noise": 0.05 if init == "random" else 0.0, "stagnation": 0.0}
    return {**settings, **extra}


def study_targets(quick: bool, systems: list[str] | None = None, seeds: list[int] | None = None) -> list[dict]:
    sweeps = 3 if quick else 10
    points = [
        {"target": "FPUT d=50 N=1000 <= 2e-5", "system": "fput", "d": 50, "N": 1000,
         "learner": _fput_learner(sweeps=sweeps)},
        {"target": "FPUT d=50 N=1400 <= 1e-6", "system": "fput", "d": 50, "N": 1400,
         "learner": _fput_learner(sweeps=sweeps)},
        {"target": "FPUT d=50 N=1400 <= 1e-6 (random start)", "system": "fput", "d": 50, "N": 1400,
         "learner": _fput_learner("random", sweeps=sweeps)},
        {"target": "disordered FPUT d=50 N=1800 <= 1e-6", "system": "fput-disordered", "d": 50, "N": 1800,
         "learner": _fput_learner(sweeps=sweeps)},
        {"target": "dipoles d=50 N=1000 window 3 <= 2e-3", "system": "dipoles", "d": 50, "N": 1000,
         "learner": {"sweeps": sweeps}},
        {"target": "dipoles d=50 N=1000 window 7 <= 2e-4", "system": "dipoles", "d": 50, "N": 1000,
         "learner": {"sweeps": sweeps, "interaction_length": 3}},
        {"target": "dipoles d=20 N=1800 sigma=1e-2 <= 5e-3", "system": "dipoles", "d": 20, "N": 1800,
         "noise": 1e-2, "learner": {"sweeps": sweeps}},
    ]
    seeds = seeds if seeds is not None else range(2 if quick else 6)
    points += [
        {"target": "LJ d=10 N=6000 median of 6 seeds <= 2e-2", "system": "lennard-jones", "d": 10, "N": 6000,
         "seed": s, "learner": {"sweeps": 2 if quick else 8}}
        for s in seeds
    ]
    rows = [run_point(p) for p in points if systems is None or p["system"] in systems]
    _table(rows, ["target", "seed", "residuum", "sweeps", "seconds", "peak_mb"])
    lj = [r["residuum"] for r in rows if r["system"] == "lennard-jones" and "residuum" in r]
    if lj:
        print(f"LJ median over {len(lj)} seeds: {np.median(lj):.3e}")
    return rows


def study_speed(quick: bool) -> list[dict]:
    """10 GMWS sweeps on all cores (the learner's default threads) and on one, each three times in fresh processes
    (this machine's speed varies by +-20% from run to run); growth of a sweep's time in N and d."""
    repeats = 1 if quick else 3
    rows = [run_point({"study": "10 sweeps", "system": "fput", "d": 50, "N": 2000, "run": run,
                       "learner": _fput_learner("random", sweeps=10, threads=threads)})
            for threads in (None, 1) for run in range(repeats)]
    sizes_n = [500, 2000] if quick else [500, 1000, 2000, 4000, 8000]
    sizes_d = [10, 50] if quick else [10, 20, 50, 100, 200]
    rows += [run_point({"study": "vs N", "system": "fput", "d": 50, "N": n,
                        "learner": _fput_learner("random", sweeps=2)}) for n in sizes_n]
    rows += [run_point({"study": "vs d", "system": "fput", "d": d, "N": 2000,
                        "learner": _fput_learner("random", sweeps=2)}) for d in sizes_d]
    for row in rows:
        row["seconds_per_sweep"] = float(np.mean(row["sweep_seconds"])) if "sweep_seconds" in row else None
        row["fitting_seconds"] = float(np.sum(row["sweep_seconds"])) if "sweep_seconds" in row else None
    _table(rows, ["study", "d", "N", "threads", "sweeps", "seconds_per_sweep", "fitting_seconds", "seconds",
                  "warm_up_seconds", "residuum", "peak_mb"])
    _growth(rows, "vs N", "N")
    _growth(rows, "vs d", "d")
    for threads in sorted({r["threads"] for r in rows if r["study"] == "10 sweeps" and "threads" in r}):
        fits = [r["fitting_seconds"] for r in rows if r["study"] == "10 sweeps" and r.get("threads") == threads]
        print(f"10 sweeps on {threads} thread(s): best {min(fits):.2f} s, median {np.median(fits):.2f} s "
              f"of {len(fits)} runs")
    return rows


def study_scale(quick: bool) -> list[dict]:
    sizes = [50, 100] if quick else [50, 100, 200, 500, 1000]
    rows = [run_point({"system": "fput", "d": d, "N": 2000, "learner": _fput_learner(sweeps=3),
                       "stop_below": 1e-10}) for d in sizes]
    _table(rows, ["d", "N", "sweeps", "residuum", "seconds", "peak_mb"])
    _growth(rows, None, "d")
    return rows


def study_compare(quick: bool) -> list[dict]:
    """Every optimiser from the same random start (10 sweeps); gmws also from the window warm start."""
    dims = [10] if quick else [10, 20, 50]
    samples = [1400] if quick else [1400, 2000]
    rows = []
    for d in dims:
        for n in samples:
            runs = [("gmws", "window")] + [(m, "random") for m in ("gmws", "shared", "independent", "dense")]
            for method, init in runs:
                learner = _fput_learner(init, method=method, sweeps=10)
                rows.append(run_point({"system": "fput", "d": d, "N": n, "method": method, "init": init,
                                       "learner": learner, "stop_below": 1e-12}))
            rows.append(run_point({"system": "fput", "d": d, "N": n, "method": "pysindy"}))
    _table(rows, ["d", "N", "method", "init", "residuum", "sweeps", "seconds", "peak_mb"])
    return rows


def _smallest_exact(spec: dict, candidates: list[int]) -> dict:
    found = None
    for n in candidates:
        row = run_point({**spec, "N": n})
        if row.get("residuum", 1.0) <= 1e-10:
            found = row
            break
    return {**spec, "smallest_exact_N": None if found is None else found["N"],
            "residuum": None if found is None else found["residuum"]}


def study_exact(quick: bool) -> list[dict]:
    dims = [20] if quick else [20, 50]
    ours = [25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 700, 1000, 1400]
    theirs = [100, 200, 300, 400, 500, 600, 700, 1000, 1400]
    rows = []
    for d in dims:
        for init in ("window", "random"):
            spec = {"system": "fput", "d": d, "method": f"gmws ({init} start)",
                    "learner": _fput_learner(init, sweeps=10), "stop_below": 1e-12}
            rows.append(_smallest_exact(spec, ours))
        rows.append(_smallest_exact({"system": "fput", "d": d, "method": "pysindy"}, theirs))
    _table(rows, ["d", "method", "smallest_exact_N", "residuum"])
    return rows


def study_pysindy(quick: bool, dims: list[int] | None = None, timeout: float = 7200.0) -> list[dict]:
    dims = dims or ([20] if quick else [20, 50, 100])
    rows = [run_point({"system": "fput", "d": d, "N": 1400, "method": "pysindy"}, timeout=timeout) for d in dims]
    rows += [run_point({"system": "fput", "d": d, "N": 1400, "method": "gmws",
                        "learner": _fput_learner(sweeps=3), "stop_below": 1e-12}) for d in dims]
    _table(rows, ["d", "N", "method", "residuum", "seconds", "peak_mb"])
    return rows


def _growth(rows: list[dict], study: str | None, key: str) -> None:
    chosen = [r for r in rows if (study is None or r.get("study") == study) and "sweep_seconds" in r]
    if len(chosen) >= 2:
        x = np.log([r[key] for r in chosen])
        y = np.log([np.mean(r["sweep_seconds"]) for r in chosen])
        print(f"seconds per sweep ~ {key}^{np.polyfit(x, y, 1)[0]:.2f}")


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "-" if value is None else str(value)


def _table(rows: list[dict], columns: list[str]) -> None:
    cells = [[_fmt(r.get(c, r.get("error") if c == "residuum" else None)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _median_ms(solve, design: np.ndarray, target: np.ndarray, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        solve(design, target)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def _solver_row(design: np.ndarray, target: np.ndarray) -> dict:
    from explorer.learning.local import _qr_min_norm, least_squares

    def qr(a, b):
        return _qr_min_norm(a, b, 0.0)

    repeats = 20 if design.shape[1] < 100 else 2
    fast, reference = least_squares(design, target), qr(design, target)
    ratio = np.linalg.norm(target - design @ fast) / np.linalg.norm(target - design @ reference)
    return {"rows": design.shape[0], "unknowns": design.shape[1],
            "semi_normal_ms": _median_ms(least_squares, design, target, repeats),
            "qr_ms": _median_ms(qr, design, target, repeats), "residual_ratio": float(ratio)}


def study_solver(quick: bool) -> list[dict]:
    """Local solves of the shapes of FPUT (m = 23) and Lennard-Jones rho = 4 (m = 507) sweeps, in this process."""
    rng = np.random.default_rng(0)
    shapes = [(2000, 23), (12000, 23)] if quick else [(2000, 23), (12000, 23), (24000, 23), (6000, 507), (48000, 507)]
    rows = []
    for n_rows, m in shapes:
        design = rng.standard_normal((n_rows, m)) * np.logspace(0, -3, m)
        target = design @ rng.standard_normal(m) + 1e-8 * rng.standard_normal(n_rows)
        rows.append(_solver_row(design, target))
    _table(rows, ["rows", "unknowns", "semi_normal_ms", "qr_ms", "residual_ratio"])
    return rows


def _factored_gram(design, _target) -> np.ndarray:
    return design.gram()


def _formed_gram(design, _target) -> np.ndarray:
    formed = design.dense()
    return formed.T @ formed


def study_gram(quick: bool) -> list[dict]:
    """Gram matrix of a core shared by k equations: FactoredDesign (grouped) vs the formed design, in this process.

    Shapes (N, unknowns m, summed-side dimension r, equations k) of FPUT, dipole and Lennard-Jones rho = 8 sweeps.
    """
    from explorer.learning.local import FactoredDesign

    rng = np.random.default_rng(0)
    shapes = [(2000, 23, 8, 16), (2000, 100, 15, 30)]
    shapes += [] if quick else [(6000, 1551, 72, 8)]
    rows = []
    for n, m, r, k in shapes:
        design = FactoredDesign(rng.standard_normal((m, n)), rng.integers(0, r, m), rng.standard_normal((k, r, n)))
        repeats = 10 if m < 1000 else 1
        reference = _formed_gram(design, None)
        error = np.abs(design.gram() - reference).max() / np.abs(reference).max()
        rows.append({"N": n, "unknowns": m, "r": r, "k": k,
                     "factored_ms": _median_ms(_factored_gram, design, None, repeats),
                     "formed_ms": _median_ms(_formed_gram, design, None, repeats),
                     "max_rel_difference": float(error)})
    _table(rows, ["N", "unknowns", "r", "k", "factored_ms", "formed_ms", "max_rel_difference"])
    return rows


SEED_FIGURE_2 = {1: 1.5e-3, 3: 1.7e-4}
"""The seed's dipole residua at rho=3 (docs/algorithms.md A8), keyed by the L of eq. 41 that A5 reads its labels as."""


def study_capacity(quick: bool) -> list[dict]:
    """Dipoles: what GMWS learns (8 sweeps, the seed's Fig. 2 protocol) against what any law can reach."""
    from explorer.learning.capacity import pair_coupling_bound
    from explorer.systems import make_system

    d, lengths, sizes = (20, (1, 3), (3, 5)) if quick else (50, (1, 3, 5, 9), (3, 4, 5))
    couplings = make_system("dipoles", modes=d).couplings()
    rows = []
    for lint in lengths:
        for rho in sizes:
            spec = {"system": "dipoles", "d": d, "N": 1000, "window": 2 * lint + 1, "rho": rho,
                    "learner": {"sweeps": 8, "block_size": rho, "interaction_length": lint}}
            row = run_point(spec)
            row["bound"] = pair_coupling_bound(couplings, lint, rho, iterations=200 if quick else 800)
            row["seed"] = SEED_FIGURE_2.get(lint) if rho == 3 else None
            rows.append(row)
    _table(rows, ["window", "rho", "residuum", "bound", "seed", "seconds", "peak_mb"])
    return rows


FIG1_SAMPLES = [600, 800, 1000, 1200, 1400, 1600, 1800, 2000]
"""N grid of the Fig. 1 study (the seed's figure spans 200-2600; below 600 no method reaches 1e-2 from random
cores, above 2000 every method is exact to ~1e-7)."""


def study_fig1(quick: bool, reference: str | None = None, reference_samples: list[int] | None = None,
               seeds: list[int] | None = None, systems: list[str] | None = None,
               samples: list[int] | None = None) -> list[dict]:
    """Seed Fig. 1: test residuum after 10 sweeps vs N (module doc); median and range over the seeds per line.

    One seed draws the data and the start, as ``explorer learn --seed S`` and ``explorer reproduce fput`` do.
    """
    samples = samples or ([600, 1400] if quick else FIG1_SAMPLES)
    seeds = list(seeds if seeds is not None else range(2 if quick else 5))
    systems = systems or ["fput", "fput-disordered"]
    lines = [("ours, random start", "random"), ("ours, window start", "window")]
    rows = []
    for system in systems:
        for n in samples:
            for label, init in lines:
                rows += [run_point({"line": label, "system": system, "d": 50, "N": n, "seed": s,
                                    "learner": {"init": init, "sweeps": 10, "seed": s}}) for s in seeds]
            if reference and (reference_samples is None or n in reference_samples):
                rows += [run_point({"line": "reference code", "method": "reference", "reference": reference,
                                    "system": system, "d": 50, "N": n, "seed": s}) for s in seeds]
    summary = _fig1_summary(rows)
    _table(summary, ["system", "line", "N", "seeds", "median", "min", "max", "seconds"])
    return rows + summary


def _fig1_summary(rows: list[dict]) -> list[dict]:
    """Median and range of the residuum over the seeds of each (system, line, N)."""
    groups: dict = {}
    for row in rows:
        if "residuum" in row:
            groups.setdefault((row["system"], row["line"], row["N"]), []).append(row)
    return [{"summary": True, "system": system, "line": line, "N": n, "seeds": len(group),
             "median": float(np.median([r["residuum"] for r in group])),
             "min": min(r["residuum"] for r in group), "max": max(r["residuum"] for r in group),
             "seconds": float(np.median([r["seconds"] for r in group]))}
            for (system, line, n), group in sorted(groups.items())]


STUDIES = {
    "fig1": study_fig1,
    "capacity": study_capacity,
    "targets": study_targets,
    "speed": study_speed,
    "scale": study_scale,
    "compare": study_compare,
    "exact": study_exact,
    "pysindy": study_pysindy,
    "solver": study_solver,
    "gram": study_gram,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", choices=sorted(STUDIES))
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--dims", type=int, nargs="+", help="pysindy study: the d values (default 20 50 100)")
    parser.add_argument("--timeout", type=float, default=7200.0, help="pysindy study: seconds per pysindy point")
    parser.add_argument("--systems", nargs="+", help="targets study: only these systems (e.g. fput dipoles)")
    parser.add_argument("--seeds", type=int, nargs="+",
                        help="targets study: the Lennard-Jones seeds (default 0-5); fig1: the seeds (default 0-4)")
    parser.add_argument("--reference", help="fig1: path of a checkout of the seed's reference code (bstt2)")
    parser.add_argument("--reference-samples", type=int, nargs="+", help="fig1: the N at which to run it")
    parser.add_argument("--samples", type=int, nargs="+", help="fig1: the N grid (default 600 800 ... 2000)")
    args = parser.parse_args()
    if args.study == "pysindy":
        rows = study_pysindy(args.quick, args.dims, args.timeout)
    elif args.study == "targets":
        rows = study_targets(args.quick, args.systems, args.seeds)
    elif args.study == "fig1":
        rows = study_fig1(args.quick, args.reference, args.reference_samples, args.seeds, args.systems,
                          args.samples)
    else:
        rows = STUDIES[args.study](args.quick)
    print(json.dumps({"study": args.study, "quick": args.quick, "rows": rows}))


if __name__ == "__main__":
    main()
