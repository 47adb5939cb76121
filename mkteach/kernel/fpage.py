"""Pages, rights and flexpages (fpages): the arguments of map, grant and flush, validated.

An fpage is 2**order pages starting at a base page that is a multiple of 2**order (L4 X.2).
Rights are "r" (read) or "rw" (read-write); "r" is a subset of "rw".
"""

from __future__ import annotations

from ..errors import AlignmentError, InvalidArgument
from .values import show_brief

PAGE_SIZE = 4096
VIRTUAL_PAGES = 2**20  # a 4 GB space of 4 KB pages
RIGHTS = ("r", "rw")
MAX_ORDER = 20


def check_rights(rights: object, what: str = "rights") -> str:
    """Return `rights` when it is "r" or "rw"; raise InvalidArgument otherwise."""
    if rights not in RIGHTS:
        raise InvalidArgument(
            f'{what} must be "r" (read-only) or "rw" (read-write), not {rights!r}'
        )
    return rights  # type: ignore[return-value]


def wider_than(a: str, b: str) -> bool:
    """Return True when rights `a` include something `b` does not (only "rw" over "r")."""
    return a == "rw" and b == "r"


def check_order(order: object) -> int:
    """Return `order` when it is an int with 0 <= order <= 20; raise InvalidArgument otherwise."""
    if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order <= MAX_ORDER:
        raise InvalidArgument(
            f"order must be an int from 0 to {MAX_ORDER} (an fpage of 2**order pages), "
            f"not {order!r}"
        )
    return order


def check_include_self(value: object) -> bool:
    """Return `value` when it is True or False (a flag is a bool); raise InvalidArgument."""
    if type(value) is not bool:
        raise InvalidArgument(f"include_self must be True or False, not {show_brief(value)}")
    return value


def check_page(page: object, order: int = 0, what: str = "page") -> int:
    """Return `page` when it is a valid, 2**order-aligned virtual page; raise otherwise."""
    if not isinstance(page, int) or isinstance(page, bool):
        raise InvalidArgument(f"{what} must be an int page number, not {page!r}")
    if not 0 <= page < VIRTUAL_PAGES:
        raise InvalidArgument(
            f"{what} {page} is outside the address space: pages run from 0 to "
            f"{VIRTUAL_PAGES - 1} (a 4 GB space of 4 KB pages; use address // 4096)"
        )
    size = 1 << order
    if page % size:
        raise AlignmentError(
            f"{what} {page} is not aligned for order {order}: an fpage of {size} pages must "
            f"start at a multiple of {size} (try {page - page % size})"
        )
    if page + size > VIRTUAL_PAGES:
        raise InvalidArgument(f"the fpage at {what} {page} of {size} pages runs past the space")
    return page


def place_item(
    page: int, order: int, send_base: int, window: int, window_order: int
) -> tuple[int, int, int]:
    """Return (source page, destination page, order) of a map item placed as in L4 X.2.

    The item's send fpage is 2**order pages at `page`, the receive window 2**window_order pages
    at `window`; the smaller decides, and the send base b picks the part: a smaller fpage lands at
    window + (b mod window size, rounded down to a multiple of the fpage size); a larger one gives
    its window-sized part at page + (b mod fpage size, rounded down to a multiple of the window
    size), mapped onto the whole window. A size mismatch is no error.
    """
    if order <= window_order:
        offset = send_base % (1 << window_order) >> order << order
        return page, window + offset, order
    offset = send_base % (1 << order) >> window_order << window_order
    return page + offset, window, window_order
