"""Learning from measured trajectories (issue 22): ours vs pysindy on the same files.

FPUT d = 20, 10 training trajectories from x ~ U(-0.6, 0.6), v ~ U(-0.3, 0.3), t in [0, 25] with step dt, positions
only, Gaussian noise of standard deviation ``noise`` added to the positions; one held-out trajectory (noise free,
with v); 2,000 test pairs x ~ U[-1, 1]^20 with the exact law. For every dt in {0.1, 0.05, 0.02} and noise in
{0, 1e-4, 1e-3}:

- ours: ``explorer learn --data train.npz --test-data test.npz --order 2 --domain -1.5 1.5`` (Legendre degree 3,
  rho 2, L 1, 10 GMWS sweeps with the default stagnation stop) with the ``fd6`` (default) and the ``savgol``
  (window 15, degree 6) estimators;
- pysindy: ``SINDy(PolynomialLibrary(degree=3), STLSQ(threshold=0.05), FiniteDifference(d=2))`` fitted on the same
  positions (its second-order finite differences give xddot);

each reports the test residuum on the test pairs, the deviation ``max_t |x_sim - x| / max_t |x|`` of the learned
law simulated (DOP853) from the held-out start up to t = 10, the fitting seconds (derivatives and learning, after
the compiled kernels are loaded) and the peak MB of its own child process.
Usage: python benchmarks/trajectories.py [--quick]; prints one table and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

MODES, TRAJECTORIES, T_FINAL, UNTIL, DOMAIN = 20, 10, 25.0, 10.0, (-1.5, 1.5)
STEPS = (0.1, 0.05, 0.02)
NOISES = (0.0, 1e-4, 1e-3)
METHODS = ("ours fd6", "ours savgol", "pysindy")


def make_files(folder: Path, dt: float, noise: float, trajectories: int = TRAJECTORIES) -> None:
    """``train.npz`` (t, x with noise), ``heldout.npz`` (t, x, v, noise free) and ``test.npz`` (x, y)."""
    from explorer.data import measure_trajectories, save_pairs, save_trajectories
    from explorer.systems import make_system

    system = make_system("fput", modes=MODES)
    clean = measure_trajectories(system, trajectories + 1, dt, T_FINAL, seed=0)
    rng = np.random.default_rng(1)
    x = clean.x[:trajectories] + noise * rng.standard_normal(clean.x[:trajectories].shape)
    save_trajectories(folder / "train.npz", clean.t[0], x)
    save_trajectories(folder / "heldout.npz", clean.t[0], clean.x[-1], v=clean.v[-1])
    X, Y = system.sample(2000, seed=5)
    save_pairs(folder / "test.npz", X, Y)


def _ours(folder: Path, method: str) -> dict:
    from explorer.data import Differentiation, load_data
    from explorer.learning import Learner, warm_up_kernels
    from explorer.learning.from_data import data_problem
    from explorer.learning.simulation import compare

    warm_up_kernels()
    start = time.perf_counter()
    differentiation = Differentiation(method=method.split()[1])
    problem = data_problem(load_data(folder / "train.npz"), 2, differentiation, test=load_data(folder / "test.npz"),
                           domain=DOMAIN)
    reports = list(Learner(threads=1).iterate(problem.X, problem.Y, domain=problem.domain, X_test=problem.X_test,
                                              F_test=problem.F_test))
    seconds = time.perf_counter() - start
    law = problem.attach(reports[-1].law)
    result = compare(law, load_data(folder / "heldout.npz"), until=UNTIL)
    return {"residuum": reports[-1].test_residuum, "deviation": result["deviation"], "seconds": seconds,
            "sweeps": len(reports)}


def _pysindy(folder: Path) -> dict:
    import pysindy as ps
    from scipy.integrate import solve_ivp

    from explorer.learning.simulation import deviation

    with np.load(folder / "train.npz") as train, np.load(folder / "test.npz") as test, \
            np.load(folder / "heldout.npz") as held:
        t, x = train["t"], train["x"]
        X_test, F_test = test["x"], test["y"]
        t_held, x_held, v_held = held["t"], held["x"], held["v"]
    start = time.perf_counter()
    model = ps.SINDy(feature_library=ps.PolynomialLibrary(degree=3), optimizer=ps.STLSQ(threshold=0.05),
                     differentiation_method=ps.FiniteDifference(d=2))
    model.fit(list(x), t=t)
    seconds = time.perf_counter() - start
    residuum = float(np.linalg.norm(model.predict(X_test) - F_test) / np.linalg.norm(F_test))
    keep = t_held <= UNTIL
    powers, coefficients = model.feature_library.powers_, model.coefficients()

    def law(x):  # the fitted polynomials, evaluated without pysindy's per-call pipeline overhead
        return coefficients @ np.prod(x[None, :] ** powers, axis=1)

    if not np.allclose(law(X_test[0]), model.predict(X_test[:1])[0], rtol=1e-10, atol=1e-12):
        raise RuntimeError("the monomial evaluation of the pysindy model differs from model.predict")

    def rhs(_t, y):
        return np.concatenate([y[MODES:], law(y[:MODES])])

    def blowup(_t, y):
        return 1e3 - np.abs(y).max()

    blowup.terminal = True
    sol = solve_ivp(rhs, (0.0, UNTIL), np.concatenate([x_held[0], v_held[0]]), method="DOP853",
                    t_eval=t_held[keep], rtol=1e-10, atol=1e-12, events=blowup)
    simulated = np.full((keep.sum(), MODES), np.nan)
    simulated[: sol.y.shape[1]] = sol.y[:MODES].T
    dev, _ = deviation(simulated, x_held[keep], t_held[keep])
    return {"residuum": residuum, "deviation": dev, "seconds": seconds,
            "terms": int(np.count_nonzero(model.coefficients()))}


def _child(folder: str, method: str, queue) -> None:
    try:
        row = _pysindy(Path(folder)) if method == "pysindy" else _ours(Path(folder), method)
        row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except Exception as exc:  # noqa: BLE001 - a failed point is a result to report
        row = {"error": f"{type(exc).__name__}: {exc}"}
    queue.put(row)


def run_point(folder: Path, method: str, timeout: float = 1800.0) -> dict:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(str(folder), method, queue))
    process.start()
    try:
        row = queue.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - a crashed or timed-out child is a result to report
        row = {"error": f"no result within {timeout:.0f} s"}
    process.join(timeout=10)
    if process.is_alive():
        process.kill()
    return row


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.2g}" if value < 100 else f"{value:.0f}"
    return "-" if value is None else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="dt = 0.1 and noise 0 only (a smoke run)")
    args = parser.parse_args()
    steps, noises = ((0.1,), (0.0,)) if args.quick else (STEPS, NOISES)
    rows = []
    print("dt | noise | method | residuum | deviation (t<=10) | seconds | peak MB")
    with tempfile.TemporaryDirectory() as tmp:
        for dt in steps:
            for noise in noises:
                folder = Path(tmp) / f"dt{dt}_noise{noise}"
                folder.mkdir()
                make_files(folder, dt, noise)
                for method in METHODS:
                    row = {"dt": dt, "noise": noise, "method": method, **run_point(folder, method)}
                    rows.append(row)
                    cells = [row.get(k, row.get("error") if k == "residuum" else None)
                             for k in ("residuum", "deviation", "seconds", "peak_mb")]
                    print(" | ".join([str(dt), str(noise), method, *map(_fmt, cells)]), flush=True)
    print(json.dumps({"study": "trajectories", "quick": args.quick, "rows": rows}))


if __name__ == "__main__":
    main()
