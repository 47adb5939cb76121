"""A machine with the hardware models switched off: kernel semantics only.

`System(..., hardware=False)` runs the kernel on a `NullMachine`. It has the same door as
`Machine` (the kernel and executor call the same methods), but it keeps no TLB or cache and
charges nothing: every step costs 0 cycles. The clock still moves when every thread waits for a
timeout (the executor skips to it and charges that as "idle"), so timeouts behave as on any
machine. Use it to study what the kernel does without what it costs, or to run large scenarios
fast.
"""

from __future__ import annotations

from typing import Any

from .costs import Cause
from .kernels import KernelVariant, variant
from .log import ChangeLog
from .profiles import Profile
from .techniques import check_techniques


class NullMachine:
    """A machine door that charges nothing and models no TLB, cache or address-space switch."""

    def __init__(self, profile: Profile, kernel: str = "l3", techniques: object = None) -> None:
        self.profile = profile  # kept for the clock rate (now_us) and for labels
        self.variant: KernelVariant = variant(kernel)
        self.techniques = check_techniques(
            techniques, self.variant.techniques, self.variant.name, self.variant.fixed
        )
        self._idle: list[int] = []

    # -- accounting: only idle time is ever charged ------------------------------------------------

    def idle(self, cycles: int) -> None:
        """Record time that passes while every thread waits (skipped to the next timeout)."""
        if cycles:
            self._idle.append(cycles)

    def take_costs(self) -> tuple[tuple[str, int], ...]:
        """Return the step's charges (idle time or nothing) and clear them."""
        if not self._idle:
            return ()
        total, self._idle = sum(self._idle), []
        return ((Cause.IDLE, total),)

    def change_log(self) -> ChangeLog:
        """Return an empty log: there is no hardware to change."""
        return ChangeLog(())

    def take_state_changes(self) -> tuple[tuple, tuple]:
        """Return what changed in the TLBs and caches: nothing, there are none."""
        return (), ()

    def hardware_state(self) -> dict[str, Any]:
        """Return the hardware's contents: none."""
        return {}

    def structures(self) -> dict[str, Any]:
        """Return the machine's TLBs and caches by name: none."""
        return {}

    # -- what the kernel reports: noted, never charged ---------------------------------------------

    def make_small(self, space_id: int) -> None:
        """Do nothing: without a hardware model every space is just a space."""

    def switch_space(self, space_id: int) -> None:
        """Do nothing: switching spaces costs nothing here."""

    def kernel_entry(self, thread: Any, path: str) -> None:
        """Do nothing: entering the kernel costs nothing here."""

    def ipc_entry(self, thread: Any, kind: str) -> None:
        """Do nothing: IPC kernel entries cost nothing here."""

    def transfer(self, sender: Any, receiver: Any, words: int, string_bytes: int) -> None:
        """Do nothing: moving a message costs nothing here."""

    def user_access(self, space_id: int, page: int, frame: int, offset: int, write: bool,
                    fetch: bool = False) -> None:  # fmt: skip
        """Do nothing: a translated user access costs nothing here."""

    def page_table_update(self, space_id: int, page: int, kind: str) -> None:
        """Do nothing: page-table changes cost nothing here."""
