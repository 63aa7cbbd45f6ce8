"""Browser tests: serve the apps on a loopback port and drive them with Playwright in headless Chromium.

Most tests use an in-process server (``pn.serve``, threaded) whose error log is captured; one test starts
``panel serve apps/`` itself as a subprocess and loads ``/apps``. Either server runs the computations on its own
pool of Dask worker processes (:func:`explorer.views.worker.server_engine`). Screenshots go to ``tests/artifacts/``
(git-ignored); README's screenshot ``docs/dashboard.png`` is refreshed only on request::

    EXPLORER_DOCS_SCREENSHOT=docs/dashboard.png .venv/bin/python -m pytest tests/test_browser.py -k panel_serve
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import panel as pn
import pytest

from explorer.data import measure_trajectories, save_trajectories
from explorer.learning.law import SelfSimilarLaw
from explorer.systems import make_system
from explorer.views import dashboard, page_view
from explorer.views.dashboard import PAGES
from explorer.views.worker import server_engine

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
ARTIFACTS.mkdir(exist_ok=True)
DOCS_SCREENSHOT = os.environ.get("EXPLORER_DOCS_SCREENSHOT")
"""Where to write the README's dashboard screenshot (nowhere unless set)."""
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1500, "height": 1000}
PAINT_TIMEOUT_MS = 60_000
"""Liveness bound on a page's first chart. How fast it paints is a benchmark figure (3 s target,
``benchmarks/dashboard.py``), recorded here in ``tests/artifacts/first-paint-*.txt`` but not asserted."""

DASHBOARD_TABS = (("Sparsity patterns", "Seed examples"), ("Gauge fixing", "Run both"),
                  ("Epsilon-net", "Resolutions (net sizes or deltas)"))
"""Tabs after Learn, each with a text that shows once its page is built."""

IDLE = "() => window.Bokeh !== undefined && Bokeh.documents.length > 0 && Bokeh.documents.every(d => d.is_idle)"

COUNT_POINTS = """name => {
    for (const doc of window.Bokeh.documents) {
        const source = doc.get_model_by_name(name);
        if (source) { return source.data.x.length; }
    }
    return -1;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


class ErrorLog(logging.Handler):
    """Collects every log record of level ERROR or above (tracebacks of callbacks end up here)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@pytest.fixture(scope="module")
def server():
    port = free_port()
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    apps = {name: (lambda name=name: page_view(name)) for name in PAGES}
    apps["apps"] = dashboard
    handle = pn.serve(apps, port=port, address="127.0.0.1", websocket_origin=[f"127.0.0.1:{port}"], show=False,
                      threaded=True, start=True)
    wait_for_port(port)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", errors=errors.records)
    handle.stop()
    logging.getLogger().removeHandler(errors)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    yield tab
    assert_no_traceback(tab)
    context.close()
    assert not server.errors, "\n".join(server.errors)


def assert_no_traceback(tab) -> None:
    if not tab.is_closed():
        assert tab.get_by_text("Traceback").count() == 0


def open_app(tab, url: str) -> float:
    """Navigate and wait for the first chart; returns the seconds it took."""
    start = time.monotonic()
    tab.goto(url, timeout=PAINT_TIMEOUT_MS)
    tab.wait_for_selector("canvas", timeout=PAINT_TIMEOUT_MS)
    return time.monotonic() - start


def set_input(tab, label: str, value) -> None:
    """Type into the input whose label contains ``label`` and commit it."""
    field = tab.locator(".bk-input-group", has_text=label).locator("input").first
    field.fill(str(value))
    field.press("Enter")


def click(tab, name: str) -> None:
    tab.get_by_role("button", name=name, exact=True).click()


def tab_header(tab, title: str):
    """The header of the dashboard tab called ``title`` (Bokeh's tab headers carry no ARIA role)."""
    return tab.locator(".bk-tab").filter(has_text=re.compile(f"^{re.escape(title)}$"))


def status(tab) -> str:
    return " ".join(tab.locator(".run-status p").all_inner_texts())


def wait_status(tab, pattern: str, timeout: float = 120.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        text = status(tab)
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"status never matched {pattern!r}; last: {status(tab)!r}")


def points(tab, source: str) -> int:
    return tab.evaluate(COUNT_POINTS, source)


def wait_points(tab, source: str, count: int, timeout: float = 120.0) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = points(tab, source)
        if n >= count:
            return n
        time.sleep(0.1)
    raise AssertionError(f"{source} has {points(tab, source)} points, expected {count}")


def settle(tab) -> None:
    """Wait until Bokeh has rendered every view, then a little for the last patches to paint."""
    tab.wait_for_function(IDLE, timeout=60_000)
    tab.wait_for_timeout(500)


def screenshot(tab, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def run_settings(tab, *labels: str) -> str:
    """The status line and the inputs called ``labels`` as the browser shows them (for assertion messages)."""
    values = [f"{label}={tab.locator('.bk-input-group', has_text=label).locator('input').first.input_value()!r}"
              for label in labels]
    return f"status {status(tab)!r}; " + ", ".join(values)


LEARN_SETTINGS = ("d (modes)", "N (training samples)", "Sweeps (limit)", "Test samples", "Stagnation tolerance")


def small_learn_problem(tab, sweeps: int, modes: int = 5, samples: int = 200) -> None:
    set_input(tab, "d (modes)", modes)
    set_input(tab, "N (training samples)", samples)
    set_input(tab, "Sweeps (limit)", sweeps)
    tab.get_by_text("More settings").click()
    set_input(tab, "Test samples", 500)
    set_input(tab, "Stagnation tolerance", 0)


@pytest.mark.parametrize("app", ["apps", *PAGES])
def test_every_page_loads_without_errors(page, server, app):
    seconds = [open_app(page, f"{server.url}/{app}") for _ in range(2)]
    (ARTIFACTS / f"first-paint-{app}.txt").write_text(" ".join(f"{s:.2f} s" for s in seconds) + "\n")
    settle(page)
    screenshot(page, f"page-{app}")


def test_learn_run_grows_the_residuum_and_stop_stops_it(page, server):
    open_app(page, f"{server.url}/learn")
    small_learn_problem(page, sweeps=300)
    click(page, "Run")
    wait_points(page, "learn-residuum:train", 2)
    wait_points(page, "learn-scatter", 400)
    wait_points(page, "learn-blocks", 1)
    activation = page.locator(".bk-input-group", has_text="Activation type").locator("select")
    assert activation.is_enabled() and activation.locator("option").count() >= 2
    click(page, "Stop")
    start = time.monotonic()
    text = wait_status(page, r"Stopped", timeout=10)
    assert time.monotonic() - start < 5, "Stop is answered at once (1.5 s goal: benchmarks/dashboard.py)"
    kept = int(re.search(r"after (\d+) sweep", text).group(1))
    page.wait_for_timeout(2500)
    assert points(page, "learn-residuum:train") == kept
    assert "Stopped" in status(page)
    screenshot(page, "learn-stopped")


def test_learn_bad_input_shows_a_message(page, server):
    open_app(page, f"{server.url}/learn")
    set_input(page, "L (interaction length)", 12)
    click(page, "Run")
    page.get_by_text("interaction_length must be < modes").wait_for(timeout=60_000)
    screenshot(page, "learn-bad-input")


def test_sparsity_seed_example_changes_the_pattern(page, server):
    open_app(page, f"{server.url}/sparsity")
    click(page, "eq. (48)")
    page.get_by_text("p = 3").first.wait_for(timeout=10_000)
    screenshot(page, "sparsity-eq48")


def test_gauge_page_runs_both_methods_live(page, server):
    open_app(page, f"{server.url}/gauge")
    set_input(page, "N (training samples)", 200)
    set_input(page, "Sweeps (limit)", 500)
    click(page, "Run both")
    wait_points(page, "gauge-residuum:gmws train", 2)
    wait_points(page, "gauge-residuum:shared train", 2)
    settle(page)
    screenshot(page, "gauge-running")
    click(page, "Stop")
    wait_status(page, "Stopped", timeout=5)


def test_epsnet_gives_a_point_per_resolution(page, server):
    open_app(page, f"{server.url}/epsnet")
    set_input(page, "n (sites)", 6)
    set_input(page, "Resolutions", "10, 20, 40")
    click(page, "Run")
    wait_status(page, "Finished", timeout=240)
    assert points(page, "epsnet-energy:Ẽ (DP)") == 3, run_settings(page, "n (sites)", "Resolutions")
    assert points(page, "epsnet-energy:E (true)") == 3
    assert points(page, "epsnet-energy:exact E0") == 2
    settle(page)
    screenshot(page, "epsnet-finished")


def test_epsnet_bad_resolutions_show_a_message(page, server):
    open_app(page, f"{server.url}/epsnet")
    set_input(page, "Resolutions", "ten")
    click(page, "Run")
    page.get_by_text("resolutions must be comma-separated").wait_for(timeout=10_000)


def test_three_sessions_run_at_once_without_interfering(browser, server):
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(3)]
    tabs = [context.new_page() for context in contexts]
    for sweeps, tab in enumerate(tabs, start=2):
        open_app(tab, f"{server.url}/learn")
        small_learn_problem(tab, sweeps=sweeps, modes=4, samples=150)
    for tab in tabs:
        click(tab, "Run")
    for sweeps, tab in enumerate(tabs, start=2):
        wait_status(tab, "Finished", timeout=180)
        assert points(tab, "learn-residuum:train") == sweeps, run_settings(tab, *LEARN_SETTINGS)
        assert_no_traceback(tab)
    for context in contexts:
        context.close()
    assert not server.errors


def test_closing_the_tab_stops_the_work(browser, server):
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    open_app(tab, f"{server.url}/learn")
    small_learn_problem(tab, sweeps=1000)
    click(tab, "Run")
    wait_points(tab, "learn-residuum:train", 1)
    engine = server_engine()
    assert engine.active >= 1
    context.close()
    end = time.monotonic() + 15
    while engine.active:
        assert time.monotonic() < end, "the worker kept running after the tab was closed"
        time.sleep(0.2)


@contextlib.contextmanager
def served_apps(tmp_path, log_name: str, *app_args: str, env: dict | None = None):
    """``panel serve apps/`` (README's command) on a free loopback port; yields its URL. On exit the server is
    stopped, its log is kept in ``tests/artifacts/log_name`` and must hold no traceback."""
    port = free_port()
    log = tmp_path / "serve.log"
    panel = Path(sys.executable).with_name("panel")
    command = [str(panel), "serve", "apps/", "--port", str(port), "--address", "127.0.0.1",
               "--allow-websocket-origin", f"127.0.0.1:{port}", *(["--args", *app_args] if app_args else [])]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text()
    (ARTIFACTS / log_name).write_text(text)
    assert "Traceback" not in text, text[-4000:]


def test_panel_serve_directory_app(browser, tmp_path):
    with served_apps(tmp_path, "panel-serve.log") as url:
        context = browser.new_context(viewport=VIEWPORT)
        tab = context.new_page()
        open_app(tab, f"{url}/apps")
        for title in ("Learn", *(title for title, _ in DASHBOARD_TABS)):
            assert tab_header(tab, title).count() == 1
        set_input(tab, "Sweeps (limit)", 500)
        click(tab, "Run")
        wait_points(tab, "learn-residuum:train", 4, timeout=300)
        settle(tab)
        screenshot(tab, "dashboard")
        if DOCS_SCREENSHOT:
            tab.screenshot(path=str(ROOT / DOCS_SCREENSHOT), full_page=True)
        click(tab, "Stop")
        wait_status(tab, "Stopped", timeout=5)
        for title, marker in DASHBOARD_TABS:
            tab_header(tab, title).click()
            tab.get_by_text(marker).first.wait_for(timeout=60_000)
            if title == "Sparsity patterns":
                tab.get_by_text("Overlay: fput, d=10, gmws").wait_for(timeout=30_000)
            settle(tab)
            screenshot(tab, f"dashboard-{title.split()[0].lower()}")
        assert_no_traceback(tab)
        context.close()


def field_error(tab, label: str):
    """The message under the checked field whose label contains ``label``."""
    return tab.locator(".bk-panel-models-layout-Column", has=tab.locator(".bk-input-group", has_text=label)) \
        .locator(".field-error").last


BAD_VALUES = {
    "learn": [("d (modes)", 0, "from 2 to 5,000"), ("d (modes)", -5, "from 2 to 5,000"),
              ("N (training samples)", 10**8, "from 1 to 10,000,000"), ("Sweeps (limit)", 0, "from 1 to 1,000"),
              ("d (modes)", "ten", "from 2 to 5,000")],
    "epsnet": [("n (sites)", 1, "from 2 to 200"), ("n (sites)", 10000, "from 2 to 200"),
               ("D (bond dimension)", 0, "from 1 to 32"), ("η (stitching tolerance)", -1, "from 0.0001 to 2")],
}
"""Values the pages used to replace silently, with the allowed range their message names."""

GOOD_VALUES = {"d (modes)": 4, "N (training samples)": 150, "Sweeps (limit)": 2, "n (sites)": 6,
               "D (bond dimension)": 2, "η (stitching tolerance)": 0.05}


@pytest.mark.parametrize("app", list(BAD_VALUES))
def test_out_of_range_values_stay_with_a_message_and_block_run(page, server, app):
    open_app(page, f"{server.url}/{app}")
    run = page.get_by_role("button", name="Run", exact=True)
    for label, value, allowed in BAD_VALUES[app]:
        set_input(page, label, value)
        field = page.locator(".bk-input-group", has_text=label).locator("input").first
        field.blur()
        message = page.get_by_text(f"{label}: '{value}' is not allowed").first
        message.wait_for(timeout=10_000)
        assert allowed in message.inner_text()
        assert field.input_value() == str(value), "the typed value must stay visible"
        assert run.is_disabled(), f"Run enabled with {label}={value}"
        page.get_by_text(f"Fix {label} to run").wait_for(timeout=10_000)
        if label == BAD_VALUES[app][0][0]:
            screenshot(page, f"{app}-bad-value")
        set_input(page, label, GOOD_VALUES[label])
        message.wait_for(state="hidden", timeout=10_000)
        playwright_api.expect(run).to_be_enabled(timeout=10_000)
    if app == "learn":
        page.get_by_text("More settings").click()
        set_input(page, "Test samples", 300)
    else:
        set_input(page, "Resolutions", "10, 20")
    click(page, "Run")
    wait_status(page, "Finished", timeout=240)
    settings = run_settings(page, *(label for label, _, _ in BAD_VALUES[app]))
    if app == "learn":
        assert points(page, "learn-residuum:train") == GOOD_VALUES["Sweeps (limit)"], settings
        assert re.search(r"d=4, \w+, N=150\b", status(page)), settings
    else:
        assert points(page, "epsnet-energy:Ẽ (DP)") == 2, settings
        assert "n=6, D=2" in status(page), settings


def test_system_box_refuses_code_the_operator_did_not_register(page, server):
    open_app(page, f"{server.url}/learn")
    box = page.locator(".bk-input-group", has_text="System").locator("input").first
    box.fill("os:system")
    box.press("Enter")
    box.blur()
    page.get_by_text("System: 'os:system' is not offered").wait_for(timeout=10_000)
    assert page.get_by_text("--args --law MODULE:CALLABLE").count() >= 1
    assert page.get_by_role("button", name="Run", exact=True).is_disabled()
    screenshot(page, "learn-system-refused")
    box.fill("dipoles")
    box.press("Enter")
    box.blur()
    page.get_by_text("System: 'os:system' is not offered").wait_for(state="hidden", timeout=10_000)
    playwright_api.expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled(timeout=10_000)


USER_LAW = '''import numpy as np


def law(X):
    """A damped chain: xdot_k = -x_k + 0.5 x_{k-1}."""
    return -X + 0.5 * np.roll(X, 1, axis=-1)
'''


def outside_requests(tab) -> list[str]:
    """Collects the URLs the page requests from any host but the loopback server."""
    seen: list[str] = []

    def record(request) -> None:
        host = re.sub(r"^[a-z]+://([^/:]+).*$", r"\1", request.url)
        if request.url.startswith(("http", "ws")) and host != "127.0.0.1":
            seen.append(request.url)

    tab.on("request", record)
    return seen


def test_panel_serve_with_a_registered_law_uploads_and_no_outside_requests(browser, tmp_path):
    (tmp_path / "userlaw.py").write_text(USER_LAW)
    term = tmp_path / "heisenberg_term.npy"
    pauli = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    np.save(term, sum(np.kron(s, s) for s in pauli).real.astype(np.float64))
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with served_apps(tmp_path, "panel-serve-law.log", "--law", "userlaw:law", env=env) as url:
        context = browser.new_context(viewport=VIEWPORT)
        tab = context.new_page()
        outside = outside_requests(tab)
        open_app(tab, f"{url}/apps")
        box = tab.locator(".bk-input-group", has_text="System").locator("input").first
        box.fill("userlaw:law")
        box.press("Enter")
        box.blur()
        small_learn_problem(tab, sweeps=2, modes=3, samples=100)
        click(tab, "Run")
        wait_status(tab, "Finished", timeout=180)
        assert "userlaw:law, d=3" in status(tab)
        assert points(tab, "learn-residuum:train") == 2
        tab_header(tab, "Gauge fixing").click()
        tab.get_by_text("Run both").wait_for(timeout=60_000)
        set_input(tab, "N (training samples)", 150)
        set_input(tab, "Sweeps (limit)", 2)
        click(tab, "Run both")
        wait_status(tab, "Finished", timeout=180)
        settle(tab)
        screenshot(tab, "serve-gauge-finished")
        tab_header(tab, "Sparsity patterns").click()
        tab.get_by_text("Seed examples").wait_for(timeout=60_000)
        settle(tab)
        screenshot(tab, "serve-sparsity")
        tab_header(tab, "Epsilon-net").click()
        tab.get_by_text("Resolutions (net sizes or deltas)").wait_for(timeout=60_000)
        tab.locator("input[type=file]").set_input_files(str(term))
        tab.get_by_text("Using heisenberg_term.npy").wait_for(timeout=30_000)
        set_input(tab, "n (sites)", 4)
        set_input(tab, "Resolutions", "10")
        click(tab, "Run")
        wait_status(tab, "Finished", timeout=180)
        assert points(tab, "epsnet-energy:Ẽ (DP)") == 1
        settle(tab)
        screenshot(tab, "serve-law-upload")
        assert_no_traceback(tab)
        context.close()
        assert not outside, f"requests to other hosts: {outside}"


def test_learn_from_an_uploaded_file_draws_a_trajectory_and_downloads_the_law(page, server, tmp_path):
    data = measure_trajectories(make_system("fput", modes=5), 10, 0.05, 10.0, seed=1)
    path = tmp_path / "fput.npz"
    save_trajectories(path, data.t, data.x)
    open_app(page, f"{server.url}/learn")
    set_input(page, "Sweeps (limit)", 2)
    page.get_by_text("Your data", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("10 trajectories × 201 times, d = 5").wait_for(timeout=30_000)
    click(page, "Run")
    wait_status(page, r"Finished")
    assert wait_points(page, "learn-trajectory:simulated", 201) == 201
    assert points(page, "learn-trajectory:measured") == 201
    with page.expect_download(timeout=30_000) as download:
        click(page, "Download the law")
    law = SelfSimilarLaw.from_bytes(Path(download.value.path()).read_bytes(), "law.npz")
    assert (law.modes, law.order) == (5, 2)
    settle(page)
    screenshot(page, "learn-from-data")
