"""The stepper: Play, a slider, and step / back / reset buttons driving one current step.

Every view attached to the stepper redraws for the state after the current step. Moving back
is exact: views rebuild the state from the trace. Stepping past the end of the trace runs the
system one more step.
"""

from __future__ import annotations

import html
from typing import Any

from .common import events_at, last_step


class Stepper:
    """One shared current step for a System and the views attached to it."""

    def __init__(self, system: Any, views: list | tuple = (), interval_ms: int = 600) -> None:
        import ipywidgets as widgets  # with the first stepper, not with the views

        self.system = system
        self.views = list(views)
        last = last_step(system)
        self.play = widgets.Play(
            value=last,
            min=-1,
            max=last,
            interval=interval_ms,
            description="play",
            tooltip="play the trace",
        )
        self.slider = widgets.IntSlider(
            value=last,
            min=-1,
            max=last,
            description="step",
            continuous_update=False,
            layout=widgets.Layout(width="420px"),
        )
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.back_button = widgets.Button(description="◀ back", tooltip="one step back")
        self.step_button = widgets.Button(description="step ▶", tooltip="one step forward")
        self.reset_button = widgets.Button(description="⟲ reset", tooltip="before step 0")
        self.events = widgets.HTML(layout=widgets.Layout(min_height="3em"))
        self.back_button.on_click(lambda _: self.back())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.slider.observe(self._moved, names="value")
        controls = [self.play, self.back_button, self.step_button, self.reset_button, self.slider]
        self.widget = widgets.VBox([widgets.HBox(controls), self.events])
        self._show(last)

    @property
    def current(self) -> int:
        """Return the current step (-1: before the first)."""
        return self.slider.value

    def attach(self, view: Any) -> None:
        """Add a view; it is redrawn at the current step now and whenever the step changes."""
        self.views.append(view)
        view.update(self.current)

    def go(self, step: int) -> None:
        """Make `step` current (clamped to -1 .. the last step taken)."""
        self.refresh()
        self.slider.value = max(-1, min(step, self.slider.max))

    def step(self) -> None:
        """Move one step forward, running the system one step when at the end of the trace."""
        self.refresh()
        if self.current >= self.slider.max:
            if not self.system.step():
                self.events.value = "<i>Nothing more can happen: every thread ended or waits.</i>"
                return
            self.refresh()
        self.go(self.current + 1)

    def back(self) -> None:
        """Move one step back (the state is rebuilt exactly from the trace)."""
        self.go(self.current - 1)

    def reset(self) -> None:
        """Go back to the state before the first step."""
        self.go(-1)

    def refresh(self) -> None:
        """Let the controls reach the last step taken (after runs outside the stepper)."""
        last = last_step(self.system)
        if self.slider.max != last:
            self.play.max = self.slider.max = last

    def _moved(self, change: dict) -> None:
        """Redraw every view for the new current step."""
        self._show(change["new"])

    def _show(self, step: int) -> None:
        """Redraw the views and the step's event list for `step`."""
        for view in self.views:
            view.update(step)
        if step < 0:
            self.events.value = "<i>Before the first step.</i>"
            return
        lines = [
            f"<b>step {e.step}</b> @{e.time:,} cycles: {html.escape(e.text)}"
            + (f" — <b>{e.cycles:,}</b> cycles" if e.cycles else "")
            for e in events_at(self.system.trace, step)
        ]
        self.events.value = "<br>".join(lines)
