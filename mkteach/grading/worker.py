"""Grade one submission in a fresh kernel: `python -m mkteach.grading.worker` (the grader runs it).

The job arrives on standard input as JSON (the submission and the instructor's notebook as text,
the limits, a key for the answer); the result leaves on standard output as one line signed with
that key. Nothing is written to disk: the kernel runs in an empty temporary folder, the
instructor's tests reach it only as cells to execute, and its own output goes to /dev/null.
"""

from __future__ import annotations

import base64
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# jsonschema (under nbformat) imports an IRI-format checker that takes a second to load and that
# notebook validation never uses; a worker starts per submission, so it skips that checker.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

import nbformat  # noqa: E402

from . import channel  # noqa: E402
from .markup import grade_id, is_test  # noqa: E402
from .merge import Merged, merge  # noqa: E402

WORKER_MARKER = "MKTEACH-WORKER"
KERNEL_NAME = "mkteach-grader"
PROBE_SECONDS = 3
TIMED_OUT = "MkteachCellTimeout"  # nbclient's reply for a cell it interrupted
KEPT = {"PATH", "HOME", "LANG", "TZ", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT", "PYTHONPATH"}
CHANNEL = "__import__('mkteach.grading.channel').grading.channel"  # the module, in the kernel


@dataclass
class QuestionResult:
    """Points and feedback for one graded test cell of one submission."""

    grade_id: str
    points: float
    possible: float
    feedback: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Run:
    """What running one merged submission produced: question outcomes and notes."""

    questions: dict[str, QuestionResult]
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    forged: int = 0
    ran: set[str] = field(default_factory=set)


def kernel_spec_dir(root: Path) -> Path:
    """Write a kernel spec that runs this very Python, and return the folder of kernel specs."""
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    argv.append("--HistoryManager.enabled=False")
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "mkteach grader", "language": "python"})
    )
    return root / "kernels"


def run_submission(merged: Merged, cell_timeout: float, total_timeout: float) -> Run:
    """Execute the merged notebook in a fresh kernel and read each test cell's results."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    run = Run({g: QuestionResult(g, 0.0, p) for g, p in merged.questions.items()})
    with tempfile.TemporaryDirectory(prefix="mkteach-grade-") as tmp:
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        specs = KernelSpecManager(kernel_dirs=[str(kernel_spec_dir(root / "spec"))])
        km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
        client = NotebookClient(
            merged.nb,
            km=km,
            timeout=math.ceil(cell_timeout),
            allow_errors=True,
            store_widget_state=False,
            record_timing=False,
            iopub_timeout=4,
            shutdown_kernel="immediate",
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMED_OUT, "evalue": "", "traceback": []},
        )
        _watch_timeouts(client)
        env = _kernel_env(root)
        try:
            with client.setup_kernel(
                cleanup_kc=True,
                cwd=str(work),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ):
                _execute(client, merged, run, cell_timeout, total_timeout)
        except Exception as e:
            run.notes.append(f"the kernel failed: {type(e).__name__}: {e}".splitlines()[0])
    return run


def _kernel_env(root: Path) -> dict[str, str]:
    """Return the kernel's environment: a few harmless variables of this one (no tokens or
    passwords the instructor's shell may hold), MKTEACH_* ones, and private Jupyter folders."""
    env = {k: v for k, v in os.environ.items() if k in KEPT or k.startswith(("LC_", "MKTEACH_"))}
    for name in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR"):
        env[name] = str(root / name.lower())
    env["MPLBACKEND"] = "Agg"
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _execute(
    client: Any, merged: Merged, run: Run, cell_timeout: float, total_timeout: float
) -> None:
    """Run every cell in order, each test cell inside a signed-result context."""
    key = channel.new_key()
    started = time.monotonic()
    handle, key_file = tempfile.mkstemp(prefix="mkteach-key-")
    with os.fdopen(handle, "w") as f:
        f.write(key)
    if not _internal(client, f"{CHANNEL}.arm_from_file({key_file!r})", 60):
        run.notes.append("the kernel did not start the grading code in time")
        return
    for index, cell in enumerate(merged.nb.cells):
        if cell.cell_type != "code":
            continue
        left = total_timeout - (time.monotonic() - started)
        if left <= 0:
            run.notes.append(
                f"stopped at cell {index + 1}: the {total_timeout:g} s time limit is up"
            )
            break
        client.timeout = max(1, math.ceil(min(cell_timeout, left)))
        gid = grade_id(cell) if is_test(cell) else None
        nonce = secrets.token_hex(8)
        if gid is not None:
            cell.source = f"{CHANNEL}.begin({gid!r}, {nonce!r})\n{cell.source}"
        outcome = _run_cell(client, cell, index)
        if gid is not None:
            run.ran.add(gid)
            if outcome in ("ok", "timeout"):
                _internal(client, f"{CHANNEL}.end()", 30)
            _read_test(run, gid, cell, key, nonce, outcome)
        else:
            _read_student_cell(run, cell, index, outcome)
        if outcome in ("stuck", "dead"):
            what = "ignored the interrupt" if outcome == "stuck" else "ended the kernel"
            run.notes.append(f"stopped at cell {index + 1}: it {what}; later cells did not run")
            break


def _internal(client: Any, code: str, seconds: int) -> bool:
    """Execute grader code in the kernel without history or a visible cell; return False when
    it ran out of time."""
    cell = nbformat.v4.new_code_cell(code)
    # nbclient stores the executed cell back at its index: give it a notebook of its own
    saved = client.timeout, client.nb
    client.timeout, client.nb = seconds, nbformat.v4.new_notebook(cells=[cell])
    try:
        client.execute_cell(cell, 0, store_history=False)
    finally:
        client.timeout, client.nb = saved
    return not _timed_out(cell)


def _timed_out(cell: Any) -> bool:
    """Return True when nbclient gave up waiting for `cell` (and interrupted the kernel)."""
    return cell.metadata.get("mkteach_timed_out", False)


def _watch_timeouts(client: Any) -> None:
    """Make nbclient mark the cells it had to interrupt (its error_on_timeout reply)."""

    def executed(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        if execute_reply.get("content", {}).get("ename") == TIMED_OUT:
            cell.metadata["mkteach_timed_out"] = True

    client.on_cell_executed = executed


def _run_cell(client: Any, cell: Any, index: int) -> str:
    """Execute one cell; return 'ok', 'timeout' (interrupted, kernel alive), 'stuck' or 'dead'."""
    from nbclient.exceptions import DeadKernelError
    from nbclient.util import run_sync

    try:
        client.execute_cell(cell, index)
    except DeadKernelError:
        cell.outputs = [_error("DeadKernelError", "the kernel died")]
        return "dead"
    if not _timed_out(cell):
        return "ok"
    cell.outputs.append(_error("TimeoutError", f"ran longer than {client.timeout} s"))
    if _internal(client, "pass", PROBE_SECONDS):
        return "timeout"
    run_sync(client.km.shutdown_kernel)(now=True)
    return "stuck"


def _error(name: str, value: str) -> Any:
    """Return an error output."""
    return nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[])


def _texts(cell: Any) -> tuple[str, list[tuple[str, str]]]:
    """Return (printed text, [(error name, error value)]) of a cell's outputs."""
    text, errors = [], []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text.append(str(out.get("text", "")))
        elif out.get("output_type") == "error":
            errors.append((str(out.get("ename", "")), str(out.get("evalue", ""))))
        else:
            text.append(str(out.get("data", {}).get("text/plain", "")))
    return "".join(text), errors


def _read_test(run: Run, gid: str, cell: Any, key: str, nonce: str, outcome: str) -> None:
    """Score a test cell from its signed results; note errors without showing test code."""
    question = run.questions[gid]
    text, errors = _texts(cell)
    results, rejected = channel.read_results(text, key, gid, nonce)
    run.forged += rejected
    earned = sum(float(r.get("points", 0)) for r in results)
    reported = sum(float(r.get("possible", 0)) for r in results)
    # The checks' points should add up to the cell's; more are scaled down, and checks that
    # never reported (the cell stopped early) count as nothing earned, never as scaled up.
    scale = question.possible / max(reported, question.possible) if reported else 0.0
    question.points = round(min(question.possible, max(0.0, earned * scale)), 4)
    for r in results:
        text = "; ".join(str(m) for m in r.get("messages", []))
        question.feedback.append(f"{r['title']}: {text}" if r.get("title") else text)
    if errors and outcome == "ok":
        name, value = errors[0]
        hint = " (is the cell that defines it missing or renamed?)" if name == "NameError" else ""
        question.note = f"the test could not finish: {name}: {value}{hint}".splitlines()[0]
    elif outcome != "ok":
        question.note = "the test ran out of time"
    elif not results:
        question.note = "the test reported no result"


def _read_student_cell(run: Run, cell: Any, index: int, outcome: str) -> None:
    """Note a student cell's error, timeout, or printed imitation of a grading result."""
    text, errors = _texts(cell)
    if channel.MARKER in text:
        run.forged += sum(1 for _ in channel.marker_lines(text))
    gid = grade_id(cell)
    where = f"cell {gid}" if gid else f"cell {index + 1}"
    if outcome == "timeout":
        run.errors.append(f"{where} ran out of time and was interrupted")
    elif errors and outcome == "ok":
        name, value = errors[0]
        why = (
            f": {value}"
            if value
            else (" (not answered yet?)" if name == "NotImplementedError" else "")
        )
        run.errors.append(f"{where} raised {name}{why}".splitlines()[0][:160])


def grade_job(job: dict[str, Any]) -> dict[str, Any]:
    """Return the result of one grading job (see grader.grade for its fields)."""
    source = nbformat.reads(job["source"], as_version=4)
    submission = nbformat.reads(job["submission"], as_version=4)
    merged = merge(source, submission)
    run = run_submission(merged, job["cell_timeout"], job["total_timeout"])
    for gid, question in run.questions.items():
        if gid not in run.ran:
            question.note = "the test did not run (see the notes)"
    notes = merged.notes + run.notes
    if run.errors:
        more = len(run.errors) - 3
        notes += run.errors[:3] + ([f"{more} more cell(s) raised errors"] if more > 0 else [])
    if run.forged:
        notes.append(f"{run.forged} line(s) imitating a grading result were ignored")
    return {
        "questions": [q.__dict__ for q in run.questions.values()],
        "notes": notes,
    }


def sign_result(result: dict[str, Any], key: str) -> str:
    """Return the worker's signed output line for `result`."""
    payload = base64.b64encode(json.dumps(result).encode()).decode()
    return f"{WORKER_MARKER} {payload} {channel.sign(key, payload.encode())}"


def read_result(stdout: str, key: str) -> dict[str, Any] | None:
    """Return the result in a worker's output when its signature is right, else None."""
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == WORKER_MARKER:
            if channel.sign(key, parts[1].encode()) == parts[2]:
                return json.loads(base64.b64decode(parts[1]))
    return None


def main() -> int:
    """Read a job from standard input, grade it, print the signed result; return 0."""
    job = json.loads(sys.stdin.read())
    key = job.pop("key")
    result = grade_job(job)
    sys.stdout.write(sign_result(result, key) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
