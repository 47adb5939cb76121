"""The cost view: cycles per step broken down by cause, and the running total.

Causes come from the machine models: trap, instructions, tlb_miss, cache_miss, as_switch,
small_space, memory, copy, map, flush, idle. Give it two runs (say the same workload on an
L3-style and a Mach-style kernel) and they are drawn one above the other.
"""

from __future__ import annotations

import bisect
import itertools
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import CAUSE_COLOURS, TimelineView, events_until


def step_costs(system: Any, step: int) -> tuple[list[int], dict[str, list[int]]]:
    """Return (steps, {cause: cycles per step}) for steps 0..step of `system`."""
    steps: list[int] = []
    by_cause: dict[str, list[int]] = {c: [] for c in CAUSE_COLOURS}
    for e in events_until(system.trace, step):
        if not e.costs:
            continue
        steps.append(e.step)
        costs = dict(e.costs)
        for cause, values in by_cause.items():
            values.append(costs.get(cause, 0))
    return steps, by_cause


class CostView(TimelineView):
    """Cycles per step by cause and the running total, for one run or two side by side."""

    title = "cycles per step"

    def __init__(self, system: Any, compare: Any = None, labels: tuple[str, ...] = ()) -> None:
        super().__init__(system)
        self.runs = [system] + ([compare] if compare is not None else [])
        self.labels = list(labels) or [
            f"{s.profile.name}, {s.machine.variant.name} kernel" for s in self.runs
        ]
        self.height = 300 * len(self.runs) + 40
        self._totals: list[tuple[list[int], list[int]]] = []  # per run: (steps, running total)

    def empty(self) -> go.Figure:
        """Return one row per run: stacked bars per cause and a running-total line."""
        rows = len(self.runs)
        fig = make_subplots(
            rows=rows,
            cols=1,
            subplot_titles=self.labels,
            vertical_spacing=0.15,
            specs=[[{"secondary_y": True}]] * rows,
        )
        for row in range(1, rows + 1):
            for cause, colour in CAUSE_COLOURS.items():
                fig.add_bar(
                    name=cause,
                    marker_color=colour,
                    legendgroup=cause,
                    showlegend=row == 1,
                    row=row,
                    col=1,
                )
            fig.add_scatter(
                name="running total",
                mode="lines",
                line={"color": "black"},
                legendgroup="total",
                showlegend=row == 1,
                row=row,
                col=1,
                secondary_y=True,
            )
            fig.update_xaxes(title_text="step", row=row, col=1)
            fig.update_yaxes(title_text="cycles", row=row, col=1, secondary_y=False)
            fig.update_yaxes(title_text="total", row=row, col=1, secondary_y=True)
        fig.update_layout(
            barmode="stack",
            height=self.height,
            template="plotly_white",
            title=self.title,
            margin={"l": 50, "r": 50, "t": 60, "b": 30},
        )
        return fig

    def draw_trace(self, fig: go.Figure, upto: int) -> None:
        """Fill each run's bars and running total for steps 0..upto."""
        per_run = len(CAUSE_COLOURS) + 1
        self._totals = []
        for i, system in enumerate(self.runs):
            steps, by_cause = step_costs(system, min(upto, system.steps - 1))
            x = [int(n) for n in steps]
            per_step = [sum(column) for column in zip(*by_cause.values(), strict=True)]
            running = list(itertools.accumulate(per_step))
            for j, values in enumerate(by_cause.values()):
                fig.data[i * per_run + j].update(x=x, y=[int(v) for v in values])
            fig.data[i * per_run + per_run - 1].update(x=x, y=running)
            self._totals.append((steps, running))

    def mark(self, fig: go.Figure, step: int) -> None:
        """Show steps up to `step` and each run's total so far."""
        for i, (steps, running) in enumerate(self._totals):
            k = bisect.bisect_right(steps, step)
            total = running[k - 1] if k else 0
            fig.layout.annotations[i].text = f"{self.labels[i]}: {total:,} cycles to step {step}"
            axis = "xaxis" if i == 0 else f"xaxis{i + 1}"
            fig.layout[axis].range = [-0.5, max(step, 0) + 0.5]

    def text(self, step: int | None = None) -> str:
        """Return each run's cycles by cause up to `step` as text."""
        lines = []
        for label, system in zip(self.labels, self.runs, strict=True):
            upto = system.steps - 1 if step is None else min(step, system.steps - 1)
            _, by_cause = step_costs(system, upto)
            parts = ", ".join(f"{c} {sum(v):,}" for c, v in by_cause.items() if sum(v))
            lines.append(f"{label}: {parts or 'nothing yet'}")
        return "\n".join(lines)
