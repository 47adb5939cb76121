"""The modelled hardware: profiles, TLBs, caches, kernel variants and techniques, the door.

from mkteach.hw import TECHNIQUES   # {name: one-line description}: the switchable L3 techniques
"""

from .costs import CAUSES, Cause
from .door import MachineDoor
from .kernels import VARIANTS, KernelVariant, Path
from .machine import Machine
from .null import NullMachine
from .profiles import PROFILES, Profile, profile
from .techniques import TECHNIQUES

__all__ = [
    "CAUSES",
    "PROFILES",
    "TECHNIQUES",
    "VARIANTS",
    "Cause",
    "KernelVariant",
    "Machine",
    "MachineDoor",
    "NullMachine",
    "Path",
    "Profile",
    "profile",
]
