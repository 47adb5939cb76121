"""The paper's numbers, recomputed from the model: `paper.claims()`."""

from .claims import Claim, claims

__all__ = ["Claim", "claims"]
