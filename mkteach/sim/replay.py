"""Rebuild the kernel state after any step from the trace: stepping forwards and back.

A `Snapshot` holds what the deltas describe (spaces, mapping trees, thread states, memory) in a
fresh kernel of the same size. Moving it to step n applies the deltas of the events up to n, or
undoes those after n, so stepping back is exact and cheap.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..hw.log import ChangeLog
from ..kernel import deltas as d
from ..kernel.kernel import Kernel
from ..kernel.mapdb import AddressSpace, Lookup, derivation_graph
from ..kernel.trace import Event
from ..kernel.values import SCALARS, copy_value

CHECKPOINT_INTERVAL = 1024  # steps between the executor's checkpoints of kernel and hardware


@dataclass(frozen=True)
class Checkpoint:
    """The kernel state after some step, as a Snapshot holds it, and the trace events before.

    `mappings` lists every mapping below σ0's as (space, page, frame, rights, parent key) in
    pre-order, so re-inserting them in order rebuilds each tree with its children in order.
    """

    applied: int
    spaces: tuple[tuple[int, str, str | None], ...]
    mappings: tuple[tuple[str, int, int, str, tuple[str, int]], ...]
    threads: tuple[tuple[str, tuple[str, str, Any]], ...]  # id key -> (space, name, fields)
    memory: tuple[tuple[int, Any], ...]


def capture(kernel: Kernel, applied: int) -> Checkpoint:
    """Return a checkpoint of the live `kernel` after `applied` trace events."""
    spaces = tuple((s.id, s.name, s.chief.name if s.chief else None)
                   for s in kernel.spaces.values() if s is not kernel.sigma0)  # fmt: skip
    mappings = tuple(
        (node.space.name, node.page, node.frame, node.rights, node.parent.name)
        for root in kernel.mapdb.roots.values()
        for node in root.subtree()
        if node.parent is not None
    )
    threads = tuple((t.id.to_json(), (t.space.name, t.name, t.state.fields()))
                    for t in kernel.threads.values())  # fmt: skip
    return Checkpoint(applied, spaces, mappings, threads, tuple(kernel.memory.items()))


def nearest(checkpoints: dict[int, Any], steps: int) -> Any:
    """Return the checkpoint taken after the most steps, at most `steps`, or None."""
    at = max((n for n in checkpoints if n <= steps), default=None)
    return None if at is None else checkpoints[at]


class Snapshot:
    """The kernel state (no programs, no clock) after step `self.step` of a trace."""

    def __init__(self, frames: int) -> None:
        self.kernel = Kernel(frames)
        self.kernel.journal = None  # type: ignore[assignment]  # replay records nothing
        # id key -> (space, name, the state's fields), described when read (`threads`)
        self.states: dict[str, tuple[str, str, Any]] = {}
        self.memory: dict[int, Any] = {}  # bytes that hold something other than 0
        self.applied = 0  # events of the trace applied so far
        self.step = -1

    # -- moving -----------------------------------------------------------------------------

    def move_to(
        self, trace: Sequence[Event], step: int, checkpoints: dict[int, Checkpoint] | None = None
    ) -> Snapshot:
        """Apply or undo events until the state is the one after `step` (-1: before any).

        With `checkpoints` (steps taken -> the state then, as the executor keeps them), start
        from the latest one at or before the target when that is nearer than where we are, or
        from the empty state before the first step when no checkpoint precedes the target and
        the beginning is nearer.
        """
        target = bisect.bisect_right(trace, step, key=lambda e: e.step)
        start = nearest(checkpoints or {}, step + 1)
        if start is not None and abs(target - self.applied) > target - start.applied:
            self.restore(start)
        elif start is None and self.applied - target > target:  # nearer from the beginning
            self.__init__(self.kernel.frames)  # type: ignore[misc]
        while self.applied < target:
            for delta in trace[self.applied].deltas:
                self.apply(delta)
            self.applied += 1
        while self.applied > target:
            self.applied -= 1
            for delta in reversed(trace[self.applied].deltas):
                self.revert(delta)
        self.step = step
        return self

    def restore(self, checkpoint: Checkpoint) -> None:
        """Make this snapshot the state a checkpoint holds."""
        k = self.kernel = Kernel(self.kernel.frames)
        k.journal = None  # type: ignore[assignment]
        for space_id, name, chief in checkpoint.spaces:
            self._space_created(d.SpaceCreated(space_id, name, chief))
        for space, page, frame, rights, parent in checkpoint.mappings:
            above = k.spaces[parent[0]].pages[parent[1]]
            k.mapdb.insert(k.spaces[space], page, frame, rights, above)
        self.states = dict(checkpoint.threads)
        self.memory = {address: value for address, value in checkpoint.memory if value != 0}
        self.applied = checkpoint.applied

    def apply(self, delta: d.Delta) -> None:
        """Change the snapshot as `delta` says."""
        k, db = self.kernel, self.kernel.mapdb
        if isinstance(delta, d.SpaceCreated):
            self._space_created(delta)
        elif isinstance(delta, d.Mapped):
            parent = k.spaces[delta.parent[0]].pages[delta.parent[1]] if delta.parent else None
            db.insert(k.spaces[delta.space], delta.page, delta.frame, delta.rights, parent)
        elif isinstance(delta, d.Unmapped):
            db.remove_leaf(k.spaces[delta.space].pages[delta.page])
        elif isinstance(delta, d.RightsChanged):
            db.set_rights(k.spaces[delta.space].pages[delta.page], delta.new)
        elif isinstance(delta, d.Moved):
            node = k.spaces[delta.old_space].pages[delta.old_page]
            db.move(node, k.spaces[delta.space], delta.page, delta.rights)
        elif isinstance(delta, d.ThreadState):
            if delta.after is not None:
                self.states[delta.thread] = (delta.space, delta.name, delta.after)
            else:
                del self.states[delta.thread]
        elif isinstance(delta, d.MemoryWritten):
            if delta.new == 0:  # unwritten memory reads 0: keep only what differs
                self.memory.pop(delta.address, None)
            else:
                self.memory[delta.address] = delta.new

    def revert(self, delta: d.Delta) -> None:
        """Undo `delta`: change the snapshot back to how it was before it."""
        if isinstance(delta, d.SpaceCreated):
            del self.kernel.spaces[delta.name]
        else:
            self.apply(undo(delta))

    def _space_created(self, delta: d.SpaceCreated) -> None:
        """Add the space a SpaceCreated delta names."""
        k = self.kernel
        chief = k.spaces[delta.chief] if delta.chief else None
        space = AddressSpace(delta.name, delta.space_id, chief)
        k.spaces[delta.name] = space

    def copy(self) -> Snapshot:
        """Return a snapshot of the same step that shares nothing with this one (a value)."""
        k = self.kernel
        spaces = tuple((sp.id, sp.name, sp.chief.name if sp.chief else None)
                       for sp in k.spaces.values() if sp is not k.sigma0)  # fmt: skip
        mappings = tuple(
            (node.space.name, node.page, node.frame, node.rights, node.parent.name)
            for root in k.mapdb.roots.values()
            for node in root.subtree()
            if node.parent is not None
        )
        memory = tuple((a, v if type(v) in SCALARS else copy_value(v))
                       for a, v in self.memory.items())  # fmt: skip
        other = Snapshot.__new__(Snapshot)
        other.kernel = k
        other.restore(Checkpoint(self.applied, spaces, mappings, tuple(self.states.items()),
                                 memory))  # fmt: skip
        other.step = self.step
        return other

    # -- reading --------------------------------------------------------------------------------

    @property
    def threads(self) -> dict[str, tuple[str, str, str]]:
        """Return every thread after this step: id key -> (space, name, state in words)."""
        return {key: (space, name, state.describe())
                for key, (space, name, state) in self.states.items()}  # fmt: skip

    def lookup(self, space: str, page: int) -> Lookup | None:
        """Return the frame and rights `space` maps `page` to after this step, or None."""
        return self.kernel.lookup(space, page)

    def mapping_tree(self, frame: int) -> Any:
        """Return frame's derivation tree after this step as a networkx DiGraph."""
        return derivation_graph(self.kernel.mapdb.roots[frame])

    def mappings(self) -> list[tuple[str, int, int, str]]:
        """Return every mapping outside sigma0 as (space, page, frame, rights), sorted."""
        return sorted(
            (s.name, p, n.frame, n.rights)
            for s in self.kernel.spaces.values()
            if s is not self.kernel.sigma0
            for p, n in s.pages.items()
        )


def undo(delta: d.Delta) -> d.Delta:
    """Return the delta that reverses `delta` (any but SpaceCreated, which `revert` handles)."""
    if isinstance(delta, d.Mapped):
        return d.Unmapped(delta.space, delta.page, delta.frame, delta.rights, delta.parent)
    if isinstance(delta, d.Unmapped):
        return d.Mapped(delta.space, delta.page, delta.frame, delta.rights, delta.parent)
    if isinstance(delta, d.RightsChanged):
        return d.RightsChanged(delta.space, delta.page, delta.new, delta.old)
    if isinstance(delta, d.Moved):
        return d.Moved(delta.space, delta.page, delta.old_space, delta.old_page, delta.rights,
                       delta.old_rights)  # fmt: skip
    if isinstance(delta, d.ThreadState):
        return d.ThreadState(delta.thread, delta.space, delta.name, delta.after, delta.before)
    if isinstance(delta, d.MemoryWritten):
        return d.MemoryWritten(delta.address, delta.new, delta.old)
    raise AssertionError(f"undo: no inverse delta for {type(delta).__name__}")


class HardwareSnapshot:
    """The TLB and cache contents after a given step, rebuilt from per-step changes.

    `units[name]` has "sets" (a list, one tuple per set, LRU first), "hits" and "misses".
    A move that is nearer from one of the log's checkpoints than from here starts there.
    """

    def __init__(self, shapes: dict[str, int]) -> None:
        self.shapes = shapes  # name -> number of sets
        self.units = self._empty()
        self.applied = 0
        self.step = -1

    def _empty(self) -> dict[str, dict[str, Any]]:
        """Return empty TLBs and caches of the right shapes."""
        return {n: {"sets": [()] * k, "hits": 0, "misses": 0} for n, k in self.shapes.items()}

    def move_to(self, changes: ChangeLog, step: int) -> HardwareSnapshot:
        """Rebuild the state after `step` (-1: before any) from the change log; return self."""
        target = step + 1
        start = changes.checkpoint_before(target)
        if target < self.applied and start is None:
            self.units, self.applied = self._empty(), 0
        elif start is not None and (target < self.applied or start[0] > self.applied):
            self.applied, self.units = start
        changes.replay(self.units, self.applied, target)
        self.applied, self.step = target, step
        return self

    def copy(self) -> HardwareSnapshot:
        """Return a snapshot of the same step that shares nothing with this one (a value)."""
        other = HardwareSnapshot(self.shapes)
        other.units = {name: {"sets": list(unit["sets"]), "hits": unit["hits"],
                              "misses": unit["misses"]}
                       for name, unit in self.units.items()}  # fmt: skip
        other.applied, other.step = self.applied, self.step
        return other
