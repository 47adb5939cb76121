"""How a figure is displayed where nbformat is missing (JupyterLite's Pyodide kernel).

`fig.show()` on a plain plotly figure sends plotly's mime bundle
(`application/vnd.plotly.v1+json`) to the front end, which draws it with plotly.js. plotly
refuses to do that when nbformat is not installed, and nbformat cannot be installed in Pyodide
without a compiled dependency (its jsonschema needs rpds-py). The renderer here sends the very
same bundle through IPython's display directly; it is registered by `import mkteach.views`
where nbformat is missing (and made plotly's default there only, so a JupyterLab kernel is left
as it was), elsewhere when mkteach draws its first figure.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

NAME = "mkteach_mimetype"


@functools.cache
def renderer_class() -> type:
    """Return the MimeBundleRenderer class (built on first use: it needs plotly, imported then).

    A plotly renderer that displays plotly's own mime bundle without needing nbformat: plotly
    checks for nbformat before it displays a mime bundle, but calls an external renderer's
    `render` without that check; this one builds the bundle with plotly's `plotly_mimetype`
    renderer and hands it to IPython.
    """
    import plotly.io as pio
    from plotly.io.base_renderers import ExternalRenderer

    class MimeBundleRenderer(ExternalRenderer):
        __doc__ = renderer_class.__doc__

        def bundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
            """Return the mime bundle plotly's `plotly_mimetype` renderer makes for `fig_dict`."""
            return pio.renderers["plotly_mimetype"].to_mimebundle(dict(fig_dict))

        def render(self, fig_dict: dict[str, Any]) -> None:
            """Display `fig_dict` as plotly's mime bundle in the running IPython kernel."""
            from IPython.display import display

            display(self.bundle(fig_dict), raw=True)

    MimeBundleRenderer.__module__ = __name__
    return MimeBundleRenderer


def __getattr__(name: str) -> Any:
    """Return MimeBundleRenderer, built when first asked for (see renderer_class)."""
    if name == "MimeBundleRenderer":
        return renderer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def nbformat_missing() -> bool:
    """Return True when nbformat cannot be imported (so plotly's mime renderers refuse)."""
    try:
        return importlib.util.find_spec("nbformat") is None
    except (ImportError, ValueError):  # blocked, or a None left in sys.modules
        return True


def register() -> str:
    """Register the renderer as `mkteach_mimetype`; make it the default where nbformat is
    missing; return plotly's default renderer afterwards."""
    import plotly.io as pio

    if NAME not in pio.renderers:
        pio.renderers[NAME] = renderer_class()()
    if nbformat_missing():
        pio.renderers.default = NAME
    return pio.renderers.default


def register_when_needed() -> None:
    """Register the renderer now where nbformat is missing (Pyodide: a figure may be shown
    before mkteach draws one); elsewhere mkteach registers it when it draws its first figure,
    since plotly's renderers import nbformat (seconds, and no dashboard needs them)."""
    if nbformat_missing():
        register()
