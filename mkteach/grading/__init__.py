"""Exercise checks, student copies and batch grading (nbgrader-compatible markup).

In an exercise's test cell:

    from mkteach.grading import check_mapping_tree, seed_of
    check_mapping_tree(predicted, memory_ops(seed_of(STUDENT)), points=4)

shows feedback (points, and what was right or wrong) and never raises. For instructors:

    release("exercises", "release")                               # student copies
    grade(["submitted/alice/ex02.ipynb"], "exercises", csv_path="grades.csv")  # sandboxed

The kernel model does not import this package. The instructor's side (grade, release) loads
nbformat, which is slow to import, so it is imported on first use: a student's kernel that only
runs checks never pays for it.
"""

from importlib import import_module
from typing import Any

from .answers import (
    answered,
    check_choice,
    check_cost,
    check_hand_cost,
    check_value,
    event_costs,
    paper_beliefs,
)
from .costs import ipc_costs, ipc_facts, seeded_overrides
from .feedback import Feedback
from .instances import MemOp, apply_ops, instance, memory_ops, seed_of
from .practice import Practice, check_practice, practice_seed
from .programs import check_pager, check_server, pager_scenario, server_scenario
from .secret import course_salt
from .trees import (
    FLUSH_BELIEFS,
    FLUSH_MISCONCEPTIONS,
    MISCONCEPTIONS,
    check_mapping_tree,
    flush_drawing,
    flush_removed,
    model_tree,
    wrong_flush_instance,
    wrong_tree,
)

__all__ = [
    "FLUSH_BELIEFS",
    "FLUSH_MISCONCEPTIONS",
    "MISCONCEPTIONS",
    "Feedback",
    "GradingError",
    "MemOp",
    "Practice",
    "ReleaseError",
    "SubmissionResult",
    "answered",
    "apply_ops",
    "check_choice",
    "check_cost",
    "check_hand_cost",
    "check_mapping_tree",
    "check_pager",
    "check_practice",
    "check_rule",
    "check_server",
    "check_value",
    "course_salt",
    "event_costs",
    "flush_drawing",
    "flush_removed",
    "format_table",
    "grade",
    "hidden_seeds",
    "instance",
    "ipc_costs",
    "ipc_facts",
    "memory_ops",
    "model_tree",
    "pager_scenario",
    "paper_beliefs",
    "practice_seed",
    "release",
    "seed_of",
    "seeded_overrides",
    "server_scenario",
    "wrong_flush_instance",
    "wrong_tree",
]

_LAZY = {
    "check_rule": "rules",  # a rule's sandbox side (runner) imports this package: no cycle
    "hidden_seeds": "rules",
    "GradingError": "grader",
    "SubmissionResult": "grader",
    "format_table": "grader",
    "grade": "grader",
    "ReleaseError": "student_copies",
    "release": "student_copies",
}


def __getattr__(name: str) -> Any:
    """Return the instructor-side names (grade, release, ...) from their modules on first use."""
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
