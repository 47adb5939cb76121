"""Trace export lives in the trace module, `mkteach.kernel.trace`; this name stays."""

from ..kernel.trace import MESSAGE_KINDS, Event, to_chrome, to_json  # noqa: F401
