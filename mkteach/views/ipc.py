"""The IPC-flow view: a sequence diagram of who sent what to whom, and when.

One lane per thread (and per interrupt), time in cycles across; an arrow per message from the
sender's lane to the receiver's, coloured by kind (short, strings, map, grant, page fault,
interrupt, redirected through a chief), with the message in the hover text. Kernel entries are
dots on their thread's lane. Messages of the current step are drawn bold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..kernel import deltas as d
from ..kernel.trace import Event
from .common import COLLAPSED, KIND_COLOURS, TimelineView, events_at, events_until

if TYPE_CHECKING:
    import plotly.graph_objects as go

MESSAGE_KINDS = ("ipc", "interrupt")


def message_label(e: Event) -> str:
    """Return the label of a message arrow: its kind and what it carries (a fault: the page),
    from the event's typed fields (the message itself), never from its text."""
    kind = e.get("msg_kind", "interrupt" if e.kind == "interrupt" else "short")
    msg = e.message
    if kind == "interrupt" or msg is None:
        return kind.replace("_", " ")
    if msg.fault is not None:
        page, _, write = msg.fault
        return f"page fault: {'write' if write else 'read'} page {page}"
    what = msg.describe()
    if e.intended is not None:
        what += f" (redirected to chief; meant for {e.intended})"
    name = kind.replace("_", " ")
    if what.startswith(name):  # "map page 18 rw" says its kind already
        return what
    return f"{name}: {what}"


class IpcFlowView(TimelineView):
    """Messages between threads up to the current step, on one lane per thread."""

    title = "IPC flow"
    height = 380

    def setup(self, fig: go.Figure) -> None:
        """Add one arrow trace per message kind, the current-step trace and the entry dots."""
        fig.add_scatter(
            name="kernel entries",
            mode="markers",
            hoverinfo="text",
            marker={"size": 5, "color": "#bbb"},
        )
        for kind, colour in KIND_COLOURS.items():
            fig.add_scatter(
                name=kind.replace("_", " "),
                mode="lines+markers",
                hoverinfo="text",
                line={"color": colour, "width": 2},
                marker={"symbol": "arrow", "angleref": "previous", "size": 12, "color": colour},
            )
        fig.add_scatter(
            name="message (kind: what it carries)",
            mode="text",
            hoverinfo="skip",
            textposition="top center",
            textfont={"size": 10},
            showlegend=False,
        )
        fig.add_scatter(
            name="this step",
            mode="lines",
            hoverinfo="skip",
            line={"color": "black", "width": 5},
            opacity=0.35,
        )
        fig.update_xaxes(title="time (cycles)")
        fig.update_yaxes(type="category", autorange="reversed")

    def lanes(self, events: list) -> list[str]:
        """Return the lane names, "thread (space)", in order of appearance (then interrupts)."""
        names: dict[str, None] = {}
        for e in events:
            for tid in e.ids:
                names.setdefault(self.lane(tid), None)
        return list(names)

    def lane(self, who: object) -> str:
        """Return the lane of a thread or interrupt: a thread's name with its space."""
        if not hasattr(self, "_spaces") or self._seen != len(self.system.trace):
            self._spaces = {
                x.name: x.space for e in self.system.trace for x in e.deltas
                if isinstance(x, d.ThreadState)
            }  # fmt: skip
            self._seen = len(self.system.trace)
        name = str(who)
        return f"{name} ({self._spaces[name]})" if name in self._spaces else name

    def draw_trace(self, fig: go.Figure, upto: int) -> None:
        """Draw every message and kernel entry of steps 0..upto."""
        arrows: dict[str, tuple[list, list, list]] = {k: ([], [], []) for k in KIND_COLOURS}
        dots: tuple[list, list, list] = ([], [], [])
        labels: tuple[list, list, list] = ([], [], [])
        for e in events_until(self.system.trace, upto):
            if e.kind in MESSAGE_KINDS:
                xs, ys, texts = arrows[e.get("msg_kind", "short")]
                sender, receiver = self.lane(e.get("sender")), self.lane(e.get("receiver"))
                xs += [e.time, e.time + max(e.cycles, 1), None]
                ys += [sender, receiver, None]
                texts += [e.text, e.text, None]
                labels[0].append(e.time)
                labels[1].append(sender)
                labels[2].append(message_label(e))
            elif e.thread is not None and e.kind != "create_thread":
                dots[0].append(e.time)
                dots[1].append(self.lane(e.thread))
                dots[2].append(f"step {e.step}: {e.text} ({e.cycles} cycles)")
        fig.data[0].update(x=dots[0], y=dots[1], hovertext=dots[2])
        for i, kind in enumerate(KIND_COLOURS, start=1):
            xs, ys, texts = arrows[kind]
            fig.data[i].update(x=xs, y=ys, hovertext=texts)
        fig.data[-2].update(x=labels[0], y=labels[1], text=labels[2])
        fig.layout.yaxis.categoryarray = self.lanes(self.system.trace)

    def mark(self, fig: go.Figure, step: int) -> None:
        """Show time up to the end of `step`, its messages in bold."""
        bold: tuple[list, list] = ([], [])
        now = events_at(self.system.trace, step)
        for e in now:
            if e.kind in MESSAGE_KINDS:
                bold[0].extend([e.time, e.time + max(e.cycles, 1), None])
                bold[1].extend([self.lane(e.get("sender")), self.lane(e.get("receiver")), None])
        fig.data[-1].update(x=bold[0], y=bold[1])
        end = max((e.time + e.cycles for e in now), default=0)
        fig.layout.xaxis.range = [0, max(end, 1) * 1.02]
        title = f"{self.title} up to step {step}" if step >= 0 else self.title
        sent = any(e.kind in MESSAGE_KINDS for e in events_until(self.system.trace, step))
        if sent:
            lanes = len(fig.layout.yaxis.categoryarray or ())
            fig.update_layout(title=title, height=max(self.height, 60 + 40 * lanes),
                              showlegend=True)  # fmt: skip
        else:
            fig.update_layout(title=f"{title}: no message yet", height=COLLAPSED,
                              showlegend=False)  # fmt: skip

    def text(self, step: int | None = None) -> str:
        """Return the messages up to `step` as lines of text."""
        step = self.system.steps - 1 if step is None else step
        events = events_until(self.system.trace, step)
        return "\n".join(
            f"[{e.step:>4} @{e.time:>7}] {e.text}" for e in events if e.kind in MESSAGE_KINDS
        )
