"""Dashboard engine benchmark: what a served dashboard costs the server while its worker processes compute.

Starts ``panel serve apps/`` (README's command) on a loopback port and drives it with headless Chromium:

  first paint   seconds from navigation to the first chart of ``/apps``, a fresh browser (no cached scripts),
                right after the server starts (its worker pool is still starting and warming up)
  two runs      two sessions learn FPUT d=1000 at once: CPU of the server process and of the workers while they run,
                and how long a control of a third session (the Sparsity tab's seed-example buttons, clicked 6 times)
                takes to answer, timed inside the page from its click to the answer in the page's document and on
                screen
  stop          seconds from Stop to "Stopped" in the page, and until every process is idle (<= 0.3 core)
  refusal       a session asks for N = 10^7 samples: the page's answer and the server's peak memory

Prints a table and, as the last line, one JSON object with every figure.
Usage: python benchmarks/dashboard.py   (needs the bench extras for psutil, and Debian's chromium)
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1500, "height": 1000}
IDLE_CORE = 0.3
COUNT = """name => { for (const d of Bokeh.documents) {
    const s = d.get_model_by_name(name); if (s) return s.data.x.length; } return -1; }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(port)


def set_input(tab, label: str, value) -> None:
    field = tab.locator(".bk-input-group", has_text=label).locator("input").first
    field.fill(str(value))
    field.press("Enter")


def status(tab) -> str:
    return " ".join(tab.locator(".run-status p").all_inner_texts())


def wait_for(predicate, timeout: float, step: float = 0.05) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise TimeoutError("condition not reached")
        time.sleep(step)
    return time.monotonic() - start


class Processes:
    """CPU (cores) of the server process and of its descendants (the Dask scheduler lives in the server)."""

    def __init__(self, pid: int):
        self.server = psutil.Process(pid)

    def workers(self) -> list:
        return self.server.children(recursive=True)

    def usage(self, seconds: float) -> dict:
        """Cores used by each process (pid -> cores) over the next ``seconds``."""
        procs = [self.server, *self.workers()]
        before = {p.pid: self._cpu(p) for p in procs}
        time.sleep(seconds)
        after = {p.pid: self._cpu(p) for p in procs}
        return {pid: (after[pid] - before[pid]) / seconds for pid in before if pid in after}

    def cores(self, seconds: float) -> tuple[float, float]:
        """Cores of the server process and, summed, of its worker processes."""
        used = self.usage(seconds)
        server = used.pop(self.server.pid, 0.0)
        return server, sum(used.values())

    @staticmethod
    def _cpu(process) -> float:
        try:
            times = process.cpu_times()
            return times.user + times.system
        except psutil.Error:
            return 0.0


def first_paint(browser, url: str) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    start = time.monotonic()
    tab.goto(url)
    tab.wait_for_selector("canvas", timeout=60_000)
    seconds = time.monotonic() - start
    context.close()
    return seconds


def learn_session(browser, url: str, modes: int, samples: int):
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.goto(f"{url}/apps")
    tab.wait_for_selector("canvas", timeout=60_000)
    set_input(tab, "d (modes)", modes)
    set_input(tab, "N (training samples)", samples)
    set_input(tab, "Sweeps (limit)", 500)
    return context, tab


PROBE = """([button, needle]) => new Promise((resolve) => {
    const shown = () => {
        const stack = [document.body];
        while (stack.length) {
            const node = stack.pop();
            if (node.shadowRoot) stack.push(node.shadowRoot);
            for (const child of node.childNodes) {
                if (child.nodeType === Node.TEXT_NODE && child.data.includes(needle)) return true;
                if (child.nodeType === Node.ELEMENT_NODE) stack.push(child);
            }
        }
        return false;
    };
    if (shown()) { resolve({error: "the text is there before the click"}); return; }
    let model = null;
    const start = performance.now();
    for (const doc of Bokeh.documents) {
        doc.on_change((event) => {
            if (model === null && event.value !== undefined && String(event.value).includes(needle)) {
                model = performance.now() - start;
            }
        });
    }
    const poll = () => {
        if (shown()) resolve({model: model / 1000, dom: (performance.now() - start) / 1000});
        else if (performance.now() - start > 30000) resolve({error: "no answer within 30 s"});
        else requestAnimationFrame(poll);
    };
    button.click();
    requestAnimationFrame(poll);
})"""
"""Clicks ``button`` inside the page and times, with the page's own clock, the server's answer reaching the page's
Bokeh document (``model``: the patch that carries ``needle``) and the text on screen (``dom``, checked every
animation frame through the shadow roots). No Playwright round trip is included."""


CONTROL_CLICKS = {"eq. (48)": "max rank 3)", "eq. (23)": "max rank 4)"}
"""The Sparsity tab's seed-example buttons clicked in turn, and a text each one's answer shows (d = 10)."""


def control_answers(browser, url: str, rounds: int = 3) -> list[dict]:
    """A control of a third session: the Sparsity tab's seed-example buttons clicked in turn (``rounds`` times
    each), each click timed inside the page (:data:`PROBE`)."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.goto(f"{url}/apps")
    tab.wait_for_selector("canvas", timeout=60_000)
    tab.locator(".bk-tab").filter(has_text=re.compile("^Sparsity patterns$")).click()
    tab.get_by_text("Seed examples").first.wait_for(timeout=60_000)
    answers = []
    for label, needle in list(CONTROL_CLICKS.items()) * rounds:
        button = tab.get_by_role("button", name=label, exact=True).element_handle()
        answer = tab.evaluate(PROBE, [button, needle])
        if "error" in answer:
            raise RuntimeError(f"control probe ({label}): {answer['error']}")
        answers.append(answer)
        time.sleep(0.5)
    context.close()
    return answers


def two_runs(browser, url: str, processes: Processes) -> dict:
    sessions = [learn_session(browser, url, 1000, 500) for _ in range(2)]
    for _, tab in sessions:
        tab.get_by_role("button", name="Run", exact=True).click()
    for _, tab in sessions:
        wait_for(lambda tab=tab: tab.evaluate(COUNT, "learn-residuum:train") >= 1, 600, 0.5)
    server, workers = processes.cores(10.0)
    answers = control_answers(browser, url)
    stops = []
    for _, tab in sessions:
        tab.get_by_role("button", name="Stop", exact=True).click()
        stops.append(wait_for(lambda tab=tab: "Stopped" in status(tab), 30))
    start, idle = time.monotonic(), None
    while idle is None and time.monotonic() - start < 30:
        if max(processes.usage(0.25).values()) <= IDLE_CORE:
            idle = time.monotonic() - start
    for context, _ in sessions:
        context.close()
    return {"server_cores": server, "worker_cores": workers, "control_model_s": [a["model"] for a in answers],
            "control_answer_s": [a["dom"] for a in answers],
            "stop_to_stopped_s": stops, "stop_to_idle_s": idle}


def refusal(browser, url: str, processes: Processes) -> dict:
    context, tab = learn_session(browser, url, 10, 10_000_000)
    before = processes.server.memory_info().rss
    tab.get_by_role("button", name="Run", exact=True).click()
    wait_for(lambda: "Refused" in status(tab), 30)
    message = tab.get_by_text(re.compile("needs about")).first.inner_text()
    peak = max(before, processes.server.memory_info().rss)
    context.close()
    return {"message": message.strip()[:200], "server_rss_mb": peak / 2**20}


def spread(values: list[float]) -> str:
    """Median and range of a few timings."""
    return f"median {statistics.median(values):.3f} s (from {min(values):.3f} to {max(values):.3f} s)"


def main() -> None:
    port = free_port()
    panel = Path(sys.executable).with_name("panel")
    server = subprocess.Popen([str(panel), "serve", "apps/", "--port", str(port), "--address", "127.0.0.1",
                               "--allow-websocket-origin", f"127.0.0.1:{port}"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_port(port)
        processes = Processes(server.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            result = {"first_paint_s": first_paint(browser, f"{url}/apps")}
            result["second_paint_s"] = first_paint(browser, f"{url}/apps")
            result.update(two_runs(browser, url, processes))
            result["refusal"] = refusal(browser, url, processes)
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    rows = [("first paint of /apps (fresh browser, pool starting)", f"{result['first_paint_s']:.2f} s"),
            ("second paint of /apps (fresh browser)", f"{result['second_paint_s']:.2f} s"),
            ("server CPU while two d=1000 runs go", f"{result['server_cores']:.2f} core"),
            ("worker CPU while two d=1000 runs go", f"{result['worker_cores']:.2f} core"),
            ("a control of a third session: answer in the page's document", spread(result["control_model_s"])),
            ("a control of a third session: answer on screen", spread(result["control_answer_s"])),
            ("Stop -> 'Stopped' (each session)", ", ".join(f"{s:.2f} s" for s in result["stop_to_stopped_s"])),
            ("Stop -> every process idle", "never" if result["stop_to_idle_s"] is None
             else f"{result['stop_to_idle_s']:.2f} s"),
            ("N = 10^7: server peak RSS", f"{result['refusal']['server_rss_mb']:.0f} MB"),
            ("N = 10^7: the page says", result["refusal"]["message"][:90])]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
