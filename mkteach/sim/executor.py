"""The executor: `step()` is the only way time moves.

A step is one kernel entry of one thread (the operation its program yielded, or its end) or one
hardware event (a timeout, an interrupt delivery). Each step charges its cycles through the
machine and appends immutable events to the trace. `run()` loops `step()` until nothing can
happen any more or the step budget is spent, and says why it stopped.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeVar

from ..errors import InvalidArgument, KernelError
from ..kernel.ids import ThreadId
from ..kernel.kernel import Kernel
from ..kernel.ops import OPERATIONS
from ..kernel.threads import Dead, Ready, Receiving, Thread
from ..kernel.trace import Event, Trace
from ..kernel.values import show_brief
from .replay import CHECKPOINT_INTERVAL, Checkpoint, capture

T = TypeVar("T")

OPERATION_HINT = (
    "yield one of t.send(...), t.receive(...), t.wait(), t.call(...), t.reply_and_wait(...), "
    "t.load(address), t.store(address, value) or t.flush(page)"
)


class Blocked(NamedTuple):
    """A thread still waiting when a run ended, and what it waits for."""

    thread: ThreadId
    waits_for: str
    idle: bool


class Failed(NamedTuple):
    """A thread that ended with an error, and the error."""

    thread: ThreadId
    message: str


@dataclass(frozen=True)
class RunSummary:
    """Why a run stopped ("done", "deadlock" or "max_steps") and the state of its threads."""

    reason: str
    steps: int
    cycles: int
    blocked: tuple[Blocked, ...]
    failed: tuple[Failed, ...]
    ended: tuple[ThreadId, ...]
    run_cycles: int | None = None  # the cycles this run's steps took (None: as `cycles`)
    total_steps: int | None = None  # the steps taken since the system began (None: `steps`)

    def __str__(self) -> str:
        head = {
            "done": "Done",
            "deadlock": "Deadlock",
            "max_steps": "Stopped at the step budget",
        }[self.reason]
        run_cycles = self.cycles if self.run_cycles is None else self.run_cycles
        parts = [f"{head} after {self.steps} steps ({run_cycles:,} cycles)."]
        if run_cycles != self.cycles:  # earlier runs: say what the clock shows, counted alike
            total = self.steps if self.total_steps is None else self.total_steps
            parts.append(f"The clock: {self.cycles:,} cycles after {total} steps in all.")
        failed = {f.thread for f in self.failed}
        ended = [t for t in self.ended if t not in failed]  # a failed thread is said once
        if ended:
            parts.append(f"Ended: {', '.join(map(str, ended))}.")
        stuck = [b for b in self.blocked if not b.idle]
        idle = [b for b in self.blocked if b.idle]
        if stuck and self.reason == "deadlock":
            waits = "; ".join(f"{b.thread} is {b.waits_for}" for b in stuck)
            parts.append(f"Waiting for ever: {waits}.")
        elif stuck:
            parts.append(
                "Waiting: " + "; ".join(f"{b.thread} is {b.waits_for}" for b in stuck) + "."
            )
        if idle:
            parts.append("Idle: " + "; ".join(f"{b.thread} ({b.waits_for})" for b in idle) + ".")
        if self.failed:
            parts.append(
                "Failed: " + "; ".join(f"{f.thread}: {f.message}" for f in self.failed) + "."
            )
        return " ".join(parts)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block, and restore it afterwards.

    A run only adds to the trace, and every full collection walks all of it again, finding
    nothing to free: in a 40,000-step ping-pong (bench/run.py) that was 30-40% of the time, and
    the share grows with the trace. Reference counting still frees at once what a step drops;
    the rare cycles (say, an exception a program raised and its traceback) wait for the run's end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def where(program: Any) -> tuple[str, int, str] | None:
    """Return (file, line, function) of the yield a suspended generator stopped at (the
    innermost one, through `yield from`), or None once it has ended."""
    inner = getattr(program, "gi_yieldfrom", None)
    while inner is not None and getattr(inner, "gi_frame", None) is not None:
        program, inner = inner, getattr(inner, "gi_yieldfrom", None)
    frame = getattr(program, "gi_frame", None)
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


class Executor:
    """Drives the kernel one step at a time and keeps the clock and the trace."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.machine = kernel.machine
        # the trace owns what the views read: events, per-step hardware changes and program
        # locations, and the checkpoints of the kernel state
        self.trace = Trace(self.machine.change_log())
        self.started = 0  # the clock when the current step began
        self.steps = 0
        self.in_step = False
        self.stepping: ThreadId | None = None  # the thread whose entry the current step is
        self._location: tuple[str, int, str] | None = None

    @property
    def hw_changes(self) -> Any:
        """Return the trace's per-step TLB and cache changes (`trace.hardware`)."""
        return self.trace.hardware

    @property
    def locations(self) -> list[tuple[str, int, str] | None]:
        """Return the trace's per-step program locations (`trace.locations`)."""
        return self.trace.locations

    @property
    def checkpoints(self) -> dict[int, Checkpoint]:
        """Return the trace's checkpoints of the kernel state (`trace.checkpoints`)."""
        return self.trace.checkpoints

    @property
    def cycles(self) -> int:
        """Return the simulated clock in cycles (the kernel's clock: one clock, one place)."""
        return self.kernel.now

    # -- one step -------------------------------------------------------------------------------

    def step(self) -> list[Event]:
        """Perform one kernel entry or hardware event; return its events ([] if nothing can)."""
        if self.in_step:
            raise KernelError("step() cannot be called from inside a program: programs yield")
        self.started = self.kernel.now
        self.in_step = True
        try:
            happened = self._one_step()
        finally:
            self.in_step = False
        return self._close_step(keep=happened)

    def _one_step(self) -> bool:
        """Do the next thing that can happen; return False when nothing can."""
        k = self.kernel
        due = k.next_deadline()
        if due is not None and due[0] <= k.now:
            k.fire_timeout(due[1])
            return True
        irq = k.deliverable_interrupt()
        if irq is not None:
            self.machine.switch_space(irq[1].space.id)
            self.machine.kernel_entry(irq[1].id, "interrupt")
            k.deliver_interrupt(*irq)
            return True
        thread = k.scheduler.pop()
        if thread is not None:
            self._run_thread(thread)
            return True
        if due is not None:
            self.machine.idle(due[0] - k.now)
            k.now = due[0]
            k.fire_timeout(due[1])
            return True
        return False

    def _run_thread(self, thread: Thread) -> None:
        """Resume `thread`'s program up to its next yield and enter the kernel with that op."""
        k = self.kernel
        state = thread.state
        assert isinstance(state, Ready), "_run_thread: thread is not ready"
        self.stepping = thread.id
        try:
            if state.retry is not None:
                op = state.retry
            elif state.throw is not None:
                op = thread.program.throw(state.throw)
            else:
                op = thread.program.send(state.result)
        except StopIteration:
            self.machine.switch_space(thread.space.id)
            self.machine.kernel_entry(thread.id, "exit")
            k.end_thread(thread, "returned")
            return
        except Exception as e:  # a student's program may raise anything
            k.end_thread(thread, f"raised {type(e).__name__}: {e}", failed=True)
            return
        self._location = where(thread.program)
        if not isinstance(op, OPERATIONS):
            why = f"yielded {show_brief(op)}, which is not a kernel operation: {OPERATION_HINT}"
            k.end_thread(thread, why, failed=True)
            return
        try:
            k.enter(thread, op)
        except KernelError as e:
            kind = op.kind if type(op) in OPERATIONS else type(op).__name__
            k.note("error", f"{thread.name}: {kind} refused: {e}", thread.id)
            k.set_state(thread, Ready(throw=e))

    def _close_step(self, keep: bool) -> list[Event]:
        """Freeze the step's notes into events, advance the clock, and append to the trace."""
        costs = self.machine.take_costs()
        changes = self.machine.take_state_changes()
        stepping, self.stepping = self.stepping, None
        events = self.kernel.journal.close(self.steps, self.started, costs, stepping)
        self.kernel.now = self.started  # the step's cost is what moves the clock
        location, self._location = self._location, None
        if not keep:
            return []
        trace = self.trace
        trace.hardware.append(changes)
        trace.locations.append(location)
        self.kernel.now += sum([c for _, c in costs])
        self.steps += 1
        trace.extend(events)
        if self.steps % CHECKPOINT_INTERVAL == 0:
            trace.checkpoints[self.steps] = capture(self.kernel, len(trace))
            trace.hardware.checkpoints[self.steps] = self.machine.hardware_state()
        return events

    def setup(self, action: Callable[[], T]) -> T:
        """Run a direct kernel call (map, create_thread...) as its own step; return its value.

        Called from inside a running program, the call becomes part of the current step.
        """
        if self.in_step:
            return action()
        self.started = self.kernel.now
        try:
            value = action()
        except BaseException:
            self.kernel.journal.take()
            self.machine.take_costs()
            self.machine.take_state_changes()
            raise
        self._close_step(keep=True)
        return value

    # -- runs -----------------------------------------------------------------------------------

    def run(self, max_steps: int = 10_000) -> RunSummary:
        """Step until nothing can happen or `max_steps` steps were taken; return a summary."""
        if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 0:
            raise InvalidArgument(f"max_steps must be a non-negative int, not {max_steps!r}")
        taken, start = 0, self.cycles
        with collector_paused():
            while taken < max_steps and self.step():
                taken += 1
        reason = "max_steps" if taken == max_steps and self.has_work() else None
        return replace(self.summary(reason, taken), run_cycles=self.cycles - start,
                       total_steps=self.steps)  # fmt: skip

    def has_work(self) -> bool:
        """Return True while some step can still happen."""
        k = self.kernel
        return bool(len(k.scheduler) or k.deliverable_interrupt() or k.next_deadline())

    def summary(self, reason: str | None, steps: int) -> RunSummary:
        """Return the summary of the state now; `reason` None means done or deadlock."""
        k = self.kernel
        blocked = tuple(
            Blocked(t.id, t.state.describe(), self.is_idle(t))
            for t in k.threads.values()
            if t.alive and not isinstance(t.state, Ready)
        )
        failed = tuple(
            Failed(t.id, t.state.reason)
            for t in k.threads.values()
            if isinstance(t.state, Dead) and t.state.failed
        )
        ended = tuple(t.id for t in k.threads.values() if not t.alive)
        if reason is None:
            reason = "deadlock" if any(not b.idle for b in blocked) else "done"
        return RunSummary(reason, steps, self.cycles, blocked, failed, ended)

    def is_idle(self, thread: Thread) -> bool:
        """Return True for a thread in an open wait or waiting for its own interrupt, no timeout."""
        state = thread.state
        if not isinstance(state, Receiving) or state.fault is not None:
            return False
        if state.src is None:
            return True
        line = self.kernel.irqs.get(state.src.number) if state.src.is_interrupt else None
        return line is not None and line.driver == thread.id
