"""mkteach: an interactive course on Liedtke's "On µ-Kernel Construction" (SOSP 1995).

from mkteach import System, KernelError

The names below load on first use, so importing one layer (say `mkteach.hw`) loads only what
that layer needs.
"""

from importlib import import_module
from typing import Any

from .errors import KernelError

_LAZY = {
    "System": "mkteach.system",
    "Result": "mkteach.kernel.messages",
    "ThreadId": "mkteach.kernel.ids",
}

__all__ = ["KernelError", "Result", "System", "ThreadId"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Return System, Result or ThreadId, importing its module on first use."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mkteach' has no attribute {name!r}")
