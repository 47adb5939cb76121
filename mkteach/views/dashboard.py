"""`dashboard(system)`: the stepper and every view, laid out for one run."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go

from .cost import CostView
from .hardware import HardwareView
from .ipc import IpcFlowView
from .stepper import Stepper
from .tree import MappingTreeView


class Dashboard(widgets.VBox):
    """A stepper over a System with the mapping-tree, IPC, TLB/cache and cost views."""

    def __init__(
        self, system: Any, compare: Any = None, frame: int | None = None, space: Any = None
    ) -> None:
        self.system = system
        self.tree = MappingTreeView(system, frame=frame, space=space)
        self.ipc = IpcFlowView(system)
        self.hardware = HardwareView(system)
        self.cost = CostView(system, compare)
        self.views = [self.tree, self.ipc, self.hardware, self.cost]
        self.stepper = Stepper(system, self.views)
        super().__init__(
            [self.stepper.widget] + [v.widget for v in self.views],
            layout=widgets.Layout(width="100%"),
        )

    def figures(self, step: int | None = None) -> list[go.Figure]:
        """Return static figures of every view after `step` (default: the last step)."""
        return [v.figure(step) for v in self.views]


def dashboard(
    system: Any, compare: Any = None, frame: int | None = None, space: Any = None
) -> Dashboard:
    """Return a dashboard for `system`: display it (it is a widget) to step through the run.

    compare: a second System (the same workload on another kernel or machine) for the cost view;
    frame / space: which mapping trees to draw (default: every frame mapped outside sigma0).
    """
    return Dashboard(system, compare, frame, space)
