"""Plausible wrong mechanisms, three or more per lab: the mistakes students make.

The tests check that `lab.check` fails each with a message naming the difference, and the
notebooks show one of them as a worked example of a failing check.
"""

from __future__ import annotations

from .spaces import MIN_SLOT
from .window import PAGE

# -- mapdb_flush -----------------------------------------------------------------------------


def flush_children_only(tree, index, rights, include_self):  # type: ignore[no-untyped-def]
    """Flush the direct children only: mappings derived indirectly survive."""
    depth = tree[index][3]
    end = index + 1
    while end < len(tree) and tree[end][3] > depth:
        end += 1
    out = []
    for i, entry in enumerate(tree):
        if i == index and include_self:
            if rights == "w":
                out.append((entry[0], entry[1], "r", entry[3]))
            continue
        if index < i < end and entry[3] == depth + 1:
            if rights == "w":
                out.append((entry[0], entry[1], "r", entry[3]))
            continue
        out.append(entry)
    return out


def flush_to_siblings(tree, index, rights, include_self):  # type: ignore[no-untyped-def]
    """End the subtree at the first shallower entry (>= instead of >): flushes later siblings."""
    depth = tree[index][3]
    end = index + 1
    while end < len(tree) and tree[end][3] >= depth:
        end += 1
    start = index if include_self else index + 1
    if rights == "rw":
        return tree[:start] + tree[end:]
    return tree[:start] + [(s, p, "r", d) for s, p, _, d in tree[start:end]] + tree[end:]


def flush_ignores_self(tree, index, rights, include_self):  # type: ignore[no-untyped-def]
    """Never flush the flusher's own entry: include_self is forgotten."""
    depth = tree[index][3]
    end = index + 1
    while end < len(tree) and tree[end][3] > depth:
        end += 1
    if rights == "rw":
        return tree[: index + 1] + tree[end:]
    return tree[: index + 1] + [(s, p, "r", d) for s, p, _, d in tree[index + 1 : end]] + tree[end:]


def flush_removes_on_w(tree, index, rights, include_self):  # type: ignore[no-untyped-def]
    """Remove the derived mappings whatever the rights: a partial flush ("w") is not one."""
    depth = tree[index][3]
    end = index + 1
    while end < len(tree) and tree[end][3] > depth:
        end += 1
    start = index if include_self else index + 1
    return tree[:start] + tree[end:]


# -- small_spaces ----------------------------------------------------------------------------


def _size(extent):  # type: ignore[no-untyped-def]
    size = MIN_SLOT
    while size < extent:
        size *= 2
    return size


def spaces_never_promote(space, extent, slots, region):  # type: ignore[no-untyped-def]
    """Keep a space's slot once it has one, even after it outgrew it."""
    if space in slots:
        return slots[space]
    size = _size(extent)
    for start in range(0, region - size + 1, size):
        if all(start + size <= s or s + n <= start for s, n in slots.values()):
            return (start, size)
    return None


def spaces_overlap(space, extent, slots, region):  # type: ignore[no-untyped-def]
    """Put every space at the start of the region, ignoring the slots already taken."""
    size = _size(extent)
    return (0, size) if size <= region else None


def spaces_unaligned(space, extent, slots, region):  # type: ignore[no-untyped-def]
    """Pack slots end to end, sized to the extent in whole MB: neither aligned nor a power of 2."""
    if space in slots and extent <= slots[space][1]:
        return slots[space]
    size = max(MIN_SLOT, -(-extent // MIN_SLOT) * MIN_SLOT)
    start = max((s + n for name, (s, n) in slots.items() if name != space), default=0)
    return (start, size) if start + size <= region else None


def spaces_never_small(space, extent, slots, region):  # type: ignore[no-untyped-def]
    """Run every space large: always legal, never fast."""
    return None


# -- temporary_mapping -------------------------------------------------------------------------


def window_no_offset(length, src, dst, frames, window):  # type: ignore[no-untyped-def]
    """Copy each piece to the start of its window page, forgetting the offset in the page."""
    first, pages = window
    plan, done = [], 0
    while done < length:
        page, offset = divmod(dst + done, PAGE)
        n = min(PAGE - offset, length - done)
        wpage = first + (page - dst // PAGE) % pages
        plan += [
            ("flush", wpage),
            ("map", wpage, frames[page]),
            ("copy", src + done, wpage * PAGE, n),
        ]
        done += n
    return plan


def window_no_flush(length, src, dst, frames, window):  # type: ignore[no-untyped-def]
    """Map and copy, but never flush the window page's old translation from the TLB."""
    first, pages = window
    plan, done = [], 0
    while done < length:
        page, offset = divmod(dst + done, PAGE)
        n = min(PAGE - offset, length - done)
        wpage = first + (page - dst // PAGE) % pages
        plan += [("map", wpage, frames[page]), ("copy", src + done, wpage * PAGE + offset, n)]
        done += n
    return plan


def window_page_chunks(length, src, dst, frames, window):  # type: ignore[no-untyped-def]
    """Cut the message into PAGE-sized pieces from its start, not at the receiver's page ends."""
    first, pages = window
    plan = []
    for k, done in enumerate(range(0, length, PAGE)):
        page, offset = divmod(dst + done, PAGE)
        wpage = first + k % pages
        n = min(PAGE, length - done)
        plan += [("flush", wpage), ("map", wpage, frames[page])]
        plan.append(("copy", src + done, wpage * PAGE + offset, n))
    return plan


def window_word_copies(length, src, dst, frames, window):  # type: ignore[no-untyped-def]
    """Right, but copy 16 bytes per copy step: every step pays the copy's setup again."""
    first, pages = window
    plan, done = [], 0
    while done < length:
        page, offset = divmod(dst + done, PAGE)
        n = min(PAGE - offset, length - done)
        wpage = first + (page - dst // PAGE) % pages
        plan += [("flush", wpage), ("map", wpage, frames[page])]
        for k in range(0, n, 16):
            plan.append(("copy", src + done + k, wpage * PAGE + offset + k, min(16, n - k)))
        done += n
    return plan


MISTAKES = {
    "mapdb_flush": [flush_children_only, flush_to_siblings, flush_ignores_self, flush_removes_on_w],
    "small_spaces": [spaces_never_promote, spaces_overlap, spaces_unaligned, spaces_never_small],
    "temporary_mapping": [
        window_no_offset,
        window_no_flush,
        window_page_chunks,
        window_word_copies,
    ],  # fmt: skip
}
