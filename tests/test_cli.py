"""The command line as a person uses it: `mkteach run`, `mkteach trace`, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mkteach.cli import lab_command, main


def mkteach(*args: str) -> subprocess.CompletedProcess:
    """Run `mkteach ARGS...` in a fresh process; return what it printed and its exit code."""
    return subprocess.run([sys.executable, "-m", "mkteach.cli", *args], capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_run_echoes_its_settings_and_the_same_seed_gives_the_same_output():
    first = mkteach("run", "client-server", "--seed", "3", "--machine", "pentium")
    again = mkteach("run", "client-server", "--seed", "3", "--machine", "pentium")
    other = mkteach("run", "client-server", "--seed", "4", "--machine", "pentium")
    assert first.returncode == 0 and first.stderr == ""
    header = first.stdout.splitlines()[0]
    assert header == "mkteach run client-server  --seed 3  --machine pentium  --steps 10000"
    assert "Done after" in first.stdout and "cycles" in first.stdout
    assert first.stdout == again.stdout
    assert first.stdout != other.stdout


def test_run_stops_at_the_step_budget_and_says_so(capsys):
    assert main(["run", "unix-server", "--steps", "5", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Stopped at the step budget after 5 steps" in out


@pytest.mark.parametrize(
    "args, says",
    [
        (["run", "nope"], "unknown scenario 'nope': choose one of client-server"),
        (["run", "figure1", "--seed", "x"], "--seed takes a whole number, not 'x'"),
        (["run", "figure1", "--machine", "vax"], "unknown machine 'vax'"),
        (["run", "figure1", "--steps", "-1"], "--steps must not be negative"),
        (["trace", "figure1", "-o", "/nonexistent/dir/t.json"], "cannot write /nonexistent"),
        (["trace", "figure1", "--format", "svg", "-o", "t.svg"], "invalid choice: 'svg'"),
        (["run"], "the following arguments are required: scenario"),
    ],
)
def test_errors_are_one_clear_line_and_a_non_zero_exit(args, says):
    done = mkteach(*args)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_trace_writes_the_chrome_format_with_a_track_per_thread_and_flows(tmp_path):
    out = tmp_path / "figure1.json"
    assert main(["trace", "stacked-pagers", "--format", "chrome", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    events = doc["traceEvents"]
    names = {e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    # a track per thread id, named by name, space and id (two threads may share a name)
    assert {"sigma0 (sigma0, 0.0.0)", "kernel"} <= names and len(names) >= 4
    slices = [e for e in events if e["ph"] == "X"]
    assert slices and all(e["dur"] >= 0 and "step" in e["args"] for e in slices)
    assert any(e["dur"] > 0 for e in slices)  # a free step (a setup call) is a zero-length slice
    starts = {e["id"] for e in events if e["ph"] == "s"}
    ends = {e["id"] for e in events if e["ph"] == "f"}
    assert starts and starts == ends  # every message is an arrow from sender to receiver


def test_trace_writes_json_events(tmp_path):
    out = tmp_path / "t.json"
    assert main(["trace", "device-driver", "--format", "json", "-o", str(out)]) == 0
    events = json.loads(out.read_text())
    assert {"step", "kind", "time", "cycles", "deltas", "costs"} <= set(events[0])
    assert any(e["kind"] == "interrupt" for e in events)


def test_lab_listens_on_localhost_only_and_opens_the_start_notebook():
    command = lab_command([])
    assert "--ip=127.0.0.1" in command and command[-1] == "notebooks/00-start.ipynb"
    assert not any("token=" in part and part.endswith("=") for part in command)  # token kept
