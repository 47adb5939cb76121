"""The machine door: what the kernel and the executor may ask of the hardware, as a Protocol.

The kernel never adds cycles itself; it reports what happened through these methods, and the
machine (`Machine`, or `NullMachine` with the hardware models off) charges what that costs.
"""

from __future__ import annotations

from typing import Any, Protocol

from .kernels import KernelVariant
from .profiles import Profile


class MachineDoor(Protocol):
    """The one door through which every hardware effect is charged (seL4's doMachineOp)."""

    profile: Profile
    variant: KernelVariant
    techniques: dict[str, bool]

    def switch_space(self, space_id: int) -> None:
        """Make `space_id` current, charging what the switch costs."""

    def make_small(self, space_id: int) -> None:
        """Run `space_id` as a small space where the machine has segments."""

    def kernel_entry(self, thread: Any, path: str) -> None:
        """Charge entering and leaving the kernel and running kernel `path`."""

    def ipc_entry(self, thread: Any, kind: str) -> None:
        """Charge the kernel entries of one IPC operation of `kind`."""

    def transfer(self, sender: Any, receiver: Any, words: int, string_bytes: int) -> None:
        """Charge moving one message from `sender` to `receiver`."""

    def user_access(
        self, space_id: int, page: int, frame: int, offset: int, write: bool, fetch: bool = False
    ) -> None:
        """Charge a user load or store that the MMU translated."""

    def page_table_update(self, space_id: int, page: int, kind: str) -> None:
        """Charge a page-table change ("map", "unmap" or "protect")."""

    def idle(self, cycles: int) -> None:
        """Charge time that passes while every thread waits."""

    def take_costs(self) -> tuple[tuple[str, int], ...]:
        """Return the step's charges by cause and clear them."""

    def change_log(self) -> Any:
        """Return an empty log for the per-step TLB and cache changes."""

    def take_state_changes(self) -> Any:
        """Return what the TLBs and caches touched since the last call, and their counters."""

    def hardware_state(self) -> dict[str, Any]:
        """Return a copy of every TLB's and cache's contents and counters."""

    def structures(self) -> dict[str, Any]:
        """Return the machine's TLBs and caches by name."""
