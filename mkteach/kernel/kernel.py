"""The kernel's state and its entry points: spaces, threads, memory, interrupts.

`Kernel` is the one state object. Its public methods check their arguments first (raising a
`KernelError` that changes nothing) and then act through primitives that journal every change.
IPC (send/receive, routing through chiefs, page-fault IPC) lives in `ipc.py`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import deltas as d
from .errors import InterruptError, InvalidArgument, StaleThreadId, UnknownSpace, UnknownThread
from .fpage import PAGE_SIZE, VIRTUAL_PAGES
from .ids import ThreadId, interrupt_id
from .ipc import IpcMixin
from .journal import Journal
from .mapdb import SIGMA0, AddressSpace, Lookup, MappingDatabase
from .ops import Load, Operation, Store, Unmap
from .threads import Dead, Ready, Receiving, Scheduler, Sending, Thread, ThreadStateVariant

MAX_IRQ = 255


@dataclass
class IrqLine:
    """An interrupt line: its driver, whether a raise is pending, and whether it awaits an ack."""

    irq: int
    driver: ThreadId | None = None
    pending: bool = False
    pending_since: int = 0
    in_service: bool = False


class Kernel(IpcMixin):
    """All kernel state and the operations on it; cycles are charged through `machine`."""

    def __init__(self, frames: int, machine: Any = None) -> None:
        if not isinstance(frames, int) or isinstance(frames, bool) or not 1 <= frames <= 1 << 20:
            raise InvalidArgument(f"frames must be an int from 1 to {1 << 20}, not {frames!r}")
        self.frames = frames
        self.machine = machine
        self.journal = Journal()
        self.mapdb = MappingDatabase(self._record)
        self.spaces: dict[str, AddressSpace] = {}
        self.threads: dict[ThreadId, Thread] = {}
        self.live: dict[tuple[int, int], Thread] = {}
        self.versions: dict[tuple[int, int], int] = {}
        self.memory: dict[int, Any] = {}
        self.irqs: dict[int, IrqLine] = {}
        self.scheduler = Scheduler()
        self.seq = 0
        self.sigma0 = AddressSpace(SIGMA0, 0)
        self.spaces[SIGMA0] = self.sigma0
        self.space_by_id: dict[int, AddressSpace] = {0: self.sigma0}
        recording, self.journal = self.journal, None  # type: ignore[assignment]
        for frame in range(frames):
            self.mapdb.add_root(self.sigma0, frame)
        self.journal = recording

    # -- recording ----------------------------------------------------------------------------

    def _record(self, delta: d.Delta) -> None:
        """Journal a delta and charge the machine for mapping-database work."""
        if self.journal is None:
            return
        self.journal.record(delta)
        if self.machine is None:
            return
        update = self.machine.page_table_update
        if isinstance(delta, d.Mapped):
            update(self.spaces[delta.space].id, delta.page, "map")
        elif isinstance(delta, d.Unmapped):
            update(self.spaces[delta.space].id, delta.page, "unmap")
        elif isinstance(delta, d.RightsChanged):
            update(self.spaces[delta.space].id, delta.page, "protect")
        elif isinstance(delta, d.Moved):
            update(self.spaces[delta.old_space].id, delta.old_page, "unmap")
            update(self.spaces[delta.space].id, delta.page, "map")

    def next_seq(self) -> int:
        """Return a fresh sequence number (orders blocked senders and pending interrupts)."""
        self.seq += 1
        return self.seq

    # -- spaces ---------------------------------------------------------------------------------

    def space(self, space: object) -> AddressSpace:
        """Return this kernel's space for a space object or name; raise UnknownSpace otherwise."""
        if isinstance(space, AddressSpace):
            if self.spaces.get(space.name) is space:
                return space
            raise UnknownSpace(f"space {space.name!r} belongs to another System")
        if isinstance(space, str):
            if space in self.spaces:
                return self.spaces[space]
            known = ", ".join(self.spaces)
            raise UnknownSpace(f"no space named {space!r}; the spaces are: {known}")
        raise UnknownSpace(f"expected a space (from create_space) or its name, not {space!r}")

    def create_space(self, name: object, chief: object = None) -> AddressSpace:
        """Create an empty address space, in `chief`'s clan if given; return it."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument(f"a space needs a non-empty name string, not {name!r}")
        if name in self.spaces:
            raise InvalidArgument(f"a space named {name!r} exists already: names are unique")
        chief_space = None if chief is None else self.space(chief)
        space = AddressSpace(name, len(self.spaces), chief_space)
        self.journal.note("create_space", f"space {name} created" + _clan(chief_space))
        self.spaces[name] = space
        self.space_by_id[space.id] = space
        self._record(d.SpaceCreated(space.id, name, chief_space.name if chief_space else None))
        return space

    def members(self, chief: AddressSpace) -> list[AddressSpace]:
        """Return the spaces in `chief`'s clan (those whose chief it is)."""
        return [s for s in self.spaces.values() if s.chief is chief]

    # -- memory operations (public map / grant / flush) ----------------------------------------

    def map(self, src: object, src_page: int, dst: object, dst_page: int, rights: str, order: int,
            grant: bool = False) -> None:  # fmt: skip
        """Map (or grant) src's fpage onto dst's; check everything first, then act."""
        s, t = self.space(src), self.space(dst)
        sources = self.mapdb.check_transfer(s, src_page, t, dst_page, rights, order, grant)
        verb = "grant" if grant else "map"
        n = f" (+{(1 << order) - 1} pages)" if order else ""
        self.journal.note(verb, f"{s.name}:{src_page} -> {t.name}:{dst_page}{n} {rights}")
        self.mapdb.transfer(sources, t, dst_page, rights, grant)

    def flush(self, space: object, page: int, rights: str, order: int, include_self: bool) -> None:
        """Revoke `rights` from everything derived from space's fpage; check first, then act."""
        s = self.space(space)
        nodes = self.mapdb.check_flush(s, page, rights, order, include_self)
        selfish = " incl. own" if include_self else ""
        self.journal.note("flush", f"{s.name}:{page} revoke {rights}{selfish}")
        self.mapdb.flush(nodes, rights, include_self)

    def lookup(self, space: object, page: object) -> Lookup | None:
        """Return the frame and rights `space` maps `page` to, or None when unmapped."""
        s = self.space(space)
        if not isinstance(page, int) or isinstance(page, bool) or not 0 <= page < VIRTUAL_PAGES:
            raise InvalidArgument(
                f"page must be an int from 0 to {VIRTUAL_PAGES - 1}, not {page!r}"
            )
        node = s.pages.get(page)
        return None if node is None else Lookup(node.frame, node.rights)

    def check_invariants(self) -> None:
        """Return None when every kernel invariant holds; raise AssertionError naming a break."""
        self.mapdb.check_invariants(list(self.spaces.values()), self.sigma0)
        for thread in self.threads.values():
            if isinstance(thread.state, Ready) != thread.queued:
                raise AssertionError(f"invariant broken: {thread.id} ready/queued disagree")
            if isinstance(thread.state, Sending):
                target = self.live.get((thread.state.target.task, thread.state.target.number))
                if target is None or thread not in target.senders:
                    raise AssertionError(f"invariant broken: {thread.id} sends but is not queued")

    # -- threads --------------------------------------------------------------------------------

    def create_thread(
        self,
        space: object,
        program: Callable[..., Any],
        handle_factory: Callable,
        args: tuple,
        name: object,
        pager: object,
        priority: object,
    ) -> Thread:
        """Create a ready thread running `program(handle, *args)`; return its record."""
        s = self.space(space)
        if not inspect.isgeneratorfunction(program):
            raise InvalidArgument(
                f"{getattr(program, '__name__', program)!r} is not a generator function: a "
                "program must yield kernel operations, e.g. `msg = yield t.wait()`"
            )
        if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 255:
            raise InvalidArgument(f"priority must be an int from 0 to 255, not {priority!r}")
        pager_id = None if pager is None else self.thread(pager, "pager").id
        number = self._free_number(s)
        version = self.versions.get((s.id, number), -1) + 1
        label = self._thread_name(name, s, number)
        tid = ThreadId(s.id, number, version, label)
        handle = handle_factory(tid, s.name)
        try:
            generator = program(handle, *args)
        except TypeError as e:
            raise InvalidArgument(f"cannot start {program.__name__}: {e}") from None
        thread = Thread(tid, s, label, generator, pager_id, priority, Ready())
        self.journal.note("create_thread", f"{label} created in {s.name}", tid)
        self.versions[(s.id, number)] = version
        self.threads[tid] = thread
        self.live[(s.id, number)] = thread
        self._record(d.ThreadState(tid.to_json(), s.name, label, "", thread.state.describe()))
        self.scheduler.make_ready(thread)
        return thread

    def _free_number(self, space: AddressSpace) -> int:
        """Return the lowest thread number not used by a living thread of `space`."""
        number = 0
        while (space.id, number) in self.live:
            number += 1
        return number

    def _thread_name(self, name: object, space: AddressSpace, number: int) -> str:
        """Return a valid, unique-among-living thread name (default 'SPACE.N')."""
        if name is None:
            name = space.name if number == 0 else f"{space.name}.{number}"
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"a thread name must be a non-empty string, not {name!r}")
        if any(t.name == name for t in self.live.values()):
            raise InvalidArgument(f"a living thread is named {name!r} already: pick another name")
        return name

    def thread(self, tid: object, what: str = "thread") -> Thread:
        """Return the living thread with id `tid`; raise UnknownThread or StaleThreadId."""
        if not isinstance(tid, ThreadId) or tid.is_interrupt:
            raise UnknownThread(
                f"{what} must be a thread id (as returned by create_thread), not {tid!r}"
            )
        current = self.live.get((tid.task, tid.number))
        if current is not None and current.id == tid:
            return current
        if current is not None:
            raise StaleThreadId(
                f"{tid} is a stale id: that thread ended and its number now belongs to "
                f"{current.id} (version {current.id.version}); a stale id never reaches the new "
                "thread. Use the id the new thread's create_thread returned."
            )
        newest = self.versions.get((tid.task, tid.number), -1)
        if tid in self.threads and newest > tid.version:
            raise StaleThreadId(
                f"{tid} is a stale id: that thread ended and its number was reused by a newer "
                f"thread (version {newest}), which has ended too; a stale id never reaches it"
            )
        if tid in self.threads:
            state = self.threads[tid].state
            raise UnknownThread(f"{tid} has {state.describe()}")
        raise UnknownThread(f"no thread has the id {tid!r} in this system")

    def set_state(self, thread: Thread, state: ThreadStateVariant) -> None:
        """Put `thread` in `state`, journal the change, and keep the ready queues in step."""
        old = thread.state.describe()
        thread.state = state
        new = state.describe()
        if old != new:
            self._record(
                d.ThreadState(thread.id.to_json(), thread.space.name, thread.name, old, new)
            )
        if isinstance(state, Ready):
            self.scheduler.make_ready(thread)
        else:
            self.scheduler.remove(thread)

    def end_thread(self, thread: Thread, reason: str, failed: bool = False) -> None:
        """End `thread`: wake everyone waiting on it with 'no_partner', detach its interrupts."""
        if not thread.alive:
            return
        self.journal.note("thread_end", f"{thread.name} {reason}", thread.id, failed=failed)
        self.unqueue(thread)
        self.set_state(thread, Dead(reason, failed))
        del self.live[(thread.id.task, thread.id.number)]
        for line in self.irqs.values():
            if line.driver == thread.id:
                line.driver, line.pending, line.in_service = None, False, False
        for waiter in list(thread.senders):
            self.fail_partner(waiter, thread)
        thread.senders.clear()
        for waiter in list(self.threads.values()):
            state = waiter.state
            if isinstance(state, Receiving) and state.src == thread.id:
                self.fail_partner(waiter, thread)

    def unqueue(self, thread: Thread) -> None:
        """Take a sending `thread` out of its target's queue of senders."""
        if isinstance(thread.state, Sending):
            target = self.live.get((thread.state.target.task, thread.state.target.number))
            if target is not None and thread in target.senders:
                target.senders.remove(thread)

    def fail_partner(self, waiter: Thread, gone: Thread) -> None:
        """Wake `waiter` with 'no_partner' because `gone` ended; a faulting waiter ends too."""
        state = waiter.state
        if getattr(state, "fault", None) is not None:
            self.end_thread(waiter, f"page fault could not be served: its pager {gone.id} ended")
            return
        self.unqueue(waiter)
        detail = f"{gone.id} ended while {waiter.name} was {state.describe()}"
        self.set_state(waiter, Ready(self.failure("no_partner", detail, state)))

    # -- memory access by threads ---------------------------------------------------------------

    def access(self, thread: Thread, op: Load | Store) -> None:
        """Perform a load or store through the MMU, or turn a missing mapping into a page fault."""
        address = op.address
        page, offset = divmod(address, PAGE_SIZE)
        write = isinstance(op, Store)
        node = thread.space.pages.get(page)
        if node is None or (write and node.rights != "rw"):
            self.page_fault(thread, op, page, write)
            return
        self.machine.user_access(thread.space.id, page, node.frame, offset, write)
        physical = node.frame * PAGE_SIZE + offset
        if write:
            old = self.memory.get(physical, 0)
            self.journal.note("store", f"{thread.name} stores {op.value!r} at {address:#x}",
                              thread.id, address=address, frame=node.frame)  # fmt: skip
            self._record(d.MemoryWritten(physical, old, op.value))
            self.memory[physical] = op.value
            self.set_state(thread, Ready(None))
        else:
            value = self.memory.get(physical, 0)
            self.journal.note("load", f"{thread.name} loads {value!r} from {address:#x}",
                              thread.id, address=address, frame=node.frame)  # fmt: skip
            self.set_state(thread, Ready(value))

    def page_fault(self, thread: Thread, op: Operation, page: int, write: bool) -> None:
        """Send a page-fault IPC to the thread's pager, or end the thread when it has none."""
        self.machine.kernel_entry(thread.id, "page_fault")
        kind = "write" if write else "read"
        where = f"{kind} fault at {op.address:#x} (page {page}) in {thread.space.name}"
        pager = self.live_or_none(thread.pager)
        self.journal.note("page_fault", f"{thread.name}: {where}", thread.id,
                          page=page, address=op.address, write=write)  # fmt: skip
        if pager is None:
            why = "it has no pager" if thread.pager is None else f"its pager {thread.pager} ended"
            self.end_thread(thread, f"{where} and {why}", failed=True)
            return
        self.send_fault(thread, pager, op, page, write)

    def live_or_none(self, tid: ThreadId | None) -> Thread | None:
        """Return the living thread with id `tid`, or None (no id, ended, or stale)."""
        if tid is None:
            return None
        current = self.live.get((tid.task, tid.number))
        return current if current is not None and current.id == tid else None

    def unmap(self, thread: Thread, op: Unmap) -> None:
        """Flush from the calling thread's own space (the system-call form of flush)."""
        self.machine.kernel_entry(thread.id, "flush")
        self.flush(thread.space, op.page, op.rights, op.order, op.include_self)
        self.set_state(thread, Ready(None))

    # -- interrupts -----------------------------------------------------------------------------

    def irq_line(self, irq: object) -> IrqLine:
        """Return interrupt line `irq` (created on first use); raise for a bad number."""
        if not isinstance(irq, int) or isinstance(irq, bool) or not 0 <= irq <= MAX_IRQ:
            raise InterruptError(f"irq must be an int from 0 to {MAX_IRQ}, not {irq!r}")
        return self.irqs.setdefault(irq, IrqLine(irq))

    def attach_interrupt(self, irq: object, tid: object) -> None:
        """Make thread `tid` the driver of interrupt `irq` (it then receives from its id)."""
        line = self.irq_line(irq)
        thread = self.thread(tid, "driver")
        if line.driver is not None and line.driver != thread.id:
            raise InterruptError(f"irq {irq} is attached to {line.driver} already")
        self.journal.note("attach", f"irq{irq} attached to {thread.name}", thread.id)
        line.driver = thread.id

    def raise_interrupt(self, irq: object) -> None:
        """Mark interrupt `irq` pending (raises while pending merge into one)."""
        line = self.irqs.get(irq) if isinstance(irq, int) else None
        if line is None or line.driver is None:
            raise InterruptError(
                f"no thread is attached to irq {irq!r}: call attach_interrupt({irq!r}, driver) "
                "first"
            )
        merged = " (merged with the pending one)" if line.pending else ""
        self.journal.note("irq_raise", f"irq{irq} raised{merged}", None, (interrupt_id(irq),))
        if not line.pending:
            line.pending, line.pending_since = True, self.next_seq()


def _clan(chief: AddressSpace | None) -> str:
    """Return ' in CHIEF's clan' or ''."""
    return f" in {chief.name}'s clan" if chief else ""
