"""Address spaces: create them, and map, grant and flush their pages (fronts over `mapdb.py`).

Each operation checks all its arguments first (raising a `KernelError` that changes nothing),
opens a trace note saying what it does, and then acts on the mapping database, whose primitives
journal every change.
"""

from __future__ import annotations

from ..errors import InvalidArgument, UnknownSpace
from . import deltas as d
from .fpage import VIRTUAL_PAGES
from .mapdb import AddressSpace, Lookup
from .state import KernelState


def space(k: KernelState, which: object) -> AddressSpace:
    """Return k's space for a space object or name; raise UnknownSpace otherwise."""
    if isinstance(which, AddressSpace):
        if k.spaces.get(which.name) is which:
            return which
        raise UnknownSpace(f"space {which.name!r} belongs to another System")
    if isinstance(which, str):
        if which in k.spaces:
            return k.spaces[which]
        known = ", ".join(k.spaces)
        raise UnknownSpace(f"no space named {which!r}; the spaces are: {known}")
    raise UnknownSpace(f"expected a space (from create_space) or its name, not {which!r}")


def create_space(k: KernelState, name: object, chief: object = None) -> AddressSpace:
    """Create an empty address space, in `chief`'s clan if given; return it."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"a space needs a non-empty name string, not {name!r}")
    if name in k.spaces:
        raise InvalidArgument(f"a space named {name!r} exists already: names are unique")
    chief_space = None if chief is None else space(k, chief)
    new = AddressSpace(name, len(k.spaces), chief_space)
    clan = f" in {chief_space.name}'s clan" if chief_space else ""
    k.note("create_space", f"space {name} created{clan}")
    k.spaces[name] = new
    k.record(d.SpaceCreated(new.id, name, chief_space.name if chief_space else None))
    return new


def map_fpage(k: KernelState, src: object, src_page: int, dst: object, dst_page: int,
              rights: str, order: int, grant: bool = False) -> None:  # fmt: skip
    """Map (or grant) src's fpage onto dst's; check everything first, then act."""
    s, t = space(k, src), space(k, dst)
    sources = k.mapdb.check_transfer(s, src_page, t, dst_page, rights, order, grant)
    verb = "grant" if grant else "map"
    n = f" (+{(1 << order) - 1} pages)" if order else ""
    k.note(verb, f"{s.name}:{src_page} -> {t.name}:{dst_page}{n} {rights}")
    k.mapdb.transfer(sources, t, dst_page, rights, grant)


def flush(k: KernelState, which: object, page: int, rights: str, order: int,
          include_self: bool) -> None:  # fmt: skip
    """Revoke `rights` from everything derived from the space's fpage; check first, then act."""
    s = space(k, which)
    nodes = k.mapdb.check_flush(s, page, rights, order, include_self)
    selfish = " incl. own" if include_self else ""
    k.note("flush", f"{s.name}:{page} revoke {rights}{selfish}")
    k.mapdb.flush(nodes, rights, include_self)


def lookup(k: KernelState, which: object, page: object) -> Lookup | None:
    """Return the frame and rights the space maps `page` to, or None when unmapped."""
    s = space(k, which)
    if not isinstance(page, int) or isinstance(page, bool) or not 0 <= page < VIRTUAL_PAGES:
        raise InvalidArgument(f"page must be an int from 0 to {VIRTUAL_PAGES - 1}, not {page!r}")
    node = s.pages.get(page)
    return None if node is None else Lookup(node.frame, node.rights)
