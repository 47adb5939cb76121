"""Exercise 5 (flexibility): the mapping tree of a stacked-pager run after a flush, and a
colouring pager.

Every instance is seeded (`seed_of(STUDENT)`); every check returns `Feedback` and never raises
at the student. The right tree is the model's run (`stacked_system`), which the notebook shows
after the question; no function here returns a graded answer (issue 20).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from mkteach.grading.feedback import Feedback, check_failed, finish
from mkteach.grading.instances import SIGMA0, instance
from mkteach.grading.programs import (
    app_plan,
    app_program,
    check_program,
    kernel_sane,
    pager_problem,
    pages_from_pager,
    returned,
    thread_named,
    waits_for_anyone,
)
from mkteach.grading.trees import (
    Key,
    model_tree,
    read_answer,
    same_node,
    score_tree,
    structural_problems,
)
from mkteach.programs import file_pager, memory_pager, reader
from mkteach.system import System

PAGE = 4096


# -- the mapping tree of a stacked-pager run -------------------------------------------------------

FILE_BASE = 100  # the file pager keeps block p at its own page FILE_BASE + p


def stacked_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded stacked-pager run: App's pages in the order it reads them, the free
    pages of the main-memory pager in the order it hands them out, and which of App's reads has
    its memory flushed by the memory pager afterwards (`flush_read`, an index into `reads`)."""
    rng = instance(seed, "stacked")
    reads = rng.sample(range(8), rng.randint(3, 4))
    free = rng.sample(range(16, 48), 8)
    return {"reads": reads, "free": free, "flush_read": rng.randrange(len(reads))}


def stacked_system(seed: int | str) -> System:
    """Return chapter 5's stacked pagers for this seed, after the run and the final flush.

    App's faults go to Files (file_pager, base FILE_BASE), Files' faults to Memory (memory_pager,
    free pages in the seeded order), Memory's to σ0's pager. After the run, Memory flushes the
    page it handed out for App's `flush_read`-th read.
    """
    shape = stacked_instance(seed)
    s = System(machine="i486", frames=64)
    memory, files, app = s.create_space("Memory"), s.create_space("Files"), s.create_space("App")
    p1 = s.create_thread(memory, memory_pager, list(shape["free"]), name="memory",
                         pager=s.sigma0_pager)  # fmt: skip
    p2 = s.create_thread(files, file_pager, FILE_BASE, name="files", pager=p1)
    s.create_thread(app, reader, list(shape["reads"]), name="app", pager=p2)
    s.run()
    s.flush(memory, shape["free"][shape["flush_read"]])
    return s


STACKED_MISCONCEPTIONS = {
    "skip_files": "App's page derives from the file pager's page, not straight from the memory "
    "pager's: each pager maps from its own space, one level at a time",
    "skip_memory": "the file pager's page derives from the memory pager's page, not straight "
    "from σ0: the memory pager is the file pager's pager",
    "files_same_page": f"the file pager keeps block p at its own page {FILE_BASE} + p, so App's "
    f"page p derives from Files:{FILE_BASE}+p, not Files:p",
    "page_order": "the memory pager hands out its free pages in the order the faults arrive (the "
    "order App reads its pages), not in the order of the page numbers",
    "flush_direct_only": "flush removes everything derived from the flushed page, directly or "
    "indirectly: App's page went too, with the file pager's",
    "flush_self": "the memory pager keeps its own page when it flushes: only what derives from it "
    "is removed",
    "no_flush": "the memory pager's flush removed the file pager's page and App's page derived "
    "from it",
}


def stacked_belief(seed: int | str, belief: str) -> dict[Key, Key]:
    """Return the tree {(space, page): parent} of the stacked run under a wrong `belief` (a key
    of STACKED_MISCONCEPTIONS). The right tree is the model's (`model_tree(stacked_system(seed))`,
    as the notebook shows after the question): no function here returns the answer (issue 20)."""
    if belief not in STACKED_MISCONCEPTIONS:
        raise ValueError(f"belief is one of {', '.join(STACKED_MISCONCEPTIONS)}, not {belief!r}")
    return _stacked_tree(seed, belief)


def _stacked_tree(seed: int | str, belief: str | None) -> dict[Key, Key]:
    """Return the stacked run's tree as the rules give it: a wrong `belief`'s, or (None) the
    right rules', which the check compares with the kernel's before it names a belief."""
    shape = stacked_instance(seed)
    reads, free = shape["reads"], shape["free"]
    order = sorted(reads) if belief == "page_order" else reads
    tree: dict[Key, Key] = {}
    for page, own in zip(order, free, strict=False):
        memory, block = ("Memory", own), ("Files", page if belief == "files_same_page" else
                                                     FILE_BASE + page)  # fmt: skip
        tree[memory] = (SIGMA0, own)
        if belief == "skip_memory":
            del tree[memory]
            tree[block] = (SIGMA0, own)
        else:
            tree[block] = memory
        if belief == "skip_files":
            del tree[block]
            tree[("App", page)] = memory
        else:
            tree[("App", page)] = block
    flushed = ("Memory", free[shape["flush_read"]])
    if belief == "no_flush":
        return tree
    victims = _below(tree, flushed)
    if belief == "flush_direct_only":
        victims = [k for k in victims if tree[k] == flushed]
    if belief == "flush_self":
        victims.append(flushed)
    if belief == "skip_memory":
        victims = _below(tree, (SIGMA0, flushed[1]))
    return {k: p for k, p in tree.items() if k not in victims}


def _below(tree: dict[Key, Key], key: Key) -> list[Key]:
    """Return every key derived from `key` in {(space, page): parent}."""
    out, stack = [], [k for k, p in tree.items() if p == key]
    while stack:
        k = stack.pop()
        out.append(k)
        stack += [c for c, p in tree.items() if p == k]
    return out


def check_stacked_tree(
    predicted: object, seed: int | str, *, points: float = 1.0, title: str = "mapping tree"
) -> Feedback:
    """Return feedback on a predicted tree {(space, page): parent} of the seeded stacked-pager
    run (after its flush), with partial credit per mapping and the misconception named."""
    try:
        return _check_stacked(predicted, seed, points, title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _check_stacked(predicted: object, seed: int | str, points: float, title: str) -> Feedback:
    """Score a stacked tree; see check_stacked_tree."""
    model = {k: (parent, "rw") for k, (parent, _) in model_tree(stacked_system(seed)).items()}
    student, errors = read_answer(predicted)
    if errors and not student:
        return finish(0, points, errors, title)
    if not student:
        return finish(0, points, ["no answer yet: fill in the tree"], title)
    score, possible, notes = score_tree(student, model, False)
    messages = errors + structural_problems(student)
    if score < possible:
        messages += _stacked_misconceptions(student, model, seed)
    messages += notes
    if score >= possible and not messages:
        messages.append(f"all {len(model)} mappings right")
    return finish(points * score / possible, points, messages, title)


def _stacked_misconceptions(
    student: dict[Key, tuple[Any, str | None]], model: dict[Key, tuple[Key, str]], seed: int | str
) -> list[str]:
    """Return the messages of the beliefs the student's tree follows where the model differs."""
    right = {k: (p, "rw") for k, p in _stacked_tree(seed, None).items()}
    if right != model:
        return []  # the belief builder disagrees with the kernel: do not guess
    found = []
    for name, message in STACKED_MISCONCEPTIONS.items():
        wrong = {k: (p, "rw") for k, p in stacked_belief(seed, name).items()}
        keys = set(wrong) | set(model) | set(student)
        differ = [k for k in keys if not same_node(wrong.get(k), model.get(k), False)]
        if not differ:
            continue
        agree_wrong = sum(same_node(student.get(k), wrong.get(k), False) for k in differ)
        agree_model = sum(same_node(student.get(k), model.get(k), False) for k in differ)
        overall = sum(same_node(student.get(k), wrong.get(k), False) for k in keys) / len(keys)
        if agree_wrong > agree_model and 2 * agree_wrong >= len(differ):
            found.append((overall, name, message))
    best = max((score for score, _, _ in found), default=0.0)
    return [message for score, _, message in sorted(found) if score == best]


# -- a colouring pager -----------------------------------------------------------------------------

PER_COLOUR = 3  # frames of each colour in the pager's pool


def colour_instance(seed: int | str, pages: int = 5, colours: int | None = None) -> dict:
    """Return the seeded colouring workload: the number of colours, the pager's pool (its own
    pages, numbered like the frames behind them: σ0's page f is frame f) and App's pages (at
    least two of one colour, at most PER_COLOUR of any)."""
    rng = instance(seed, f"colour{pages}")
    colours = colours or rng.choice([4, 8])
    pool = []
    for colour in range(colours):
        candidates = [f for f in range(64, 128) if f % colours == colour]
        pool += rng.sample(candidates, PER_COLOUR)
    for _ in range(100):
        rng.shuffle(pool)
        touched = rng.sample(range(32), min(pages, colours * PER_COLOUR))
        count = Counter(p % colours for p in touched)
        naive = all(f % colours == p % colours for f, p in zip(pool, touched, strict=False))
        if max(count.values()) > 1 and max(count.values()) <= PER_COLOUR and not naive:
            break
    return {"colours": colours, "pool": pool, "pages": touched}


def colour_scenario(
    program: Callable[..., Any], seed: int | str = 0, *, pages: int = 5, machine: str = "i486"
) -> System:
    """Return a System where `program(t, pool, colours)` pages an application, ready to run.

    The pager's space holds σ0's frames of `pool` at pages of the same numbers (page f is frame
    f). The application stores a value on each of its pages (reading some first) and reads them
    all back at the end.
    """
    shape = colour_instance(seed, pages)
    s = System(machine=machine, frames=128)
    pager_space, app = s.create_space("pager"), s.create_space("app")
    for frame in shape["pool"]:
        s.map(s.sigma0, frame, pager_space, frame)
    plan = app_plan(instance(seed, f"colour-plan{pages}"), shape["pages"], s.page_size)
    pager = s.create_thread(pager_space, program, list(shape["pool"]), shape["colours"],
                            name="colourer")  # fmt: skip
    s.create_thread(app, app_program, plan, name="app", pager=pager)
    return s


def check_colouring_pager(
    program: Callable[..., Any],
    seed: int | str = 0,
    *,
    pages: int = 5,
    points: float = 1.0,
    max_steps: int = 2_000,
    seconds: float = 5.0,
    machine: str = "i486",
    title: str = "colouring pager",
) -> Feedback:
    """Return feedback on a colouring pager `program(t, pool, colours)` run in colour_scenario.

    Credit: every page the application got has the page's colour, frame % colours == page %
    colours, and comes from the pager (0.4); each page got a frame of its own (0.2); the
    application's faults were all served and it read back what it wrote (0.2); the pager is
    still waiting for the next fault at the end and the kernel's invariants hold (0.2).
    """
    colours = colour_instance(seed, pages)["colours"]
    return check_program(
        lambda: colour_scenario(program, seed, pages=pages, machine=machine),
        lambda s, summary: _score_colouring(s, summary, colours, max_steps),
        "pager",
        points,
        max_steps,
        seconds,
        title,
    )


def _score_colouring(
    s: System, summary: Any, colours: int, max_steps: int
) -> tuple[float, list[str]]:
    """Return (credit from 0 to 1, messages) for a finished colouring run."""
    messages = []
    credit = 0.0
    app, pager = thread_named(s, "app"), thread_named(s, "colourer")
    if returned(app):
        credit += 0.2
    elif app is not None and not app.alive:
        messages.append(f"the application failed: {app.state.reason}")
    elif summary is not None and summary.reason == "max_steps":
        messages.append(
            f"the run did not finish within {max_steps} steps: does each answer map a page "
            "with 'rw' rights?"
        )
    else:
        messages.append(f"the application is still {app.state.describe()}")
    given = sorted(s.kernel.spaces["app"].pages.items())
    wrong = [(p, n.frame) for p, n in given if n.frame % colours != p % colours]
    own_ok, own_messages = pages_from_pager(s)
    if given and not wrong and not any("does not come" in m for m in own_messages):
        credit += 0.4
    if wrong:
        page, frame = wrong[0]
        others = f" (and {len(wrong) - 1} more page(s))" if len(wrong) > 1 else ""
        messages.append(
            f"page {page} (colour {page % colours}) got frame {frame} (colour "
            f"{frame % colours}){others}: give each page a frame of its own colour, "
            "frame % colours == page % colours"
        )
    if len(given) > 1 and len({n.frame % colours for _, n in given}) == 1 and wrong:
        messages.append(
            "all the frames you gave have one colour: take the colour of the faulting page "
            "(msg.fault_page % colours), not of the fault address"
        )
    if given and not any("all map frame" in m for m in own_messages):
        credit += 0.2
    messages += own_messages if given else []
    sane, sane_messages = kernel_sane(s)
    if pager is not None and pager.alive and waits_for_anyone(pager) and sane:
        credit += 0.2
    elif not sane:
        messages += sane_messages
    else:
        messages.append(pager_problem(pager))
    if credit >= 1:
        messages.append(f"right: {len(given)} pages, each with a frame of its colour")
    return credit, list(dict.fromkeys(m for m in messages if m))


COLOUR_WHY = {
    "virtual": "the 486's cache is indexed with virtual addresses, which a pager does not choose",
    "flush": "the 486 flushes its cache at every address-space switch, so colours are lost",
    "offset": "the 486's cache index lies inside the page offset (a way of 2 KB is less than a "
    "page), so the frame a page gets cannot change where its lines go",
    "kernel": "the kernel remaps pages behind the pager's back on the 486",
}


COLOUR_EXPLAIN = {
    "virtual": "the model's caches are physically indexed, and on the 486 the index bits lie "
    "inside the page offset, where virtual and physical addresses agree anyway",
    "flush": "the 486 flushes its TLB at an address-space switch, not its cache",
    "kernel": "the kernel maps exactly what the pager's map items say and never remaps behind "
    "its back",
}
