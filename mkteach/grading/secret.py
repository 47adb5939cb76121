"""The course secret: what the hidden instances' salts derive from, kept out of the repository.

    mkteach exercises release ~/course/source ~/course/release  # ~/course/.mkteach-course-secret
    HIDDEN = course_salt("ex03")                                 # in a hidden test cell

`release` creates the secret once in the instructor's course folder (by default the folder that
holds the source folder; never inside this package's checkout, which Binder and GitHub serve),
and `grade` reads it from there. Anything else that runs hidden tests (nbgrader's autograde, an
instructor's own kernel) names the file in the environment: MKTEACH_COURSE_SECRET=PATH. The
sandboxes never see it: the course folder is not bound and their environment is empty.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SECRET_NAME = ".mkteach-course-secret"
ENV = "MKTEACH_COURSE_SECRET"
PACKAGE = Path(__file__).resolve().parents[1]
_active: list[bytes] = []  # the secret grade() is grading with, innermost last


class SecretError(ValueError):
    """There is no course secret where it was looked for, or it cannot be created there."""


def course_salt(exercise: str) -> str:
    """Return the salt of an exercise's hidden instances, derived from the course secret (the
    one `grade` is using, else the file MKTEACH_COURSE_SECRET names); raise SecretError when
    there is none. This is the one function that reads the course secret for exercises."""
    secret = _active[-1] if _active else _from_environment()
    digest = hmac.new(secret, f"salt\x1f{exercise}".encode(), hashlib.sha256).hexdigest()
    return f"{exercise}-{digest[:16]}"


def secret_path(course_dir: str | Path) -> Path:
    """Return where the course secret of `course_dir` lives."""
    return Path(course_dir) / SECRET_NAME


def in_checkout(folder: str | Path) -> bool:
    """Return True when `folder` lies in this package's source checkout (its repository)."""
    checkout = PACKAGE.parent
    if not (checkout / "pyproject.toml").is_file():
        return False
    f = Path(folder).resolve()
    return f == checkout or checkout in f.parents


def create_secret(course_dir: str | Path) -> tuple[Path, bool]:
    """Create the course secret in `course_dir` unless it exists (readable by its owner only);
    return (its path, whether it was created now). Refuse a folder in this package's checkout."""
    if in_checkout(course_dir):
        raise SecretError(
            f"{course_dir} lies in the mkteach repository, which is public: keep the course "
            "secret in your course folder (copy exercises/ there, or pass --course DIR)"
        )
    path = secret_path(course_dir)
    if path.is_file() and not path.is_symlink():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path, True


def read_secret(course_dir: str | Path | None = None) -> bytes:
    """Return the course secret: from `course_dir` when it holds one, else from the file
    MKTEACH_COURSE_SECRET names; raise SecretError saying how to create one."""
    if course_dir is not None:
        path = secret_path(course_dir)
        if path.is_file() and not path.is_symlink():
            return _read(path)
    if os.environ.get(ENV):
        return _from_environment()
    where = f" in {course_dir}" if course_dir is not None else ""
    raise SecretError(
        f"no course secret{where}: `mkteach exercises release SRC_DIR OUT_DIR` creates one in "
        f"the course folder (the folder holding SRC_DIR, or --course DIR); or set {ENV}=PATH"
    )


def _from_environment() -> bytes:
    """Return the secret in the file MKTEACH_COURSE_SECRET names; raise SecretError if none."""
    name = os.environ.get(ENV)
    if not name:
        raise SecretError(
            f"no course secret: the hidden tests need one ({ENV}=PATH of the "
            f"{SECRET_NAME} file that `mkteach exercises release` created)"
        )
    return _read(Path(name))


def _read(path: Path) -> bytes:
    """Return the secret in `path`; raise SecretError when unreadable or empty."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise SecretError(f"cannot read the course secret {path}: {type(e).__name__}") from None
    if len(text) < 16:
        raise SecretError(f"the course secret {path} is empty or too short")
    return text.encode()


@contextmanager
def using_secret(secret: bytes) -> Iterator[None]:
    """Make `secret` the one course_salt derives from, inside the block."""
    _active.append(secret)
    try:
        yield
    finally:
        _active.remove(secret)
