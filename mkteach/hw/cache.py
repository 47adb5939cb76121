"""A set-associative, physically indexed cache with LRU replacement.

Addresses are physical byte addresses; a line of `line` bytes lives in set
(address // line) % sets. Conflicts between two data structures (say two thread control blocks)
therefore come from where they are placed, exactly as on the real processor.
"""

from __future__ import annotations

from collections import OrderedDict

from ..errors import InvalidArgument


class Cache:
    """A cache of `size` bytes, `assoc` ways, `line`-byte lines, counting hits and misses."""

    def __init__(self, size: int, assoc: int, line: int, name: str = "cache") -> None:
        if size <= 0 or assoc <= 0 or line <= 0 or size % (assoc * line):
            raise InvalidArgument(
                f"{name}: a {size}-byte cache cannot have {assoc} ways of {line}-byte lines: "
                "the size must be a positive multiple of ways x line size"
            )
        self.name = name
        self.size, self.assoc, self.line = size, assoc, line
        self.n_sets = size // (assoc * line)
        self.sets: list[OrderedDict[int, None]] = [OrderedDict() for _ in range(self.n_sets)]
        self.hits = self.misses = 0
        self.dirty: set[int] = set()  # sets changed since the last take_changes()

    @property
    def way_size(self) -> int:
        """Return the bytes one way spans: addresses this far apart share a set."""
        return self.n_sets * self.line

    def set_index(self, address: int) -> int:
        """Return the set that physical `address` maps to."""
        return (address // self.line) % self.n_sets

    def access(self, address: int) -> bool:
        """Return True on a hit; on a miss fill the line (evicting its set's LRU line)."""
        tag = address // self.line
        self.dirty.add(tag % self.n_sets)
        lines = self.sets[tag % self.n_sets]
        if tag in lines:
            lines.move_to_end(tag)
            self.hits += 1
            return True
        self.misses += 1
        if len(lines) >= self.assoc:
            lines.popitem(last=False)
        lines[tag] = None
        return False

    def lines_of(self, address: int, size: int) -> range:
        """Return the line-aligned addresses that the bytes [address, address+size) occupy."""
        first = address - address % self.line
        return range(first, address + max(size, 1), self.line)

    def flush(self) -> None:
        """Empty the cache."""
        for lines in self.sets:
            lines.clear()
        self.dirty.update(range(self.n_sets))

    def take_changes(self) -> dict[int, tuple]:
        """Return {set index: its line tags, LRU first} for each set changed since the last call."""
        changes = {i: tuple(self.sets[i]) for i in sorted(self.dirty)}
        self.dirty.clear()
        return changes


INFINITE_LINES = 2**40  # more lines than any run can touch: the cache never evicts


def fully_associative(size: int, line: int, name: str = "cache") -> Cache:
    """Return a fully associative LRU cache of `size` bytes: one set holding every line.

    It misses only when the cache is too small (or the line is new): the capacity model of the
    three-C split of misses.
    """
    return Cache(size, size // line if size >= line else 0, line, name)


def infinite(line: int, name: str = "cache") -> Cache:
    """Return a cache that never evicts: it misses only on a line's first touch (compulsory)."""
    return Cache(INFINITE_LINES * line, INFINITE_LINES, line, name)
