"""Cooperative stop: every long computation checks its stop flag between small steps, not only between reports."""

from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np
import pytest

from explorer.cancellation import Cancelled, check, current_flag, stoppable
from explorer.engine import ThreadEngine
from explorer.groundstate import hamiltonians
from explorer.groundstate.dmrg import DMRG
from explorer.groundstate.dp import EpsilonNetDP
from explorer.groundstate.exact import ground_state
from explorer.learning.learner import Learner
from explorer.streams.gauge import paired_updates
from explorer.streams.learn import default_experiment
from explorer.systems import make_system


class CountdownFlag(threading.Event):
    """A stop flag that reads as unset for its first ``allowed`` checks and as set from then on; counts checks."""

    def __init__(self, allowed: float = float("inf")):
        super().__init__()
        self.allowed, self.checks = allowed, 0
        self._count = threading.Lock()

    def is_set(self) -> bool:
        with self._count:
            self.checks += 1
            return self.checks > self.allowed


def checks_made(run) -> int:
    """How many times ``run()`` checks its stop flag when nobody stops it."""
    flag = CountdownFlag()
    with stoppable(flag):
        run()
    return flag.checks


def test_check_raises_only_under_a_set_flag_and_is_not_an_exception():
    check()
    flag = threading.Event()
    with stoppable(flag):
        assert current_flag() is flag
        check()
        flag.set()
        with pytest.raises(Cancelled):
            check()
    assert current_flag() is None
    check()
    assert not issubclass(Cancelled, Exception)


def _fput(d: int = 8, n: int = 150):
    system = make_system("fput", modes=d)
    X, Y = system.sample(n, seed=1)
    return system, X, Y


@pytest.mark.parametrize("threads", [1, 3])
def test_a_sweep_stops_between_its_local_problems(threads):
    """Stopped half-way through its first sweep, the learner ends there: no report, Cancelled raised."""
    system, X, Y = _fput()
    learner = Learner(init="random", init_noise=0.05, sweeps=1, stagnation=0.0, threads=threads)
    whole = checks_made(lambda: list(learner.iterate(X, Y, domain=system.domain)))
    problems = 2 * len(learner.initial_law(X, Y, domain=system.domain).cores)
    assert whole > problems, "a sweep must check at least once per local problem"
    flag = CountdownFlag(whole // 2)
    with stoppable(flag), pytest.raises(Cancelled):
        next(learner.iterate(X, Y, domain=system.domain))
    assert flag.checks <= whole // 2 + threads


def test_the_gauge_study_does_not_report_a_stop_as_a_failed_method():
    experiments = {m: default_experiment(modes=6, samples=100, test_samples=100, method=m) for m in ("gmws", "shared")}
    flag = threading.Event()
    flag.set()
    with stoppable(flag), pytest.raises(Cancelled):
        next(paired_updates(experiments))


def test_a_dp_site_stops_between_its_chunks():
    ham = hamiltonians.tfim(6, 1.0)
    make = partial(EpsilonNetDP, ham, 2, net_size=300, eta=0.05, refine=0, seed=0)
    whole = checks_made(lambda: make().solve())
    sites = 6
    assert whole > 2 * sites
    flag = CountdownFlag(whole // 2)
    reports = []
    with stoppable(flag), pytest.raises(Cancelled):
        reports.extend(make().iterate())
    assert 0 < len(reports) < sites


@pytest.mark.parametrize("reference", [lambda ham: ground_state(ham), lambda ham: DMRG(ham, 4).solve()],
                         ids=["lanczos", "dmrg"])
def test_the_reference_solvers_stop_between_their_steps(reference):
    ham = hamiltonians.tfim(10, 1.0)
    whole = checks_made(lambda: reference(ham))
    assert whole > 10
    with stoppable(CountdownFlag(whole // 2)), pytest.raises(Cancelled):
        reference(ham)


def test_a_simulation_stops_between_steps_of_the_integrator():
    system, X, Y = _fput(6, 300)
    law = Learner(sweeps=2).fit(X, Y, domain=system.domain)
    law.order = 2
    t, x0, v0 = np.linspace(0.0, 5.0, 50), 0.5 * X[0], np.zeros(6)
    whole = checks_made(lambda: law.simulate(x0, t, v0))
    assert whole > 50
    with stoppable(CountdownFlag(10)), pytest.raises(Cancelled):
        law.simulate(x0, t, v0)


def stubborn(started: threading.Event):
    """One item, then a step that never ends by itself but checks its stop flag."""
    yield "first"
    started.set()
    while True:
        check()
        time.sleep(0.005)


def test_thread_engine_stops_a_run_inside_its_step():
    started = threading.Event()
    handle = ThreadEngine().start(lambda: stubborn(started))
    assert started.wait(60)
    handle.stop()
    assert handle.join(60), "the step never saw its stop flag"
    assert handle.error is None and handle.drain() == ["first"]
