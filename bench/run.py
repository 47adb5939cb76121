"""Benchmarks: `make bench` runs them and writes bench/results.json (not part of `make test`).

Measured here:
- view_update: one step update of the whole dashboard on a run with 50 threads and 500 mappings
  (target: under 50 ms);
- view_jump_back: jumping the dashboard back 1,000 steps.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

from mkteach import System
from mkteach.views import dashboard

RESULTS = Path(__file__).with_name("results.json")


def worker(t, server, page):
    """Touch a page of its own (the pager maps it), then call the server a few times."""
    yield t.store(page * 4096, 1)
    for i in range(10):
        yield t.call(server, words=(i,))


def echo(t):
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


def timed(action, repeat: int = 20) -> dict[str, float]:
    """Return median and max wall time of `action` in milliseconds over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}


def bench_views() -> dict:
    """Return timings of dashboard step updates and of a 1,000-step jump back."""
    s = big_system()
    board = dashboard(s)
    for view in board.views:
        _ = view.widget  # live widgets, as in JupyterLab
    stepper = board.stepper
    last = s.steps - 1
    positions = iter(range(last - 200, last))
    update = timed(lambda: stepper.go(next(positions)), repeat=100)
    jump = {}
    stepper.go(last)

    def jump_back() -> None:
        stepper.go(stepper.current - 1000 if stepper.current >= 1000 else last)

    jump = timed(jump_back, repeat=6)
    mappings = sum(len(sp.pages) for sp in s.kernel.spaces.values() if sp is not s.sigma0)
    return {
        "threads": len(s.kernel.threads),
        "mappings": mappings,
        "steps": s.steps,
        "view_update": {**update, "target_ms": 50},
        "view_jump_back_1000": jump,
    }


def main() -> int:
    """Run every benchmark and write the results file."""
    results = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "views": bench_views(),
    }
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
