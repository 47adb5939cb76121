"""Rule answers: a function the student writes of what an instance prints, checked on the
student's own instance and on hidden ones.

    def ipc_large(facts):                     # the student's answer: the hand computation
        return facts["trap_enter_cycles"] + ...

    check_rule(ipc_large, [mine, *hidden], judge, facts_of, points=2, title="Q1a")

A value the model measures for the student's instance is one call into the package away, so a
question that asks for a hand computation grades the computation itself: the rule is called on
the student's instance and on hidden instances drawn from the course secret, and `judge` gives
its feedback on each (right, or which wrong belief the value matches). A function right only
where the student could look earns nothing (a hidden instance where it earns a fifth less than
at home counts for nothing); one with a consistent slip earns what the slip earns.

Under `mkteach grade` a rule is source text exported from the submission and runs in a sandbox
of its own in which no package can be imported (the standard library only), call by call; a
rule that is, or calls, a function of this package earns nothing there, and a practice check
says so beforehand. In a notebook (practice, nbgrader) it is called directly under line and time
budgets.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterable
from typing import Any

from .answers import unanswered
from .feedback import Feedback, brief, finish
from .instances import seed_of

RULE_BYTES = 32_000  # a rule's source and the notebook values it reads, as text: a short function
HIDDEN_INSTANCES = ("a", "b", "c")  # the hidden instances' names: salt + "-a", ...
SLACK = 0.2  # a hidden instance earning this share less than the student's own counts for 0


def hidden_seeds(student: object, salt: str) -> list[int]:
    """Return the seeds of a student's hidden instances of a question salted with `salt`."""
    return [seed_of(student, f"{salt}-{name}") for name in HIDDEN_INSTANCES]


def check_rule(
    rule: object,
    instances: Iterable[Any],
    judge: Callable[[Any, Any], Feedback],
    shown: Callable[[Any], Any] | None = None,
    *,
    points: float = 1.0,
    title: str = "",
    asked: str = "",
) -> Feedback:
    """Return the feedback of a rule answer: for each instance (the student's own first, then
    the hidden ones) `rule(shown(instance))` (a tuple is several arguments; `shown` defaults to
    the instance itself) judged by `judge(instance, value)`. The points are `points` times the
    own instance's share, times the mean of what the hidden instances count (`_counted`): a
    function that is right only where the student could look earns nothing, and a consistent
    slip earns what it earns on the student's own instance. `asked` shows the form asked for, e.g.
    'def ipc_large(facts): return the cycles'."""
    try:
        return _check_rule(rule, list(instances), judge, shown, points, title, asked)
    except Exception as e:  # a check never raises at the student
        return finish(0, points, [f"the check could not run ({brief(e)})"], title)


def _check_rule(
    rule: object,
    instances: list[Any],
    judge: Callable[[Any, Any], Feedback],
    shown: Callable[[Any], Any] | None,
    points: float,
    title: str,
    asked: str,
) -> Feedback:
    """Score one rule answer; see check_rule."""
    form = f" ({asked})" if asked else ""
    if unanswered(rule):
        return finish(0, points, [f"no answer yet: write a function{form}"], title)
    caller, why = rule_caller(rule)
    if caller is None:
        return finish(0, points, [f"{why}; this question asks for a function{form}"], title)
    try:
        verdicts, values = _verdicts(caller, instances, judge, shown or (lambda i: i))
    finally:
        close = getattr(caller, "close", None)
        if close is not None:
            close()
    own, hidden = verdicts[0], verdicts[1:]
    if hidden and len(values) == len(verdicts) and not all(v.correct for v in verdicts):
        if all(value == values[0] for value in values):  # a value, not a computation
            why = f"your function returns {values[0]!r:.80} whatever its arguments"
            return finish(0, points, [*own.messages, why], title)
    messages = list(own.messages)
    share = own.fraction
    if hidden:
        counted = [_counted(v.fraction, own.fraction) for v in hidden]
        worse = [v for v, c in zip(hidden, counted, strict=True) if c < 1]
        if worse:
            messages.append(
                f"on {len(worse)} of {len(hidden)} instances you did not see, your function "
                f"earns less: {'; '.join(worse[0].messages)}"
            )
        elif own.points > 0:
            messages.append(f"the same on the {_instances(len(hidden))} you did not see")
        share *= sum(counted) / len(hidden)
    return finish(points * share, points, messages, title)


def _verdicts(
    caller: Callable[[Any], Any],
    instances: list[Any],
    judge: Callable[[Any, Any], Feedback],
    shown: Callable[[Any], Any],
) -> tuple[list[Feedback], list[Any]]:
    """Return (the judge's feedback on each instance the rule was called on, the values it
    returned); the student's own instance first, and only that one when it earns nothing."""
    verdicts, values = [], []
    for n, instance in enumerate(instances):
        outcome = caller(shown(instance))
        if outcome.problem:
            where = "on your instance" if n == 0 else "on an instance you did not see"
            verdicts.append(finish(0, 1, [f"{where}, {outcome.problem}"]))
        else:
            verdicts.append(judge(instance, outcome.value))
            values.append(outcome.value)
        if n == 0 and verdicts[0].points == 0:
            break  # nothing to keep: the hidden instances cannot raise it
    return verdicts, values


def _counted(hidden: float, own: float) -> float:
    """Return how much a hidden instance counts (0 to 1): in full when the function earns there
    what it earns on the student's own instance, in proportion when a little less, not at all
    when SLACK less or worse (a value right only at home earns a little elsewhere by chance)."""
    if own <= 0 or hidden < own - SLACK:
        return 0.0
    return min(1.0, hidden / own)


def _instances(n: int) -> str:
    """Return 'instance' or 'N instances'."""
    return "instance" if n == 1 else f"{n} instances"


def rule_caller(rule: object) -> tuple[Callable[[Any], Any] | None, str]:
    """Return (a function of one instance's arguments that returns an Outcome, or None and why
    the answer cannot be a rule). A rule exported by `mkteach grade` runs in a sandbox with no
    package; an ordinary function is called here, under budgets."""
    from ..lab.guard import call

    remote = getattr(rule, "remote", None)
    spec = getattr(remote, "spec", None)
    if isinstance(spec, dict):
        why = _not_a_rule(spec)
        if why:
            return None, why
        from ..lab.grade import SandboxedMechanism

        box = SandboxedMechanism(spec, copy=answer_copy)

        def sandboxed(args: Any) -> Any:
            return box.lab_outcome(_arguments(args))

        sandboxed.close = box.close  # type: ignore[attr-defined]
        return sandboxed, ""
    if hasattr(rule, "what") and type(rule).__name__ == "Unreadable":  # grader.Unreadable
        return None, f"your answer could not be read ({rule.what})"  # type: ignore[attr-defined]
    if not callable(rule) or isinstance(rule, type):
        return None, f"your answer is {type(rule).__name__}, not a function"
    why = _not_a_rule(_local_spec(rule))
    if why:
        return None, why
    return (lambda args: call(rule, _arguments(args), copy=answer_copy)), ""  # type: ignore[arg-type]


def _arguments(args: Any) -> tuple:
    """Return a rule's arguments as a tuple (one argument unless `args` is a tuple)."""
    return args if isinstance(args, tuple) else (args,)


def _local_spec(fn: Callable[..., Any]) -> dict[str, Any]:
    """Return the spec `mkteach grade` would export for a function here (or a minimal one
    when its source cannot be found, as for a builtin)."""
    from .runner import NotPlain, program_spec

    module = str(getattr(fn, "__module__", "") or "")
    name = str(getattr(fn, "__name__", "function"))
    try:
        spec = program_spec(fn)  # type: ignore[arg-type]
    except (NotPlain, TypeError, AttributeError):
        return {"name": name, "source": "", "context": [], "generator": False, "module": module}
    spec["module"] = module
    return spec


def _not_a_rule(spec: dict[str, Any]) -> str:
    """Return why an exported function is not the student's own rule ('' when it is)."""
    from .runner import LAMBDA

    name = str(spec.get("name", "it"))
    name = "your lambda" if name == LAMBDA else name
    if spec.get("generator") is True:
        return f"{name} is a generator function (it yields); it should return its answer"
    if str(spec.get("module", "")).split(".")[0] == "mkteach":
        return (f"{name} comes from {spec['module']}, not from your notebook: the function "
                "is the computation you write")  # fmt: skip
    for entry in spec.get("context", []):
        if isinstance(entry, list) and len(entry) == 3 and entry[0] in ("module", "from"):
            target = str(entry[2]).partition(":")[0]
            if target.split(".")[0] == "mkteach":
                return (f"{name} uses {entry[1]} from {target}: the function must compute "
                        "its answer from its arguments with your own code (it is graded where "
                        "the mkteach package cannot be imported)")  # fmt: skip
    sources = [str(spec.get("source", ""))]
    sources += [str(e[2]) for e in spec.get("context", []) if isinstance(e, list) and len(e) == 3
                and e[0] == "function"]  # fmt: skip
    imported = next(filter(None, map(_imports_package, sources)), "")
    if imported:
        return (f"{name} imports {imported}: the function must compute its answer from its "
                "arguments with your own code (it is graded where the mkteach package cannot "
                "be imported)")  # fmt: skip
    if len(json.dumps(spec)) > RULE_BYTES:
        return (f"{name} and the notebook values it reads are over {RULE_BYTES // 1000} KB of "
                "text: the answer is a short function of its arguments")  # fmt: skip
    return ""


def _imports_package(source: str) -> str:
    """Return the name of the first mkteach module the source imports ('' when none): a
    courtesy in a notebook, where the package is there; the graded sandbox has no package."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        for name in names:
            if name.split(".")[0] == "mkteach":
                return name
    return ""


def answer_copy(value: Any) -> Any:
    """Return a deep copy of a rule's answer made of numbers, strings, bools, None, tuples,
    lists, sets and dicts; raise ValueError for anything else."""
    from .runner import decode, encode

    return decode(encode(value))
