"""The TLB and cache view: what the hardware holds after a step, set by set and way by way.

TLB entries show whose page they translate (a space and page, or a kernel page); cache lines
show what they hold (kernel code, kernel data, a TCB, a user frame). Sets the current step
touched are marked, and each unit's running hit and miss counters are in its title.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..hw import kernels as k
from .common import COLLAPSED, FigureView

if TYPE_CHECKING:
    import plotly.graph_objects as go

OWNER_COLOURS = {
    "empty": "#f4f4f4",
    "user": "#6b8bd6",
    "kernel code": "#ff7f0e",
    "kernel data": "#ffbb78",
    "TCB": "#d62728",
    "descriptors": "#9467bd",
    "buffers": "#17becf",
}
OWNER_CODES = {name: code for code, name in enumerate(OWNER_COLOURS)}


def discrete_scale(colours: list[str]) -> list[list]:
    """Return a plotly colour scale giving each integer 0..n-1 its own flat colour."""
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


OWNER_SCALE = discrete_scale(list(OWNER_COLOURS.values()))


def owner(address: int) -> str:
    """Return what kind of memory a physical address belongs to."""
    if address >= k.BUFFERS:
        return "buffers"
    if address >= k.TCBS:
        return "TCB"
    if address >= k.DATA:
        return "kernel data"
    if address >= k.CODE:
        return "kernel code"
    if address >= k.DESCRIPTORS:
        return "descriptors"
    return "user"


class HardwareView(FigureView):
    """TLB and cache contents after a step, with the sets that step touched marked."""

    title = "TLB and cache"

    def __init__(self, system: Any) -> None:
        super().__init__(system)
        self.units = system.machine.structures()
        self.height = 170 * len(self.units) + 100 if self.units else COLLAPSED

    def empty(self) -> go.Figure:
        """Return one heatmap row per TLB or cache, a marker trace per unit, and a legend
        entry per kind of memory (the colour key)."""
        if not self.units:  # System(hardware=False): nothing to show
            return (
                super()
                .empty()
                .update_layout(title=f"{self.title}: none (hardware models off)", height=COLLAPSED)
            )
        from plotly.subplots import make_subplots

        names = list(self.units)
        fig = make_subplots(rows=len(names), cols=1, subplot_titles=names, vertical_spacing=0.16)
        for row, name in enumerate(names, start=1):
            unit = self.units[name]
            fig.add_heatmap(
                z=[[0]],
                colorscale=OWNER_SCALE,
                zmin=-0.5,
                zmax=len(OWNER_CODES) - 0.5,
                showscale=False,
                hoverinfo="text",
                name=name,
                row=row,
                col=1,
            )
            fig.add_scatter(
                x=[],
                y=[],
                mode="markers",
                name="▼ set touched by this step",
                legendgroup="touched",
                marker={"symbol": "triangle-down", "color": "black", "size": 8},
                hoverinfo="skip",
                showlegend=row == 1,
                row=row,
                col=1,
            )
            ways = list(range(unit.assoc))
            fig.update_yaxes(
                title_text="way", range=[unit.assoc - 0.5 + 0.9, -0.5], tickvals=ways,
                row=row, col=1,
            )  # fmt: skip
            fig.update_xaxes(range=[-0.5, unit.n_sets - 0.5], row=row, col=1)
        for kind, colour in OWNER_COLOURS.items():  # the key: what each colour holds
            fig.add_scatter(
                x=[None], y=[None], mode="markers", name=kind, hoverinfo="skip",
                marker={"symbol": "square", "size": 12, "color": colour,
                        "line": {"width": 1, "color": "#bbb"}},
            )  # fmt: skip
        fig.update_layout(
            title=f"{self.title}: what each entry holds, sets across, ways down (LRU way 0)",
            height=self.height,
            template="plotly_white",
            margin={"l": 50, "r": 20, "t": 60, "b": 30},
            legend={"orientation": "h", "y": -0.04, "yanchor": "top"},
        )
        return fig

    def draw(self, fig: go.Figure, step: int) -> None:
        """Fill each unit's grid with its contents after `step`."""
        state = self.system.hardware_at(step)
        changes = self.system.trace.hardware[step] if step >= 0 else {}
        names = self.system.kernel.space_by_id
        for i, (name, unit) in enumerate(self.units.items()):
            sets = state.units[name]["sets"]
            z, text = self.grid(unit, sets, names)
            fig.data[2 * i].update(z=z, hovertext=text)
            touched = sorted(changes.get(name, {}).get("sets", {}))
            fig.data[2 * i + 1].update(x=touched, y=[unit.assoc - 0.5 + 0.45] * len(touched))
            hits, misses = state.units[name]["hits"], state.units[name]["misses"]
            what = "cache" if hasattr(unit, "line") else "TLB"
            fig.layout.annotations[i].text = (
                f"{name} ({what}, {unit.n_sets} sets × {unit.assoc} ways, set number across): "
                f"{hits} hits, {misses} misses"
            )

    def grid(self, unit: Any, sets: list, names: dict) -> tuple[list, list]:
        """Return (z, hover text) grids, ways as rows and sets as columns."""
        is_cache = hasattr(unit, "line")
        z = [[0] * unit.n_sets for _ in range(unit.assoc)]
        text = [[""] * unit.n_sets for _ in range(unit.assoc)]
        for index, contents in enumerate(sets):
            for way, entry in enumerate(contents):
                if is_cache:
                    address = entry * unit.line
                    kind = owner(address)
                    label = f"{kind} {address:#x}"
                else:
                    kind, label = tlb_label(*entry, names)
                z[way][index] = OWNER_CODES[kind]
                text[way][index] = f"set {index}, way {way}: {label}"
        return z, text


def tlb_label(tag: int, page: int, spaces: dict) -> tuple[str, str]:
    """Return (owner kind, text) of a TLB entry: a kernel page or a page of some space."""
    if tag == -1:
        return "kernel code", f"kernel page {page:#x}"
    space = spaces.get(tag - 1) if tag > 0 else None
    return "user", f"page {page} of {space.name if space else 'the current large space'}"
