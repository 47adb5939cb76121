"""The paper's numbers, recomputed from the model: `paper.claims()`, `paper.miss_split()`."""

from .claims import Claim, claims
from .misses import miss_split

__all__ = ["Claim", "claims", "miss_split"]
