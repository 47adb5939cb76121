"""mkteach: an interactive course on Liedtke's "On µ-Kernel Construction" (SOSP 1995).

from mkteach import System, KernelError
"""

from .errors import KernelError
from .kernel.ids import ThreadId
from .kernel.messages import Result
from .system import System

__all__ = ["KernelError", "Result", "System", "ThreadId"]
__version__ = "0.1.0"
