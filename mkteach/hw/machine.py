"""The machine: the one door through which every hardware effect is charged in cycles.

The kernel and executor never add cycles themselves: they tell the machine what happened
(a kernel entry, an address-space switch, a user memory access, pages mapped, bytes copied) and
the machine charges what that costs on its profile, recording each charge with its cause.
This is the placeholder cost model: per-operation costs from the profile. The detailed TLB and
cache models plug in behind the same methods, without changing the kernel.
"""

from __future__ import annotations

from .profiles import Profile


class Machine:
    """Charges hardware costs for one profile and remembers the current address space."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.current_space: int | None = None
        self._costs: list[tuple[str, int]] = []

    def charge(self, cause: str, cycles: int) -> None:
        """Record `cycles` spent on `cause` in the current step."""
        if cycles:
            self._costs.append((cause, int(cycles)))

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

    def kernel_entry(self, path_cycles: int = 0) -> None:
        """Charge entering and leaving the kernel, plus `path_cycles` of kernel work."""
        self.charge("trap", self.profile.trap_enter_cycles + self.profile.trap_exit_cycles)
        self.charge("instructions", path_cycles)

    def ipc(self) -> None:
        """Charge a kernel entry running the IPC path."""
        self.kernel_entry(self.profile.ipc_path_cycles)

    def page_fault(self) -> None:
        """Charge the fault exception and the kernel's work to turn it into an IPC."""
        self.kernel_entry(self.profile.fault_path_cycles)

    def user_access(self, space_id: int, page: int, frame: int, write: bool) -> None:
        """Charge a user load or store that the MMU translated."""
        self.charge("memory", self.profile.memory_access_cycles)

    def map_pages(self, count: int) -> None:
        """Charge entering `count` pages into page tables and the mapping database."""
        self.charge("map", count * self.profile.map_page_cycles)

    def unmap_pages(self, count: int) -> None:
        """Charge removing or reducing `count` mappings (and their TLB entries)."""
        self.charge("flush", count * self.profile.unmap_page_cycles)

    def copy(self, nbytes: int) -> None:
        """Charge copying `nbytes` of string data between spaces."""
        self.charge("copy", round(nbytes * self.profile.copy_cycles_per_byte))

    def idle(self, cycles: int) -> None:
        """Charge time that passes while every thread waits (skipped to the next timeout)."""
        self.charge("idle", cycles)
