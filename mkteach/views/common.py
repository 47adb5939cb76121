"""What every view shares: the events of a step, colours, and the figure/widget plumbing.

A view renders "the state after step n" of a System from its trace: `figure(step)` returns a
plain plotly figure (static, for exports and nbval), `widget` is a live FigureWidget that
`update(step)` redraws in place. Views never print; they redraw.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from ..hw.costs import CAUSES
from ..kernel.trace import Event
from .display import register

if TYPE_CHECKING:  # plotly is imported when a figure is drawn, not with the views
    import plotly.graph_objects as go

KIND_COLOURS = {
    "short": "#1f77b4",
    "strings": "#17becf",
    "map": "#2ca02c",
    "grant": "#ff7f0e",
    "page_fault": "#d62728",
    "interrupt": "#9467bd",
    "redirected": "#7f7f7f",
}
CAUSE_COLOURS = dict(
    zip(
        CAUSES,  # every cause the machine charges (hw owns the list), in stacking order
        ("#1f77b4", "#aec7e8", "#d62728", "#ff7f0e", "#9467bd", "#c5b0d5", "#8c564b", "#17becf",
         "#dddddd"),
        strict=True,
    )
)  # fmt: skip
COLLAPSED = 70  # px: an empty panel is one title line
HIGHLIGHT = {"new": "#2ca02c", "granted": "#ff7f0e", "reduced": "#e6b800", "flushed": "#d62728"}


def events_at(trace: list[Event], step: int) -> list[Event]:
    """Return the events of `step` (an empty list for -1 or a step with none)."""
    lo = bisect.bisect_left(trace, step, key=lambda e: e.step)
    hi = bisect.bisect_right(trace, step, key=lambda e: e.step)
    return trace[lo:hi]


def events_until(trace: list[Event], step: int) -> list[Event]:
    """Return the events of steps 0..step."""
    return trace[: bisect.bisect_right(trace, step, key=lambda e: e.step)]


def last_step(system: Any) -> int:
    """Return the number of the last step taken (-1 before any)."""
    return system.steps - 1


class FigureView:
    """A view drawn as one plotly figure: subclasses implement `draw(fig, step)`."""

    title = "view"
    height = 360

    def __init__(self, system: Any) -> None:
        self.system = system
        self.step = last_step(system)
        self._widget: go.FigureWidget | None = None

    def figure(self, step: int | None = None) -> go.Figure:
        """Return a static plotly figure of the state after `step` (default: the last step)."""
        register()  # fig.show() works without nbformat too (display.py)
        fig = self.empty()
        self.draw(fig, last_step(self.system) if step is None else step)
        return fig

    def empty(self) -> go.Figure:
        """Return the figure with its fixed traces and layout, before any data."""
        import plotly.graph_objects as go

        fig = go.Figure()
        fig.update_layout(
            title=self.title,
            height=self.height,
            template="plotly_white",
            margin={"l": 40, "r": 20, "t": 40, "b": 30},
            showlegend=True,
        )
        self.setup(fig)
        return fig

    @property
    def widget(self) -> go.FigureWidget:
        """Return the live widget (created on first use), drawn at the current step."""
        if self._widget is None:
            import plotly.graph_objects as go

            register()
            self._widget = go.FigureWidget(self.empty())
            self.update(self.step)
        return self._widget

    def update(self, step: int) -> None:
        """Redraw the widget (if any) for the state after `step`."""
        self.step = step
        if self._widget is not None:
            with self._widget.batch_update():
                self.move(self._widget, step)

    def move(self, fig: go.Figure, step: int) -> None:
        """Bring the live widget to `step`: by default a full redraw."""
        self.draw(fig, step)

    def setup(self, fig: go.Figure) -> None:
        """Add the figure's fixed traces (subclasses)."""

    def draw(self, fig: go.Figure, step: int) -> None:
        """Fill the fixed traces with the data of `step` (subclasses)."""
        raise NotImplementedError


class TimelineView(FigureView):
    """A view of the trace over time: the live widget holds the whole trace once, and moving
    to a step only moves the visible window and the highlight (cheap, whatever the length)."""

    _drawn = -1  # how many events of the trace the widget holds

    def draw(self, fig: go.Figure, step: int) -> None:
        """Draw the trace up to `step` and mark `step` (the static figure)."""
        self.draw_trace(fig, step)
        self.mark(fig, step)

    def move(self, fig: go.Figure, step: int) -> None:
        """Draw the whole trace if it grew since the last time, then mark `step`."""
        if self._drawn != len(self.system.trace):
            self.draw_trace(fig, last_step(self.system))
            self._drawn = len(self.system.trace)
        self.mark(fig, step)

    def draw_trace(self, fig: go.Figure, upto: int) -> None:
        """Put the data of steps 0..upto into the figure (subclasses)."""
        raise NotImplementedError

    def mark(self, fig: go.Figure, step: int) -> None:
        """Show the figure as of `step`: window, highlight, titles (subclasses)."""
        raise NotImplementedError
