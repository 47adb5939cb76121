"""The journal is part of the trace module, `mkteach.kernel.trace`; this name stays."""

from .trace import Event, Journal, Note  # noqa: F401
