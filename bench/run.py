"""Benchmarks: `make bench` runs them all and writes bench/results.json (not part of `make test`).

    python bench/run.py                    # everything, in one run (what `make bench` does)
    python bench/run.py --only ipc,mapdb   # some sections; the others stay as they were in the file

Measured here, side by side:
- ipc: call/reply round trips per second between two threads in different spaces, on the kernel
  alone (`System(hardware=False)`) and on the full model (TLB, caches, cycle costs), both with the
  trace, against a SimPy ping-pong of the same shape (two processes, two stores) in the same run.
  Targets: kernel alone >= 0.3x SimPy's message rate, full model >= 0.15x.
- scale: a 100k-step ping-pong: memory per step (target <= 1 KB), and the slowest of 20 jumps of
  state_at / hardware_at to random steps, the first included, and of 5 jumps from the last step
  to one of the first 1,024 (before the first checkpoint) (target <= 20 ms).
- mapdb: building a derivation tree of 10k / 50k / 100k mappings, flushing a subtree of half of
  them, and flushing a fixed subtree of 1,000 while the total grows; through the Kernel directly
  (map and flush only: no executor, no trace, no hardware) and through System (every map and flush
  is a step: trace event, i486 hardware model), with the garbage collector paused and running.
- views: one step update of the whole dashboard on a run with 50 threads and 500 mappings
  (target: under 50 ms), and jumping the dashboard back 1,000 steps, in Python; and stepping in
  the browser (JupyterLab in headless Chromium, as tests/test_browser.py measures it): one step,
  click to painted frame, at 1,000 and 100,000 steps (targets 50 ms and 100 ms), and the bytes
  the dashboard sent (target at 100,000 steps: 2 MB).
- course: wall time of the whole notebook suite under nbval (target: under 3 minutes on 2 cores),
  whatever notebooks/ holds when it runs.
- chapters: each chapter top to bottom in a fresh CPython kernel (target: 10 s each on a quiet
  machine), with the kernel's CPU seconds; `import mkteach.views` in a fresh Python (target:
  0.5 s; plotly, networkx and nbformat wait for the first figure) and the first and a second
  `paper.claims()` (its workloads are remembered).
- lite: the JupyterLite site (`make lite`, built first if missing): its size (target: at most
  80 MB) and, in headless Chromium with no network and a fresh browser context each time, the
  time from opening 00-start until its first cell has run and shown its result (targets on a
  quiet machine: at most 8 s cold, 3 s on a second visit in the same browser context), with the
  kernel's start and the time to run every cell.
- grading: the red team's batch (tests/test_grading_redteam.py: an honest student, a blank one and
  every cheating attempt, two sandboxes at a time): its wall time (target: under 120 s).

- grading: one `grade` batch of 100 submissions with `jobs=2` in a course folder of its own:
  honest, blank and wrong students of ex02 and ex03, 5 pagers that hang without yielding and 5
  that flood their output and then sleep without reading; its wall time, and whether every
  grade is the one its kind must get (honest: every automatic point, blank, hangers and
  floods: 0, wrong: what the same submission earns in a batch of the wrong ones alone).

Timings are wall-clock medians over repeats (the machine may be shared: each section records the
load average before and after it); no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from mkteach import System
from mkteach.hw.null import NullMachine
from mkteach.hw.profiles import profile
from mkteach.kernel.kernel import Kernel
from mkteach.sim.executor import collector_paused

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results.json")


# -- helpers ----------------------------------------------------------------------------------


def load() -> list[float]:
    """Return the 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def timed_once(action: Callable[[], object], collector: bool = True) -> float:
    """Return the wall time of one call of `action` in seconds, with Python's cyclic garbage
    collector running (after a collection, so earlier garbage is not timed) or paused
    (collector=False, as `timeit` and `System.run` do; no collection first: it would also
    evict the CPU caches, more so the bigger the heap)."""
    if collector:
        gc.collect()
    with nullcontext() if collector else collector_paused():
        start = time.perf_counter()
        action()
        seconds = time.perf_counter() - start
    return seconds


def timed(action: Callable[[], object], repeat: int = 20) -> dict[str, float]:
    """Return median and max wall time of `action` in milliseconds over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}


def median(values: list[float], digits: int = 3) -> float:
    """Return the median of `values`, rounded."""
    return round(statistics.median(values), digits)


# -- 1. IPC throughput -------------------------------------------------------------------------


def ipc_server(t):  # type: ignore[no-untyped-def]
    """Answer every call with its word plus one."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def ipc_client(t, server, rounds):  # type: ignore[no-untyped-def]
    """Call the server `rounds` times."""
    for i in range(rounds):
        yield t.call(server, words=(i,))


def mkteach_ping_pong(rounds: int, hardware: bool) -> float:
    """Return the seconds `rounds` call/reply round trips take between two spaces."""
    s = System(machine="i486", frames=64, hardware=hardware)
    server = s.create_thread(s.create_space("A"), ipc_server, name="server")
    s.create_thread(s.create_space("B"), ipc_client, server, rounds, name="client")
    seconds = timed_once(lambda: s.run(max_steps=2 * rounds + 10))
    replies = sum(1 for e in s.trace if e.kind == "ipc" and e.get("receiver") != server)
    assert replies == rounds, f"the ping-pong did {replies} round trips, not {rounds}"
    return seconds


def simpy_ping_pong(rounds: int) -> float:
    """Return the seconds `rounds` request/reply round trips take in SimPy.

    The same shape: two processes exchanging messages through two stores (requests, replies).
    """
    import simpy

    env = simpy.Environment()
    requests, replies = simpy.Store(env), simpy.Store(env)

    def server(env):  # type: ignore[no-untyped-def]
        while True:
            words = yield requests.get()
            yield replies.put((words[0] + 1,))

    def client(env):  # type: ignore[no-untyped-def]
        for i in range(rounds):
            yield requests.put((i,))
            yield replies.get()

    env.process(server(env))
    done = env.process(client(env))
    return timed_once(lambda: env.run(until=done))


def bench_ipc(rounds: int = 5_000, repeat: int = 7) -> dict:
    """Return round trips per second of the kernel alone, the full model and SimPy, and ratios.

    The three are interleaved in every repeat, so a change in the machine's load hits all of
    them; ratios are medians of the per-repeat ratios.
    """
    runs: dict[str, list[float]] = {"simpy": [], "kernel_only": [], "full_model": []}
    for _ in range(repeat):
        runs["simpy"].append(rounds / simpy_ping_pong(rounds))
        runs["kernel_only"].append(rounds / mkteach_ping_pong(rounds, hardware=False))
        runs["full_model"].append(rounds / mkteach_ping_pong(rounds, hardware=True))
    out: dict = {"round_trips": rounds, "repeat": repeat, "messages_per_round_trip": 2}
    for name, rates in runs.items():
        out[name] = {
            "round_trips_per_s": round(statistics.median(rates)),
            "messages_per_s": round(2 * statistics.median(rates)),
            "min_round_trips_per_s": round(min(rates)),
            "max_round_trips_per_s": round(max(rates)),
        }
    out["long_run"] = long_run(4 * rounds)
    for name, target in (("kernel_only", 0.3), ("full_model", 0.1)):  # issue 24's targets
        ratios = [m / p for m, p in zip(runs[name], runs["simpy"], strict=True)]
        out[name]["ratio_to_simpy"] = median(ratios)
        out[name]["target_ratio"] = target
        out[name]["target_met"] = median(ratios) >= target
    return out


def long_run(rounds: int, repeat: int = 3) -> dict:
    """Return round trips per second of a run `rounds` long: the rate should not fall as the
    trace grows (it did, by up to 40%, while the garbage collector re-scanned the trace)."""
    return {
        "round_trips": rounds,
        **{
            name: round(median([rounds / mkteach_ping_pong(rounds, hw) for _ in range(repeat)]))
            for name, hw in (("kernel_only", False), ("full_model", True))
        },
    }


def bench_scale(steps: int = 100_000, jumps: int = 20) -> dict:
    """Return memory per step of a `steps`-step ping-pong and the slowest random state_at and
    hardware_at jumps in it (the first call included), on the full model and the kernel alone."""
    import random
    import tracemalloc

    out: dict = {"steps": steps, "targets": {"bytes_per_step": 1024, "jump_ms": 20}}
    for name, hardware in (("full_model", True), ("kernel_only", False)):
        s = System(machine="i486", frames=64, hardware=hardware)
        server = s.create_thread(s.create_space("A"), ipc_server, name="server")
        s.create_thread(s.create_space("B"), ipc_client, server, steps // 2, name="client")
        gc.collect()
        tracemalloc.start()
        s.run(max_steps=steps + 10)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        pick = random.Random(0)
        worst = {"state_at": 0.0, "hardware_at": 0.0}
        for _ in range(jumps):
            step = pick.randrange(s.steps)
            for what in worst:
                start = time.perf_counter()
                getattr(s, what)(step)
                worst[what] = max(worst[what], (time.perf_counter() - start) * 1000)
        early = {"state_at": 0.0, "hardware_at": 0.0}  # from the last step to one of the first
        for _ in range(jumps // 4):
            step = pick.randrange(min(s.steps, 1024))
            for what in early:
                getattr(s, what)(s.steps - 1)
                start = time.perf_counter()
                getattr(s, what)(step)
                early[what] = max(early[what], (time.perf_counter() - start) * 1000)
        out[name] = {
            "bytes_per_step": round(used / s.steps),
            "state_at_worst_ms": round(worst["state_at"], 2),
            "hardware_at_worst_ms": round(worst["hardware_at"], 2),
            "state_at_first_1024_worst_ms": round(early["state_at"], 2),
            "hardware_at_first_1024_worst_ms": round(early["hardware_at"], 2),
        }
    return out


# -- 2. Mapping database scale -----------------------------------------------------------------
# One frame's derivation tree: sigma0:0 -> X:0 -> Xs:0, Xs:1, ... for X in A (half of all the
# mappings: the flushed half), F (a fixed-size subtree) and C (the rest).


def shape(total: int, fixed: int) -> dict[str, int]:
    """Return the size of each subtree (X:0 and its leaves) for `total` mappings in all."""
    return {"A": total // 2, "F": fixed, "C": total - total // 2 - fixed}


def grow(do_map: Callable[..., None], name: str, size: int) -> None:
    """Map frame 0 from sigma0 into name:0 and from there into pages 0..size-2 of name+'s'."""
    do_map("sigma0", 0, name, 0)
    for page in range(size - 1):
        do_map(name, 0, name + "s", page)


def mappings(kernel: Kernel) -> int:
    """Return the number of mappings outside sigma0."""
    return sum(len(s.pages) for s in kernel.spaces.values() if s is not kernel.sigma0)


def kernel_target(names: list[str]) -> tuple[Kernel, Callable[..., None], Callable[[str], None]]:
    """Return a one-frame kernel on a machine that charges nothing, with spaces `names`, and
    map and flush functions that empty the journal after each call as a step would (no
    executor, no trace)."""
    k = Kernel(1, NullMachine(profile("i486")))
    for name in names:
        k.create_space(name)
    k.journal.take()

    def do_map(src: str, src_page: int, dst: str, dst_page: int) -> None:
        k.map(src, src_page, dst, dst_page, "rw", 0)
        k.journal.take()

    def do_flush(name: str) -> None:
        k.flush(name, 0, "rw", 0, True)
        k.journal.take()

    return k, do_map, do_flush


def system_target(names: list[str]) -> tuple[Kernel, Callable[..., None], Callable[[str], None]]:
    """Return a one-frame System's kernel (full model: i486), with spaces `names`, and its map
    and flush: each call is one executor step with its trace event and cycle costs."""
    s = System(machine="i486", frames=1)
    for name in names:
        s.create_space(name)
    return s.kernel, s.map, lambda name: s.flush(name, 0, include_self=True)


def mapdb_once(
    target: str, total: int, fixed: int, collector: bool
) -> tuple[float, list[float], float]:
    """Build the tree of `total` mappings on `target` ("kernel" or "system"), flush the fixed
    subtree three times (rebuilding it), then the half; return (build, fixed flushes, half)."""
    sizes = shape(total, fixed)
    names = [n for name in sizes for n in (name, name + "s")]
    k, do_map, do_flush = (kernel_target if target == "kernel" else system_target)(names)
    build = timed_once(
        lambda: [grow(do_map, name, size) for name, size in sizes.items()], collector
    )
    assert mappings(k) == total, f"built {mappings(k)} mappings, not {total}"
    flush_fixed = []
    for _ in range(3):
        flush_fixed.append(timed_once(lambda: do_flush("F"), collector))
        assert mappings(k) == total - fixed, "the flush removed the wrong number of mappings"
        grow(do_map, "F", fixed)
    flush_half = timed_once(lambda: do_flush("A"), collector)
    assert mappings(k) == total - sizes["A"], "the flush removed the wrong number of mappings"
    return build, flush_fixed, flush_half


def bench_mapdb_on(
    target: str, total: int, fixed: int, repeat: int = 3, collector: bool = False
) -> dict:
    """Return median build and flush times of `total` mappings on `target` over `repeat` runs."""
    build, flush_half, flush_fixed = [], [], []
    for _ in range(repeat):
        b, f, h = mapdb_once(target, total, fixed, collector)
        build.append(b)
        flush_fixed += f
        flush_half.append(h)
    half = shape(total, fixed)["A"]
    return {
        "build_s": median(build),
        "build_us_per_mapping": round(statistics.median(build) / total * 1e6, 2),
        "flush_half_s": median(flush_half, 4),
        "flush_half_us_per_mapping": round(statistics.median(flush_half) / half * 1e6, 2),
        "flush_fixed_ms": median([t * 1000 for t in flush_fixed]),
    }


def bench_mapdb(sizes: tuple[int, ...] = (10_000, 50_000, 100_000), fixed: int = 1_000) -> dict:
    """Return mapping-database build and flush times as the total number of mappings grows.

    "kernel" and "system" are timed with the cyclic garbage collector paused (as `timeit` does,
    and as `System.run` does): the model's own cost. "system_collector_on" repeats "system"
    with the collector running, as a loop of `System.map` calls in a notebook has it.
    """
    out: dict = {
        "tree": (
            "one frame: sigma0:0 -> A:0 -> As:0.. (half of the mappings, flushed), "
            f"sigma0:0 -> F:0 -> Fs:0.. ({fixed} mappings, flushed while the total grows), "
            "sigma0:0 -> C:0 -> Cs:0.. (the rest)"
        ),
        "fixed_subtree": fixed,
        "kernel": {},
        "system": {},
        "system_collector_on": {},
    }
    for total in sizes:
        out["kernel"][str(total)] = bench_mapdb_on("kernel", total, fixed, repeat=5)
        out["system"][str(total)] = bench_mapdb_on("system", total, fixed)
        out["system_collector_on"][str(total)] = bench_mapdb_on(
            "system", total, fixed, collector=True
        )
    return out


# -- 3. View update ----------------------------------------------------------------------------


def worker(t, server, page):  # type: ignore[no-untyped-def]
    """Touch a page of its own (the pager maps it), then call the server a few times."""
    yield t.store(page * 4096, 1)
    for i in range(10):
        yield t.call(server, words=(i,))


def echo(t):  # type: ignore[no-untyped-def]
    """Answer every request."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(0,))


def big_system(threads: int = 50, mappings: int = 500) -> System:
    """Return a finished run with `threads` threads and about `mappings` mappings."""
    s = System(frames=1024)
    server_space = s.create_space("server")
    server = s.create_thread(server_space, echo, name="server")
    per_space = mappings // threads
    for i in range(threads - 1):
        space = s.create_space(f"S{i}")
        for page in range(per_space - 1):
            s.map(s.sigma0, (i * per_space + page) % 1024, space, page)
        s.create_thread(space, worker, server, per_space, name=f"w{i}", pager=s.sigma0_pager)
    s.run(max_steps=100_000)
    return s


def bench_views() -> dict:
    """Return timings of dashboard step updates and of a 1,000-step jump back."""
    from mkteach.views import dashboard

    s = big_system()
    board = dashboard(s)
    for view in board.views:
        _ = view.widget  # live widgets, as in JupyterLab
    stepper = board.stepper
    last = s.steps - 1
    positions = iter(range(last - 200, last))
    update = timed(lambda: stepper.go(next(positions)), repeat=100)
    stepper.go(last)

    def jump_back() -> None:
        stepper.go(stepper.current - 1000 if stepper.current >= 1000 else last)

    jump = timed(jump_back, repeat=6)
    mappings = sum(len(sp.pages) for sp in s.kernel.spaces.values() if sp is not s.sigma0)
    return {
        "threads": len(s.kernel.threads),
        "mappings": mappings,
        "steps": s.steps,
        "view_update": {**update, "target_ms": 50, "target_met": update["median_ms"] < 50},
        "view_jump_back_1000": jump,
        "browser_stepping": bench_browser_stepping(),
    }


def bench_browser_stepping() -> dict:
    """Return the browser's step latency at 1,000 and 100,000 steps and the bytes sent, or
    why it could not be measured here."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import lab_server

    missing = lab_server.chromium_missing()
    if missing:
        return {"skipped": missing}
    out = {}
    for steps, target in ((1_000, 50), (100_000, 100)):
        m = lab_server.measure_stepping(steps)
        m.update(target_ms=target, target_met=m["median_ms"] <= target)
        if steps == 100_000:
            m.update(bytes_target=2_000_000, bytes_target_met=m["bytes_sent"] <= 2_000_000)
        out[str(steps)] = m
    return out


# -- 4. The course under nbval -----------------------------------------------------------------


def jupyter_env(tmp: Path) -> dict[str, str]:
    """Return the environment `make nbval` uses: Jupyter and IPython state in a temporary dir
    (a fresh one here, so a `make nbval` running at the same time is not disturbed)."""
    (tmp / "ipython").mkdir(parents=True)
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def bench_course() -> dict:
    """Return the wall time of `pytest --nbval notebooks/` (every notebook there now)."""
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="mkteach-bench-") as tmp:
        report = Path(tmp) / "nbval.xml"
        command = [sys.executable, "-m", "pytest", "--nbval", "notebooks/",
                   "--nbval-sanitize-with", "notebooks/sanitize.cfg", "-p", "no:cacheprovider",
                   f"--junitxml={report}"]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=jupyter_env(Path(tmp) / "jupyter"),
                              capture_output=True, text=True)  # fmt: skip
        seconds = time.perf_counter() - start
        cells = read_junit(report) if report.exists() else []
    per_notebook: dict[str, float] = {}
    for notebook, _, spent, _ in cells:
        per_notebook[notebook] = round(per_notebook.get(notebook, 0.0) + spent, 1)
    failed = [f"{notebook} {cell}" for notebook, cell, _, ok in cells if not ok]
    slowest = sorted(cells, key=lambda c: -c[2])[:5]
    return {
        "notebooks": len(notebooks),
        "cells": len(cells),
        "wall_s": round(seconds, 1),
        "target_s": 180,
        "target_met": seconds < 180,
        "passed": done.returncode == 0,
        "failed_cells": failed,
        "cpus": os.cpu_count(),
        "per_notebook_s": per_notebook,
        "slowest_cells_s": {f"{n} {c}": round(s, 1) for n, c, s, _ in slowest},
    }


def read_junit(path: Path) -> list[tuple[str, str, float, bool]]:
    """Return (notebook, cell, seconds, passed) for every cell in a JUnit report of nbval."""
    cells = []
    for case in ET.parse(path).iter("testcase"):
        notebook = case.get("classname", "?").removeprefix("notebooks.").removesuffix(".ipynb")
        ok = not any(child.tag in ("failure", "error") for child in case)
        cells.append((notebook, case.get("name", "?"), float(case.get("time", 0)), ok))
    return cells


# -- 4b. Each chapter top to bottom, and what a chapter waits for -----------------------------


def run_chapter(path: Path, env: dict[str, str]) -> dict:
    """Return the seconds a fresh kernel takes to start and to run every cell of the notebook
    at `path` top to bottom, and the kernel's CPU seconds for the cells (less load-sensitive)."""
    import nbformat
    import psutil
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False)
    start = time.perf_counter()
    with client.setup_kernel(cwd=str(path.parent), env=env):
        kernel = psutil.Process(client.km.provisioner.process.pid)  # type: ignore[union-attr]
        ready = time.perf_counter()
        cpu_before = sum(kernel.cpu_times()[:2])
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        cells = time.perf_counter() - ready
        cpu = sum(kernel.cpu_times()[:2]) - cpu_before
    return {"kernel_start_s": round(ready - start, 2), "cells_s": round(cells, 2),
            "cells_cpu_s": round(cpu, 2)}  # fmt: skip


def import_seconds(module: str, repeat: int = 5) -> dict:
    """Return the median wall and CPU seconds of `import module` in a fresh Python, and which
    of plotly, networkx, nbformat and anywidget that import loads."""
    probe = (
        "import resource, sys, time\n"
        "t = time.perf_counter()\n"
        f"import {module}\n"
        "wall = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_SELF)\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'plotly', 'networkx', 'nbformat', 'anywidget'})\n"
        "print(wall, r.ru_utime + r.ru_stime, ','.join(heavy))"
    )
    walls, cpus, loaded = [], [], ""
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             check=True).stdout.split()  # fmt: skip
        walls.append(float(out[0]))
        cpus.append(float(out[1]))  # the whole process: the interpreter's start included
        loaded = out[2] if len(out) > 2 else ""
    return {"wall_s": median(walls), "process_cpu_s": median(cpus), "loads": loaded}


def claims_seconds() -> dict:
    """Return the seconds of the first `paper.claims()` in a fresh Python and of a second
    call in the same process (its workloads remembered)."""
    probe = (
        "import time\nfrom mkteach import paper\n"
        "t = time.perf_counter(); first = paper.claims(); a = time.perf_counter() - t\n"
        "t = time.perf_counter(); again = paper.claims(); b = time.perf_counter() - t\n"
        "assert first == again\nprint(a, b)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    return {"first_s": round(float(out[0]), 2), "second_s": round(float(out[1]), 3)}


def bench_chapters(target_s: float = 10.0) -> dict:
    """Return each chapter's time top to bottom in a fresh CPython kernel (target: at most
    `target_s` each on a quiet machine), the cost of `import mkteach.views` (target: 0.5 s)
    and of `paper.claims()` first and again."""
    per_chapter = {}
    with tempfile.TemporaryDirectory(prefix="mkteach-bench-") as tmp:
        env = jupyter_env(Path(tmp) / "jupyter")
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            print(f"bench: chapters: {path.name}", file=sys.stderr, flush=True)
            per_chapter[path.stem] = run_chapter(path, env)
    slowest = max(per_chapter.items(), key=lambda kv: kv[1]["cells_s"])
    views = import_seconds("mkteach.views")
    return {
        "per_chapter": per_chapter,
        "total_cells_s": round(sum(c["cells_s"] for c in per_chapter.values()), 1),
        "slowest": slowest[0],
        "target_s": target_s,
        "target_met": slowest[1]["cells_s"] <= target_s,
        "import_views": {**views, "target_s": 0.5, "target_met": views["wall_s"] <= 0.5},
        "import_mkteach": import_seconds("mkteach"),
        "claims": claims_seconds(),
        "cpus": os.cpu_count(),
    }


# -- 5. The course in the browser (JupyterLite) ------------------------------------------------


def first_result(page, url: str, notebook: str) -> dict:
    """Return the seconds from opening `notebook` in the site until the kernel is idle and
    until its first code cell has run and shown its result (as lite_site.run_notebook times
    them, without running the rest)."""
    from lite_site import FIRST_RESULT, KERNEL_IDLE, RUN_FIRST_CODE_CELL

    start = time.monotonic()
    page.goto(f"{url}/lab/index.html?path={notebook}", timeout=300_000)
    page.wait_for_function(KERNEL_IDLE, timeout=300_000, polling=100)
    ready = time.monotonic() - start
    page.evaluate(RUN_FIRST_CODE_CELL)
    page.wait_for_function(FIRST_RESULT, timeout=300_000, polling=100)
    return {"kernel_ready_s": round(ready, 2), "first_result_s": round(time.monotonic() - start, 2)}


def bench_lite(notebook: str = "00-start.ipynb", repeat: int = 3) -> dict:
    """Return the site's size and the median times to a first result in the browser: cold
    (a fresh browser context: nothing cached) and on a second visit (the same context opens
    the notebook again: the browser's HTTP and compiled-code caches are warm)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from lite_site import ensure_site, launch, offline_page, run_notebook, serve, site_size
    from playwright.sync_api import sync_playwright

    site = ensure_site()
    runs, again, blocked = [], [], []
    with serve(site) as url, sync_playwright() as pw:
        browser = launch(pw)
        for _ in range(repeat):
            page = offline_page(browser, blocked)
            run = run_notebook(page, url, notebook)
            runs.append({k: v for k, v in run.items() if k != "cells"})
            page.close()
            second = page.context.new_page()
            again.append(first_result(second, url, notebook))
            second.context.close()
        browser.close()
    first = statistics.median(r["first_result_s"] for r in runs)
    second_visit = statistics.median(r["first_result_s"] for r in again)
    size = site_size(site)
    return {
        "notebook": notebook,
        "site_mb": round(size / 1e6, 1),
        "site_target_mb": 80,
        "first_result_s": first,
        "first_result_target_s": 8,
        "second_visit_first_result_s": second_visit,
        "second_visit_target_s": 3,
        "target_met": first <= 8 and second_visit <= 3 and size <= 80e6,
        "kernel_ready_s": statistics.median(r["kernel_ready_s"] for r in runs),
        "second_visit_kernel_ready_s": statistics.median(r["kernel_ready_s"] for r in again),
        "all_cells_s": statistics.median(r["all_cells_s"] for r in runs),
        "runs": runs,
        "second_visits": again,
        "requests_blocked": len(blocked),
        "cpus": os.cpu_count(),
    }


# -- 6. Grading: the red-team batch -------------------------------------------------------------


def bench_redteam(jobs: int = 2) -> dict:
    """Return the wall time of grading the red team's batch (tests/test_grading_redteam.py: an
    honest and a blank student and every cheating attempt, `jobs` sandboxes at a time)."""
    import shutil

    sys.path.insert(0, str(ROOT / "tests"))
    import test_grading_redteam as rt

    from mkteach.grading import grade, release

    with tempfile.TemporaryDirectory(prefix="mkteach-bench-grading-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(ROOT / "exercises", course / "source")
        copy = release(course / "source", course / "released")[1]
        students = {"alice": rt.cases.answered(rt.cases.EX02), "bob": rt.cases.read_copy(copy)}
        rt.cases.set_student(students["alice"], "alice")
        for name, code in rt.attacks(course).items():
            students[name] = rt.cases.insert_after(rt.cases.read_copy(copy), "ex02-q3-answer", code)
        paths = []
        for name, nb in students.items():
            path = course / "submitted" / name / "ex02" / rt.NOTEBOOK
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(nb), encoding="utf-8")
            paths.append(path)
        start = time.perf_counter()
        results = grade(paths, course / "source", course / "grades.csv",
                        feedback_dir=course / "feedback", cell_timeout=10, total_timeout=40,
                        jobs=jobs)  # fmt: skip
        seconds = time.perf_counter() - start
        time.sleep(4)  # the detached writers wanted 3 s; let them fail inside their sandboxes
    points = {r.student: r.total for r in results}
    return {
        "students": len(paths),
        "jobs": jobs,
        "batch_s": round(seconds, 1),
        "target_s": 120,
        "target_met": seconds < 120,
        "honest_points": points["alice"],
        "attack_points": sum(v for k, v in points.items() if k not in ("alice", "bob")),
        "cpus": os.cpu_count(),
    }


# -- running ----------------------------------------------------------------------------------

GRADING_KINDS = {  # kind -> (exercise, how many)
    "honest-ex02": ("ex02", 30),
    "blank-ex02": ("ex02", 15),
    "wrong-ex02": ("ex02", 15),
    "honest-ex03": ("ex03", 10),
    "blank-ex03": ("ex03", 10),
    "wrong-ex03": ("ex03", 10),
    "hanger": ("ex03", 5),
    "flood": ("ex03", 5),
}
HANG = """
import time


def my_pager(t, pages):
    time.sleep(3600)
    yield t.wait()
"""
FLOOD = """
import json
import os
import time


def my_pager(t, pages):
    line = json.dumps({"op": "wait", "args": {"$tuple": []}, "kwargs": {"timeout": 0}}) + "\\n"
    for fd in range(3, 10):
        try:
            os.write(fd, (line * 1900).encode())
        except OSError:
            pass
    time.sleep(3600)
    yield t.wait()
"""


def grading_notebook(kind: str, student: str, copies: dict[str, Path]) -> object:
    """Return the notebook a student of `kind` hands in, answered for their own instance."""
    sys.path.insert(0, str(ROOT / "tests" / "grading_cases"))
    import cases
    import nbformat

    exercise = cases.EX02 if GRADING_KINDS[kind][0] == "ex02" else cases.EX03
    saved, cases.STUDENT = cases.STUDENT, student
    try:
        if kind.startswith("honest"):
            nb = cases.answered(exercise)
        elif kind == "wrong-ex02":
            nb = cases.ex02_wrong_flush()
        elif kind == "wrong-ex03":
            nb = cases.ex03_wrong()
        else:
            nb = nbformat.read(str(copies[exercise]), as_version=4)
        if kind in ("hanger", "flood"):
            nb = cases.answer(nb, "ex03-q1-answer", HANG if kind == "hanger" else FLOOD)
    finally:
        cases.STUDENT = saved
    return cases.set_student(nb, student)


def bench_grading(jobs: int = 2) -> dict:
    """Grade a class of 100 submissions in one batch; return its wall time and whether every
    grade is right (see the module docstring)."""
    from mkteach.grading import grade, release

    with tempfile.TemporaryDirectory(prefix="mkteach-bench-grading-") as tmp:
        course = Path(tmp)
        (course / "source").mkdir()
        for name in ("ex02-address-spaces", "ex03-threads-ipc"):
            (course / "source" / f"{name}.ipynb").write_bytes(
                (ROOT / "exercises" / f"{name}.ipynb").read_bytes()
            )
        copies = {p.stem: p for p in release(course / "source", course / "released")}
        kinds: dict[Path, str] = {}
        for kind, (assignment, count) in GRADING_KINDS.items():
            for n in range(count):
                student = f"{kind}-{n}"
                nb = grading_notebook(kind, student, copies)
                stem = "ex02-address-spaces" if assignment == "ex02" else "ex03-threads-ipc"
                path = course / "submitted" / student / assignment / f"{stem}.ipynb"
                path.parent.mkdir(parents=True)
                path.write_text(json.dumps(nb), encoding="utf-8")
                kinds[path] = kind
        # what each wrong submission earns in a batch of its own (its instance decides how
        # much of it is right), against which the class batch is compared
        alone = [p for p, v in kinds.items() if v.startswith("wrong")]
        wrong = {Path(r.submission): r.total for r in grade(alone, course / "source", jobs=jobs)}
        start = time.perf_counter()
        results = grade(list(kinds), course / "source", course / "grades.csv", jobs=jobs)
        seconds = time.perf_counter() - start
    full = {"ex02": 5.0, "ex03": 12.0}
    wrong_grades = []
    for r in results:
        kind = kinds[Path(r.submission)]
        auto = sum(q.points for q in r.questions if not q.note.startswith("graded by hand"))
        if kind.startswith("honest"):
            expected = full[GRADING_KINDS[kind][0]]
        elif kind.startswith("wrong"):
            expected = wrong[Path(r.submission)]
        else:
            expected = 0.0
        if abs(auto - expected) > 1e-9:
            wrong_grades.append(f"{r.student}: {auto} (expected {expected})")
    return {
        "submissions": len(results),
        "kinds": {k: n for k, (_, n) in GRADING_KINDS.items()},
        "jobs": jobs,
        "wall_seconds": round(seconds, 1),
        "per_submission_seconds": round(seconds / len(results), 2),
        "every_grade_right": not wrong_grades,
        "wrong_grades": wrong_grades,
        "wrong_alone_totals": sorted(wrong.values()),
    }


SECTIONS: dict[str, Callable[[], dict]] = {
    "ipc": bench_ipc,
    "scale": bench_scale,
    "mapdb": bench_mapdb,
    "views": bench_views,
    "course": bench_course,
    "chapters": bench_chapters,
    "lite": bench_lite,
    "grading": bench_grading,
    "redteam": bench_redteam,
}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks (all, or --only some) and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(names) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}: choose from {', '.join(SECTIONS)}")
    results = json.loads(RESULTS.read_text()) if args.only and RESULTS.exists() else {}
    results.update(
        {
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        }
    )
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        before, start = load(), time.perf_counter()
        section = SECTIONS[name]()
        section["run"] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - start, 1),
            "load_before": before,
            "load_after": load(),
        }
        results[name] = section
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
