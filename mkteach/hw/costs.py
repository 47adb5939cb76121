"""What a cycle is charged for: the causes of cost, one closed set owned by the hardware models.

Every cycle the machine charges (`Machine.charge`) has one of these causes, and a trace event's
`.costs` pairs each with its cycles. The values are the plain strings the course documents
(`e.costs` keys such as "tlb_miss"), so a cause compares and hashes like its string.
"""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    """A cause of cycles, in the order the views stack them."""

    TRAP = "trap"  # entering and leaving the kernel
    INSTRUCTIONS = "instructions"  # the kernel path's instructions (times CPI)
    TLB_MISS = "tlb_miss"  # a TLB refill
    CACHE_MISS = "cache_miss"  # a cache line fetched from memory
    AS_SWITCH = "as_switch"  # switching address spaces (a page-table or segment switch)
    SMALL_SPACE = "small_space"  # the extra work of entering a small space
    MEMORY = "memory"  # a user load or store
    COPY = "copy"  # copying message strings
    IDLE = "idle"  # time skipped while every thread waits for a timeout

    def __repr__(self) -> str:
        """Return the cause as its string's repr ('tlb_miss'), as `dict(e.costs)` prints it."""
        return repr(self.value)


CAUSES = tuple(Cause)
