"""Views that show what the kernel did, step by step.

    from mkteach.views import dashboard
    dashboard(system)          # program pane, mapping trees, messages, TLB/cache, costs
    dashboard(system, compare=other)   # two runs side by side in every view

The dashboard steps in the page from a replay of the run (replay.py, player.js); every view
also renders statically: `view.figure(step)` is a plain plotly figure.
"""

from .cost import CostView
from .dashboard import Dashboard, dashboard
from .display import register_when_needed as _register_renderer
from .hardware import HardwareView
from .ipc import IpcFlowView
from .stepper import Stepper
from .tree import MappingTreeView

__all__ = [
    "CostView",
    "Dashboard",
    "HardwareView",
    "IpcFlowView",
    "MappingTreeView",
    "Stepper",
    "dashboard",
]

_register_renderer()  # fig.show() works without nbformat too (JupyterLite): see display.py
