"""The sandbox a submission runs in: bubblewrap namespaces, an unprivileged user, limits.

    with Sandbox.start("notebook", stdin_text=job, seconds=300) as box:
        for line in box.lines(): ...

Each sandbox is a `bwrap` process with its own mount, PID, network, IPC and UTS namespaces. It
sees the system's programs and libraries (/usr, /etc), the Python installation, the folders of
installed packages and this package, all read-only, a fresh /tmp and an empty home folder, and
nothing else: no source folder, no other submission, no grader output. /tmp is mounted first and
the installation on top of it, so a checkout or venv under /tmp works. Every read and write has
a deadline (`line`, `feed`): a sandbox that stops reading or writing cannot hang the grader, and
`check_sandbox` says why when no sandbox can start on this machine. Under root it switches to
an unprivileged user of its own (`setpriv`, a user id per slot so that process limits are per
sandbox); otherwise it uses an unprivileged user namespace. Inside, `runner.py` lowers the
limits (CPU time, address space, processes, file size, open files) before any student code runs.
When the first process ends, or the grader kills the sandbox, the PID namespace goes and with it
every process started in it, detached ones included.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).resolve().with_name("runner.py")
PACKAGE = RUNNER.parents[1]  # the mkteach package folder
# Sandboxes run as user ids FIRST_UID .. FIRST_UID + SLOTS - 1. Two graders running at once on
# one machine (say, two shards) should each get a range of their own: MKTEACH_SANDBOX_UID.
FIRST_UID = int(os.environ.get("MKTEACH_SANDBOX_UID", "61000"))
SLOTS = 64
TMP_BYTES = 256 * 1024 * 1024
OUTPUT_BYTES = 8 * 1024 * 1024  # what the grader reads from one sandbox at most
ENV = {
    "HOME": "/home/student",
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TMPDIR": "/tmp",
    "IPYTHONDIR": "/tmp/ipython",
    "MPLBACKEND": "Agg",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}


class SandboxError(RuntimeError):
    """The sandbox cannot be started here (no bubblewrap, no namespaces...)."""


_slots = threading.Semaphore(SLOTS)
_free = list(range(SLOTS))
_lock = threading.Lock()


def bound_paths() -> list[Path]:
    """Return the host folders a sandbox can read: the Python installation(s), the folders of
    installed packages Python imports from (site-packages) and this package, outermost only."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), PACKAGE}
    paths |= site_folders()
    outer = [p for p in paths if not any(q != p and q in p.parents for q in paths)]
    return sorted(outer)


def site_folders() -> set[Path]:
    """Return the folders of installed packages Python imports from (site-packages)."""
    folders = set()
    for entry in sys.path:
        folder = Path(entry) if entry else None
        if folder is not None and folder.name in ("site-packages", "dist-packages"):
            if folder.is_dir():
                folders.add(folder.resolve())
    return folders


def visible_to_sandbox(path: str | Path) -> bool:
    """Return True when a sandbox could read `path` (it lies in /usr, /etc or a bound folder)."""
    p = Path(path).resolve()
    roots = [Path("/usr"), Path("/etc"), *bound_paths()]
    return any(p == r or r in p.parents for r in roots)


def command(mode: str, uid: int, cpu_seconds: int) -> list[str]:
    """Return the argv that runs `runner.py MODE` in a fresh sandbox as user `uid`."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError(
            "bubblewrap is not installed: grading runs each submission in a sandbox "
            "(Debian/Ubuntu: apt-get install bubblewrap)"
        )
    argv = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    # /tmp and home first: a checkout or venv under /tmp is bound on top of the fresh /tmp,
    # never hidden beneath it
    argv += ["--size", str(TMP_BYTES), "--perms", "1777", "--tmpfs", "/tmp"]
    argv += ["--size", str(TMP_BYTES), "--perms", "1777", "--tmpfs", ENV["HOME"]]
    argv += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "lib", "lib64", "sbin"):
        link = Path("/") / name
        if link.is_symlink():
            argv += ["--symlink", os.readlink(link), str(link)]
        elif link.is_dir():
            argv += ["--ro-bind", str(link), str(link)]
    made: set[Path] = {Path("/tmp"), Path(ENV["HOME"])}
    for path in bound_paths():
        for folder in reversed(path.parents[:-1]):  # bwrap would make them 0700
            if folder not in made and not folder.is_relative_to("/usr") and folder != Path("/"):
                argv += ["--perms", "0755", "--dir", str(folder)]
                made.add(folder)
        argv += ["--ro-bind", str(path), str(path)]
    if mode == "function":
        argv += without_packages()
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--chdir", ENV["HOME"], "--clearenv"]
    for key, value in ENV.items():
        argv += ["--setenv", key, value]
    python = [sys.executable, "-I", str(RUNNER), mode, str(cpu_seconds)]
    if os.geteuid() == 0:
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        drop += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        return argv + ["--"] + drop + python
    return argv + ["--unshare-user", "--uid", str(uid), "--gid", str(uid), "--"] + python


def without_packages() -> list[str]:
    """Return the bwrap arguments that hide every installed package and this one (empty
    folders over them) and bring back only the runner: a plain function run there has the
    standard library alone, so it cannot hand its work to the package, whatever it imports."""
    hidden = {PACKAGE} | site_folders()
    argv: list[str] = []
    for folder in sorted(hidden):
        argv += ["--perms", "0755", "--tmpfs", str(folder)]
    for folder in reversed(RUNNER.parents):  # bwrap would make them 0700
        if any(h in folder.parents for h in hidden):
            argv += ["--perms", "0755", "--dir", str(folder)]
    return argv + ["--ro-bind", str(RUNNER), str(RUNNER)]


class Sandbox:
    """One running sandbox: write to its stdin, read its protocol lines, kill it."""

    def __init__(self, proc: subprocess.Popen[bytes], slot: int, deadline: float) -> None:
        self.proc = proc
        self.slot = slot
        self.deadline = deadline
        self.buffer = b""
        self.read_bytes = 0
        self.problem = ""

    @classmethod
    def start(cls, mode: str, seconds: float, stdin_text: str | None = None) -> Sandbox:
        """Return a started sandbox running `runner.py MODE`, its input written if given."""
        _slots.acquire()
        with _lock:
            slot = _free.pop()
        try:
            argv = command(mode, FIRST_UID + slot, max(2, int(seconds) + 2))
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                bufsize=0,
            )
        except BaseException:
            _release(slot)
            raise
        box = cls(proc, slot, time.monotonic() + seconds)
        try:
            assert proc.stdin is not None
            os.set_blocking(proc.stdin.fileno(), False)  # every write has a deadline
            if stdin_text is not None:
                box.feed(stdin_text, close=True)
        except BaseException:
            box.kill()
            raise
        return box

    def feed(self, text: str, close: bool = False, seconds: float | None = None) -> bool:
        """Write `text` to the sandbox within `seconds` (and its deadline); return False when it
        no longer listens or does not take the text in time (problem 'timeout')."""
        assert self.proc.stdin is not None
        until = self.deadline if seconds is None else min(self.deadline, time.monotonic() + seconds)
        fd = self.proc.stdin.fileno()
        data = memoryview(text.encode())
        try:
            while data:
                left = until - time.monotonic()
                if left <= 0:
                    self.problem = self.problem or "timeout"
                    return False
                _, ready, _ = select.select([], [fd], [], left)
                if not ready:
                    continue
                try:
                    data = data[os.write(fd, data) :]
                except BlockingIOError:
                    continue
            if close:
                self.proc.stdin.close()
            return True
        except (OSError, ValueError):  # a closed pipe: the sandbox ended
            return False

    def line(self, seconds: float | None = None) -> bytes | None:
        """Return the next output line (without its newline), or None at the end, when the
        time is up (`seconds`, or the sandbox's deadline) or past the output limit."""
        assert self.proc.stdout is not None
        until = self.deadline if seconds is None else min(self.deadline, time.monotonic() + seconds)
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = until - time.monotonic()
            if left <= 0:
                self.problem = self.problem or "timeout"
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.read_bytes += len(chunk)
            if self.read_bytes > OUTPUT_BYTES:
                self.problem = "output"
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def lines(self) -> Iterator[bytes]:
        """Yield output lines until the end, the deadline or the output limit."""
        while (line := self.line()) is not None:
            yield line

    def kill(self) -> None:
        """End the sandbox and every process in it, and free its slot (idempotent)."""
        if self.slot < 0:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        _release(self.slot)
        self.slot = -1

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()


def check_sandbox(seconds: float = 60.0) -> None:
    """Start one sandbox that imports what a submission needs (IPython and this package); raise
    SandboxError saying why when it cannot (before any submission is graded, so a machine where
    sandboxes fail grades nobody rather than everybody 0)."""
    _slots.acquire()
    with _lock:
        slot = _free.pop()
    try:
        argv = command("probe", FIRST_UID + slot, max(2, int(seconds)))
        try:
            done = subprocess.run(argv, input=b"", capture_output=True, timeout=seconds)
        except subprocess.TimeoutExpired:
            raise SandboxError(f"a sandbox did not start within {seconds:g} s") from None
        except OSError as e:
            raise SandboxError(f"cannot run bubblewrap: {e}") from None
    finally:
        _release(slot)
    if done.stdout.strip() == b'{"ready": true}':
        return
    why = done.stderr.decode(errors="replace").strip().splitlines()
    reason = why[-1][:300] if why else f"it ended with exit status {done.returncode}"
    raise SandboxError(
        f"cannot start a grading sandbox on this machine: {reason} (bubblewrap needs user "
        "namespaces, or root; the Python installation and this package must be readable by all "
        "users)"
    )


def _release(slot: int) -> None:
    """Return a sandbox slot (and its user id) to the pool."""
    with _lock:
        _free.append(slot)
    _slots.release()
