"""Ready-made systems: each builds a `System` with its spaces and threads, ready to `run()`.

    from mkteach.scenarios import SCENARIOS
    s = SCENARIOS["unix-server"].build(seed=0, machine="i486")
    print(s.run())

Every scenario uses only the public `System` API, is deterministic (the same seed gives the same
trace) and makes each of its choices with the seeded `s.random`. The builder functions behind
the scenarios (`client_server`, `page_colouring`, ...) take extra keyword options for variants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..system import System
from .basics import clans, client_server, figure1
from .memory import coexisting_pagers, multimedia_pager, page_colouring, stacked_pagers
from .servers import device_driver, remote_ipc, unix_server


@dataclass(frozen=True)
class Scenario:
    """A named, ready-made system: `build(seed, machine)` returns it, not yet run."""

    name: str
    description: str
    builder: Callable[..., System]

    def build(self, seed: int = 0, machine: str = "i486") -> System:
        """Return a new System with this scenario's spaces and threads, ready to `run()`."""
        return self.builder(seed=seed, machine=machine)


def _scenario(name: str, builder: Callable[..., System]) -> Scenario:
    """Return a Scenario whose description is the first sentence of the builder's docstring."""
    doc = (builder.__doc__ or name).strip()
    first = " ".join(doc.split("\n\n")[0].split())
    sentence = first.split(". ")[0].rstrip(".") + "."
    return Scenario(name, sentence, builder)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        _scenario("client-server", client_server),
        _scenario("figure1", figure1),
        _scenario("clans", clans),
        _scenario("stacked-pagers", stacked_pagers),
        _scenario("coexisting-pagers", coexisting_pagers),
        _scenario("multimedia-pager", multimedia_pager),
        _scenario("page-colouring", page_colouring),
        _scenario("device-driver", device_driver),
        _scenario("remote-ipc", remote_ipc),
        _scenario("unix-server", unix_server),
    )
}


def build(name: str, seed: int = 0, machine: str = "i486") -> System:
    """Return scenario `name` built with `seed` on `machine`; raise KeyError naming the choices."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}: choose one of {', '.join(SCENARIOS)}")
    return SCENARIOS[name].build(seed=seed, machine=machine)


__all__ = [
    "SCENARIOS",
    "Scenario",
    "build",
    "clans",
    "client_server",
    "coexisting_pagers",
    "device_driver",
    "figure1",
    "multimedia_pager",
    "page_colouring",
    "remote_ipc",
    "stacked_pagers",
    "unix_server",
]
