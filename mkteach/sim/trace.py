"""Trace export: the events of a run as JSON (one object per event)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..kernel.journal import Event


def to_json(events: Iterable[Event], indent: int | None = 1) -> str:
    """Return the events as a JSON list of objects (step, kind, time, cycles, ids, deltas...)."""
    return json.dumps([e.to_dict() for e in events], indent=indent, ensure_ascii=False)
