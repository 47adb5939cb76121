"""The trace: its events, how the kernel records them, and how they are exported.

The kernel opens a note for each thing that happens (a kernel entry, a message transfer, a thread
ending...) and every primitive change it makes is recorded under the note that is open. At the end
of a step the journal stamps the notes with step number, time and cost and freezes them as
`Event`s: the trace. A note's text is kept as the kernel said it: a string, or a formatter and
the raw values it formats (`Wording`), turned into words only when someone reads `Event.text`, so
a run that nobody reads pays nothing for its prose. A trace exports as JSON (one object per
event) or in the Chrome trace-event format (Perfetto): every thread (and interrupt) a track,
every kernel entry a slice whose length is its cycles (in microseconds at the machine's clock),
every message an arrow (a flow) from the sender's slice to the receiver's track.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .deltas import Delta, delta_to_dict
from .ids import ThreadId
from .messages import Message
from .values import show

MESSAGE_KINDS = ("ipc", "interrupt")

# What a note says: the text itself, or (formatter, *values), formatted when the text is read.
Wording = str | tuple


def words_of(wording: Wording) -> str:
    """Return the text `wording` stands for: itself, or its formatter applied to its values."""
    return wording if type(wording) is str else wording[0](*wording[1:])


def pairs_of(details: tuple) -> tuple[tuple[str, Any], ...]:
    """Return the (key, value) pairs `details` stands for: itself, or its builder applied to
    its values (a message event's, built when read)."""
    return details if not details or type(details[0]) is tuple else details[0](*details[1:])


@dataclass(slots=True, unsafe_hash=True, init=False)  # immutable by convention (frozen is slow)
class Event:
    """One immutable trace record: what happened in a step, to whom, what it cost and changed.

    `time` is the clock before the event, `cycles` what it cost, `costs` the cost broken down by
    cause ((`hw.Cause`, cycles) pairs), `thread` the thread that entered the kernel (or None for
    a hardware event), `ids` every thread or interrupt id involved, `deltas` the state changes.
    A message event ("ipc", "interrupt") also has the `message` itself (typed fields: words,
    strings, items, label, the fault of a page-fault message) and, when a chief received it
    instead, the thread it was `intended` for. Views read these fields, never `text`. `text`,
    what happened in words, is built when read from `wording` (see `words_of`), and `info`, the
    event's (key, value) pairs, from `details` (see `pairs_of`).
    """

    step: int
    kind: str
    time: int
    cycles: int
    thread: ThreadId | None
    ids: tuple[ThreadId, ...]
    wording: Wording
    details: tuple = ()
    deltas: tuple[Delta, ...] = ()
    costs: tuple[tuple[str, int], ...] = ()
    message: Message | None = None
    intended: ThreadId | None = None

    def __init__(self, step: int, kind: str, time: int, cycles: int, thread: ThreadId | None,
                 ids: tuple[ThreadId, ...], wording: Wording = "", details: tuple = (),
                 deltas: tuple[Delta, ...] = (), costs: tuple[tuple[str, int], ...] = (),
                 message: Message | None = None, intended: ThreadId | None = None, *,
                 text: str | None = None,
                 info: tuple[tuple[str, Any], ...] | None = None) -> None:  # fmt: skip
        """Set the event's fields; `text=` and `info=` give its words and pairs outright (they
        replace `wording` and `details`, as `dataclasses.replace(event, text=...)` does)."""
        self.step, self.kind, self.time, self.cycles = step, kind, time, cycles
        self.thread, self.ids, self.wording, self.details = thread, ids, wording, details
        self.deltas, self.costs, self.message, self.intended = deltas, costs, message, intended
        if text is not None:
            self.wording = text
        if info is not None:
            self.details = info

    @property
    def text(self) -> str:
        """Return what happened in words, formatted now from what the kernel noted."""
        return words_of(self.wording)

    @property
    def info(self) -> tuple[tuple[str, Any], ...]:
        """Return the event's (key, value) pairs (built now where the kernel noted raw values)."""
        return pairs_of(self.details)

    def __repr__(self) -> str:
        """Return the event as its dataclass always showed it, `text` in words where
        `wording` is kept (so a cell showing events shows no formatter)."""
        names = ("step", "kind", "time", "cycles", "thread", "ids", "text", "info", "deltas",
                 "costs", "message", "intended")  # fmt: skip
        return f"Event({', '.join(f'{name}={getattr(self, name)!r}' for name in names)})"

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of `key` in the event's info, or `default`."""
        return dict(self.info).get(key, default)

    def __str__(self) -> str:
        return f"[{self.step:>4} @{self.time:>8}] {self.kind:<14} {self.text} ({self.cycles} cy)"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of this event."""
        return {
            "step": self.step,
            "kind": self.kind,
            "time": self.time,
            "cycles": self.cycles,
            "thread": _json(self.thread),
            "thread_name": str(self.thread) if self.thread else None,
            "ids": [_json(i) for i in self.ids],
            "text": self.text,
            "info": {k: _json(v) for k, v in self.info},
            "deltas": [delta_to_dict(d) for d in self.deltas],
            "costs": [list(c) for c in self.costs],
        }


class Trace(list):
    """The trace: every event in order (a list, as `s.trace` always was), and beside the events
    what the views read of each step: `locations[n]` the (file, line, function) of the yield that
    made step n (None: no program), `hardware` the TLB and cache changes per step (a change log
    the machine provides, with its own checkpoints), and `checkpoints` (steps taken -> the
    kernel state then) for rebuilding any step quickly. The views read this object only."""

    def __init__(self, hardware: Any = None) -> None:
        super().__init__()
        self.locations: list[tuple[str, int, str] | None] = []
        self.hardware = hardware
        self.checkpoints: dict[int, Any] = {}


def _json(value: Any) -> Any:
    """Return `value` in a form JSON can hold (ids as 'task.number.version', tuples as lists)."""
    if isinstance(value, ThreadId):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return show(value)


@dataclass(slots=True)
class Note:
    """An event being written: kind, thread, wording, info (or `details` that build it when
    read) and the deltas recorded under it."""

    kind: str
    thread: ThreadId | None
    wording: Wording
    ids: tuple[ThreadId, ...]
    info: dict[str, Any]
    deltas: list[Delta] = field(default_factory=list)
    message: Message | None = None
    intended: ThreadId | None = None
    details: tuple | None = None


class Journal:
    """Collects the notes and deltas of the current step."""

    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.loose: list[Delta] = []
        self.shared: dict[Any, Any] = {}  # one copy of each value that recurs from step to step

    def share(self, value: Any) -> Any:
        """Return the one stored copy equal to `value` (the first one seen), keeping it."""
        return self.shared.setdefault(value, value)

    def share_info(self, info: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
        """Return `info` as (key, value) pairs, each recurring pair stored once."""
        if not info:  # a kernel entry's note: its fields say it all
            return ()
        pairs = []
        for pair in info.items():
            try:
                pairs.append(pair if isinstance(pair[1], tuple) else self.share(pair))
            except TypeError:  # an unhashable label: kept as it is
                pairs.append(pair)
        return tuple(pairs)

    def note(
        self,
        kind: str,
        text: Wording,
        thread: ThreadId | None = None,
        ids: tuple[ThreadId, ...] = (),
        message: Message | None = None,
        intended: ThreadId | None = None,
        details: tuple | None = None,
        **info: Any,
    ) -> None:
        """Open a new note; deltas recorded from now on belong to it. `text` is a string or
        (formatter, *values), formatted only when the event's text is read; `details`, given
        instead of `info`, is (builder, *values), building the event's pairs when read."""
        all_ids = (thread,) if thread else ()
        if ids:  # the thread first, then the others, each once
            all_ids = tuple(dict.fromkeys(all_ids + ids))
        self.notes.append(Note(kind, thread, text, all_ids, info, [], message, intended, details))

    def record(self, delta: Delta) -> None:
        """Record a state delta under the open note (or before any note, as loose)."""
        if self.notes:
            self.notes[-1].deltas.append(delta)
        else:
            self.loose.append(delta)

    def take(self) -> list[Note]:
        """Return the step's notes (loose deltas folded into the first) and start afresh."""
        notes, loose = self.notes, self.loose
        self.notes, self.loose = [], []
        if loose:
            if not notes:
                notes = [Note("state", "state changed", None, (), {})]
            notes[0].deltas[:0] = loose
        return notes

    def close(
        self, step: int, time: int, costs: tuple[tuple[str, int], ...], stepping: ThreadId | None
    ) -> list[Event]:
        """Return the step's notes frozen as events and start afresh.

        The step's cost goes to the note of the stepping thread's kernel entry (a program may
        have called, say, raise_interrupt before it), else to the first note.
        """
        notes = self.take()
        total = sum([c for _, c in costs])
        main = main_note(notes, stepping)
        costs, share = self.share(costs), self.share
        return [
            Event(step, n.kind, time, total if i == main else 0, n.thread, share(n.ids), n.wording,
                  self.share_info(n.info) if n.details is None else n.details, tuple(n.deltas),
                  costs if i == main else (),
                  n.message, n.intended)
            for i, n in enumerate(notes)
        ]  # fmt: skip


def main_note(notes: list[Note], stepping: ThreadId | None) -> int:
    """Return the index of the first note of thread `stepping` (its kernel entry), else 0."""
    if stepping is not None:
        for i, note in enumerate(notes):
            if note.thread == stepping:
                return i
    return 0


def to_json(events: Iterable[Event], indent: int | None = 1) -> str:
    """Return the events as a JSON list of objects (step, kind, time, cycles, ids, deltas...)."""
    return json.dumps([e.to_dict() for e in events], indent=indent, ensure_ascii=False)


def to_chrome(events: Iterable[Event], clock_mhz: float, name: str = "mkteach",
              tracks: dict[ThreadId, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Return the events as a Chrome trace-event document (open it in Perfetto).

    A track is one thread id (named by `tracks`, e.g. "client (C, 2.0.0)"; by its id without),
    never two threads that share a name. Every kernel entry, interrupt deliveries included, is a
    slice of exactly its cycles on the track of the thread it ran for (a delivery: the
    driver's), from its start to its end in microseconds rounded to the nanosecond from whole
    cycles, so adjacent slices never overlap. Each message is a flow bound to slices: it starts
    inside the sender's slice (the kernel entry that sent it, or for a sender that blocked, the
    entry where it did so) and ends inside or at the start of the receiver's slice (the entry
    that received it, or the receiver's next one). A track with no such slice (an interrupt, a
    receiver that never runs again) gets a zero-length slice marking the message.
    """
    events = list(events)
    names = tracks or {}

    def at(cycles: int) -> int:
        """Return a time in whole nanoseconds (slices are built in them, exported in us)."""
        return round(cycles * 1000 / clock_mhz)

    slices: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, str] = {}

    def lane(tid: ThreadId | None) -> str:
        """Return the track key of thread `tid` (its id), naming the track on first use."""
        if tid is None:
            return "kernel"
        key = tid.to_json()
        if key not in labels:
            labels[key] = names.get(tid) or (str(tid) if tid.is_interrupt else f"{tid} ({key})")
        return key

    for e in events:
        message = e.kind in MESSAGE_KINDS
        if message and not e.cycles:
            continue
        # the kernel entry an interrupt delivery is, runs for the driver that receives it
        key = lane(e.get("receiver") if e.kind == "interrupt" else e.thread)
        start = at(e.time)
        slices.setdefault(key, []).append({
            "name": e.kind, "cat": "kernel", "ph": "X", "ts": start,
            "dur": at(e.time + e.cycles) - start, "pid": 1,
            "args": {"step": e.step, "text": e.text, "cycles": e.cycles,
                     **{str(cause): cycles for cause, cycles in e.costs}},
        })  # fmt: skip
    flows: list[dict[str, Any]] = []
    for number, e in enumerate((e for e in events if e.kind in MESSAGE_KINDS), start=1):
        ts = at(e.time)
        # the thread that sent it (a chief forwarding as_sender sends on its own track)
        sender, receiver = lane(e.thread), lane(e.get("receiver"))
        common = {"name": e.get("msg_kind", "message"), "cat": "ipc", "id": number, "pid": 1}
        flows.append({**common, "ph": "s", "bp": "e", "ts": _sent_from(slices, sender, ts, e),
                      "tid": sender})  # fmt: skip
        flows.append({**common, "ph": "f", "bp": "e",
                      "ts": _received_in(slices, receiver, ts, e), "tid": receiver})  # fmt: skip
        flows.append({"name": e.text, "cat": "ipc", "ph": "i", "s": "t", "ts": ts, "pid": 1,
                      "tid": receiver})  # fmt: skip
    numbers = {key: number for number, key in enumerate(slices, start=1)}
    out: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": name}}
    ]
    out += [{"name": "thread_name", "ph": "M", "pid": 1, "tid": tid,
             "args": {"name": labels.get(key, key)}}
            for key, tid in numbers.items()]  # fmt: skip
    for key, track in slices.items():
        out += [{**s, "ts": s["ts"] / 1000, "dur": s["dur"] / 1000, "tid": numbers[key]}
                for s in sorted(track, key=lambda s: s["ts"])]  # fmt: skip
    out += [{**f, "ts": f["ts"] / 1000, "tid": numbers[f["tid"]]} for f in flows]
    return {"traceEvents": out, "displayTimeUnit": "ns", "otherData": {"clock_mhz": clock_mhz}}


def _mark(slices: dict[str, list[dict[str, Any]]], lane: str, ts: int, e: Event,
          what: str) -> int:  # fmt: skip
    """Add a zero-length slice for message `e` on `lane` at `ts`; return ts."""
    slices.setdefault(lane, []).append({"name": what, "cat": "ipc", "ph": "X", "ts": ts,
                                        "dur": 0, "pid": 1, "args": {"step": e.step,
                                                                     "text": e.text}})  # fmt: skip
    return ts


def _sent_from(slices: dict[str, list[dict[str, Any]]], lane: str, ts: int, e: Event) -> int:
    """Return where a flow leaves the sender's track: inside the slice that sent the message."""
    before = [s for s in slices.get(lane, ()) if s["ts"] <= ts]
    if not before:
        return _mark(slices, lane, ts, e, "sent")
    last = max(before, key=lambda s: s["ts"])
    return ts if _encloses(last, ts) else last["ts"]


def _encloses(s: dict[str, Any], ts: int) -> bool:
    """Return True when slice `s` holds time `ts` (its start counts; a zero-length one at ts)."""
    return s["ts"] <= ts < s["ts"] + s["dur"] or s["ts"] == ts


def _received_in(slices: dict[str, list[dict[str, Any]]], lane: str, ts: int,
                 e: Event) -> int:  # fmt: skip
    """Return where a flow enters the receiver's track: inside or at the start of a slice."""
    lane_slices = slices.get(lane, ())
    if any(_encloses(s, ts) for s in lane_slices):
        return ts
    later = [s["ts"] for s in lane_slices if s["ts"] >= ts]
    return min(later) if later else _mark(slices, lane, ts, e, "received")
