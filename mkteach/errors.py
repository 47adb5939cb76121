"""Errors the kernel raises for invalid requests: one module every layer may import.

Every invalid request raises a subclass of `KernelError` *before* the kernel changes anything
(check, then act), so a caught error always leaves the state exactly as it was. The message says
what was wrong and how to fix it.
"""


class KernelError(Exception):
    """Base class: the kernel refused a request and changed nothing."""


class InvalidArgument(KernelError, ValueError):
    """A value of the wrong type or out of range (a page, an order, a rights string...)."""


class AlignmentError(InvalidArgument):
    """An fpage whose base page is not a multiple of its size 2**order."""


class UnknownSpace(KernelError, LookupError):
    """No address space of that name or id exists in this system."""


class UnknownThread(KernelError, LookupError):
    """No living thread has that id."""


class StaleThreadId(UnknownThread):
    """The id names an ended thread whose number now belongs to a newer thread (or to none)."""


class NotMapped(KernelError):
    """The source space does not hold a page it was asked to map or grant."""


class RightsError(KernelError):
    """A request for more rights than the source holds: rights never widen."""


class MappingConflict(KernelError):
    """A map or grant whose replace-flush would destroy its own source."""


class Sigma0Error(KernelError):
    """σ0 only maps and flushes: it cannot grant, receive mappings, or flush its own pages."""


class InterruptError(KernelError):
    """An invalid interrupt request (no driver attached, already attached, bad number)."""


__all__ = [
    "AlignmentError",
    "InterruptError",
    "InvalidArgument",
    "KernelError",
    "MappingConflict",
    "NotMapped",
    "RightsError",
    "Sigma0Error",
    "StaleThreadId",
    "UnknownSpace",
    "UnknownThread",
]
