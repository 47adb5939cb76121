"""The red team: every cheating attempt and every hostile file we know of, as submissions,
graded in one batch with honest, blank and wrong students, as an instructor grades.

The course folder looks like an instructor's: `source/` (the instructor notebooks, hidden tests
and all), the course secret `release` created beside it, `submitted/STUDENT/ASSIGNMENT/NB.ipynb`,
and the grader's `grades.csv` and `feedback/`. Each attacker knows those absolute paths (they are
written into its code). The grader runs as a separate process whose Python and package live
under /tmp (where a fresh clone's venv may be), with the course secret read from the course
folder only. No attack earns a point, changes another student's result, reads a hidden test,
the source folder or the secret, or outlives the batch; no honest student loses a point to the
grader; the batch always finishes with its CSV. Timing is measured in bench/run.py, not here.

The issue-20 items, one case (or more) each: a pager that floods its output and then sleeps (1);
the whole batch under /tmp, and a machine with no working sandbox (2); honest programs built
from notebook classes and factories, markers in a student's comments, STUDENT left as
'your-id' or differing from the folder by case, Unicode form or spaces (3); symbolic links to
the instructor's notebook, /etc/shadow, /proc/self/environ, a linked folder, and a file that is
not JSON (4); the package's own pager as an answer, and a thief of the course secret (5);
nbgrader's feedback is in tests/test_grading_nbgrader.py (6); formula-like student names, a
5 MB answer and stable shards (7).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest

from mkteach.exercises import ex02_address_spaces as ex02
from mkteach.grading import GradingError, apply_ops, grade, model_tree, release
from mkteach.grading.grader import select_shard
from mkteach.grading.sandbox import FIRST_UID, SLOTS, Sandbox
from mkteach.grading.secret import SECRET_NAME

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "grading_cases"))
import cases  # noqa: E402

pytestmark = pytest.mark.slow
NOTEBOOK = "ex02-address-spaces.ipynb"
EX03 = "ex03-threads-ipc.ipynb"
FILES = {p.name[:4]: p.name for p in (ROOT / "exercises").glob("ex*.ipynb")}
MARK = "mkteach-redteam-detached"
HONEST = {"ex02": 5, "ex03": 12}  # every automatic point of the exercise


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
    before = set(model_tree(apply_ops(ops, frames=ex02.FRAMES)))
    answers = {
        f"removed_by_{w}": before
        - set(model_tree(apply_ops([*ops, ex02.flush_by(student, w)], frames=ex02.FRAMES)))
        for w in ex02.FLUSHERS
    }
    frame = ex02.figure1_instance(student)["f1"]["frame"]
    tree = apply_ops(ex02.counterfactual_ops(student), frames=ex02.FRAMES).mapping_tree(frame)
    answers["held_if_swapped"] = {space for space, _ in tree.nodes if space != "sigma0"}
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


# -- issue 20: programs, identities, files, names ----------------------------------------------

FLOODER = """
import json
import os
import time


def my_pager(t, pages):
    # answer-free protocol lines to every descriptor, more replies than a pipe holds, and then
    # sleep without ever reading them
    line = json.dumps({"op": "wait", "args": {"$tuple": []}, "kwargs": {"timeout": 0}}) + "\\n"
    for fd in range(3, 10):
        try:
            os.write(fd, (line * 1900).encode())
        except OSError:
            pass
    time.sleep(3600)
    yield t.wait()
"""

HANGER = """
import time


def my_pager(t, pages):
    time.sleep(3600)  # never yields: the kernel never gets a turn
    yield t.wait()
"""

CLASS_POOL = """
class Pool:
    # the pager's own pages: one for each faulting page, the same one when it faults again

    def __init__(self, pages):
        self.free = list(pages)
        self.given = {}

    def page_for(self, fault_page):
        if fault_page not in self.given:
            self.given[fault_page] = self.free.pop(0)
        return self.given[fault_page]


RIGHTS = "rw"
"""

CLASS_PAGER = """
def my_pager(t, pages):
    pool = Pool(pages)
    msg = yield t.wait()
    while True:
        if not msg.is_page_fault:
            msg = yield t.wait()
            continue
        msg = yield t.reply_and_wait(msg.sender, map=[(pool.page_for(msg.fault_page), RIGHTS, 0)])
"""

FACTORY_PAGER = """
def make_pager(rights):
    served = 0

    def page_for(given, free, page):
        if page not in given:
            given[page] = free.pop(0)
        return given[page]

    def pager(t, pages):
        nonlocal served
        given, free = {}, list(pages)
        msg = yield t.wait()
        while True:
            if not msg.is_page_fault:
                msg = yield t.wait()
                continue
            served += 1
            own = page_for(given, free, msg.fault_page)
            msg = yield t.reply_and_wait(msg.sender, map=[(own, rights, 0)])

    return pager


my_pager = make_pager("rw")
"""

PACKAGE_PAGER = "from mkteach.programs import memory_pager as my_pager"

WRAPPED_PAGER = """
from mkteach.programs import memory_pager


def my_pager(t, pages):
    return (yield from memory_pager(t, list(pages)))
"""

MARKERS = """
# My notes. BEGIN SOLUTION (not the instructor's: a comment of mine)
# END SOLUTION
# BEGIN HIDDEN TESTS
# BEGIN MARK SCHEME
notes = "END HIDDEN TESTS"
"""

SECRET_THIEF = """
import glob
import os

found = []
for path in [COURSE + "/SECRET_NAME", os.path.expanduser("~/SECRET_NAME"), "/proc/1/environ"]:
    try:
        found.append(open(path).read())
    except OSError:
        pass
found += [k + "=" + v for k, v in os.environ.items()]
found += glob.glob("/**/SECRET_NAME", recursive=True)
removed_by_standard = removed_by_f1 = removed_by_F = held_if_swapped = set(found)
"""

HUGE = 'removed_by_standard = "x" * 5_000_000\n'

# 5: a graded value answer is never one call into the package. Each one-caller answers with the
# package functions that returned the hidden tests' keys before issue 20 closed them (each call
# fails now: the function is gone); ex02's also tries every public function of its exercise and
# of mkteach.grading on its instance and keeps the first non-empty set (with the old code that
# found the key). Answers that no call gives stay None. A hand computation is a rule answer (a
# function of the printed facts, graded on hidden instances where no package can be imported):
# the one-callers answer those with the model's value for their own instance, or with a function
# that reaches the package at run time.
ONE_CALL_HEAD = """
def one_call(make):
    try:
        return make()
    except Exception:
        return None

"""
EX06_Q1_ONE_CALL = """
from mkteach.grading import ipc_costs

mine = sum(ipc_costs("pentium", MACHINE).values())  # the model's cycles for my machine


def ipc_large(facts):
    return mine  # right on my machine only


def ipc_small(facts):
    import importlib
    import sys

    sys.modules.pop("mkteach", None)
    ex = importlib.import_module("mk" + "teach.exercises.ex06_switching_costs")
    return sum(ex.small_ipc_costs("pentium", MACHINE).values())

"""
EX01_Q1_ONE_CALL = """
from mkteach.exercises import ex01_rationale as ex

speedup = one_call(lambda: ex.kernel_call_speedup(MACHINE))  # the key that was removed
l3_warm = lambda facts: sum(ex.kernel_call_costs("l3", MACHINE).values())  # noqa: E731


def l3_cold(facts):
    import mkteach.exercises.ex01_rationale as ex

    return sum(ex.kernel_call_costs("l3", MACHINE, cold=True).values())
"""
EX03_Q3_ONE_CALL = """
from mkteach.grading import ipc_costs

why_tagged = None
tagged_tlb_cycles = one_call(lambda: ipc_costs("i486", {**MACHINE, "tlb_tagged": True})["tlb_miss"])
mine = sum(ipc_costs("i486", MACHINE).values())


def ipc_cycles(facts):
    return mine
"""
EX09_Q1_ONE_CALL = """
from mkteach.grading import ipc_costs, ipc_facts


def r2000_ipc(facts):
    return sum(ipc_costs("r2000", R2000).values())


def times_exokernel(facts):
    from mkteach.grading import ipc_costs

    return sum(ipc_costs("r2000", R2000).values()) / 65


def converted(i486_costs, r2000_facts):
    g = __import__("mk" + "teach.grading", fromlist=["g"])
    f = g.ipc_facts("r2000", R2000)
    return i486_costs["instructions"] / 1.4 + f["trap_enter_cycles"] + f["trap_exit_cycles"]
"""
EX09_Q3_ONE_CALL = """
from mkteach.grading import ipc_costs
from mkteach.hw.profiles import PROFILES

mine = ipc_costs(PROCESSOR)


def crossing_cycles(costs):
    return sum(v for k, v in mine.items() if k != "instructions")


def rpc_saving_us(costs, clock_mhz):
    from mkteach.grading import ipc_costs

    c = ipc_costs(PROCESSOR)
    return 2 * (c["trap"] + c["as_switch"] + c.get("tlb_miss", 0)) / PROFILES[PROCESSOR].clock_mhz
"""
EX05_ONE_CALL = """
from mkteach.exercises import ex05_flexibility as ex
from mkteach.grading import model_tree

mine = {k: p for k, (p, _) in model_tree(ex.stacked_system(SEED)).items()}  # my run's tree


def predicted(stacked):
    return mine
"""
EX06_Q2_ONE_CALL = """
from mkteach.exercises import ex06_switching_costs as ex

why_small = None


def extra_large(facts, n):
    return ex.small_pass_beliefs(MACHINE, n)[0][0]


def extra_small(facts, n):
    import mkteach.exercises.ex06_switching_costs as ex06

    return ex06.small_pass_beliefs(MACHINE, n)[0][0] * 0
"""
EX07_Q1_ONE_CALL = """
def footprint_lines(spans, L):
    from mkteach.paper import workloads

    kernel = "mach" if len(spans) > 9 else "l3"
    return workloads.ipc_footprint("i486", {"i486": {"cache_line": L}}, kernel) // L


def footprint_bytes(spans, L):
    w = __import__("mkteach.paper.workloads", fromlist=["w"])
    kernel = "mach" if len(spans) > 9 else "l3"
    return w.ipc_footprint("i486", {"i486": {"cache_line": L}}, kernel)
"""
EX08_Q1_ONE_CALL = """
from mkteach.exercises import ex08_non_portability as ex
from mkteach.paper import workloads

threads = (THREAD_A, THREAD_B)
header_sets = one_call(lambda: tuple(tcb_address(*t, ALIGN) // 32 % 128 for t in threads))


def tcbs_collide(cache, tcbs, align, a, b):
    return ex.tcbs_conflict(ex.tcb_machine(align), a, b)


def conflict_free_share(cache, align):
    return workloads.tcb_conflict_free("pentium", {}, align)
"""
EX08_Q2_ONE_CALL = """
from mkteach.paper import workloads


def conventional(p, pages):
    return workloads.conventional_switch("i486", {}, pages)


def round_trip(p):
    import mkteach.paper.workloads as w

    return sum(w.small_space_switches("i486", {}, [1, 2, 1], {2}).values())


saving = one_call(lambda: workloads.conventional_switch("i486", {}, PAGES))
"""
EX08_Q3_ONE_CALL = """
why_new_ids = None


def old_conflicts(task, tasks):
    from mkteach.exercises.ex08_non_portability import tcb_machine, tcbs_conflict

    m = tcb_machine(1024)
    return sum(tcbs_conflict(m, (task, 0), (t, 0)) for t in range(1, tasks + 1) if t != task)


def new_conflicts(task, tasks):
    import importlib

    ex = importlib.import_module("mk" + "teach.exercises.ex08_non_portability")
    m = ex.tcb_machine(1024, True)
    return sum(ex.tcbs_conflict(m, (task, 0), (t, 0)) for t in range(1, tasks + 1) if t != task)
"""
EX10_Q2_ONE_CALL = """
changed = broken = None


def change_by(param, old, value, claim):
    from mkteach.exercises.ex10_conclusions import claim_now as now

    return now(claim, {"i486": {param: value}}).model - now(claim).model
"""
ONE_CALL = {  # notebook -> {answer cell: the one-call answers}
    "ex01-rationale": {
        "ex01-q1-answer": EX01_Q1_ONE_CALL,
        "ex01-q2-answer": "from mkteach.exercises import ex01_rationale as ex\n"
        "what_happens = one_call(lambda: ex.isolation_outcome(SEED)['outcome'])\n"
        "served = one_call(lambda: ex.isolation_outcome(SEED)['served'])",
    },
    "ex03-threads-ipc": {
        "ex03-q3-answer": EX03_Q3_ONE_CALL,
    },
    "ex02-address-spaces": {
        "ex02-q2-answer": """
import mkteach.exercises.ex02_address_spaces as ex
import mkteach.grading as grading


def sweep(*args):
    for module in (ex, grading):
        for name in dir(module):
            f = getattr(module, name)
            if name.startswith(("_", "check")) or name in ("grade", "release"):
                continue
            if not callable(f) or isinstance(f, type):
                continue
            value = one_call(lambda: f(*args))
            if isinstance(value, set) and value:
                return value
    return None


removed_by_standard = sweep(ops, flush_by(SEED, "standard"))
removed_by_f1 = sweep(ops, flush_by(SEED, "f1"))
removed_by_F = sweep(ops, flush_by(SEED, "F"))
""",
        "ex02-q3-answer": "frame = ex.figure1_instance(SEED)['f1']['frame']\n"
        "held_if_swapped = sweep(ex.counterfactual_ops(SEED), frame)",
    },
    "ex04-interrupts-ids-clans": {
        "ex04-q1-answer": "from mkteach.exercises import ex04_interrupts_ids_clans as ex\n"
        "deliveries = one_call(lambda: ex.irq_deliveries(SEED))\n"
        "acked_by = one_call(lambda: ex.acknowledging_op(SEED))",
        "ex04-q2-answer": "late_result = one_call(lambda: ex.stale_outcome(SEED)['result'])\n"
        "current_version = one_call(lambda: ex.stale_outcome(SEED)['current_version'])",
        "ex04-q3a-answer": "chief_bugs = one_call(lambda: ex.chief_instance(SEED)['bugs'])",
    },
    "ex05-flexibility": {
        "ex05-q1-answer": EX05_ONE_CALL,
    },
    "ex06-switching-costs": {
        # the issue's own example: the model's cycles for my machine, as a number and as a
        # function that reaches the package however it can (graded where it cannot)
        "ex06-q1-answer": EX06_Q1_ONE_CALL,
        "ex06-q2-answer": EX06_Q2_ONE_CALL,
    },
    "ex07-memory-effects": {
        "ex07-q1-answer": EX07_Q1_ONE_CALL,
        "ex07-q2-answer": "why_evicted = None\n"
        "s = {k: pollution_system(k, DATA_BYTES) for k in ('l3', 'mach')}\n"
        "l3_survivors = one_call(lambda: cache_owners(s['l3'], after_rpc(s['l3']))['user'])\n"
        "mach_survivors = one_call(lambda: cache_owners(s['mach'], after_rpc(s['mach']))['user'])",
        "ex07-q3-answer": "why_gap = None\n"
        "new_gap = one_call(lambda: mcpi_parts(CHANGE)[0]['gap'])\n"
        "gap_holds = one_call(lambda: mcpi_holds(CHANGE))",
    },
    "ex08-non-portability": {
        "ex08-q1-answer": EX08_Q1_ONE_CALL,
        "ex08-q2-answer": EX08_Q2_ONE_CALL,
        "ex08-q3-answer": EX08_Q3_ONE_CALL,
    },
    "ex09-related-systems": {
        "ex09-q1-answer": EX09_Q1_ONE_CALL,
        "ex09-q2-answer": "from mkteach.exercises import ex09_related_systems as ex\n"
        "choices_made = one_call(lambda: {s: ex.SYSTEM_DESIGN[s] for s in MY_SYSTEMS})",
        "ex09-q3-answer": EX09_Q3_ONE_CALL,
    },
    "ex10-conclusions": {
        "ex10-q1-answer": "moves = None\n"
        "holds_after = one_call(lambda: claim_now(CLAIM, CLAIM_CHANGES[MY_CHANGE][0]).holds)",
        "ex10-q2-answer": EX10_Q2_ONE_CALL,
    },
}


def one_caller(exercise: str, copy: Path) -> object:
    """Return the released copy of `exercise` answered by one call into the package each."""
    nb = cases.read_copy(copy)
    for n, (gid, code) in enumerate(ONE_CALL[exercise].items()):
        cases.answer(nb, gid, (ONE_CALL_HEAD if n == 0 else "") + code)
    return nb


FORMULA_NAMES = ['=HYPERLINK("x.example")&A1', "+1+2", "-2+3", "@SUM(A1)"]  # folder names


def tmp_install(where: Path) -> Path:
    """Return the Python of a venv under /tmp with a copy of this package beside it (a fresh
    clone under /tmp has both there); its dependencies come from this test's venv."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(where / "venv")], check=True)
    src = where / "src"
    shutil.copytree(ROOT / "mkteach", src / "mkteach",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    site = next((where / "venv" / "lib").glob("python*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    lines = [str(src)] + [f"import site; site.addsitedir({d!r})" for d in deps]
    (site / "mkteach-redteam.pth").write_text("\n".join(lines) + "\n")
    return where / "venv" / "bin" / "python"


GRADER = """
import dataclasses, json, sys
import mkteach
from mkteach.grading import grade

job = json.loads(sys.argv[1])
kw = dict(cell_timeout=10, total_timeout=60, jobs=2)
results = grade(job["paths"], job["source"], job["csv"], feedback_dir=job["feedback"], **kw)
alone = grade(job["alone"], job["source"], **kw)
print(json.dumps({"package": mkteach.__file__, "prefix": sys.prefix,
                  "results": [dataclasses.asdict(r) for r in results],
                  "alone": [dataclasses.asdict(r) for r in alone]}))
"""


def as_result(data: dict) -> SimpleNamespace:
    """Return a submission's result read back from the grader's JSON (totals as grade's)."""
    questions = [SimpleNamespace(**q) for q in data["questions"]]
    return SimpleNamespace(
        **{**data, "questions": questions},
        total=round(sum(q.points for q in questions), 4),
        possible=round(sum(q.possible for q in questions), 4),
    )


def submissions(course: Path, copies: dict[str, Path]) -> dict[str, tuple[str, object]]:
    """Return {student folder: (assignment, notebook or None for a special file)}."""
    ex02_copy, ex03_copy = copies["ex02-address-spaces"], copies["ex03-threads-ipc"]
    out: dict[str, tuple[str, object]] = {
        "alice": ("ex02", cases.set_student(cases.answered(cases.EX02), "alice")),
        "bob": ("ex02", cases.read_copy(ex02_copy)),
    }
    for name, code in attacks(course).items():
        out[name] = ("ex02", cases.insert_after(cases.read_copy(ex02_copy), "ex02-q3-answer", code))
    # 3: honest work the grader must not zero
    marked = cases.insert_after(cases.answered(cases.EX02), "ex02-q3-answer", MARKERS)
    out["marker-comments"] = ("ex02", cases.set_student(marked, "marker-comments"))
    out["grace"] = ("ex02", cases.answered(cases.EX02))  # STUDENT left as 'your-id'
    zoe = cases.set_student(cases.answered(cases.EX02), unicodedata.normalize("NFD", "zoë"))
    out["Zoë "] = ("ex02", cases.insert_after(zoe, "ex02-q3-answer", right_answers("zoë")))
    out[cases.STUDENT] = ("ex02", cases.ex02_wrong_flush())  # wrong, for its own instance
    # 5: the secret
    thief = (f"COURSE = {str(course)!r}\n" + SECRET_THIEF).replace("SECRET_NAME", SECRET_NAME)
    out["secret-thief"] = ("ex02", cases.insert_after(cases.read_copy(ex02_copy),
                                                      "ex02-q3-answer", thief))  # fmt: skip
    # 7: the class file
    huge = cases.answer(cases.answered(cases.EX02), "ex02-q2-answer", HUGE)
    out["huge"] = ("ex02", cases.set_student(huge, "huge"))
    for name in FORMULA_NAMES:
        out[name] = ("ex02", cases.read_copy(ex02_copy))
    # ex03: honest, blank, wrong; programs from the notebook's classes and factories; the
    # package's pager; a flooder and a hanger
    out["dave"] = ("ex03", cases.set_student(cases.answered(cases.EX03), "dave"))
    out["erin"] = ("ex03", cases.read_copy(ex03_copy))
    out["frank"] = ("ex03", cases.set_student(cases.ex03_wrong(), "frank"))
    pool = cases.insert_after(cases.answered(cases.EX03), "ex03-setup", CLASS_POOL)
    out["class-pager"] = ("ex03", cases.answer(pool, "ex03-q1-answer", CLASS_PAGER))
    out["factory-pager"] = ("ex03", cases.answer(cases.answered(cases.EX03), "ex03-q1-answer",
                                                 FACTORY_PAGER))  # fmt: skip
    for name, code in (("package-pager", PACKAGE_PAGER), ("wrapped-pager", WRAPPED_PAGER),
                       ("flooder", FLOODER), ("hanger", HANGER)):  # fmt: skip
        out[name] = ("ex03", cases.answer(cases.read_copy(ex03_copy), "ex03-q1-answer", code))
    # 5: value answers by one call into the package, one student per exercise
    for exercise in ONE_CALL:
        out[f"one-call-{exercise[:4]}"] = (exercise[:4], one_caller(exercise, copies[exercise]))
    return out


LINKS = {  # 4: student -> what its submission links to
    "link-instructor": "SOURCE",
    "link-shadow": "/etc/shadow",
    "link-environ": "/proc/self/environ",
}
GARBAGE = 'GARBAGE-6b1e {"cells": [ "this is not JSON, and its content must not be quoted'


def digest(folder: Path) -> str:
    """Return a digest of every file under `folder` (names and contents)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def sandbox_processes(install: Path) -> list[str]:
    """Return the command lines of this batch's sandbox processes (a sandbox user running the
    Python installed at `install`), or of processes carrying the attack's mark (other test
    runs' sandboxes, which may share the user ids, are not this batch's)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ours = FIRST_UID <= uid < FIRST_UID + SLOTS and str(install) in cmd
        if ours or MARK in cmd:
            found.append(f"{pid} {uid} {cmd[:80]}")
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade every student above in one batch, with a grader whose venv and package are under
    /tmp and whose course secret is in the course folder only."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "exercises", course / "source")
    env = {k: v for k, v in os.environ.items() if k != "MKTEACH_COURSE_SECRET"}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MKTEACH_COURSE_SECRET", raising=False)
        copies = {p.stem: p for p in release(course / "source", course / "released")}
    secret = (course / SECRET_NAME).read_text().strip()
    paths, students = [], {}
    for name, (assignment, nb) in submissions(course, copies).items():
        path = course / "submitted" / name / assignment / FILES[assignment]
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb), encoding="utf-8")
        paths.append(path)
        students[name] = path
    for name, target in LINKS.items():
        path = course / "submitted" / name / "ex02" / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.symlink_to(str(course / "source" / NOTEBOOK) if target == "SOURCE" else target)
        paths.append(path)
    (course / "submitted" / "link-folder").symlink_to(course / "submitted" / "alice")
    paths.append(course / "submitted" / "link-folder" / "ex02" / NOTEBOOK)
    garbage = course / "submitted" / "garbage" / "ex02" / NOTEBOOK
    garbage.parent.mkdir(parents=True)
    garbage.write_text(GARBAGE)
    paths.append(garbage)
    before = (digest(course / "source"), students["alice"].read_bytes())
    install = Path(tmp_path_factory.mktemp("install"))
    python = tmp_install(install)
    job = {
        "paths": [str(p) for p in paths],
        "source": str(course / "source"),
        "csv": str(course / "grades.csv"),
        "feedback": str(course / "feedback"),
        "alone": [str(students["alice"])],
    }
    done = subprocess.run(
        [str(python), "-c", GRADER, json.dumps(job)], capture_output=True, text=True,
        cwd=course, env=env, timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    csv_text = (course / "grades.csv").read_text()
    time.sleep(4)  # the detached writers wanted 3 s
    results = [as_result(r) for r in out["results"]]
    return {
        "results": {Path(r.submission).parent.parent.name: r for r in results},
        "paths": paths,
        "course": course,
        "before": before,
        "csv": csv_text,
        "secret": secret,
        "left": sandbox_processes(install),
        "alone": as_result(out["alone"][0]),
        "package": out["package"],
        "prefix": out["prefix"],
    }


def automatic(result) -> float:
    """Return the points of the automatically graded questions."""
    return sum(q.points for q in result.questions if not q.note.startswith("graded by hand"))


def everything_written(course: Path) -> str:
    """Return the CSV and every feedback page, as one text."""
    pages = [p.read_text() for p in sorted((course / "feedback").rglob("*.html"))]
    return (course / "grades.csv").read_text() + "\n".join(pages)


HONEST_STUDENTS = {  # student -> (exercise, automatic points)
    "alice": ("ex02", 5),
    "marker-comments": ("ex02", 5),
    "grace": ("ex02", 5),
    "Zoë": ("ex02", 5),
    "dave": ("ex03", 12),
    "class-pager": ("ex03", 12),
    "factory-pager": ("ex03", 12),
}
BLANK = ["bob", "erin", *FORMULA_NAMES]
ATTACKERS = [
    "self-answering", "frame-reader", "fake-check", "key-thief", "source-reader",
    "detached-writer", "overwriter", "deleter", "parent-killer", "resource-hog",
    "secret-thief", "package-pager", "wrapped-pager", "flooder", "hanger",
    *(f"one-call-{exercise[:4]}" for exercise in ONE_CALL),
]  # fmt: skip


def result_of(batch, student: str):
    """Return the result of the submission in folder `student` (names as written, NFC)."""
    for name, r in batch["results"].items():
        if unicodedata.normalize("NFC", name).strip() == student:
            return r
    raise KeyError(student)


def test_the_batch_ran_under_tmp_with_the_package_there(batch):
    assert batch["package"].startswith(tempfile_root()) and batch["prefix"].startswith(
        tempfile_root()
    ), (batch["package"], batch["prefix"])


def tempfile_root() -> str:
    """Return the folder temporary files go to here (/tmp, normally)."""
    import tempfile

    return tempfile.gettempdir()


def test_honest_students_earn_every_automatic_point_and_the_blank_none(batch):
    for student, (_, expected) in HONEST_STUDENTS.items():
        r = result_of(batch, student)
        why = [(q.grade_id, q.points, q.feedback, q.note) for q in r.questions]
        assert automatic(r) == expected, (student, why, r.notes)
    assert not result_of(batch, "alice").notes
    for student in BLANK:
        assert result_of(batch, student).total == 0, student


def test_wrong_answers_earn_what_they_earn_alone(batch):
    flush, frank = result_of(batch, cases.STUDENT), result_of(batch, "frank")
    points = {q.grade_id: q.points for q in flush.questions}
    assert points["ex02-q2-test"] == 1 and points["ex02-q3-test"] == 0  # as tests/test_grading
    assert all(0 < q.points < q.possible for q in frank.questions), frank.questions


def test_no_attack_earns_a_point(batch):
    for name in ATTACKERS + [impostor_name()]:
        r = result_of(batch, name)
        why = [(q.grade_id, q.points, q.feedback) for q in r.questions]
        assert r.exercise and r.total == 0, (name, why)
        assert all("forged" not in " ".join(q.feedback) for q in r.questions), name


def test_a_flooding_or_sleeping_pager_is_stopped_by_its_time_limit(batch):
    for name in ("flooder", "hanger"):
        r = result_of(batch, name)
        q1 = next(q for q in r.questions if q.grade_id == "ex03-q1-test")
        assert q1.points == 0 and "stopped after" in " ".join(q1.feedback), (name, q1)


def test_a_program_of_the_package_is_not_an_answer(batch):
    for name, words in (("package-pager", "comes from mkteach.programs"),
                        ("wrapped-pager", "runs mkteach.programs.memory_pager")):  # fmt: skip
        r = result_of(batch, name)
        q1 = next(q for q in r.questions if q.grade_id == "ex03-q1-test")
        assert q1.points == 0 and words in " ".join(q1.feedback + [q1.note]), (name, q1)


def test_copied_values_fail_and_a_mistyped_student_id_is_graded_as_the_path_says(batch):
    impostor = result_of(batch, impostor_name())
    assert f"says STUDENT = 'alice', but it was collected as '{impostor_name()}'" in " ".join(
        impostor.notes
    )
    page = (batch["course"] / "feedback" / impostor_name() / "ex02-address-spaces.html").read_text()
    assert "collected as" in page
    assert "says STUDENT = 'your-id'" in " ".join(result_of(batch, "grace").notes)
    assert not [n for n in result_of(batch, "Zoë").notes if "STUDENT" in n]  # the same id


def test_links_and_unparsable_files_are_refused_without_quoting_them(batch):
    for name in [*LINKS, "link-folder"]:
        r = result_of(batch, name)
        assert r.total == 0 and "symbolic link" in r.problem and not r.questions, (name, r)
    garbage = result_of(batch, "garbage")
    assert "not JSON" in garbage.problem and "GARBAGE" not in garbage.problem + str(garbage.notes)
    written = everything_written(batch["course"])
    assert "GARBAGE-6b1e" not in written and "BEGIN SOLUTION" not in written
    assert Path("/etc/shadow").read_text()[:12] not in written
    environ = Path("/proc/self/environ").read_bytes().split(b"\0")[0].decode()
    assert environ not in written
    assert not (batch["course"] / "feedback" / "link-instructor").exists()


def test_nothing_secret_reaches_a_student(batch):
    from mkteach.grading.secret import course_salt, using_secret

    written = everything_written(batch["course"])
    with using_secret(batch["secret"].encode()):
        salts = [course_salt(f"ex{n:02d}") for n in range(1, 11)]
    assert batch["secret"] not in written and not [s for s in salts if s in written]
    assert "HIDDEN TESTS" not in written and "course_salt" not in written


def test_the_repository_holds_no_salt_and_grading_needs_the_course_secret(tmp_path, monkeypatch):
    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        assert 'HIDDEN = "' not in path.read_text(), path
    monkeypatch.delenv("MKTEACH_COURSE_SECRET", raising=False)
    release(ROOT / "exercises", tmp_path / "released")  # from the repository: no secret there
    assert not (ROOT / SECRET_NAME).exists() and not (ROOT / "exercises" / SECRET_NAME).exists()
    shutil.copytree(ROOT / "exercises", tmp_path / "course" / "source")
    with pytest.raises(GradingError, match="no course secret"):
        grade([], tmp_path / "course" / "source")


def test_the_class_file_has_no_formula_and_no_overlong_field(batch):
    rows = list(csv.reader(batch["csv"].splitlines()))  # the default field limit reads it
    assert max(len(field) for row in rows for field in row) <= 2000
    names = {row[2] for row in rows[1:]}
    for name in FORMULA_NAMES:
        assert "'" + name in names, name
    assert not [f for row in rows for f in row if f[:1] in ("=", "+", "@") or (
        f[:1] == "-" and not f[1:].replace(".", "").isdigit())]  # fmt: skip
    huge = result_of(batch, "huge")
    assert automatic(huge) < 5  # the 5 MB answer is wrong, and the batch read it


def test_shards_are_stable_whatever_list_each_machine_has(batch):
    paths = batch["paths"]
    parts = [select_shard(paths, (i, 3)) for i in (1, 2, 3)]
    assert sorted(map(str, sum(parts, []))) == sorted(map(str, paths))
    late = batch["course"] / "submitted" / "late" / "ex02" / NOTEBOOK
    again = [set(select_shard([late, *reversed(paths)], (i, 3))) - {late} for i in (1, 2, 3)]
    assert again == [set(p) for p in parts]


def test_a_machine_without_a_working_sandbox_grades_nobody(tmp_path):
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    shutil.copytree(ROOT / "exercises", tmp_path / "course" / "source")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MKTEACH_COURSE_SECRET", raising=False)
        copy = release(tmp_path / "course" / "source", tmp_path / "released")[1]
    student = tmp_path / "course" / "submitted" / "alice" / "ex02" / NOTEBOOK
    student.parent.mkdir(parents=True)
    student.write_bytes(copy.read_bytes())
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "mkteach.cli", "grade", str(student), "--source",
         str(tmp_path / "course" / "source"), "--csv", str(tmp_path / "grades.csv")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "uid map: Permission denied" in done.stderr, done.stderr
    assert not (tmp_path / "grades.csv").exists()


def test_no_attack_changes_another_students_result_or_file(batch):
    alice, alone = result_of(batch, "alice"), batch["alone"]
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
    assert len(rows) == len(batch["paths"])
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
