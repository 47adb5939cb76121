"""`dashboard(system)`: every view of one run (or two side by side), stepped in the browser.

The dashboard is one widget whose state is a replay of a window of steps (replay.py); the
page draws each step from it (the ES modules in player/, bundled by bundle.py), so stepping
needs no kernel round trip, Voila shows
it filled at once, and a notebook saved with its outputs still steps (its HTML output is a
self-contained replay). The Python side keeps a `Stepper` and the plotly views for code:
`board.stepper.go(5)` moves the page too, and `board.figures(5)` returns static figures.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from .bundle import widget_esm
from .cost import CostView
from .hardware import HardwareView
from .ipc import IpcFlowView
from .replay import HTML_WINDOW, WINDOW, RunData, replay_data, replay_html, run_label
from .stepper import Stepper
from .tree import MappingTreeView

if TYPE_CHECKING:
    import plotly.graph_objects as go

_ids = itertools.count()


class Dashboard(anywidget.AnyWidget):
    """The program pane, mapping trees, IPC flow, TLB/cache and costs of a run, stepped together.

    With `compare`, every view shows both runs side by side at the same step.
    """

    _esm = widget_esm()
    step = traitlets.Int(-1).tag(sync=True)
    data = traitlets.Dict().tag(sync=True)

    def __init__(
        self, system: Any, compare: Any = None, frame: int | None = None, space: Any = None
    ) -> None:
        self.system = system
        self.compare = compare
        self.systems = [system] + ([compare] if compare is not None else [])
        self.labels = [run_label(s) for s in self.systems]
        if compare is not None and self.labels[0] == self.labels[1]:
            self.labels = [f"run {i + 1}: {label}" for i, label in enumerate(self.labels)]
        self.runs = [RunData(s, frame=frame, space=space) for s in self.systems]
        self.tree = MappingTreeView(system, frame=frame, space=space)
        self.ipc = IpcFlowView(system)
        self.hardware = HardwareView(system)
        self.cost = CostView(system, compare, labels=tuple(self.labels))
        self.views = [self.tree, self.ipc, self.hardware, self.cost]
        last = self.last
        super().__init__(step=last, data=self._replay(last))
        self.stepper = Stepper(system, self.views + [self])
        self.observe(self._moved_in_page, names="step")
        self.on_msg(self._message)

    @property
    def last(self) -> int:
        """Return the last step of the longest run (-1 before any)."""
        return max(s.steps for s in self.systems) - 1

    def update(self, step: int) -> None:
        """Show `step` in the page (the stepper calls this): a new window of data if needed."""
        data = self.data
        if not data["lo"] <= step <= data["hi"] or data["last"] != self.last:
            with self.hold_sync():
                self.data = self._replay(step)
                self.step = step
        else:
            self.step = step

    def _replay(self, step: int, size: int = WINDOW) -> dict:
        """Return the replay of the window around `step`, with where the set-up ends ("first":
        the first kernel entry) and, when nothing more can happen, why ("end")."""
        data = replay_data(self.runs, step, self.labels, size=size)
        data["first"] = first_entry(self.systems)
        data["end"] = end_note(self.systems)
        return data

    def _moved_in_page(self, change: dict) -> None:
        """Follow a step made in the page with the Python-side stepper."""
        if self.stepper.current != change["new"]:
            self.stepper.go(change["new"])

    def _message(self, _widget: Any, content: dict, _buffers: Any) -> None:
        """Answer the page: {"want": n} sends the window around step n, {"run": 1} runs a step."""
        if "want" in content:
            self.stepper.go(int(content["want"]))
            self.update(self.stepper.current)
        elif content.get("run"):
            before = self.system.steps
            self.stepper.step()
            self.update(self.stepper.current)
            if self.system.steps == before:  # nothing could run: say why at once
                self.data = {**self.data, "end": end_note(self.systems)}
                self.send({"note": f"Nothing more happens: {self.data['end']}"})

    def figures(self, step: int | None = None) -> list[go.Figure]:
        """Return static figures of every view after `step` (default: the last step)."""
        return [v.figure(step) for v in self.views]

    def html(self) -> str:
        """Return a self-contained HTML replay (it steps with no kernel): the whole run, or for
        a run longer than the live window, the HTML_WINDOW steps around the step shown."""
        if self.last < WINDOW:
            data = {**self.data, "step": self.step}
        else:
            data = self._replay(self.step, size=HTML_WINDOW)
        return replay_html(data, f"mkteach-replay-{next(_ids)}")

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict] | dict:
        """Return the widget, a self-contained HTML replay and a line of text, so that a
        notebook saved with this output shows a replay that steps where no kernel runs."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data or {})
        data["text/html"] = self.html()
        data["text/plain"] = (
            f"Dashboard of {' and '.join(self.labels)}: {self.last + 1} steps "
            "(run the cell to step it live)"
        )
        metadata = dict(metadata or {})
        metadata["mkteach"] = {"replay": True}
        return data, metadata


def first_entry(systems: list[Any]) -> int | None:
    """Return the first step of any run that is a kernel entry, not set-up (a step a program
    line made, or one that cost cycles), or None if there is none yet."""
    firsts = []
    for s in systems:
        locations = s.executor.locations
        made = next((n for n, where in enumerate(locations) if where is not None), None)
        costly = next((e.step for e in s.trace if e.cycles), None)
        found = [n for n in (made, costly) if n is not None]
        if found:
            firsts.append(min(found))
    return min(firsts) if firsts else None


def end_note(systems: list[Any]) -> str | None:
    """Return why nothing more can happen in the runs ("every thread ended", or who waits for
    what), or None while some run can still take a step."""
    notes = []
    for s in systems:
        if s.executor.has_work():
            return None
        groups: dict[str, list[str]] = {}
        for b in s.executor.summary(None, 0).blocked:
            groups.setdefault(b.waits_for, []).append(str(b.thread))
        waits = "; ".join(
            f"{', '.join(names)} {'waits' if len(names) == 1 else 'wait'} ({why})"
            for why, names in groups.items()
        )
        notes.append(f"every thread ended or waits: {waits}" if waits else "every thread ended")
    if len(set(notes)) > 1:
        return " / ".join(f"{run_label(s)}: {n}" for s, n in zip(systems, notes, strict=True)) + "."
    return notes[0] + "."


def dashboard(
    system: Any, compare: Any = None, frame: int | None = None, space: Any = None
) -> Dashboard:
    """Return a dashboard for `system`: display it (it is a widget) to step through the run.

    compare: a second System (the same workload on another kernel or machine), shown beside
    the first in every view at the same step; frame / space: which mapping trees to draw
    (default: every frame mapped outside sigma0).
    """
    return Dashboard(system, compare, frame, space)
