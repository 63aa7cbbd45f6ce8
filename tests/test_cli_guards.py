"""The command line refuses bad input before any work and ends cleanly on Ctrl-C (issue 19)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from explorer.cli import INTERRUPTED, main
from explorer.reproduce.runner import lock_folder
from explorer.reproduce.table import ResultTable
from explorer.resources import groundstate_bytes

LAW_MODULE = "def raises(x):\n    raise RuntimeError('boom inside the law')\n"

BAD_INPUTS = [
    (["learn", "--samples", "0"], "samples"),
    (["learn", "--domain", "0", "inf"], "--domain"),
    (["learn", "--domain", "nan", "1"], "--domain"),
    (["learn", "--system", "guardlaw:raises", "--domain", "1", "0"], "--domain"),
    (["learn", "--noise", "1e300"], "--noise"),
    (["learn", "--ridge", "inf"], "--ridge"),
    (["learn", "--threshold", "-1"], "--threshold"),
    (["learn", "--order", "2"], "--order"),
    (["learn", "--domain", "-1", "1"], "--domain"),
    (["learn", "--save", "{tmp}/missing/law.npz"], "--save"),
    (["learn", "--save", "{tmp}"], "--save"),
    (["learn", "--modes", "1000", "--samples", "2000000"], "--samples"),
    (["learn", "--system", "guardlaw:raises", "--modes", "3"], "your law guardlaw:raises raised RuntimeError"),
    (["learn", "--data", "{tmp}/empty.npy"], "--data"),
    (["learn", "--data", "{tmp}/text.npy", "--order", "2", "--save", "{tmp}/missing/law.npz"], "--save"),
    (["equations", "{tmp}/empty.npy"], "law"),
    (["equations", "{tmp}/text.npy", "--threshold", "nan"], "--threshold"),
    (["simulate", "{tmp}/text.npy", "--data", "{tmp}/text.npy", "--rtol", "-1"], "--rtol"),
    (["simulate", "{tmp}/text.npy", "--data", "{tmp}/text.npy", "--out", "{tmp}"], "--out"),
    (["groundstate", "--bond-dim", "8"], "--bond-dim 8"),
    (["groundstate", "--method", "dmrg", "--bond-dim", "32", "--model", "{tmp}/big_term.npy"], "--bond-dim 32"),
    (["groundstate", "--bond-dim", "32"], "--bond-dim 32"),
    (["groundstate", "--net-size", "200000"], "--net-size 200000"),
    (["groundstate", "--field", "nan"], "--field"),
    (["groundstate", "--model", "{tmp}/empty.npy"], "--model"),
    (["groundstate", "--model", "{tmp}/text.npy"], "--model"),
    (["reproduce", "fput", "--quick", "--out", "{tmp}/file.txt"], "--out"),
    (["reproduce", "fput", "--quick", "--out", "{tmp}/missing/deeper"], "--out"),
]


@pytest.mark.parametrize(("argv", "named"), BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_refused_with_one_line(argv, named, tmp_path, monkeypatch, capsys):
    """Exit code 2, one line on stderr naming the parameter, nothing on stdout, nothing written."""
    (tmp_path / "guardlaw.py").write_text(LAW_MODULE)
    (tmp_path / "empty.npy").write_bytes(b"")
    (tmp_path / "text.npy").write_text("not an array\n")
    (tmp_path / "file.txt").write_text("x")
    np.save(tmp_path / "big_term.npy", np.eye(64))
    monkeypatch.syspath_prepend(str(tmp_path))
    before = sorted(tmp_path.rglob("*"))
    assert main([part.format(tmp=tmp_path) for part in argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and named in err, err
    assert sorted(tmp_path.rglob("*")) == before


def test_version_and_module_entry():
    run = subprocess.run([sys.executable, "-m", "explorer", "--version"], capture_output=True, text=True, check=True)
    assert run.stdout.strip().startswith("explorer 0.")


def test_every_option_has_help_with_default():
    from explorer.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest not in ("help", "version"):
                assert action.help and "default" in action.help, (name, action.option_strings)


def test_groundstate_estimate_covers_measured_peaks():
    """The estimate lies above the measured peaks of the module docstring (bytes)."""
    measured = {(2, 1600): 305e6, (3, 200): 227e6, (4, 200): 1.14e9}
    for (bond_dim, net), peak in measured.items():
        assert groundstate_bytes("dp", bond_dim, 2, 6, net, 17) > peak + 149e6


def test_short_csv_row_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("key,a,b\nk1,1,2\nk2,3\n")
    with pytest.raises(ValueError, match="line 3 has 2 cells"):
        ResultTable(path, ["key", "a", "b"]).read()


def test_second_run_on_one_folder_is_refused(tmp_path):
    with lock_folder(tmp_path), pytest.raises(ValueError, match="in use by another reproduce run"):
        code = "from explorer.reproduce.runner import lock_folder\nwith lock_folder({!r}): pass\n"
        run = subprocess.run([sys.executable, "-c", code.format(str(tmp_path))], capture_output=True, text=True)
        raise ValueError(run.stderr)
    with lock_folder(tmp_path):
        pass


def _interrupt_once(delay: float, after_first_sweep: bool, save: Path) -> tuple[int, str, float]:
    """SIGINT to a real ``explorer learn`` ``delay`` seconds after its start (or after its first sweep line)."""
    command = [sys.executable, "-X", "faulthandler", "-m", "explorer", "learn", "--modes", "8", "--samples", "400",
               "--test-samples", "100", "--sweeps", "1000", "--stagnation", "0", "--threads", "2", "--save", str(save)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if after_first_sweep:
        proc.stdout.readline()
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    sent = time.perf_counter()
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        _, err = proc.communicate()
        stacks = err[-4000:]
        raise AssertionError(f"explorer learn hung after Ctrl-C at {delay:.2f} s; its threads:\n{stacks}") from None
    return proc.returncode, err, time.perf_counter() - sent


@pytest.mark.timeout(300)
def test_ctrl_c_ends_learn_every_time(tmp_path):
    """Twenty SIGINTs at varied moments: ten while the command loads or samples, ten during the sweeps. Each ends
    with exit 130 and one line, no traceback, within seconds; the law of the last finished sweep is saved."""
    rng = np.random.default_rng(19)
    saved = []
    for trial in range(20):
        during_sweeps = trial % 2 == 1
        save = tmp_path / f"law{trial}.npz"
        delay = rng.uniform(0.0, 0.4) if during_sweeps else rng.uniform(0.1, 1.5)
        code, err, seconds = _interrupt_once(delay, during_sweeps, save)
        assert "Traceback" not in err and "SystemError" not in err, err
        assert code == INTERRUPTED, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and re.match(r"explorer( learn)?: interrupted", lines[0]), err
        assert seconds < 5, seconds
        assert save.exists() == ("saved to" in lines[0])
        if during_sweeps:
            saved.append(save.exists())
    assert all(saved)


@pytest.mark.timeout(60)
def test_interrupt_between_submit_and_lanes_does_not_hang(monkeypatch):
    """A KeyboardInterrupt raised right after the helper lanes are submitted aborts them (the old hang)."""
    from explorer.learning import als

    class InterruptingPool:
        def __init__(self, pool):
            self.pool = pool

        def submit(self, *args):
            future = self.pool.submit(*args)
            raise_after.append(future)
            raise KeyboardInterrupt

    raise_after = []
    original = als._RightSweep.__init__

    def patched(self, chain, gauge, ridge, far, pool=None, threads=1):
        original(self, chain, gauge, ridge, far, InterruptingPool(pool) if pool else None, threads)

    monkeypatch.setattr(als._RightSweep, "__init__", patched)
    from explorer.learning.experiment import LearningExperiment

    experiment = LearningExperiment.from_settings(modes=6, samples=300, test_samples=0, threads=3, sweeps=1)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        list(experiment.iterate())
    assert time.perf_counter() - start < 30
    assert raise_after and all(f.done() for f in raise_after)
    assert os.getpid()


@pytest.mark.timeout(180)
def test_ctrl_c_ends_reproduce_and_keeps_its_table(tmp_path):
    """SIGINT once the first point is in: exit 130 within seconds, one note naming the table, no traceback, the
    finished rows kept, the lock released (a rerun on the folder is allowed)."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "explorer", "reproduce", "fput", "--quick", "--workers", "1", "--out", str(out),
               "--no-figure"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if " 1/6 points" in line:
            break
    proc.send_signal(signal.SIGINT)
    sent = time.perf_counter()
    _, err = proc.communicate(timeout=30)
    assert time.perf_counter() - sent < 10
    assert proc.returncode == INTERRUPTED, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("explorer reproduce: interrupted; finished points are kept in")
    rows = (out / "fput-quick.csv").read_text().splitlines()
    assert len(rows) >= 2  # the header and at least the first point
    with lock_folder(out):
        pass


def test_an_interrupt_swallowed_where_it_lands_still_ends_learn(tmp_path, capsys, monkeypatch):
    """Python drops an exception raised in a finaliser or a callback; the handler's stop flag ends the sweeps."""
    from explorer.commands import checks
    from explorer.learning import sweeps

    original, calls = sweeps._sweep, []

    def third_sweep_swallows_an_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            checks.INTERRUPT.raised = True
            checks.INTERRUPT.stop.set()
        return original(*args, **kwargs)

    monkeypatch.setattr(sweeps, "_sweep", third_sweep_swallows_an_interrupt)
    save = tmp_path / "law.npz"
    code = main(["learn", "--modes", "6", "--samples", "200", "--test-samples", "50", "--sweeps", "50",
                 "--stagnation", "0", "--save", str(save)])
    assert code == INTERRUPTED and len(calls) == 3
    assert "interrupted; law of sweep 2 saved" in capsys.readouterr().err
    assert save.exists()
