"""The hardware's history: what changed in the TLBs and caches at each step, kept compactly.

Each step records which sets it touched with their contents afterwards, and every unit's hit and
miss counters. Contents that recur (a ping-pong puts the same lines back again and again) are
stored once, and the counters live in arrays, so a long run costs a few bytes per step. Every
`interval` steps the log also keeps a checkpoint of the whole hardware state, so the state after
any step is rebuilt from the nearest checkpoint, not from the start.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

Touched = tuple[tuple[int, int, tuple], ...]  # (unit index, set index, contents LRU first)
Units = dict[str, dict[str, Any]]  # name -> {"sets": [contents per set], "hits", "misses"}


class ChangeLog(Sequence):
    """Per step: the sets each unit touched and its counters; `log[step]` reads one as a dict.

    `log[step]` is {unit name: {"sets": {set index: contents}, "hits": n, "misses": n}}.
    """

    def __init__(self, names: Sequence[str], interval: int = 1024) -> None:
        self.names = tuple(names)
        self.interval = interval
        self.touched: list[Touched] = []
        self.counters = [(array("q"), array("q")) for _ in self.names]
        self.checkpoints: dict[int, Units] = {}  # steps applied -> hardware state then
        self._shared: dict[Any, Any] = {}

    def share(self, value: Any) -> Any:
        """Return the one stored copy equal to `value`."""
        return self._shared.setdefault(value, value)

    def append(self, record: tuple[Touched, tuple[tuple[int, int], ...]]) -> None:
        """Add one step's record: (touched sets, (hits, misses) per unit)."""
        touched, counters = record
        self.touched.append(self.share(touched))  # a steady state repeats whole steps
        for (hits, misses), (h, m) in zip(self.counters, counters, strict=True):
            hits.append(h)
            misses.append(m)

    def __len__(self) -> int:
        return len(self.touched)

    def __getitem__(self, step: int) -> dict[str, dict[str, Any]]:  # type: ignore[override]
        """Return what step `step` changed, by unit name."""
        out = {
            name: {"sets": {}, "hits": hits[step], "misses": misses[step]}
            for name, (hits, misses) in zip(self.names, self.counters, strict=True)
        }
        for unit, index, contents in self.touched[step]:
            out[self.names[unit]]["sets"][index] = contents
        return out

    def replay(self, units: Units, start: int, stop: int) -> None:
        """Apply the records of steps start..stop-1 to `units` (a state after `start` steps)."""
        for step in range(start, stop):
            for unit, index, contents in self.touched[step]:
                units[self.names[unit]]["sets"][index] = contents
        if stop > start:
            for name, (hits, misses) in zip(self.names, self.counters, strict=True):
                units[name]["hits"], units[name]["misses"] = hits[stop - 1], misses[stop - 1]

    def checkpoint_before(self, applied: int) -> tuple[int, Units] | None:
        """Return (steps applied, a copy of the state) of the latest checkpoint at or before."""
        at = applied - applied % self.interval
        while at > 0 and at not in self.checkpoints:
            at -= self.interval
        if at <= 0:
            return None
        return at, {n: {**u, "sets": list(u["sets"])} for n, u in self.checkpoints[at].items()}
