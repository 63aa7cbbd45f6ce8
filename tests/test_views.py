"""Unit tests of the dashboard's view objects: build pages, drive Run/Stop through their methods, check the plots."""

from __future__ import annotations

import asyncio
import logging
import runpy
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import panel as pn
import pytest
from bokeh.models import FixedTicker, LogTicker

from explorer.data import measure_trajectories, parse_data, save_pairs, save_trajectories
from explorer.learning.anatomy import parameter_counts
from explorer.learning.capacity import pair_coupling_bound
from explorer.learning.experiment import BOUND_WORK
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.learner import Learner
from explorer.learning.simulation import compare
from explorer.streams.learn import default_experiment
from explorer.systems import make_system
from explorer.views import EpsnetPage, GaugePage, LearnPage, SessionState, SparsityPage, build_pages, dashboard
from explorer.views import learn as learn_view
from explorer.views.dashboard import PAGES, Dashboard, page_view
from explorer.views.epsnet import parse_resolutions
from explorer.views.learn import BOUND_LABEL
from explorer.views.plots import LineChart
from explorer.views.sparsity import SEED_EXAMPLES
from explorer.views.worker import ORPHAN_GRACE_MS, Job, session_abandoned

APPS = Path(__file__).resolve().parents[1] / "apps"


def small_learn_page(session=None, **learner) -> LearnPage:
    page = LearnPage(session)
    page.experiment.param.update(modes=5, samples=200, test_samples=300)
    page.experiment.learner.param.update(**{"sweeps": 3, **learner})
    return page


def finish(page, timeout: float = 120.0) -> None:
    """Wait for the page's worker thread, then hand its results to the page as the periodic poll would."""
    assert page.job.join(timeout)
    page.poll()


def poll_until(page, condition, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        page.poll()
        time.sleep(0.05)


def test_job_hands_over_items_in_batches_and_finishes_once():
    batches, finished = [], []
    job = Job(lambda: iter(range(5)), batches.append, lambda error, stopped: finished.append((error, stopped)))
    job.start()
    assert job.join(10)
    job.poll()
    job.poll()
    assert sum(batches, []) == list(range(5))
    assert finished == [(None, False)]
    assert not job.running


def test_job_stop_keeps_items_so_far_and_discards_the_rest():
    gate = threading.Event()

    def produce():
        yield 1
        gate.wait(5)
        yield 2

    batches, finished = [], []
    job = Job(produce, batches.append, lambda error, stopped: finished.append(stopped)).start()
    poll_until(job, lambda: batches)
    job.stop()
    gate.set()
    assert job.join(10)
    job.poll()
    assert batches == [[1]]
    assert finished == [True]


def test_job_reports_the_error_that_ended_the_generator():
    def produce():
        yield 1
        raise ValueError("bad input")

    errors = []
    job = Job(produce, lambda items: None, lambda error, stopped: errors.append(error)).start()
    assert job.join(10)
    job.poll()
    assert isinstance(errors[0], ValueError)


def fake_doc(connections: int, idle_ms: float) -> SimpleNamespace:
    session = SimpleNamespace(connection_count=connections, milliseconds_since_last_unsubscribe=idle_ms)
    return SimpleNamespace(session_context=SimpleNamespace(session=session), scheduled=[],
                           add_next_tick_callback=lambda callback: None)


def test_a_session_without_connections_counts_as_abandoned_after_a_grace_period():
    assert session_abandoned(fake_doc(0, ORPHAN_GRACE_MS + 1))
    assert not session_abandoned(fake_doc(0, ORPHAN_GRACE_MS / 2))
    assert not session_abandoned(fake_doc(1, ORPHAN_GRACE_MS + 1))


def test_job_cancels_itself_when_its_tab_is_gone():
    gate = threading.Event()

    def produce():
        yield 1
        gate.wait(10)
        yield 2

    batches, finished = [], []
    job = Job(produce, batches.append, lambda error, stopped: finished.append(stopped)).start()
    job._doc = fake_doc(0, ORPHAN_GRACE_MS + 1)
    job._watch()
    assert job._run.stop_requested
    gate.set()
    assert job.join(10)
    assert not job.running and batches == [] and finished == []


def test_a_run_that_cannot_fit_in_memory_is_refused_before_it_starts():
    page = LearnPage()
    page.experiment.param.update(modes=10, samples=10_000_000)
    page.run()
    assert page.job is None
    assert "needs about" in page.errors.text and "N = 10,000,000" in page.errors.text
    gauge = GaugePage()
    gauge.experiment.param.update(modes=10, samples=10_000_000)
    gauge.run()
    assert gauge.job is None and "2 methods at once" in gauge.errors.text


def test_learn_page_run_fills_every_chart_and_publishes_the_law():
    session = SessionState()
    page = small_learn_page(session)
    page.run()
    finish(page)
    assert page.residuum.count("train") == 3
    assert page.residuum.count("test") == 3
    assert page.timing.count("fit") == 3
    assert "Finished" in page.bar.status.object
    assert len(page.scatter_source.data["x"]) == 400
    assert np.nanmax(page.blocks.source.data["value"]) > 0
    assert session.law is page.law and "sweep 3" in session.law_label
    assert not page.bar.run_button.disabled and page.bar.stop_button.disabled
    law = SelfSimilarLaw.from_bytes(page.download.callback().getvalue(), "law.npz")
    assert law.order == 2 and law.provenance["source"]["system"]["system"] == "fput"
    X = np.random.default_rng(0).uniform(-1, 1, (5, law.modes))
    np.testing.assert_array_equal(law.predict(X), page.law.predict(X))


def test_learn_page_stop_keeps_the_sweeps_done_so_far():
    page = small_learn_page(sweeps=200, stagnation=0.0)
    page.run()
    poll_until(page, lambda: page.updates)
    page.stop()
    kept = len(page.updates)
    assert "Stopped" in page.bar.status.object
    assert page.job.join(60)
    page.poll()
    assert len(page.updates) == kept == page.residuum.count("train")
    assert page.law is not None


def test_learn_page_selectors_redraw_from_the_learned_law():
    page = small_learn_page()
    page.run()
    finish(page)
    page.equation.value = 3
    assert page.scatter.title.text.startswith("Equation k=3")
    page.core_mode.value = 1
    assert set(page.core_type.options.values()) == {1, 2, 3}
    assert page.blocks.source.data["y"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"interaction_length": 7}, "interaction_length must be < modes"),
        ({"system": "no-such-system"}, "system must be one of"),
    ],
)
def test_learn_page_bad_input_shows_a_message(change, message):
    page = small_learn_page()
    learner_change = {k: v for k, v in change.items() if k in page.experiment.learner.param}
    page.experiment.learner.param.update(**learner_change)
    if "system" in change:
        page.experiment.param.update(system=change["system"])
    page.run()
    finish(page)
    assert message in page.errors.text
    assert "Traceback" not in page.errors.text


def test_learn_page_applies_the_preset_of_a_new_system():
    page = LearnPage()
    page.experiment.system = "dipoles"
    assert page.experiment.learner.dictionary == "trigonometric"
    assert page.experiment.learner.exact_degree


def test_learn_page_draws_the_capacity_bound_of_the_dipoles_below_the_residuum():
    page = LearnPage()
    page.experiment.system = "dipoles"
    page.experiment.param.update(modes=12, samples=600, test_samples=2000)
    page.experiment.learner.param.update(block_size=3, sweeps=3, stagnation=0.0)
    page.run()
    finish(page)
    xs, ys = (page.residuum.sources[BOUND_LABEL].data[c] for c in ("x", "y"))
    expected = pair_coupling_bound(page.experiment.make_system().couplings(), 1, 3, iterations=BOUND_WORK // 12)
    assert xs == [1, 3] and ys == pytest.approx([expected] * 2, rel=1e-12)
    assert 1e-4 < expected < page.residuum.sources["test"].data["y"][-1]
    assert f"no law with this ρ and L gets below {expected:.2e}" in page.bar.status.object


def test_log_charts_with_few_decades_get_ticks_at_one_two_and_five():
    chart = LineChart("t", "x", "y", ["a"], log_y=True)
    chart.stream("a", [1, 2], [3e-3, 0.15])
    ticker = chart.figure.yaxis[0].ticker
    assert isinstance(ticker, FixedTicker)
    assert {0.005, 0.01, 0.02, 0.05, 0.1} <= {round(t, 12) for t in ticker.ticks}
    chart.stream("a", [3], [1e-9])
    assert isinstance(chart.figure.yaxis[0].ticker, LogTicker)


def test_learn_page_draws_no_bound_where_it_does_not_apply():
    page = small_learn_page()
    page.run()
    finish(page)
    assert page.residuum.count(BOUND_LABEL) == 0
    page.experiment.learner.method = "independent"
    page.experiment.system = "dipoles"
    assert page.experiment.capacity_bound() is None


def test_sparsity_page_draws_every_slice_and_the_counts():
    page = SparsityPage()
    p = page.structure.size
    assert page.mosaic.count() == p
    assert page.sizes.source.data["x"]
    assert "1,048,576" in page.counts.object


def test_sparsity_seed_example_reproduces_eq_23():
    page = SparsityPage()
    page.learner.param.update(**SEED_EXAMPLES["eq. (23)"])
    mask = page.structure.masks[page.settings.core - 1]
    for i in range(3):
        expected = np.eye(4, k=i, dtype=bool)
        assert np.array_equal(mask[:, i, :], expected)


def test_sparsity_counts_compare_ansatz_sizes():
    st = Learner().structure(10)
    counts = parameter_counts(st, 1)
    values = list(counts.values())
    assert values[0] == st.parameter_count() < values[3] == st.dense_parameter_count() < values[4]


def test_sparsity_page_overlays_the_law_learned_in_the_session():
    session = SessionState()
    learn = small_learn_page(session)
    sparsity = SparsityPage(session)
    learn.run()
    finish(learn)
    assert sparsity.learned_core() is None
    assert sparsity.match_button.visible
    sparsity.match_law()
    core = sparsity.learned_core()
    assert core is not None and core.shape == sparsity.structure.masks[sparsity.settings.core - 1].shape
    assert "Overlay" in sparsity.overlay_note.object
    values = np.asarray(sparsity.mosaic.entries.data["value"])
    assert np.nanmax(values) > 0 and not np.all(values[np.isfinite(values)] == 1)


def test_sparsity_page_shows_impossible_structures_as_a_message():
    page = SparsityPage()
    page.learner.param.update(dictionary="trigonometric", exact_degree=True, total_degree=30)
    page.settings.modes = 3
    assert "No block structure" in page.errors.text


def test_sparsity_core_bound_follows_the_number_of_modes():
    page = SparsityPage()
    page.settings.modes = 3
    assert page.settings.core <= 3
    assert page.settings.param.core.bounds == (1, 3)


def test_gauge_page_runs_both_methods_and_shows_the_gauges():
    page = GaugePage()
    page.experiment.param.update(modes=5, samples=200, test_samples=300)
    page.experiment.learner.sweeps = 2
    page.run()
    finish(page)
    for method in ("gmws", "shared"):
        assert page.residuum.count(f"{method} train") == 2
        assert page.versus_d.count(method) == 1
    gauges = page.updates["gmws"][-1].gauges
    assert gauges and page.mosaic.count() == len(gauges)
    assert all(not u.gauges for u in page.updates["shared"])
    assert page.sweep.end == 2
    assert page.session.law is page.updates["gmws"][-1].law and "gmws" in page.session.law_label


def test_epsnet_page_gives_a_point_per_resolution_and_the_references():
    page = EpsnetPage()
    page.model.sites = 6
    page.sweep.resolutions = "10, 30"
    page.run()
    finish(page, 300)
    assert page.energy.count("Ẽ (DP)") == 2 and page.energy.count("E (true)") == 2
    assert set(page.references) == {"exact E0", "DMRG", "best product state"}
    assert page.energy.count("exact E0") == 2
    assert page.spectra.count("exact ground state") > 0 and page.spectra.count("best DP state") > 0
    assert "| DMRG |" in page.summary.object and "best DP state (net size 30)" in page.summary.object
    assert "Finished" in page.bar.status.object


@pytest.mark.parametrize("text", ["", "ten", "-5"])
def test_epsnet_page_rejects_bad_resolutions_with_a_message(text):
    page = EpsnetPage()
    page.sweep.resolutions = text
    page.run()
    assert page.job is None
    assert "Cannot run" in page.errors.text


def test_epsnet_parse_resolutions_orders_coarse_to_fine():
    assert parse_resolutions("50, 10;20", "haar") == [10, 20, 50]
    assert parse_resolutions("1.0, 1.4", "lemma3") == [1.4, 1.0]


def test_epsnet_family_switch_suggests_resolutions():
    page = EpsnetPage()
    page.model.family = "lemma3"
    assert parse_resolutions(page.sweep.resolutions, "lemma3")


def test_dashboard_has_a_tab_per_page_and_pages_share_one_session():
    pages = build_pages()
    assert pages["learn"].session is pages["sparsity"].session is pages["gauge"].session
    board = Dashboard()
    assert board.tabs._names == [p.title for p in pages.values()]
    assert list(board.pages) == ["learn"]
    board.tabs.active = 1
    assert board.pages["sparsity"].session is board.pages["learn"].session
    assert board.tabs[1].objects == [board.pages["sparsity"].panel]


def test_a_page_opened_later_overlays_the_law_learned_before():
    board = Dashboard()
    learn = board.open("learn")
    learn.experiment.param.update(modes=5, samples=200, test_samples=300)
    learn.experiment.learner.sweeps = 2
    learn.run()
    finish(learn)
    sparsity = board.open("sparsity")
    sparsity.match_law()
    assert sparsity.learned_core() is not None


def test_dashboard_builds_a_servable_column():
    column = dashboard()
    assert isinstance(column[2], pn.Tabs)
    assert not column[0].visible, "outside a server nothing starts, so the pool note stays hidden"


def test_sessions_do_not_share_state():
    first, second = build_pages(), build_pages()
    assert first["learn"].session is not second["learn"].session
    assert first["learn"].experiment is not second["learn"].experiment
    first["learn"].experiment.modes = 7
    assert second["learn"].experiment.modes == default_experiment().modes


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_builds_on_its_own(name):
    assert page_view(name).objects


@pytest.mark.parametrize("app", ["main.py", "learn.py", "sparsity.py", "gauge.py", "epsnet.py"])
def test_app_files_only_import_and_mark_servable(app):
    namespace = runpy.run_path(str(APPS / app))
    assert "pn" in namespace
    assert len((APPS / app).read_text().splitlines()) < 12


@pytest.fixture(scope="module")
def fput_file(tmp_path_factory):
    """A small trajectory file as a user would upload it: FPUT d=5, 10 trajectories, t in [0, 10], positions only."""
    data = measure_trajectories(make_system("fput", modes=5), 10, 0.05, 10.0, seed=1)
    path = tmp_path_factory.mktemp("upload") / "fput.npz"
    save_trajectories(path, data.t, data.x)
    return data, path.read_bytes()


def test_learn_page_learns_from_an_uploaded_file_and_simulates_a_chosen_trajectory(fput_file):
    data, content = fput_file
    session = SessionState()
    page = LearnPage(session)
    page.experiment.learner.param.update(sweeps=2)
    page.data_file.param.update(value=content, filename="fput.npz")
    assert "10 trajectories × 201 times, d = 5" in page.data_note.object
    assert page.trajectory.value == 10 and page.trajectory_row.visible
    page.run()
    finish(page)
    assert page.errors.text == ""
    assert page.residuum.count("train") == page.residuum.count("test") == 2
    assert session.law is page.law and session.law_label.startswith("fput.npz, d=5")
    assert page.scatter.title.text == "Equation k=1: learned vs data (390 held-out states)"  # 2 x (201 - 6)
    measured, simulated = page.measured_source.data, page.simulated_source.data
    assert measured["y"] == data.x[9, :, 0].tolist() and len(simulated["x"]) == 201
    assert simulated["y"][0] == measured["y"][0]
    held_out = compare(page.law, parse_data(content, "fput.npz").subset([9]))  # start velocity from positions
    assert page.curves.deviation == held_out["deviation"] < 1
    np.testing.assert_array_equal(simulated["y"], held_out["simulations"][0].x[:, 0])
    assert f"Trajectory 10, mode 1: measured vs simulated (deviation {held_out['deviation']:.2e})" == \
        page.trajectory_figure.title.text
    page.trajectory_mode.value = 3
    assert page.measured_source.data["y"] == data.x[9, :, 2].tolist()
    page.trajectory.value = 1
    finish(page)
    assert page.measured_source.data["y"] == data.x[0, :, 2].tolist()
    assert "Trajectory 1, mode 3" in page.trajectory_figure.title.text
    page.until.value = 2.0
    finish(page)
    assert len(page.simulated_source.data["x"]) == 41 and page.simulated_source.data["x"][-1] == pytest.approx(2.0)
    assert not page.download.disabled
    law = SelfSimilarLaw.from_bytes(page.download.callback().getvalue(), "law.npz")
    assert (law.modes, law.order) == (5, 2)
    assert law.provenance["source"]["file"] == "fput.npz"
    np.testing.assert_array_equal(law.predict(data.x[0, :3]), page.law.predict(data.x[0, :3]))


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"not a zip archive", "broken.npz", "broken.npz: not a readable .npz file"),
        (b"a,b\n1,2\n", "data.txt", "data.txt: expected a .npz or .csv file"),
        (b"trajectory,t,x1\n0,0.0,1.0\n0,0.1,nan\n", "nan.csv", "nan.csv: key 'x' contains NaN"),
    ],
)
def test_learn_page_refuses_a_bad_upload_with_one_line(content, filename, message):
    page = LearnPage()
    page.data_file.param.update(value=content, filename=filename)
    assert message in page.errors.text and "\n" not in page.errors.text
    assert page.data is None and page.data_clear.disabled


def test_learn_page_refuses_an_upload_above_the_size_limit(fput_file, monkeypatch):
    monkeypatch.setattr(learn_view, "MAX_UPLOAD_MB", 0.001)
    page = LearnPage()
    page.data_file.param.update(value=fput_file[1], filename="fput.npz")
    assert "exceeds the limit of 0.001 MB" in page.errors.text and page.data is None


def test_learn_page_learns_from_an_uploaded_pair_file_without_a_trajectory_chart(tmp_path):
    system = make_system("fput", modes=4)
    X, Y = system.sample(300, seed=2)
    save_pairs(tmp_path / "pairs.npz", X, Y)
    page = LearnPage()
    page.experiment.learner.param.update(sweeps=2)
    page.data_file.param.update(value=(tmp_path / "pairs.npz").read_bytes(), filename="pairs.npz")
    assert "300 pairs, d = 4" in page.data_note.object and page.trajectory.disabled
    page.run()
    finish(page)
    assert page.errors.text == "" and page.residuum.count("test") == 2
    assert page.scatter.title.text == "Equation k=1: learned vs data (60 held-out states)"
    assert page.curves is None and page.measured_source.data["x"] == []
    assert page.trajectory_note.visible and page.trajectory_note.text == learn_view.NO_TRAJECTORY
    law = SelfSimilarLaw.from_bytes(page.download.callback().getvalue(), "law.npz")
    assert law.modes == 4 and law.provenance["source"]["file"] == "pairs.npz"
    page.clear_data()
    page.experiment.param.update(modes=5, samples=200, test_samples=300)
    page.run()
    finish(page)
    assert page.law.modes == 5 and page.scatter.title.text.endswith("learned vs true (400 held-out states)")


def test_learn_page_stopped_on_data_simulates_the_law_it_keeps(fput_file):
    page = LearnPage()
    page.experiment.learner.param.update(sweeps=200, stagnation=0.0)
    page.data_file.param.update(value=fput_file[1], filename="fput.npz")
    page.run()
    poll_until(page, lambda: len(page.updates) >= 2)
    page.stop()
    kept = page.updates[-1].report["sweep"]
    assert page.bar.status.object.startswith("**Stopped**") and "Simulating trajectory 10" in page.bar.status.object
    finish(page)
    assert page.curves.sweep == kept and page.curves.index == 9
    assert page.bar.status.object.endswith("kept. Then trajectory 10 simulated.")
    assert len(page.simulated_source.data["x"]) == 201 and not page.download.disabled


def test_a_write_to_a_closed_tab_is_not_logged_as_an_error_but_other_task_errors_are(caplog):
    from tornado.websocket import WebSocketClosedError

    from explorer.views.worker import ignore_closed_websockets

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        ignore_closed_websockets()
        handler = loop.get_exception_handler()
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            handler(loop, {"message": "Task exception was never retrieved", "exception": WebSocketClosedError()})
            assert not caplog.records
            handler(loop, {"message": "Task exception was never retrieved", "exception": ValueError("real")})
            assert [r.levelno for r in caplog.records] == [logging.ERROR]
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_learn_status_says_how_long_the_sweeps_left_take_at_the_pace_so_far():
    from explorer.views.learn import time_left

    assert time_left({"sweep": 2, "elapsed": 4.0}, 10) == " (at most ~16 s more)"
    assert time_left({"sweep": 2, "elapsed": 4.0}, 500) == " (at most ~17 min more)"
    assert time_left({"sweep": 1, "elapsed": 30.0}, 500) == " (at most ~4.2 h more)"
    assert time_left({"sweep": 10, "elapsed": 4.0}, 10) == ""
