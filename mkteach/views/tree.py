"""The mapping-tree view: the derivation tree of a frame (or every tree a space is in).

σ0 is the root; each node is (space, page) with its rights; an edge runs from the mapping a page
was mapped from to the mapping made from it. The current step's changes are highlighted: new
mappings, granted nodes, reduced rights, and flushed mappings (drawn as ghosts where they were).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kernel import deltas as d
from .common import COLLAPSED, HIGHLIGHT, FigureView, events_at

if TYPE_CHECKING:
    import plotly.graph_objects as go

Key = tuple[str, int]
MAX_TREES = 12
NODE_KINDS = {  # highlight -> (legend name, colour)
    "": ("mappings", "#6b8bd6"),  # labelled space:page rights
    "new": ("mapped in this step", HIGHLIGHT["new"]),
    "granted": ("granted in this step", HIGHLIGHT["granted"]),
    "reduced": ("rights reduced in this step", HIGHLIGHT["reduced"]),
}
FLUSHED = 2 + len(NODE_KINDS)  # the trace of flushed nodes, after the edges and node kinds


def tidy_layout(children: dict[Key, list[Key]], roots: list[Key]) -> dict[Key, tuple[float, int]]:
    """Return (x, depth) per node: leaves at consecutive x, parents centred over children."""
    pos: dict[Key, tuple[float, int]] = {}
    next_x = 0.0
    for root in roots:
        stack: list[tuple[Key, int, bool]] = [(root, 0, False)]
        while stack:
            node, depth, done = stack.pop()
            kids = children.get(node, [])
            if done or not kids:
                if kids:
                    xs = [pos[k][0] for k in kids]
                    pos[node] = ((xs[0] + xs[-1]) / 2, depth)
                else:
                    pos[node] = (next_x, depth)
                    next_x += 1
                continue
            stack.append((node, depth, True))
            stack.extend((k, depth + 1, False) for k in reversed(kids))
        next_x += 0.5  # a gap between trees
    return pos


class MappingTreeView(FigureView):
    """Mapping trees after a step: of one frame, of every frame a space maps, or of all frames."""

    title = "mapping trees"
    height = 380

    def __init__(self, system: Any, frame: int | None = None, space: Any = None) -> None:
        super().__init__(system)
        self.frame = frame
        self.space = None if space is None else system.kernel.space(space).name

    def setup(self, fig: go.Figure) -> None:
        """Add the edge, ghost and node traces: one trace per kind of node, so the legend
        explains every colour."""
        fig.add_scatter(
            name="derived from (parent above)",
            mode="lines",
            line={"color": "#999", "width": 1},
            hoverinfo="skip",
        )
        fig.add_scatter(
            name="flushed edge",
            mode="lines",
            hoverinfo="skip",
            showlegend=False,
            line={"color": HIGHLIGHT["flushed"], "dash": "dot", "width": 1},
        )
        for name, colour in NODE_KINDS.values():
            fig.add_scatter(
                name=name,
                mode="markers+text",
                hoverinfo="text",
                textposition="middle right",
                marker={
                    "size": 16,
                    "color": colour,
                    "line": {"width": 0 if "this" not in name else 2, "color": "#333"},
                },
            )
        fig.add_scatter(
            name="flushed this step",
            mode="markers+text",
            hoverinfo="text",
            marker={"symbol": "x", "size": 12, "color": HIGHLIGHT["flushed"]},
            textposition="middle right",
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False, autorange="reversed")
        fig.update_layout(legend={"orientation": "h", "y": -0.02, "yanchor": "top"})

    def frames_shown(self, snap: Any, ghosts: list[d.Unmapped]) -> list[int]:
        """Return the frames whose trees to draw after this step."""
        if self.frame is not None:
            return [self.frame]
        k = snap.kernel
        if self.space is not None:
            pages = k.spaces[self.space].pages.values() if self.space in k.spaces else []
            frames = {n.frame for n in pages}
            frames |= {g.frame for g in ghosts if g.space == self.space}
        else:
            frames = {
                n.frame for s in k.spaces.values() if s is not k.sigma0 for n in s.pages.values()
            }
            frames |= {g.frame for g in ghosts}
        return sorted(frames)[:MAX_TREES]

    def layout(self, step: int) -> tuple[dict, dict, dict, dict]:
        """Return (positions, children, node info, ghost parents) of the trees after `step`.

        positions: node -> (x, depth); children: node -> child nodes; info: node -> (rights,
        highlight); ghost parents: flushed node -> the node it hung from.
        """
        return self.layout_frames(step)[:4]

    def layout_frames(self, step: int) -> tuple[dict, dict, dict, dict, dict]:
        """Return layout(step) and, fifth, node -> the frame whose tree it is in (the
        dashboard's frame picker filters the trees by it)."""
        snap = self.system.state_at(step)
        changes = [x for e in events_at(self.system.trace, step) for x in e.deltas]
        ghosts = [x for x in changes if isinstance(x, d.Unmapped)]
        marks = _marks(changes)
        children: dict[Key, list[Key]] = {}
        info: dict[Key, tuple[str, str]] = {}  # node -> (rights, state)
        roots = []
        frame_of: dict[Key, int] = {}
        for frame in self.frames_shown(snap, ghosts):
            root = snap.kernel.mapdb.roots.get(frame)
            if root is None:
                continue
            roots.append(root.name)
            for node in root.subtree():
                frame_of[node.name] = frame
                info[node.name] = (node.rights, marks.get(node.name, ""))
                children.setdefault(node.name, [])
                if node.parent is not None:
                    children.setdefault(node.parent.name, []).append(node.name)
        ghost_parent = {}
        for g in reversed(ghosts):  # removed children first, so parents come later
            key = (g.space, g.page)
            if key in info or g.parent is None:
                continue
            parent = g.parent if (g.parent in info or g.parent in ghost_parent) else None
            parent = parent or next((r for r in roots if r[1] == g.frame), None)
            if parent is None:
                continue
            ghost_parent[key] = parent
            children.setdefault(parent, []).append(key)
            info[key] = (g.rights, "flushed")
            frame_of[key] = g.frame
        return tidy_layout(children, roots), children, info, ghost_parent, frame_of

    def draw(self, fig: go.Figure, step: int) -> None:
        """Draw the trees after `step` with that step's changes highlighted; with nothing to
        draw, the figure shrinks to its title line."""
        pos, children, info, ghost_parent = self.layout(step)
        self._fill(fig, pos, children, info, ghost_parent)
        title = f"{self.title} after step {step}" if step >= 0 else self.title
        title += " (each node: space:page rights)" if pos else ""
        if pos:
            fig.update_layout(title=title, height=self.height, showlegend=True)
        else:
            fig.update_layout(
                title=f"{title}: nothing mapped outside sigma0 yet", height=COLLAPSED,
                showlegend=False,
            )  # fmt: skip

    @staticmethod
    def _fill(fig: go.Figure, pos: dict, children: dict, info: dict, ghost_parent: dict) -> None:
        """Put the laid-out edges and nodes into the figure's traces (one per kind of node)."""
        edges: tuple[list, list] = ([], [])
        ghost_edges: tuple[list, list] = ([], [])
        for parent, kids in children.items():
            for kid in kids:
                xs, ys = ghost_edges if kid in ghost_parent else edges
                xs += [pos[parent][0], pos[kid][0], None]
                ys += [pos[parent][1], pos[kid][1], None]
        fig.data[0].update(x=edges[0], y=edges[1])
        fig.data[1].update(x=ghost_edges[0], y=ghost_edges[1])
        dead = [n for n in pos if info[n][1] == "flushed"]
        fig.data[FLUSHED].update(
            x=[pos[n][0] for n in dead],
            y=[pos[n][1] for n in dead],
            text=[f"{n[0]}:{n[1]}" for n in dead],
            hovertext=[f"{n[0]} page {n[1]}: flushed in this step" for n in dead],
        )
        for i, state in enumerate(NODE_KINDS, start=2):
            nodes = [n for n in pos if info[n][1] == state]
            fig.data[i].update(
                x=[pos[n][0] for n in nodes],
                y=[pos[n][1] for n in nodes],
                text=[f"{n[0]}:{n[1]} {info[n][0]}" for n in nodes],
                hovertext=[_hover(n, info[n]) for n in nodes],
            )


def _marks(changes: list[d.Delta]) -> dict[Key, str]:
    """Return node -> highlight ('new', 'granted', 'reduced') for one step's deltas."""
    marks: dict[Key, str] = {}
    for x in changes:
        if isinstance(x, d.Mapped):
            marks[(x.space, x.page)] = "new"
        elif isinstance(x, d.Moved):
            marks[(x.space, x.page)] = "granted"
        elif isinstance(x, d.RightsChanged):
            marks.setdefault((x.space, x.page), "reduced")
    return marks


def _hover(node: Key, info: tuple[str, str]) -> str:
    """Return the hover text of a node."""
    rights, state = info
    extra = f" ({state} in this step)" if state else ""
    return f"{node[0]} page {node[1]}, rights {rights}{extra}"
