"""A set-associative TLB with LRU replacement.

Entries are keyed by (tag, page). The machine chooses the tag: on a tagged TLB (MIPS R4000) it is
the address-space id, so spaces share the TLB without flushes; on an untagged one (i486, Pentium,
Alpha 21064 as the paper treats it) every large space uses the same tag, so switching spaces must
flush the TLB. Kernel entries use their own tag.
"""

from __future__ import annotations

from collections import OrderedDict

from ..errors import InvalidArgument


class TLB:
    """Translation lookaside buffer: `entries` in sets of `assoc`, counting hits and misses."""

    def __init__(self, entries: int, assoc: int, name: str = "tlb") -> None:
        if entries <= 0 or assoc <= 0 or entries % assoc:
            raise InvalidArgument(
                f"{name}: {entries} entries cannot be split into sets of {assoc} ways: "
                "entries must be a positive multiple of the associativity"
            )
        self.name = name
        self.entries, self.assoc = entries, assoc
        self.n_sets = entries // assoc
        self.sets: list[OrderedDict[tuple[int, int], None]] = [
            OrderedDict() for _ in range(self.n_sets)
        ]
        self.hits = self.misses = self.flushes = 0
        self.dirty: set[int] = set()  # sets changed since the last take_changes()

    def lookup(self, tag: int, page: int) -> bool:
        """Return True on a hit; on a miss load the entry (evicting the LRU one of its set)."""
        index = page % self.n_sets
        self.dirty.add(index)
        entries = self.sets[index]
        key = (tag, page)
        if key in entries:
            entries.move_to_end(key)
            self.hits += 1
            return True
        self.misses += 1
        if len(entries) >= self.assoc:
            entries.popitem(last=False)
        entries[key] = None
        return False

    def flush(self) -> int:
        """Drop every entry; return how many were dropped."""
        dropped = sum(len(s) for s in self.sets)
        for entries in self.sets:
            entries.clear()
        self.dirty.update(range(self.n_sets))
        self.flushes += 1
        return dropped

    def invalidate(self, tag: int, page: int) -> bool:
        """Drop the entry for (tag, page) if present; return True when one was dropped."""
        entries = self.sets[page % self.n_sets]
        self.dirty.add(page % self.n_sets)
        return entries.pop((tag, page), 0) is None

    def take_changes(self) -> dict[int, tuple]:
        """Return {set index: its entries, LRU first} for every set changed since the last call."""
        changes = {i: tuple(self.sets[i]) for i in sorted(self.dirty)}
        self.dirty.clear()
        return changes

    def contents(self) -> list[list[tuple[int, int]]]:
        """Return each set's entries as (tag, page), least recently used first."""
        return [list(s) for s in self.sets]
