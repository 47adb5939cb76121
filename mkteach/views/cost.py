"""The cost view: cycles per step broken down by cause, and the running total.

Causes come from the machine models (`mkteach.hw.Cause`, the list hw owns): trap, instructions,
tlb_miss, cache_miss, as_switch, small_space, memory, copy, idle. Give it two runs (say the
same workload on an L3-style and a Mach-style kernel) and they are drawn side by side on one
shared scale, so a 13x gap looks like one.
"""

from __future__ import annotations

import bisect
import itertools
from typing import TYPE_CHECKING, Any

from .common import CAUSE_COLOURS, TimelineView, events_until

if TYPE_CHECKING:
    import plotly.graph_objects as go


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
        self.height = 420
        self._totals: list[tuple[list[int], list[int]]] = []  # per run: (steps, running total)

    def empty(self) -> go.Figure:
        """Return one panel per run, side by side on one shared scale: stacked bars per cause
        and a running-total line."""
        from plotly.subplots import make_subplots

        cols = len(self.runs)
        fig = make_subplots(
            rows=1,
            cols=cols,
            subplot_titles=self.labels,
            horizontal_spacing=0.17,
            specs=[[{"secondary_y": True}] * cols],
        )
        for col in range(1, cols + 1):
            for cause, colour in CAUSE_COLOURS.items():
                fig.add_bar(
                    name=cause.replace("_", " "),
                    marker_color=colour,
                    legendgroup=cause,
                    showlegend=False,  # draw_trace shows the causes that occur
                    row=1,
                    col=col,
                )
            fig.add_scatter(
                name="running total (right axis)",
                mode="lines",
                line={"color": "black"},
                legendgroup="total",
                showlegend=col == 1,
                row=1,
                col=col,
                secondary_y=True,
            )
            fig.update_xaxes(title_text="step", row=1, col=col)
            fig.update_yaxes(title_text="cycles per step", row=1, col=col, secondary_y=False)
            fig.update_yaxes(
                title_text="total so far", row=1, col=col, secondary_y=True, tickformat=",d",
                tickmode="auto", nticks=6, rangemode="tozero", showgrid=False,
            )  # fmt: skip
        fig.update_layout(
            barmode="stack",
            height=self.height,
            template="plotly_white",
            title=self.title + (": every run on the same scale" if cols > 1 else ""),
            margin={"l": 60, "r": 60, "t": 70, "b": 40},
            legend={"orientation": "h", "y": -0.18, "yanchor": "top"},
        )
        return fig

    def draw_trace(self, fig: go.Figure, upto: int) -> None:
        """Fill each run's bars and running total for steps 0..upto, on one shared scale, with
        legend entries only for the causes that occur."""
        per_run = len(CAUSE_COLOURS) + 1
        self._totals = []
        occurring: set[str] = set()
        top_step, top_total = 1, 1
        for i, system in enumerate(self.runs):
            steps, by_cause = step_costs(system, min(upto, system.steps - 1))
            x = [int(n) for n in steps]
            per_step = [sum(column) for column in zip(*by_cause.values(), strict=True)]
            running = list(itertools.accumulate(per_step))
            for j, (cause, values) in enumerate(by_cause.items()):
                fig.data[i * per_run + j].update(x=x, y=[int(v) for v in values])
                if any(values):
                    occurring.add(cause)
            fig.data[i * per_run + per_run - 1].update(x=x, y=running)
            self._totals.append((steps, running))
            top_step = max([top_step, *per_step])
            top_total = max([top_total, *running])
        for j, cause in enumerate(CAUSE_COLOURS):  # one legend entry per cause that occurs
            first = next(i for i in range(len(self.runs)))
            fig.data[first * per_run + j].showlegend = cause in occurring
        for i in range(len(self.runs)):
            y1 = "yaxis" if i == 0 else f"yaxis{2 * i + 1}"
            y2 = f"yaxis{2 * i + 2}"
            fig.layout[y1].range = [0, top_step * 1.05]
            fig.layout[y2].range = [0, top_total * 1.05]

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
