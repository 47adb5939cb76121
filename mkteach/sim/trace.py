"""Trace export: JSON (one object per event) and the Chrome trace-event format (Perfetto).

In the Chrome format every thread (and interrupt) is a track, every kernel entry a slice whose
length is its cycles (shown in microseconds at the machine's clock), and every message an arrow
(a flow) from the sender's slice to the receiver's track.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..kernel.journal import Event

MESSAGE_KINDS = ("ipc", "interrupt")


def to_json(events: Iterable[Event], indent: int | None = 1) -> str:
    """Return the events as a JSON list of objects (step, kind, time, cycles, ids, deltas...)."""
    return json.dumps([e.to_dict() for e in events], indent=indent, ensure_ascii=False)


def to_chrome(events: Iterable[Event], clock_mhz: float, name: str = "mkteach") -> dict[str, Any]:
    """Return the events as a Chrome trace-event document (open it in Perfetto)."""
    tracks: dict[str, int] = {}
    out: list[dict[str, Any]] = []

    def track(label: str) -> int:
        """Return the track id of `label`, announcing a new track with its name."""
        if label not in tracks:
            tracks[label] = len(tracks) + 1
            out.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": tracks[label],
                        "args": {"name": label}})  # fmt: skip
        return tracks[label]

    out.append({"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": name}})
    flow = 0
    for e in events:
        ts = e.time / clock_mhz
        if e.kind in MESSAGE_KINDS:
            flow += 1
            sender, receiver = str(e.get("sender")), str(e.get("receiver"))
            common = {"name": e.get("msg_kind", "message"), "cat": "ipc", "id": flow, "pid": 1}
            out.append({**common, "ph": "s", "ts": ts, "tid": track(sender)})
            out.append({**common, "ph": "f", "bp": "e", "ts": ts, "tid": track(receiver)})
            out.append({"name": e.text, "cat": "ipc", "ph": "i", "s": "t", "ts": ts, "pid": 1,
                        "tid": track(receiver)})  # fmt: skip
            continue
        lane = str(e.thread) if e.thread is not None else "kernel"
        out.append({
            "name": e.kind, "cat": "kernel", "ph": "X", "ts": ts,
            "dur": max(e.cycles, 1) / clock_mhz, "pid": 1, "tid": track(lane),
            "args": {"step": e.step, "text": e.text, "cycles": e.cycles,
                     **{cause: cycles for cause, cycles in e.costs}},
        })  # fmt: skip
    return {"traceEvents": out, "displayTimeUnit": "ns", "otherData": {"clock_mhz": clock_mhz}}
