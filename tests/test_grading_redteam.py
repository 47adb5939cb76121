"""The red team: every cheating attempt of the review, as a submission, graded in one batch with
an honest and a blank student.

The course folder looks like an instructor's: `source/` (the instructor notebooks, hidden tests
and all), `submitted/STUDENT/ex02/ex02-address-spaces.ipynb`, and the grader's `grades.csv` and
`feedback/`. Each attacker knows those absolute paths (they are written into its code). No
attack earns a point, changes another student's result, reads a hidden test or the source
folder, or outlives the batch; the batch always finishes with its CSV.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from mkteach.exercises import ex02_address_spaces as ex02
from mkteach.grading import grade, release
from mkteach.grading.sandbox import FIRST_UID, SLOTS, Sandbox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "grading_cases"))
import cases  # noqa: E402

pytestmark = pytest.mark.slow
NOTEBOOK = "ex02-address-spaces.ipynb"
MARK = "mkteach-redteam-detached"


def impostor_name() -> str:
    """Return a student id whose instance differs from alice's in every graded answer."""
    alice = ex02.figure1_instance("alice")["f1"]["handoff"]
    for n in range(100):
        name = f"mallory{n}"
        if ex02.figure1_instance(name)["f1"]["handoff"] != alice:
            return name
    raise AssertionError("no impostor found")


def right_answers(student: str) -> str:
    """Return Python source assigning the right Q2/Q3 answers of `student` (computed here)."""
    ops = ex02.figure1_ops(student)
    answers = {
        f"removed_by_{w}": ex02.removed(ops, ex02.flush_by(student, w)) for w in ex02.FLUSHERS
    }
    frame = ex02.figure1_instance(student)["f1"]["frame"]
    answers["held_if_swapped"] = ex02.holders(ex02.counterfactual_ops(student), frame)
    return "".join(f"{k} = {v!r}\n" for k, v in answers.items())


def attacks(course: Path) -> dict[str, str]:
    """Return {student: the code of the cell it adds after the setup cell}."""
    paths = {
        "SOURCE": str(course / "source"),
        "CSV": str(course / "grades.csv"),
        "FEEDBACK": str(course / "feedback"),
        "ALICE": str(course / "submitted" / "alice" / "ex02" / NOTEBOOK),
        "COURSE": str(course),
    }
    head = "".join(f"{k} = {v!r}\n" for k, v in paths.items())
    return {
        "self-answering": head + SELF_ANSWERING,
        "frame-reader": head + FRAME_READER,
        "fake-check": head + FAKE_CHECK,
        "key-thief": head + KEY_THIEF,
        "source-reader": head + SOURCE_READER,
        "detached-writer": head + DETACHED_WRITER.replace("MARK", MARK),
        impostor_name(): f'STUDENT = "alice"\n{right_answers("alice")}',
        "overwriter": head + OVERWRITER,
        "deleter": head + DELETER,
        "parent-killer": head + PARENT_KILLER,
        "resource-hog": head + RESOURCE_HOG,
    }


SELF_ANSWERING = """
class Always:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0

    def __iter__(self):
        return iter([("A", 1)])

    def __len__(self):
        return 1


removed_by_standard = removed_by_f1 = removed_by_F = held_if_swapped = Always()
"""

FRAME_READER = """
import sys


class Sly(frozenset):
    def __eq__(self, other):
        frame = sys._getframe(1)
        while frame is not None:  # read the check's expected value from its frame
            for value in frame.f_locals.values():
                if isinstance(value, set):
                    self.__class__.seen = value
            frame = frame.f_back
        return True

    __hash__ = frozenset.__hash__


class Number(float):
    def __eq__(self, other):
        return True


removed_by_standard = Sly({("A", 1)})
removed_by_f1 = removed_by_F = Sly()
held_if_swapped = Sly({"A"})
points = Number(4)
"""

FAKE_CHECK = """
import builtins
import mkteach.grading as grading
import mkteach.exercises.ex02_address_spaces as ex02
from mkteach.grading.feedback import Feedback

namespace = {"Feedback": Feedback}
code = "def full(*args, **kwargs):\\n    return Feedback(4, 4, ('forged',))\\n"
exec(compile(code, grading.answers.__file__, "exec"), namespace)  # a check 'from the package'
for module in (grading, ex02, grading.answers):
    for name in dir(module):
        if name.startswith("check_"):
            setattr(module, name, namespace["full"])
builtins.set = lambda *a: namespace["full"]()
get_ipython().events.register("post_run_cell", lambda *a: print("forged by a hook"))
removed_by_standard = removed_by_f1 = removed_by_F = held_if_swapped = namespace["full"]
"""

KEY_THIEF = """
import gc
import json
import os

stolen = []
try:
    import mkteach.grading.channel as channel  # the signing closure of old

    stolen.append(channel.emit.__closure__)
except ImportError:
    pass
for thing in gc.get_objects():
    if callable(thing) and getattr(thing, "__closure__", None):
        stolen.append(repr(thing.__closure__)[:50])
forged = {"points": 4, "possible": 4, "grade_id": "ex02-q2-test", "messages": ["forged"]}
for fd in range(3, 40):  # every descriptor the runner might report on
    for line in (json.dumps(forged), json.dumps({"cell": 99, "feedback": forged}), "garbage"):
        try:
            os.write(fd, (line + "\\n").encode())
        except OSError:
            pass
print("MKTEACH-RESULT " + "A" * 40 + " " + "0" * 64)
"""

SOURCE_READER = """
import glob
import os

found = []
for path in [SOURCE + "/ex02-address-spaces.ipynb", ALICE, CSV, "/proc/1/root" + SOURCE]:
    try:
        found.append(open(path).read())
    except OSError:
        pass
for pid in os.listdir("/proc"):
    for part in ("cwd", "root", "environ", "cmdline"):
        try:
            target = f"/proc/{pid}/{part}"
            if part in ("cwd", "root"):
                found += glob.glob(target + "/**/*.ipynb", recursive=True)
            else:
                found.append(open(target, "rb").read().decode(errors="replace"))
        except OSError:
            pass
for top, dirs, files in os.walk("/"):
    if top.startswith(("/proc", "/sys", "/usr", "/dev")):
        dirs[:] = []
        continue
    found += [os.path.join(top, f) for f in files if f.endswith(".ipynb")]
removed_by_standard = "\\n".join(found)  # as an answer: it never leaves as anything else
"""

DETACHED_WRITER = """
import os
import subprocess

script = (
    "import time, os\\n"
    "time.sleep(3)\\n"
    f"open({CSV!r}, 'w').write('hacked')\\n"
    f"open({COURSE!r} + '/pwned', 'w').write('MARK')\\n"
)
subprocess.Popen(
    ["python3", "-c", script, "MARK"], start_new_session=True,
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
if os.fork() == 0:  # and a double fork, for good measure
    os.setsid()
    if os.fork() == 0:
        import time

        time.sleep(3)
        open(CSV, "w").write("hacked")
    os._exit(0)
"""

OVERWRITER = """
import os

for path in [ALICE, "../alice/ex02/ex02-address-spaces.ipynb", FEEDBACK + "/alice/x.html", CSV]:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write("overwritten")
    except OSError:
        pass
"""

DELETER = """
import os
import shutil

for path in [SOURCE + "/ex02-address-spaces.ipynb", CSV]:
    try:
        os.remove(path)
    except OSError:
        pass
shutil.rmtree(SOURCE, ignore_errors=True)
shutil.rmtree(COURSE, ignore_errors=True)
"""

PARENT_KILLER = """
import os
import signal

for pid in [os.getppid(), 1, -1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    try:
        if pid != os.getpid():
            os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""

RESOURCE_HOG = """
import os

children = 0
try:
    while children < 10_000:  # a fork bomb, held by the process limit
        if os.fork() == 0:
            import time

            time.sleep(30)
            os._exit(0)
        children += 1
except OSError:
    pass
try:
    hog = bytearray(8 * 1024**3)  # 8 GB, held by the address-space limit
except MemoryError:
    pass
try:
    with open("/tmp/big", "wb") as f:
        f.write(b"x" * 64 * 1024**2)  # held by the file-size limit
except OSError:
    pass
for _ in range(100):
    print("x" * 1_000_000)  # muted: the student's output never reaches the grader
"""


def digest(folder: Path) -> str:
    """Return a digest of every file under `folder` (names and contents)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def sandbox_processes() -> list[str]:
    """Return the command lines of processes of a sandbox user, or carrying the attack's mark."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if FIRST_UID <= uid < FIRST_UID + SLOTS or MARK in cmd:
            found.append(f"{pid} {uid} {cmd[:80]}")
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade alice (honest), bob (blank) and every attacker in one batch."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "exercises", course / "source")
    copy = release(course / "source", course / "released")[1]
    assert copy.name == NOTEBOOK
    students = {"alice": cases.answered(cases.EX02), "bob": cases.read_copy(copy)}
    cases.set_student(students["alice"], "alice")
    for name, code in attacks(course).items():
        students[name] = cases.insert_after(cases.read_copy(copy), "ex02-q3-answer", code)
    paths = []
    for name, nb in students.items():
        path = course / "submitted" / name / "ex02" / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb), encoding="utf-8")
        paths.append(path)
    before = (
        digest(course / "source"),
        (course / "submitted" / "alice" / "ex02" / NOTEBOOK).read_bytes(),
    )
    results = grade(
        paths, course / "source", course / "grades.csv", feedback_dir=course / "feedback",
        cell_timeout=10, total_timeout=40, jobs=2,
    )  # fmt: skip
    csv_text = (course / "grades.csv").read_text()
    time.sleep(4)  # the detached writers wanted 3 s
    return {
        "results": {r.student: r for r in results},
        "course": course,
        "before": before,
        "csv": csv_text,
        "left": sandbox_processes(),
        "alone": grade([paths[0]], course / "source", cell_timeout=10, total_timeout=40)[0],
    }


def automatic(result) -> float:
    """Return the points of the automatically graded questions."""
    return sum(q.points for q in result.questions if not q.note.startswith("graded by hand"))


def test_the_honest_student_earns_every_automatic_point_and_the_blank_none(batch):
    alice, bob = batch["results"]["alice"], batch["results"]["bob"]
    assert automatic(alice) == 5 and not alice.notes
    assert bob.total == 0


def test_no_attack_earns_a_point(batch):
    for name, r in batch["results"].items():
        if name not in ("alice", "bob"):
            assert r.total == 0, (name, [(q.grade_id, q.points, q.feedback) for q in r.questions])
            assert all("forged" not in " ".join(q.feedback) for q in r.questions), name


def test_copying_another_students_answers_under_their_name_is_noted(batch):
    impostor = batch["results"][impostor_name()]
    assert f"says STUDENT = 'alice', but it was collected as '{impostor_name()}'" in " ".join(
        impostor.notes
    )
    page = (batch["course"] / "feedback" / impostor_name() / "ex02-address-spaces.html").read_text()
    assert "collected as" in page


def test_no_attack_changes_another_students_result_or_file(batch):
    alice, alone = batch["results"]["alice"], batch["alone"]
    assert [(q.points, q.feedback) for q in alice.questions] == [
        (q.points, q.feedback) for q in alone.questions
    ]
    course = batch["course"]
    assert (course / "submitted" / "alice" / "ex02" / NOTEBOOK).read_bytes() == batch["before"][1]
    assert not (course / "feedback" / "alice" / "x.html").exists()


def test_the_source_folder_is_neither_changed_nor_deleted(batch):
    assert digest(batch["course"] / "source") == batch["before"][0]


def test_the_batch_finishes_with_its_csv_and_no_attack_outlives_it(batch):
    rows = list(csv.DictReader(batch["csv"].splitlines()))
    assert sorted(r["student"] for r in rows) == sorted(batch["results"])
    assert (batch["course"] / "grades.csv").read_text() == batch["csv"]  # not 'hacked'
    assert not (batch["course"] / "pwned").exists()
    assert batch["left"] == []


def test_the_sandbox_sees_its_notebook_only(tmp_path):
    secret = tmp_path / "source" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("HIDDEN TESTS")
    probe = f"""
import os, socket
seen = {{}}
for path in [{str(secret)!r}, {str(ROOT / "exercises" / NOTEBOOK)!r}, {str(ROOT / "tests")!r},
             "/root", "/proc/1/environ", "/etc/shadow"]:
    try:
        seen[path] = open(path).read()[:20] if os.path.isfile(path) else sorted(os.listdir(path))
    except OSError as e:
        seen[path] = type(e).__name__
seen["uid"] = os.getuid()
seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
seen["env"] = sorted(os.environ)
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    seen["net"] = "open"
except OSError as e:
    seen["net"] = type(e).__name__
"""
    job = {"names": ["seen"], "cell_timeout": 10, "cells": [[1, probe]]}
    with Sandbox.start("notebook", 30, json.dumps(job)) as box:
        lines = [json.loads(line) for line in box.lines()]
    seen = lines[0]["answers"]["seen"]["value"]
    assert seen[str(secret)] == "FileNotFoundError"
    assert seen[str(ROOT / "exercises" / NOTEBOOK)] == "FileNotFoundError"
    assert seen[str(ROOT / "tests")] == "FileNotFoundError"
    assert seen["/root"] in ("FileNotFoundError", "PermissionError") or set(seen["/root"]) <= {
        ".pyenv"
    }  # at most the folder of the Python installation
    assert seen["/etc/shadow"] == "PermissionError" and seen["/proc/1/environ"] == "PermissionError"
    assert seen["uid"] >= FIRST_UID and seen["net"] in ("OSError", "ConnectionRefusedError")
    assert max(seen["pids"]) < 20  # its own few processes, none of the host's
    assert not [k for k in seen["env"] if "TOKEN" in k or "KEY" in k or k.startswith("MKTEACH")]
