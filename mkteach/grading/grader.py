"""Batch grading: each submission runs in a sandbox; its answers are checked here, outside it.

    results = grade(["submitted/alice/ex02/ex02-address-spaces.ipynb"], "exercises",
                    csv_path="grades.csv", feedback_dir="feedback")
    print(format_table(results))

For each submission: whose it is comes from its path (`submitted/STUDENT/ASSIGNMENT/NB.ipynb`
or `STUDENT/NB.ipynb`; a symbolic link there is refused), and the student's cells run with that
identity as STUDENT; which exercise from its tag, file name or grade_ids; the instructor's
locked cells are put back by grade_id (`merge.py`). The hidden tests' salts come from the course
secret (`secret.py`); a program answer that is, or runs, one of the package's programs earns
nothing. The sandbox (`sandbox.py`) runs the
student's cells and the released setup cells, never a test cell, and reports what each answer
variable holds as plain data, functions as source text (`runner.py`). Here, the instructor's
test cells, hidden tests included, then run on those values with STUDENT set to the identity
from the path; a program answer runs as a user thread whose operations come from its own
sandbox (`remote.py`). Whatever a submission does, it gets a result with notes and never
changes another one.
"""

from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import html
import json
import os
import stat
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .feedback import Feedback, format_points
from .instances import normal_identity
from .markup import grade_id, is_protected, is_solution, is_test, points, student_source
from .merge import merge
from .remote import RemoteProgram
from .runner import NotPlain, decode
from .sandbox import (
    RUNNER,
    Sandbox,
    SandboxError,
    bound_paths,
    check_sandbox,
    visible_to_sandbox,
)
from .secret import SecretError, read_secret, using_secret
from .student_copies import ReleaseError, read_source, source_notebooks

TEXTS = ["feedback", "notes"]
GRACE_SECONDS = 20  # beyond the total limit, for the sandbox's start and the setup cells
FIELD_CHARS = 2000  # a CSV field at most (the feedback file has the full text)
NOTEBOOK_BYTES = 32 * 1024 * 1024  # a submission file at most


class GradingError(ValueError):
    """Grading cannot start (no source notebooks, unreadable source, no sandbox...)."""


@dataclass
class QuestionResult:
    """Points and feedback for one graded test cell of one submission."""

    grade_id: str
    points: float
    possible: float
    feedback: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class SubmissionResult:
    """One submission's grade: points per question, total, notes, and whether it was graded."""

    submission: str
    exercise: str
    student: str
    questions: list[QuestionResult]
    notes: list[str] = field(default_factory=list)
    problem: str = ""  # set when the path is missing or not a notebook: the command then fails

    @property
    def total(self) -> float:
        """Return the points earned over all questions."""
        return round(sum(q.points for q in self.questions), 4)

    @property
    def possible(self) -> float:
        """Return the points possible over all questions."""
        return round(sum(q.possible for q in self.questions), 4)

    def question(self, gid: str) -> QuestionResult | None:
        """Return the result of question `gid`, or None when this exercise has no such test."""
        return next((q for q in self.questions if q.grade_id == gid), None)


class Unreadable:
    """An answer that could not leave the sandbox as plain data (a check marks it wrong)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


def grade(
    submissions: Sequence[str | Path],
    source_dir: str | Path,
    csv_path: str | Path | None = None,
    *,
    feedback_dir: str | Path | None = None,
    shard: tuple[int, int] | None = None,
    cell_timeout: float = 30.0,
    total_timeout: float = 300.0,
    jobs: int | None = None,
    course_dir: str | Path | None = None,
) -> list[SubmissionResult]:
    """Grade the submissions (or shard I of N of them) against the instructor notebooks in
    `source_dir`; return results in the order given, and write the CSV and feedback files.

    The hidden tests' salts derive from the course secret in `course_dir` (by default the
    folder holding `source_dir`; see secret.py). Raise GradingError, before anything is
    written, when there is no secret or a sandbox cannot start on this machine."""
    sources = _sources(source_dir)
    _check_outputs(source_dir, csv_path, feedback_dir, cell_timeout, total_timeout)
    course = Path(course_dir) if course_dir is not None else Path(source_dir).resolve().parent
    try:
        secret = read_secret(course)
    except SecretError as e:
        raise GradingError(str(e)) from None
    if visible_to_sandbox(course):
        raise GradingError(f"the course folder {course} lies in a folder every sandbox can read")
    chosen = select_shard(list(submissions), shard)
    try:
        check_sandbox()
    except SandboxError as e:
        raise GradingError(str(e)) from None
    limits = {"cell_timeout": cell_timeout, "total_timeout": total_timeout}
    workers = max(1, jobs or min(4, os.cpu_count() or 1))
    with using_secret(secret), ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: grade_one(Path(p), sources, limits), chosen))
    if csv_path is not None:
        write_csv(results, csv_path)
    if feedback_dir is not None:
        write_feedback(results, feedback_dir)
    return results


def _sources(source_dir: str | Path) -> dict[str, Any]:
    """Return the instructor notebooks by exercise name; raise GradingError when unusable."""
    try:
        sources = {p.stem: read_source(p) for p in source_notebooks(source_dir)}
    except ReleaseError as e:
        raise GradingError(str(e)) from None
    if visible_to_sandbox(source_dir):
        raise GradingError(
            f"the source folder {source_dir} lies in a folder every sandbox can read "
            f"({', '.join(map(str, bound_paths()))}): move it elsewhere"
        )
    if not os.stat(RUNNER).st_mode & 0o004:
        raise GradingError(
            f"the sandbox's user cannot read {RUNNER}: make the installation readable "
            "by all users (chmod -R a+rX)"
        )
    return sources


def _check_outputs(
    source_dir: str | Path,
    csv_path: str | Path | None,
    feedback_dir: str | Path | None,
    cell_timeout: float,
    total_timeout: float,
) -> None:
    """Raise GradingError for limits that are not positive or outputs that cannot be written."""
    if cell_timeout <= 0 or total_timeout <= 0:
        raise GradingError("time limits must be positive numbers of seconds")
    if csv_path is not None and not Path(csv_path).resolve().parent.is_dir():
        raise GradingError(f"cannot write {csv_path}: its folder does not exist")
    if feedback_dir is not None and Path(feedback_dir).exists() and not Path(feedback_dir).is_dir():
        raise GradingError(f"--feedback {feedback_dir} is a file, not a folder")
    for output in (csv_path, feedback_dir):
        if output is not None and visible_to_sandbox(Path(output).resolve().parent):
            raise GradingError(f"{output} lies in a folder every sandbox can read: move it")


def select_shard(paths: list[Any], shard: tuple[int, int] | None) -> list[Any]:
    """Return the paths of shard I of N (1-based), in the order given: those whose identity and
    notebook name hash to I (so machines whose lists differ still grade each one once)."""
    if shard is None:
        return paths
    index, count = shard
    if not 1 <= index <= count:
        raise GradingError(f"--shard {index}/{count}: I must be between 1 and N")
    return [p for p in paths if shard_of(Path(p), count) == index]


def shard_of(path: Path, count: int) -> int:
    """Return which of `count` shards (1-based) grades `path`: a stable hash of its identity
    (normalised) and notebook file name."""
    key = f"{normal_identity(identity_of(path))}\x1f{Path(path).name}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % count + 1


def identity_of(path: Path) -> str:
    """Return whose a submission is, from its path: nbgrader's submitted/STUDENT/ASSIGNMENT/
    NOTEBOOK.ipynb, else the folder it is in (STUDENT/NOTEBOOK.ipynb); Unicode in NFC, without
    surrounding spaces."""
    parts = Path(os.path.abspath(path)).parts
    if len(parts) >= 4 and parts[-4] == "submitted":
        name = parts[-3]
    else:
        name = parts[-2] if len(parts) >= 2 else ""
    return unicodedata.normalize("NFC", name).strip()


def grade_one(path: Path, sources: dict[str, Any], limits: dict[str, float]) -> SubmissionResult:
    """Return the grade of one submission file (never raises for anything the file does)."""
    student = identity_of(path)
    nb, problem = load_submission(path)
    exercise = match_exercise(path, nb, sources)
    if nb is None and (not path.is_file() or path.is_symlink() or linked_part(path)):
        return SubmissionResult(str(path), exercise or "", student, [], [problem], problem)
    if exercise is None:
        why = problem or "it matches none of the exercises (no known grade_id, file name or tag)"
        return SubmissionResult(str(path), "", student, [], [f"not graded: {why}"], why)
    source = sources[exercise]
    result = SubmissionResult(str(path), exercise, student, questions_of(source))
    if nb is None:
        result.notes.append(f"scored 0: {problem}")
        result.problem = problem
        return result
    try:
        run_and_check(source, nb, result, limits)
    except SandboxError as e:
        raise GradingError(str(e)) from None
    except Exception as e:  # a fault of the grader itself: noted, never fatal to the batch
        result.notes.append(f"grading failed: {type(e).__name__}: {e}".splitlines()[0][:200])
    return result


def questions_of(source: Any) -> list[QuestionResult]:
    """Return a zero result for each graded cell of an instructor notebook, in order: test
    cells, and answers graded by hand (noted as such)."""
    out = []
    for cell in source.cells:
        if is_test(cell) or is_manual(cell):
            note = MANUAL if is_manual(cell) else ""
            out.append(QuestionResult(grade_id(cell), 0.0, points(cell), note=note))  # type: ignore[arg-type]
    return out


MANUAL = "graded by hand (nbgrader's formgrader, or from this feedback): 0 until then"


def is_manual(cell: Any) -> bool:
    """Return True for an answer cell graded by hand (nbgrader: solution and grade)."""
    m = cell.get("metadata", {}).get("nbgrader", {})
    return isinstance(m, dict) and bool(m.get("solution")) and bool(m.get("grade"))


def manual_answers(source: Any, nb: Any, result: SubmissionResult) -> None:
    """Put the text of each answer graded by hand into its question's feedback."""
    given = {grade_id(c): str(c.get("source", "")) for c in nb.cells}
    for cell in source.cells:
        question = result.question(grade_id(cell)) if is_manual(cell) else None  # type: ignore[arg-type]
        if question is None:
            continue
        text = given.get(question.grade_id, "")
        if text.strip() == student_source(cell, question.grade_id).strip():
            question.note = "not answered (the cell is as released): 0, as nbgrader gives it"
        else:
            question.feedback = [f"answer: {' '.join(text.split())[:2000]}"]


def is_practice(cell: Any) -> bool:
    """Return True for a practice cell: the grader's checks shown to the student, which decide
    nothing and are not run when grading (they would only spend the sandbox's time)."""
    return "practice" in cell.get("metadata", {}).get("tags", [])


def answer_names(source: Any) -> list[str]:
    """Return the names the instructor's answer cells define (what a sandbox exports)."""
    names: dict[str, None] = {}
    for cell in source.cells:
        if not is_solution(cell) or cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            targets: list[Any] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign | ast.AugAssign):
                targets = [node.target]
            elif isinstance(node, ast.FunctionDef):
                names[node.name] = None
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names[sub.id] = None
    return list(names)


def run_and_check(source: Any, nb: Any, result: SubmissionResult, limits: dict[str, float]) -> None:
    """Run the submission's cells in a sandbox, then its tests here on the answers it exported."""
    merged = merge(source, nb)
    result.notes += merged.notes
    manual_answers(source, merged.nb, result)
    # The instructor's cells run as released; the student's own text runs as written (markers
    # in it are comments, nothing more).
    cells = [
        [n + 1, student_source(cell, f"cell {n + 1}") if is_protected(cell) else cell.source]
        for n, cell in enumerate(merged.nb.cells)
        if cell.cell_type == "code" and not is_test(cell) and not is_practice(cell)
    ]
    names = answer_names(source)
    job = {
        "names": names,
        "cell_timeout": limits["cell_timeout"],
        "cells": cells,
        "student": result.student,
    }
    answers, notes, claimed = run_sandbox(job, merged.nb, limits["total_timeout"])
    result.notes += notes
    if claimed is not None and normal_identity(claimed) != normal_identity(result.student):
        result.notes.append(
            f"the notebook says STUDENT = {claimed[:60]!r}, but it was collected as "
            f"{result.student!r}: it was graded as {result.student!r}"
        )
    run_tests(source, answers, result)


def run_sandbox(
    job: dict[str, Any], nb: Any, total: float
) -> tuple[dict[str, Any], list[str], str | None]:
    """Return (the answers the submission's last report held, notes on what went wrong, the
    last STUDENT the notebook set that differs from the path's); raise SandboxError when the
    sandbox said nothing at all and a fresh one cannot start either (the machine's fault)."""
    notes: list[str] = []
    errors: list[str] = []
    snapshot: dict[str, Any] = {}
    finished = False
    last_cell = 0
    heard = False
    claimed = None
    with Sandbox.start("notebook", total + GRACE_SECONDS, json.dumps(job)) as box:
        for raw in box.lines():
            heard = True
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(line, dict):
                continue
            if isinstance(line.get("student"), str):
                claimed = line["student"]
            if line.get("done") is True:
                finished = True
                break
            last_cell = line.get("cell", last_cell)
            if isinstance(line.get("answers"), dict):
                snapshot = line["answers"]
            if line.get("error"):
                errors.append(_cell_error(nb, last_cell, str(line["error"])))
        problem = box.problem
    if not heard and not problem:
        check_sandbox()  # raises when the machine, not the submission, stopped it
    if not finished:
        why = {
            "timeout": f"the {total:g} s time limit was up",
            "output": "it wrote more than the output limit",
        }.get(problem, "the sandbox ended (a cell ended Python or ran out of memory)")
        notes.append(f"stopped after cell {last_cell}: {why}; later cells did not run")
    more = len(errors) - 3
    notes += errors[:3] + ([f"{more} more cell(s) raised errors"] if more > 0 else [])
    return decode_answers(snapshot), notes, claimed


def _cell_error(nb: Any, number: int, error: str) -> str:
    """Return a note on a cell's error, naming the cell by grade_id when it has one."""
    cells = nb.cells
    gid = grade_id(cells[number - 1]) if 0 < number <= len(cells) else None
    where = f"cell {gid}" if gid else f"cell {number}"
    if error == "timeout":
        return f"{where} ran out of time and was interrupted"
    hint = " (not answered yet?)" if error.startswith("NotImplementedError") else ""
    return f"{where} raised {error}{hint}"[:200]


def decode_answers(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Return the answer variables as values: plain data, RemoteProgram or Unreadable."""
    answers: dict[str, Any] = {}
    graphs = _Graphs()
    for name, entry in snapshot.items():
        if not isinstance(name, str) or not isinstance(entry, dict) or "missing" in entry:
            continue
        try:
            if "program" in entry and isinstance(entry["program"], dict):
                spec = _program_spec(entry["program"])
                borrowed = package_program(spec)
                if borrowed:
                    answers[name] = Unreadable(borrowed)
                    continue
                answers[name] = RemoteProgram(spec).program()
            elif "value" in entry:
                answers[name] = decode(entry["value"], tids=graphs)
            else:
                answers[name] = Unreadable(str(entry.get("unsupported", "unreadable"))[:200])
        except (NotPlain, TypeError, ValueError) as e:
            answers[name] = Unreadable(f"unreadable answer: {e}")
    return answers


def _program_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a program spec with the expected shape (names and texts), or raise ValueError."""
    name, source, context = spec.get("name"), spec.get("source"), spec.get("context")
    if not (isinstance(name, str) and isinstance(source, str) and isinstance(context, list)):
        raise ValueError("malformed program")
    return {
        "name": name,
        "source": source,
        "context": context,
        "generator": spec.get("generator") is not False,
        "module": str(spec.get("module", "__main__")),
    }


def package_program(spec: dict[str, Any]) -> str:
    """Return why a program answer is not the student's own (it is, or calls, a program this
    package ships), or '' when it is defined in the notebook and uses none."""
    if spec["module"] != "__main__":
        return (
            f"{spec['name']} comes from {spec['module']}, not from your notebook: a graded "
            "program is one you write"
        )
    for entry in spec["context"]:
        if not (isinstance(entry, list) and len(entry) == 3 and entry[0] == "from"):
            continue
        module, _, qual = str(entry[2]).partition(":")
        if module.split(".")[0] == "mkteach" and _is_program(module, qual):
            return (
                f"it runs {module}.{qual}, a program of the package: a graded program is one "
                "you write"
            )
    return ""


def _is_program(module: str, qual: str) -> bool:
    """Return True when module:qual names a generator function (a program) of this package."""
    import importlib
    import inspect

    try:
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError):
        return False
    return inspect.isgeneratorfunction(obj)


class _Graphs:
    """Decoding help: graphs become networkx DiGraphs; thread ids are not answers."""

    def __call__(self, token: Any) -> Any:
        raise NotPlain("a thread id is not an answer")

    def graph(self, data: Any) -> Any:
        """Return a networkx DiGraph from its plain form."""
        import networkx as nx

        g = nx.DiGraph()
        for node, attrs in data["nodes"]:
            g.add_node(node, **{str(k): v for k, v in attrs.items()})
        for u, v, attrs in data["edges"]:
            g.add_edge(u, v, **{str(k): v2 for k, v2 in attrs.items()})
        return g


def run_tests(source: Any, answers: dict[str, Any], result: SubmissionResult) -> None:
    """Run each instructor test cell here on the answers; score it from the Feedback it shows."""
    namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": "__grader__"}
    namespace.update(answers)
    namespace["STUDENT"] = result.student
    for cell in source.cells:
        if not is_test(cell):
            continue
        question = result.question(grade_id(cell))  # type: ignore[arg-type]
        assert question is not None
        try:
            shown = execute(cell.source, namespace, grade_id(cell) or "")
        except Exception as e:
            close_programs(answers)
            hint = " (is the cell that defines it missing or renamed?)"
            why = f"{type(e).__name__}: {e}{hint if isinstance(e, NameError) else ''}"
            question.note = f"the test could not finish: {why}".splitlines()[0]
            continue
        close_programs(answers)
        score(question, shown)


def close_programs(answers: dict[str, Any]) -> None:
    """End the sandboxes of program answers whose threads were left waiting by a check."""
    for value in answers.values():
        remote = getattr(value, "remote", None)
        if isinstance(remote, RemoteProgram):
            remote.close()


def execute(code: str, namespace: dict[str, Any], name: str) -> Any:
    """Run a cell's code in `namespace`; return the value of its last line when that is an
    expression (what Jupyter would show), else None."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, f"<test {name}>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), f"<test {name}>", "eval"), namespace)


def score(question: QuestionResult, shown: Any) -> None:
    """Set a question's points and feedback from what its test cell showed."""
    if not isinstance(shown, Feedback):
        question.note = "the test reported no result"
        return
    # The checks' points should add up to the cell's; more are scaled down, never up.
    scale = question.possible / max(shown.possible, question.possible) if shown.possible else 0.0
    question.points = round(min(question.possible, max(0.0, shown.points * scale)), 4)
    question.feedback = list(shown.labelled())


def load_submission(path: Path) -> tuple[Any, str]:
    """Return (notebook or None, problem) for a submission file: a regular file, neither a
    symbolic link nor under one; the problem never quotes what could not be parsed."""
    if not os.path.lexists(path):
        return None, f"{path} does not exist"
    linked = linked_part(path)
    if linked:
        return None, f"{path} is refused: {linked} is a symbolic link (submissions are files)"
    if path.suffix != ".ipynb":
        return None, f"{path} is not a notebook (.ipynb)"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        return None, f"cannot open it ({type(e).__name__})"
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None, f"{path} is not a file"
        data = f.read(NOTEBOOK_BYTES + 1)
    if len(data) > NOTEBOOK_BYTES:
        return None, f"it is larger than {NOTEBOOK_BYTES // 2**20} MB"
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "it is not a notebook (not UTF-8 text)"
    except json.JSONDecodeError as e:
        return None, f"it is not a notebook (not JSON: line {e.lineno}, column {e.colno})"
    except (ValueError, RecursionError):
        return None, "it is not a notebook (not JSON)"
    if not isinstance(raw, dict):
        return None, "it is not a notebook (not a JSON object)"
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as e:
        return None, f"it is not a notebook ({type(e).__name__})"
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return None, "it is not a notebook (no list of cells)"
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, f"it is not a notebook (cell {number} is not a code, markdown or raw cell)"
    return nb, ""


def linked_part(path: Path) -> str:
    """Return the first of a submission's path parts that is a symbolic link, or '': the file
    and the folders up to the one that says whose it is (submitted/STUDENT/ASSIGNMENT/ or
    STUDENT/), which a student's upload or archive may have made."""
    absolute = Path(os.path.abspath(path))
    below = 3 if len(absolute.parts) >= 4 and absolute.parts[-4] == "submitted" else 1
    for part in [absolute, *absolute.parents[:below]]:
        if part != part.parent and part.is_symlink():
            return str(part)
    return ""


def match_exercise(path: Path, nb: Any, sources: dict[str, Any]) -> str | None:
    """Return which exercise a submission is: its tag, its file name or shared grade_ids."""
    if nb is not None:
        tag = nb.get("metadata", {}).get("mkteach", {})
        if isinstance(tag, dict) and tag.get("exercise") in sources:
            return tag["exercise"]
    named = [stem for stem in sources if stem in path.name]
    if len(named) == 1:
        return named[0]
    if nb is not None:
        ids = {grade_id(c) for c in nb.get("cells", []) if isinstance(c, dict)} - {None}
        shared = {
            stem: len(ids & {grade_id(c) for c in src.cells}) for stem, src in sources.items()
        }
        best = max(shared, key=lambda s: (shared[s], s))
        if shared[best]:
            return best
    return next(iter(sources)) if len(sources) == 1 else None


# -- reports --------------------------------------------------------------------------------


def question_ids(results: Sequence[SubmissionResult]) -> list[str]:
    """Return every question's grade_id, in order of first appearance."""
    return list(dict.fromkeys(q.grade_id for r in results for q in r.questions))


def write_csv(results: Sequence[SubmissionResult], path: str | Path) -> None:
    """Write one row per submission: points per question, total, possible, feedback, notes."""
    ids = question_ids(results)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["submission", "exercise", "student", *ids, "total", "possible"] + TEXTS)
        for r in results:
            cells = [_points(r.question(g)) for g in ids]
            texts = [" | ".join(feedback_lines(r)), " | ".join(r.notes)]
            row = [r.submission, r.exercise, r.student, *cells, format_points(r.total),
                   format_points(r.possible), *texts]  # fmt: skip
            out.writerow([csv_field(str(x)) for x in row])


def csv_field(text: str) -> str:
    """Return `text` safe in a spreadsheet's cell: a leading =, +, -, @ (or tab, carriage
    return) quoted with an apostrophe, so it is never a formula; numbers stay numbers; longer
    than FIELD_CHARS cut (the feedback file has it all)."""
    cut = " ... (cut: the feedback file has the rest)"
    if len(text) > FIELD_CHARS - 1:  # room for the apostrophe
        text = text[: FIELD_CHARS - 1 - len(cut)] + cut
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    """Return True when `text` is a plain decimal number (like -1.5)."""
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lstrip("+-").replace(".", "", 1).isdigit()


def feedback_path(result: SubmissionResult, folder: str | Path) -> Path:
    """Return where a submission's feedback file goes: FOLDER/STUDENT/NOTEBOOK.html."""
    student = result.student or "unknown"
    return Path(folder) / student / f"{Path(result.submission).stem}.html"


def write_feedback(results: Sequence[SubmissionResult], folder: str | Path) -> list[Path]:
    """Write one HTML feedback file per graded submission; return their paths."""
    written = []
    for r in results:
        if not r.exercise or r.problem and not r.questions:
            continue
        target = feedback_path(r, folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(feedback_html(r), encoding="utf-8")
        written.append(target)
    return written


def feedback_html(r: SubmissionResult) -> str:
    """Return a self-contained HTML page of one submission's points, feedback and notes."""
    e = html.escape
    rows = []
    for q in r.questions:
        items = "".join(f"<li>{e(m)}</li>" for m in q.feedback)
        note = f"<p class='note'>{e(q.note)}</p>" if q.note else ""
        rows.append(
            f"<section><h2>{e(q.grade_id)}: {format_points(q.points)} / "
            f"{format_points(q.possible)}</h2><ul>{items}</ul>{note}</section>"
        )
    notes = "".join(f"<li>{e(n)}</li>" for n in r.notes)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{e(r.exercise)}: {e(r.student)}</title><style>body{{font-family:sans-serif;"
        "max-width:50em;margin:2em auto} .note{color:#a33}</style></head><body>"
        f"<h1>{e(r.exercise)}</h1><p>{e(r.student)}: <b>{format_points(r.total)} / "
        f"{format_points(r.possible)}</b> points</p>{''.join(rows)}"
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + "</body></html>\n"
    )


def _points(q: QuestionResult | None) -> str:
    """Return a question's points for a table cell ('' when the exercise has no such test)."""
    return "" if q is None else format_points(q.points)


def feedback_lines(r: SubmissionResult) -> list[str]:
    """Return one line per question: 'grade_id points/possible: messages (note)'."""
    lines = []
    for q in r.questions:
        text = "; ".join(q.feedback) or "-"
        note = f" [{q.note}]" if q.note else ""
        lines.append(
            f"{q.grade_id} {format_points(q.points)}/{format_points(q.possible)}: {text}{note}"
        )
    return lines


def format_table(results: Sequence[SubmissionResult]) -> str:
    """Return a terminal table of points per question and total, then feedback per student."""
    ids = question_ids(results)
    head = ["submission", "student", *ids, "total"]
    rows = [
        [r.submission, r.student or "-", *[_points(r.question(g)) for g in ids],
         f"{format_points(r.total)}/{format_points(r.possible)}"]
        for r in results
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, ["-" * w for w in widths], *rows]]  # fmt: skip
    for r in results:
        score_text = f"{format_points(r.total)} / {format_points(r.possible)}"
        lines += ["", f"{r.submission} ({r.student or '-'}): {score_text}"]
        lines += [f"  {line}" for line in feedback_lines(r)]
        lines += [f"  note: {n}" for n in r.notes]
    return "\n".join(lines)
