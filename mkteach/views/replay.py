"""The replay: everything the dashboard shows for a window of steps, as plain JSON data.

The browser steps through it with no kernel round trip (mkteach/views/player.js draws it), so a
step costs what a redraw costs, and an exported page or a notebook opened without a kernel still
steps. Per step it holds what changed (cost by cause, TLB and cache sets, messages) and
references to states met before (a mapping-tree scene, a table of thread states), so a window
of thousands of steps stays small.
"""

from __future__ import annotations

import html
import json
import linecache
from pathlib import Path
from typing import Any

from ..hw import kernels as k
from ..kernel import deltas as d
from .bundle import standalone_js
from .common import CAUSE_COLOURS, KIND_COLOURS, events_until
from .hardware import OWNER_COLOURS
from .ipc import MESSAGE_KINDS, message_label
from .tree import NODE_KINDS, MappingTreeView

WINDOW = 2_000  # steps of data the live dashboard holds at a time
HTML_WINDOW = 500  # steps a long run's saved HTML replay holds (a shorter run: all of it)
PLAYER_JS = Path(__file__).with_name("player")  # the player's ES modules (bundle.py)


def run_label(system: Any) -> str:
    """Return how a run is named in the views: its machine and kernel."""
    return f"{system.profile.name}, {system.machine.variant.name} kernel"


def window_around(last: int, step: int, size: int = WINDOW) -> tuple[int, int]:
    """Return the first and last step of the window of `size` steps that holds `step`."""
    lo = max(-1, min(step - size // 2, last - size + 1))
    return lo, min(last, lo + size - 1)


def program_source(filename: str, line: int, function: str) -> tuple[int, list[str]]:
    """Return (first line number, lines) of the function that holds `line` in `filename`.

    Notebook cells are found too: IPython puts their code in linecache. Without the source,
    return (line, [a note saying so]).
    """
    lines = linecache.getlines(filename)
    if not lines or line > len(lines):
        return line, [f"(the source of {function}() is not available)"]
    first = line
    while first > 1 and not lines[first - 1].lstrip().startswith(f"def {function}("):
        first -= 1
    if not lines[first - 1].lstrip().startswith(f"def {function}("):
        first = line
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
    last = line
    while last < len(lines):
        text = lines[last]
        if text.strip() and len(text) - len(text.lstrip()) <= indent:
            break
        last += 1
    while last > line and not lines[last - 1].strip():
        last -= 1
    return first, [text.rstrip("\n") for text in lines[first - 1 : last]]


class RunData:
    """Builds the replay of one System for a window of steps."""

    def __init__(self, system: Any, frame: int | None = None, space: Any = None) -> None:
        self.system = system
        self.tree = MappingTreeView(system, frame=frame, space=space)
        self.units = system.machine.structures()

    def build(self, lo: int, hi: int) -> dict[str, Any]:
        """Return the JSON-ready replay of steps lo..hi (clamped to the run's last step)."""
        s = self.system
        last = s.steps - 1
        hi = min(hi, last)
        steps = range(max(lo, 0), hi + 1)
        trace = s.trace
        out: dict[str, Any] = {"label": run_label(s), "last": last, "lo": max(lo, 0)}
        by_step: dict[int, list] = {}
        for e in trace[len(events_until(trace, max(lo, 0) - 1)) :]:
            if e.step > hi:
                break
            by_step.setdefault(e.step, []).append(e)
        out["before"] = sum(e.cycles for e in events_until(trace, max(lo, 0) - 1))
        out["time"], out["text"], out["cost"], out["who"] = [], [], [], []
        causes = list(CAUSE_COLOURS)
        for n in steps:
            events = by_step.get(n, [])
            out["time"].append(events[0].time if events else 0)
            out["text"].append([_event_line(e) for e in events])
            costs = [c for e in events for c in e.costs]
            out["cost"].append([[causes.index(c), v] for c, v in costs if v])
            main = next((e for e in events if e.costs), events[0] if events else None)
            out["who"].append(str(main.thread) if main and main.thread is not None else None)
        self._program(out, steps, by_step)
        self._trees(out, steps)
        self._hardware(out, lo, steps)
        self._messages(out, steps, by_step)
        return out

    def _program(self, out: dict, steps: range, by_step: dict) -> None:
        """Add per step the stepping program's line, and the thread states: those before the
        window, then what each step changed (from the trace's ThreadState deltas)."""
        sources: dict[tuple, int] = {}
        out["src"], out["where"] = [], []
        locations = self.system.trace.locations
        for n in steps:
            where = locations[n] if n < len(locations) else None
            if where is None:
                out["where"].append(None)
                continue
            filename, line, function = where
            first, lines = program_source(filename, line, function)
            key = (filename, function, first)
            if key not in sources:
                sources[key] = len(out["src"])
                out["src"].append({"function": function, "first": first, "lines": lines})
            out["where"].append([sources[key], line])
        threads: dict[str, int] = {}
        states: dict[str, int] = {}
        out["threads"], out["states"] = [], []

        def thread(key: str, space: str, name: str) -> int:
            if key not in threads:
                threads[key] = len(out["threads"])
                out["threads"].append([name, space])
            return threads[key]

        def state(text: str) -> int:
            if text not in states:
                states[text] = len(out["states"])
                out["states"].append(text)
            return states[text]

        before = self.system.state_at(max(out["lo"], 0) - 1).threads
        out["t0"] = [[thread(key, sp, name), state(st)] for key, (sp, name, st) in before.items()]
        out["dt"] = []
        for n in steps:
            changes = []
            for e in by_step.get(n, []):
                for x in e.deltas:
                    if isinstance(x, d.ThreadState):
                        i = thread(x.thread, x.space, x.name)
                        changes.append([i, state(x.new) if x.after is not None else -1])
            out["dt"].append(changes)

    def _trees(self, out: dict, steps: range) -> None:
        """Add per step the index of its mapping-tree scene (scenes met before are shared); a
        node is [x, depth, "space:page", rights, highlight, frame]."""
        scenes: dict[str, int] = {}
        out["scenes"], out["tree"] = [], []
        for n in steps:
            pos, children, info, ghost_parent, frame_of = self.tree.layout_frames(n)
            edges = [
                [*pos[p], *pos[k], 1 if k in ghost_parent else 0]
                for p, kids in children.items()
                for k in kids
            ]
            nodes = [[*pos[n_], f"{n_[0]}:{n_[1]}", info[n_][0], info[n_][1], frame_of.get(n_)]
                     for n_ in pos]  # fmt: skip
            scene = {"nodes": nodes, "edges": edges}
            key = json.dumps(scene)
            if key not in scenes:
                scenes[key] = len(out["scenes"])
                out["scenes"].append(scene)
            out["tree"].append(scenes[key])

    def _hardware(self, out: dict, lo: int, steps: range) -> None:
        """Add the TLB and cache contents before the window and each step's changes."""
        names = self.system.kernel.space_by_id
        out["units"] = [
            {"name": name, "sets": u.n_sets, "ways": u.assoc, "line": getattr(u, "line", 0)}
            for name, u in self.units.items()
        ]
        out["spaces"] = {str(i): space.name for i, space in names.items()}
        if not self.units:
            out["hw0"], out["hw"] = [], [{} for _ in steps]
            return
        state = self.system.hardware_at(max(lo, 0) - 1)
        out["hw0"] = [
            {
                "sets": [self._entries(u, c, names) for c in state.units[name]["sets"]],
                "hits": state.units[name]["hits"],
                "misses": state.units[name]["misses"],
            }
            for name, u in self.units.items()
        ]
        out["hw"] = []
        changes = self.system.trace.hardware
        now = [list(state.units[name]["sets"]) for name in self.units]  # contents so far
        for n in steps:
            step_changes = {}
            for i, (name, u) in enumerate(self.units.items()):
                change = changes[n].get(name)
                if not change:
                    continue
                new, same = {}, []  # sets whose contents changed; sets touched, unchanged
                for index, contents in change["sets"].items():
                    if now[i][index] == contents:
                        same.append(index)
                    else:
                        now[i][index] = contents
                        new[str(index)] = self._entries(u, contents, names)
                step_changes[str(i)] = [new, change["hits"], change["misses"], same]
            out["hw"].append(step_changes)

    @staticmethod
    def _entries(unit: Any, contents: tuple, names: dict) -> list:
        """Return a set's entries (LRU first) as sent: a cache's line numbers, a TLB's
        [tag, page] pairs (the page works out whose memory each one is)."""
        if hasattr(unit, "line"):
            return list(contents)
        return [list(entry) for entry in contents]

    def _messages(self, out: dict, steps: range, by_step: dict) -> None:
        """Add the lanes (thread and space) and every message of the window."""
        lanes: dict[str, int] = {}
        spaces = {name: space for space, name, _ in self.system.state_at(steps[-1] if steps else -1)
                  .threads.values()}  # fmt: skip
        kinds = list(KIND_COLOURS)
        out["msgs"] = []
        for n in steps:
            for e in by_step.get(n, []):
                if e.kind not in MESSAGE_KINDS:
                    continue
                ends = []
                for who in (e.get("sender"), e.get("receiver")):
                    ends.append(lanes.setdefault(str(who), len(lanes)))
                kind = e.get("msg_kind", "interrupt" if e.kind == "interrupt" else "short")
                out["msgs"].append([n, e.time, max(e.cycles, 1), *ends,
                                    kinds.index(kind) if kind in kinds else 0,
                                    message_label(e)])  # fmt: skip
        out["lanes"] = [f"{name} ({spaces[name]})" if name in spaces else name for name in lanes]


def _event_line(e: Any) -> str:
    """Return one event of a step as a line of text."""
    cost = f" — {e.cycles:,} cycles" if e.cycles else ""
    return f"{e.text}{cost}"


def legend() -> dict[str, list]:
    """Return the colour keys the player draws: owners, causes, message kinds, tree nodes."""
    return {
        "owners": [[name, colour] for name, colour in OWNER_COLOURS.items()],
        "bounds": [
            [k.BUFFERS, "buffers"],
            [k.TCBS, "TCB"],
            [k.DATA, "kernel data"],
            [k.CODE, "kernel code"],
            [k.DESCRIPTORS, "descriptors"],
        ],  # fmt: skip
        "causes": [[name.replace("_", " "), colour] for name, colour in CAUSE_COLOURS.items()],
        "kinds": [[name.replace("_", " "), colour] for name, colour in KIND_COLOURS.items()],
        "nodes": {state: [name, colour] for state, (name, colour) in NODE_KINDS.items()},
    }


def replay_data(
    runs: list[RunData], step: int, labels: list[str] | None = None, size: int = WINDOW
) -> dict:
    """Return the replay of every run for the window of `size` steps that holds `step` (the
    runs step together)."""
    last = max(r.system.steps - 1 for r in runs)
    lo, hi = window_around(last, step, size)
    built = [r.build(lo, hi) for r in runs]
    for data, label in zip(built, labels or [], strict=False):
        data["label"] = label
    return {"lo": lo, "hi": hi, "last": last, "step": step, "runs": built, "key": legend()}


def replay_html(data: dict, element_id: str) -> str:
    """Return a self-contained HTML fragment (the data and the player's code) that steps
    through `data` in any browser, with no kernel and nothing fetched."""
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    code = standalone_js()
    note = html.escape(f"A replay of {len(data['runs'])} run(s), steps 0 to {data['last']}")
    return (
        f'<div id="{element_id}" class="mkteach-replay">{note}: it steps once its script runs'
        " (trust the notebook, or open its HTML export).</div>"
        f"<script>(function(){{{code}\nmkteachPlayer(document.getElementById("
        f'"{element_id}"), {payload}, null);}})();</script>'
    )
