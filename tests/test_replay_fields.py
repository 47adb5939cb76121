"""The views read the trace's fields, never its text: the replay of every scenario is the same
data when every event's text is replaced by a placeholder (apart from the text lines, which the
replay shows as they are).

Before, the IPC view split each message event's text at ": " for the arrow's label and divided
a page fault's first word by 4096 for its page; now the event carries the message itself (its
words, items, label and fault page as fields) and the view formats those.
"""

from __future__ import annotations

import dataclasses

import pytest

from mkteach.scenarios import SCENARIOS
from mkteach.views.ipc import message_label
from mkteach.views.replay import RunData, replay_data


def replay(system) -> dict:
    """Return the replay of the whole run (one window holding every step)."""
    return replay_data([RunData(system)], system.steps - 1, size=system.steps + 1)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_replay_is_the_same_data_with_every_event_text_a_placeholder(name):
    s = SCENARIOS[name].build(seed=0)
    s.run(max_steps=600)
    labels = [message_label(e) for e in s.trace if e.kind in ("ipc", "interrupt")]
    real = replay(s)

    for i, e in enumerate(s.trace):
        s.trace[i] = dataclasses.replace(e, text=f"<event {i}>")
    blind = replay(s)

    (real_run,), (blind_run,) = real["runs"], blind["runs"]
    real_lines, blind_lines = real_run.pop("text"), blind_run.pop("text")
    assert blind == real  # labels, lanes, costs, states, trees, hardware: all from fields
    assert [len(lines) for lines in blind_lines] == [len(lines) for lines in real_lines]
    assert all(line.startswith("<event ") for lines in blind_lines for line in lines)
    assert labels == [message_label(e) for e in s.trace if e.kind in ("ipc", "interrupt")]


def test_a_page_fault_arrow_names_the_fault_page_carried_by_the_message():
    s = SCENARIOS["stacked-pagers"].build(seed=0)
    s.run(max_steps=600)
    faults = [e for e in s.trace if e.kind == "ipc" and e.get("msg_kind") == "page_fault"]

    assert faults
    for e in faults:
        page, address, write = e.message.fault
        assert e.message.fault_page == page == address // s.page_size
        assert message_label(e) == f"page fault: {'write' if write else 'read'} page {page}"
