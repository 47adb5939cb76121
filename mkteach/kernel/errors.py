"""The kernel's errors live in `mkteach.errors`, which every layer may import; this name stays."""

from ..errors import *  # noqa: F403
from ..errors import __all__  # noqa: F401
