"""The machine: the one door through which every hardware effect is charged in cycles.

The kernel and executor never add cycles themselves: they tell the machine what happened
(a kernel entry on a named kernel path, an address-space switch, a message transfer between two
threads, a user memory access, a page-table update) and the machine charges what that costs on
its profile, recording each charge with its cause. This is the placeholder cost model:
per-operation costs from the profile. The TLB and cache models plug in behind the same methods,
without changing the kernel.
"""

from __future__ import annotations

from typing import Any

from .profiles import Profile

PATH_CYCLES = {  # [assumed] kernel work per path, in cycles, until the path models replace them
    "ipc": "ipc_path_cycles",
    "page_fault": "fault_path_cycles",
}


class Machine:
    """Charges hardware costs for one profile and remembers the current address space."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.current_space: int | None = None
        self._costs: list[tuple[str, int]] = []

    def charge(self, cause: str, cycles: float) -> None:
        """Record `cycles` spent on `cause` in the current step."""
        if cycles:
            self._costs.append((cause, round(cycles)))

    def take_costs(self) -> tuple[tuple[str, int], ...]:
        """Return the step's charges, merged by cause in order of first charge, and clear them."""
        merged: dict[str, int] = {}
        for cause, cycles in self._costs:
            merged[cause] = merged.get(cause, 0) + cycles
        self._costs.clear()
        return tuple(merged.items())

    def switch_space(self, space_id: int) -> None:
        """Make `space_id` current, charging an address-space switch if it changes."""
        if self.current_space != space_id:
            if self.current_space is not None:
                self.charge("as_switch", self.profile.as_switch_cycles)
            self.current_space = space_id

    def kernel_entry(self, thread: Any, path: str) -> None:
        """Charge entering and leaving the kernel for `thread`, plus the kernel `path`'s work."""
        self.charge("trap", self.profile.trap_enter_cycles + self.profile.trap_exit_cycles)
        field = PATH_CYCLES.get(path)
        self.charge("instructions", getattr(self.profile, field) if field else 0)

    def transfer(self, sender: Any, receiver: Any, words: int, string_bytes: int) -> None:
        """Charge moving a message of `words` and `string_bytes` from sender to receiver."""
        self.charge("copy", string_bytes * self.profile.copy_cycles_per_byte)

    def user_access(self, space_id: int, page: int, frame: int, offset: int, write: bool) -> None:
        """Charge a user load or store that the MMU translated."""
        self.charge("memory", self.profile.memory_access_cycles)

    def page_table_update(self, space_id: int, page: int, kind: str) -> None:
        """Charge a page-table change: kind "map" enters a page, "unmap"/"protect" change one."""
        if kind == "map":
            self.charge("map", self.profile.map_page_cycles)
        else:
            self.charge("flush", self.profile.unmap_page_cycles)

    def idle(self, cycles: int) -> None:
        """Charge time that passes while every thread waits (skipped to the next timeout)."""
        self.charge("idle", cycles)
