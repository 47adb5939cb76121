"""Thread ids, unique in space and time: (task, thread number, version).

When a thread ends, its number in its task may be given to a new thread, but with the next version,
so an old id can never reach the new thread: the kernel compares all three parts.
Interrupts are pseudo-threads whose ids have the same type (task ``IRQ_TASK``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

IRQ_TASK = -1


@dataclass(frozen=True, order=True)
class ThreadId:
    """The id of a thread (or interrupt): equal exactly when task, number and version are equal."""

    task: int
    number: int
    version: int
    label: str = field(default="", compare=False, repr=False)
    _hash: int = field(default=0, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.task, self.number, self.version)))

    def __hash__(self) -> int:  # ids are dictionary keys on every kernel path: hashed once
        return self._hash

    @property
    def is_interrupt(self) -> bool:
        """Return True when this id names an interrupt pseudo-thread."""
        return self.task == IRQ_TASK

    def __str__(self) -> str:
        if self.is_interrupt:
            return f"irq{self.number}"
        name = self.label or f"task{self.task}.{self.number}"
        return name if self.version == 0 else f"{name}(v{self.version})"

    def __repr__(self) -> str:
        if self.is_interrupt:
            return f"<irq{self.number}>"
        return f"<{self}: task {self.task}, thread {self.number}, version {self.version}>"

    def to_json(self) -> str:
        """Return the id as a short string for exports: 'task.number.version' or 'irqN'."""
        if self.is_interrupt:
            return f"irq{self.number}"
        return f"{self.task}.{self.number}.{self.version}"


def interrupt_id(irq: int) -> ThreadId:
    """Return the id of interrupt `irq`'s pseudo-thread."""
    return ThreadId(IRQ_TASK, irq, 0, f"irq{irq}")
