"""`System`: a kernel on a machine under an executor: the object students drive.

    s = System(machine="i486", frames=64, seed=0)
    a = s.create_space("A")
    s.map(s.sigma0, 5, a, 0)          # A's page 0 now maps frame 5
    s.run()                           # step threads until done, deadlock or the step budget

Every direct call (create_space, map, grant, flush, create_thread, ...) is recorded in the trace
as a step of its own, so the state after any step can be rebuilt (`state_at`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .errors import InvalidArgument
from .hw.machine import Machine
from .hw.null import NullMachine
from .hw.profiles import profile
from .kernel.fpage import PAGE_SIZE
from .kernel.ids import ThreadId, interrupt_id
from .kernel.kernel import Kernel
from .kernel.mapdb import AddressSpace, Lookup, derivation_graph
from .kernel.threads import Thread
from .kernel.trace import Event, Trace, to_chrome, to_json
from .kernel.values import show_brief
from .sim.executor import Executor, RunSummary, collector_paused
from .sim.program import ThreadHandle
from .sim.replay import HardwareSnapshot, Snapshot


class System:
    """A µ-kernel model on a modelled machine: spaces, threads, IPC, and a step-by-step executor."""

    def __init__(
        self,
        machine: str = "i486",
        frames: int = 64,
        seed: int = 0,
        kernel: str = "l3",
        overrides: dict[str, Any] | None = None,
        hardware: bool = True,
        techniques: dict[str, bool] | None = None,
        mechanisms: dict[str, Callable[..., Any]] | None = None,
    ) -> None:
        """Build a system on `machine` (a profile name, with parameter `overrides`) running the
        `kernel` construction variant ("l3" lean, or "mach") with `frames` physical frames.

        hardware=False switches the hardware models off (a `NullMachine`): no TLB, no caches,
        every step costs 0 cycles (only time skipped to a timeout counts, as "idle"). The
        kernel, the executor and the trace are the same.

        mechanisms={lab name: function} runs the kernel with a student's mechanism in place of
        its own (see `mkteach.lab`); `self.mechanisms` records how each call went.
        """
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidArgument(f"seed must be an int, not {seed!r}")
        if not isinstance(hardware, bool):
            raise InvalidArgument(f"hardware must be True or False, not {hardware!r}")
        self.profile = profile(machine, **check_overrides(overrides))
        door = Machine if hardware else NullMachine
        self.machine = door(self.profile, kernel, techniques)
        self.kernel = Kernel(frames, self.machine)
        self.executor = Executor(self.kernel)
        self.seed = seed
        self.random = random.Random(seed)
        self._snapshot: Snapshot | None = None
        self._hardware: HardwareSnapshot | None = None
        self._sigma0_pager: ThreadId | None = None
        self.mechanisms = None
        if mechanisms is not None:
            from .lab.hooks import install  # the labs build on System: imported on use

            self.mechanisms = install(self, mechanisms)

    def __repr__(self) -> str:
        return (
            f"<System {self.profile.name}: {len(self.kernel.spaces)} spaces, "
            f"{len(self.kernel.live)} live threads, step {self.executor.steps}, "
            f"{self.cycles} cycles>"
        )

    # -- spaces and memory ----------------------------------------------------------------------

    @property
    def sigma0(self) -> AddressSpace:
        """Return σ0, the initial space: it owns every frame (page v -> frame v)."""
        return self.kernel.sigma0

    @property
    def page_size(self) -> int:
        """Return the page size in bytes (4096 on every modelled machine)."""
        return PAGE_SIZE

    @property
    def frames(self) -> int:
        """Return the number of physical frames."""
        return self.kernel.frames

    @property
    def spaces(self) -> dict[str, AddressSpace]:
        """Return the address spaces by name (a copy)."""
        return dict(self.kernel.spaces)

    def create_space(
        self, name: str, chief: AddressSpace | str | None = None, small: bool = False
    ) -> AddressSpace:
        """Create an empty address space (in `chief`'s clan if given); return it.

        small=True runs it as a small space: a segment inside every large space, so switching
        to and from it needs no TLB flush (on machines with segments).
        """
        space = self.executor.setup(lambda: self.kernel.create_space(name, chief))
        if small:
            self.machine.make_small(space.id)
        return space

    def map(self, src: AddressSpace | str, src_page: int, dst: AddressSpace | str, dst_page: int,
            rights: str = "rw", order: int = 0) -> None:  # fmt: skip
        """Share src's 2**order pages with dst; dst's mappings derive from src's."""
        self.executor.setup(
            lambda: self.kernel.map(src, src_page, dst, dst_page, rights, order, grant=False)
        )

    def grant(self, src: AddressSpace | str, src_page: int, dst: AddressSpace | str,
              dst_page: int, rights: str = "rw", order: int = 0) -> None:  # fmt: skip
        """Move src's 2**order pages to dst; dst takes src's place in the derivation tree."""
        self.executor.setup(
            lambda: self.kernel.map(src, src_page, dst, dst_page, rights, order, grant=True)
        )

    def flush(self, space: AddressSpace | str, page: int, rights: str = "rw", order: int = 0,
              include_self: bool = False) -> None:  # fmt: skip
        """Revoke `rights` ("rw" removes, "w" makes read-only) from all mappings derived from
        space's fpage; include_self=True also applies it to space's own mapping."""
        self.executor.setup(lambda: self.kernel.flush(space, page, rights, order, include_self))

    def lookup(self, space: AddressSpace | str, page: int) -> Lookup | None:
        """Return None, or the frame and rights that `space` maps `page` to."""
        return self.kernel.lookup(space, page)

    def mapping_tree(self, frame: int) -> Any:
        """Return frame's derivation tree: a networkx DiGraph of (space, page) nodes."""
        if (
            not isinstance(frame, int)
            or isinstance(frame, bool)
            or frame not in self.kernel.mapdb.roots
        ):
            raise InvalidArgument(
                f"frame must be an int from 0 to {self.frames - 1}, not {frame!r}"
            )
        return derivation_graph(self.kernel.mapdb.roots[frame])

    def check_invariants(self) -> None:
        """Return None when every invariant holds; raise AssertionError naming the broken one."""
        self.kernel.check_invariants()

    # -- threads and interrupts -----------------------------------------------------------------

    def create_thread(self, space: AddressSpace | str, program: Callable[..., Any], *args: Any,
                      name: str | None = None, pager: ThreadId | None = None,
                      priority: int = 100) -> ThreadId:  # fmt: skip
        """Create a thread in `space` running `program(t, *args)`; return its id."""
        thread = self.executor.setup(
            lambda: self.kernel.create_thread(
                space, program, ThreadHandle, args, name, pager, priority
            )
        )
        return thread.id

    @property
    def sigma0_pager(self) -> ThreadId:
        """Return the id of σ0's pager thread (created on first use).

        It answers a page fault at page p by mapping σ0's page p (frame p), read-write.
        """
        if self._sigma0_pager is None or self.kernel.live_or_none(self._sigma0_pager) is None:
            self._sigma0_pager = self.create_thread(self.sigma0, sigma0_pager, self.frames,
                                                    name="sigma0")  # fmt: skip
        return self._sigma0_pager

    def thread(self, tid: ThreadId) -> Thread:
        """Return the kernel's record of a living thread (read it, do not change it)."""
        return self.kernel.thread(tid)

    def threads(self) -> dict[ThreadId, str]:
        """Return every thread ever created with its state in words, in creation order."""
        return {t.id: t.state.describe() for t in self.kernel.threads.values()}

    def attach_interrupt(self, irq: int, thread_id: ThreadId) -> None:
        """Make `thread_id` the driver of interrupt `irq`."""
        self.executor.setup(lambda: self.kernel.attach_interrupt(irq, thread_id))

    def raise_interrupt(self, irq: int) -> None:
        """Raise interrupt `irq`: pending until its driver receives (raises merge)."""
        self.executor.setup(lambda: self.kernel.raise_interrupt(irq))

    def interrupt_id(self, irq: int) -> ThreadId:
        """Return the sender id of interrupt `irq`'s messages."""
        self.kernel.irq_line(irq)
        return interrupt_id(irq)

    # -- running --------------------------------------------------------------------------------

    def step(self) -> list[Event]:
        """Perform one kernel entry or hardware event; return its trace events."""
        return self.executor.step()

    def run(self, max_steps: int = 10_000) -> RunSummary:
        """Step until every thread ends or blocks for ever, or `max_steps` steps; summarise."""
        return self.executor.run(max_steps)

    @property
    def trace(self) -> Trace:
        """Return the trace: every event so far, in order (a list), with per-step hardware
        changes, program locations and checkpoints beside them."""
        return self.executor.trace

    @property
    def steps(self) -> int:
        """Return the number of steps taken so far (the next step's number)."""
        return self.executor.steps

    @property
    def cycles(self) -> int:
        """Return the simulated clock in cycles."""
        return self.executor.cycles

    @property
    def now_us(self) -> float:
        """Return the simulated clock in microseconds on this machine's clock rate."""
        return self.executor.cycles / self.profile.clock_mhz

    def state_at(self, step: int) -> Snapshot:
        """Return the kernel state after `step` (-1: before the first), rebuilt from the trace:
        a value of its own, which never changes afterwards."""
        self._check_step(step)
        with collector_paused():  # rebuilding allocates; a collection would walk the trace
            if self._snapshot is None:
                self._snapshot = Snapshot(self.frames)
            return self._snapshot.move_to(self.trace, step, self.trace.checkpoints).copy()

    def hardware_at(self, step: int) -> HardwareSnapshot:
        """Return the TLB and cache contents after `step` (-1: before the first): a value of
        its own, which never changes afterwards."""
        self._check_step(step)
        if self._hardware is None:
            shapes = {n: u.n_sets for n, u in self.machine.structures().items()}
            self._hardware = HardwareSnapshot(shapes)
        return self._hardware.move_to(self.trace.hardware, step).copy()

    def _check_step(self, step: object) -> None:
        """Raise InvalidArgument unless -1 <= step < steps taken."""
        if not isinstance(step, int) or isinstance(step, bool) or not -1 <= step < self.steps:
            raise InvalidArgument(f"step must be an int from -1 to {self.steps - 1}, not {step!r}")

    def trace_chrome(self, name: str = "mkteach") -> dict[str, Any]:
        """Return the trace as a Chrome trace-event document (Perfetto): a track per thread id,
        named by name, space and id; every kernel entry a slice of exactly its cycles."""
        tracks = {t.id: f"{t.name} ({t.space.name}, {t.id.to_json()})"
                  for t in self.kernel.threads.values()}  # fmt: skip
        return to_chrome(self.trace, self.profile.clock_mhz, name, tracks)

    def trace_json(self, path: str | None = None) -> str:
        """Return the trace as JSON, also writing it to `path` when given."""
        text = to_json(self.trace)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text


def check_overrides(overrides: object) -> dict[str, Any]:
    """Return machine parameter `overrides` as a dict (None: none); raise InvalidArgument unless
    it is a dict whose keys are parameter names (str)."""
    if overrides is None:
        return {}
    if type(overrides) is not dict or not all(type(key) is str for key in overrides):
        raise InvalidArgument(
            "overrides maps machine parameter names to values, e.g. "
            f'{{"tlb_miss_cycles": 12}}, not {show_brief(overrides)}'
        )
    return overrides


def sigma0_pager(t: ThreadHandle, frames: int):  # type: ignore[no-untyped-def]
    """σ0's pager: map frame p to whoever faults at page p; ignore faults beyond memory."""
    msg = yield t.wait()
    while True:
        if msg.is_page_fault and msg.fault_page < frames:
            msg = yield t.reply_and_wait(msg.sender, map=[(msg.fault_page, "rw", 0)])
        else:
            msg = yield t.wait()
