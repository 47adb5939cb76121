"""Rebuild the kernel state after any step from the trace: stepping forwards and back.

A `Snapshot` holds what the deltas describe (spaces, mapping trees, thread states, memory) in a
fresh kernel of the same size. Moving it to step n applies the deltas of the events up to n, or
undoes those after n, so stepping back is exact and cheap.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from ..kernel import deltas as d
from ..kernel.kernel import Kernel
from ..kernel.mapdb import AddressSpace, Lookup, derivation_graph
from ..kernel.trace import Event


class Snapshot:
    """The kernel state (no programs, no clock) after step `self.step` of a trace."""

    def __init__(self, frames: int) -> None:
        self.kernel = Kernel(frames)
        self.kernel.journal = None  # type: ignore[assignment]  # replay records nothing
        self.threads: dict[str, tuple[str, str, str]] = {}  # id key -> (space, name, state)
        self.memory: dict[int, Any] = {}
        self.applied = 0  # events of the trace applied so far
        self.step = -1

    # -- moving -----------------------------------------------------------------------------

    def move_to(self, trace: Sequence[Event], step: int) -> Snapshot:
        """Apply or undo events until the state is the one after `step` (-1: before any)."""
        target = bisect.bisect_right(trace, step, key=lambda e: e.step)
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
            if delta.new:
                self.threads[delta.thread] = (delta.space, delta.name, delta.new)
            else:
                del self.threads[delta.thread]
        elif isinstance(delta, d.MemoryWritten):
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

    # -- reading --------------------------------------------------------------------------------

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
        return d.ThreadState(delta.thread, delta.space, delta.name, delta.new, delta.old)
    if isinstance(delta, d.MemoryWritten):
        return d.MemoryWritten(delta.address, delta.new, delta.old)
    raise AssertionError(f"undo: no inverse delta for {type(delta).__name__}")


class HardwareSnapshot:
    """The TLB and cache contents after a given step, rebuilt from per-step changes.

    `units[name]` has "sets" (a list, one tuple per set, LRU first), "hits" and "misses".
    Moving back restarts from the nearest checkpoint (one every CHECKPOINT steps).
    """

    CHECKPOINT = 256

    def __init__(self, shapes: dict[str, int]) -> None:
        self.shapes = shapes  # name -> number of sets
        self.units = self._empty()
        self.applied = 0
        self.step = -1
        self._checkpoints: dict[int, dict[str, dict[str, Any]]] = {0: self._copy()}

    def _empty(self) -> dict[str, dict[str, Any]]:
        """Return empty TLBs and caches of the right shapes."""
        return {n: {"sets": [()] * k, "hits": 0, "misses": 0} for n, k in self.shapes.items()}

    def _copy(self) -> dict[str, dict[str, Any]]:
        """Return a copy of the current state (sets are tuples, so a shallow copy suffices)."""
        return {n: {**u, "sets": list(u["sets"])} for n, u in self.units.items()}

    def move_to(self, changes: Sequence[dict[str, Any]], step: int) -> HardwareSnapshot:
        """Rebuild the state after `step` (-1: before any) from per-step `changes`; return self."""
        target = step + 1
        if target < self.applied:
            start = max(k for k in self._checkpoints if k <= target)
            self.units = {n: {**u, "sets": list(u["sets"])}
                          for n, u in self._checkpoints[start].items()}  # fmt: skip
            self.applied = start
        while self.applied < target:
            for name, change in changes[self.applied].items():
                unit = self.units[name]
                for index, contents in change["sets"].items():
                    unit["sets"][index] = contents
                unit["hits"], unit["misses"] = change["hits"], change["misses"]
            self.applied += 1
            if self.applied % self.CHECKPOINT == 0:
                self._checkpoints.setdefault(self.applied, self._copy())
        self.step = step
        return self
