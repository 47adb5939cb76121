"""The kernel's one state object and the primitives every concept module changes it through.

`KernelState` holds what the kernel knows — spaces with the mapping database, threads, memory,
interrupt lines, the ready queues, the clock — each in one place: anything that can be derived
(the living threads, the newest version of a thread number, a space by id) is derived.
Its primitives (`record`, `set_state`, `next_seq`) journal every change, so a trace can rebuild
any step. The concept modules (spaces, lifecycle, ipc, faults, interrupts, clans) are functions
over this state; `entry.py` decodes a kernel entry and invokes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InvalidArgument
from ..hw.door import MachineDoor
from . import deltas as d
from .ids import ThreadId
from .mapdb import SIGMA0, AddressSpace, MappingDatabase
from .threads import Ready, Scheduler, Sending, Thread, ThreadStateVariant
from .trace import Journal, Wording

PAGE_TABLE_CHANGES = {d.Mapped: "map", d.Unmapped: "unmap", d.RightsChanged: "protect"}


@dataclass
class IrqLine:
    """An interrupt line: its driver, whether a raise is pending, and whether it awaits an ack."""

    irq: int
    driver: ThreadId | None = None
    pending: bool = False
    pending_since: int = 0
    in_service: bool = False


class KernelState:
    """All kernel state; cycles are charged through `machine`, changes journalled in `journal`."""

    def __init__(self, frames: int, machine: MachineDoor | None = None) -> None:
        if not isinstance(frames, int) or isinstance(frames, bool) or not 1 <= frames <= 1 << 20:
            raise InvalidArgument(f"frames must be an int from 1 to {1 << 20}, not {frames!r}")
        self.frames = frames
        self.machine = machine
        self.journal: Journal | None = None  # no journal while σ0 receives its frames
        self.mapdb = MappingDatabase(self.record)
        self.spaces: dict[str, AddressSpace] = {}  # by name, in creation (= id) order
        self.threads: dict[ThreadId, Thread] = {}  # every thread ever created, in creation order
        self.memory: dict[int, Any] = {}
        self.irqs: dict[int, IrqLine] = {}
        self.scheduler = Scheduler()
        self.seq = 0
        self.now = 0  # the clock in cycles: the executor moves it, timeouts read it
        self.transitions: dict[tuple, d.ThreadState] = {}  # shared deltas (memory, not state)
        self.sigma0 = AddressSpace(SIGMA0, 0)
        self.spaces[SIGMA0] = self.sigma0
        for frame in range(frames):
            self.mapdb.add_root(self.sigma0, frame)
        self.journal = Journal()

    # -- derived views of the state ---------------------------------------------------------------

    @property
    def live(self) -> dict[tuple[int, int], Thread]:
        """Return the living threads by (task, thread number)."""
        return {(t.id.task, t.id.number): t for t in self.threads.values() if t.alive}

    @property
    def space_by_id(self) -> dict[int, AddressSpace]:
        """Return the spaces by id."""
        return {s.id: s for s in self.spaces.values()}

    def newest_version(self, task: int, number: int) -> int:
        """Return the highest version thread (task, number) has had, or -1 if it never existed."""
        versions = [t.version for t in self.threads if (t.task, t.number) == (task, number)]
        return max(versions, default=-1)

    def live_or_none(self, tid: ThreadId | None) -> Thread | None:
        """Return the living thread with id `tid`, or None (no id, ended, or stale)."""
        thread = None if tid is None else self.threads.get(tid)
        return thread if thread is not None and thread.alive else None

    def holder(self, task: int, number: int) -> Thread | None:
        """Return the living thread that holds thread number `number` of `task`, or None."""
        for thread in self.threads.values():
            if thread.alive and thread.id.task == task and thread.id.number == number:
                return thread
        return None

    # -- primitives -------------------------------------------------------------------------------

    def record(self, delta: d.Delta) -> None:
        """Journal a delta and charge the machine for the page-table work it implies."""
        if self.journal is None:
            return
        self.journal.record(delta)
        if self.machine is None:
            return
        update = self.machine.page_table_update
        kind = PAGE_TABLE_CHANGES.get(type(delta))
        if kind is not None:
            update(self.spaces[delta.space].id, delta.page, kind)  # type: ignore[union-attr]
        elif isinstance(delta, d.Moved):
            update(self.spaces[delta.old_space].id, delta.old_page, "unmap")
            update(self.spaces[delta.space].id, delta.page, "map")

    def next_seq(self) -> int:
        """Return a fresh sequence number (orders blocked senders and pending interrupts)."""
        self.seq += 1
        return self.seq

    def set_state(self, thread: Thread, state: ThreadStateVariant) -> None:
        """Put `thread` in `state`, journal the change, and keep the ready queues in step."""
        old = thread.state.fields()
        thread.state = state
        new = state.fields()
        if old is not new and old != new:  # (ready to ready is one object: nothing to journal)
            key = (thread.id, old, new)
            delta = self.transitions.get(key)
            if delta is None:  # each transition of each thread is one shared delta
                delta = d.ThreadState(thread.id.to_json(), thread.space.name, thread.name, old, new)
                self.transitions[key] = delta
            if self.journal is not None:  # (a thread state never touches the page tables)
                self.journal.record(delta)
        if isinstance(state, Ready):
            self.scheduler.make_ready(thread)
        else:
            self.scheduler.remove(thread)

    def note(self, kind: str, text: Wording, thread: ThreadId | None = None,
             ids: tuple[ThreadId, ...] = (), **info: Any) -> None:  # fmt: skip
        """Open a trace note: what happens next is recorded under it (`message=` and
        `intended=` are the typed fields of a message event; `text` a string, or a formatter
        and its values: see `trace.words_of`)."""
        self.journal.note(kind, text, thread, ids, **info)  # type: ignore[union-attr]

    # -- invariants -------------------------------------------------------------------------------

    def check_invariants(self) -> None:
        """Return None when every kernel invariant holds; raise AssertionError naming a break."""
        self.mapdb.check_invariants(list(self.spaces.values()), self.sigma0)
        for thread in self.threads.values():
            if isinstance(thread.state, Ready) != thread.queued:
                raise AssertionError(f"invariant broken: {thread.id} ready/queued disagree")
            if isinstance(thread.state, Sending):
                target = self.holder(thread.state.target.task, thread.state.target.number)
                if target is None or thread not in target.senders:
                    raise AssertionError(f"invariant broken: {thread.id} sends but is not queued")
