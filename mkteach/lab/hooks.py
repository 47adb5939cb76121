"""Installing a student's mechanisms in a System: what `System(..., mechanisms=...)` calls.

This module imports the labs' install functions only (never System, and never the labs'
checks), so the kernel's side and the labs' side stay apart: System imports this module; the
labs' checks (`mkteach.lab`) import System.
"""

from __future__ import annotations

from typing import Any

from . import flush, spaces, window
from .core import Installed

LAB_NAMES = ("mapdb_flush", "small_spaces", "temporary_mapping")  # mkteach.lab.LABS's keys


def install(system: Any, mechanisms: object) -> Installed:
    """Install `mechanisms` ({lab name: function}) in `system` (new, or built by a scenario and
    not yet run), keep them as `system.mechanisms` and return them.

        s = scenarios.build("unix-server")
        lab.install(s, {"temporary_mapping": my_plan}); s.run()

    Raise an InvalidArgument naming the labs for an unknown name or a value not callable, or
    when the system has mechanisms already.
    """
    from ..errors import InvalidArgument

    if getattr(system, "mechanisms", None) is not None:
        raise InvalidArgument(f"{system!r} has mechanisms installed already")
    if not isinstance(mechanisms, dict):
        raise InvalidArgument(
            f'mechanisms must be a dict such as {{"mapdb_flush": my_flush}}, not {mechanisms!r}'
        )
    for name, fn in mechanisms.items():
        if name not in LAB_NAMES:
            raise InvalidArgument(
                f"unknown mechanism {name!r}: the labs are {', '.join(LAB_NAMES)}"
            )
        if not callable(fn):
            raise InvalidArgument(f"mechanism {name!r} must be a function, not {fn!r}")
    installed = Installed(system, mechanisms)
    for name, fn in mechanisms.items():
        if name == "mapdb_flush":
            flush.install(installed, system.kernel, fn)
        elif name == "small_spaces":
            spaces.install(installed, system.machine, fn)
        else:
            window.install(installed, system.machine, fn)
    system.mechanisms = installed
    return installed
