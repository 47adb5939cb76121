"""Widgets that show what the kernel did, step by step (ipywidgets + plotly).

    from mkteach.views import dashboard
    dashboard(system)          # stepper + mapping trees + IPC flow + TLB/cache + costs

Every view also renders statically: `view.figure(step)` is a plain plotly figure.
"""

from .cost import CostView
from .dashboard import Dashboard, dashboard
from .display import register as _register_renderer
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
