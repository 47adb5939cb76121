"""How a figure is displayed where nbformat is missing (JupyterLite's Pyodide kernel).

`fig.show()` on a plain plotly figure sends plotly's mime bundle
(`application/vnd.plotly.v1+json`) to the front end, which draws it with plotly.js. plotly
refuses to do that when nbformat is not installed, and nbformat cannot be installed in Pyodide
without a compiled dependency (its jsonschema needs rpds-py). The renderer here sends the very
same bundle through IPython's display directly; `import mkteach.views` registers it, and makes
it plotly's default only where nbformat is missing, so a JupyterLab kernel is left as it was.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import plotly.io as pio
from plotly.io.base_renderers import ExternalRenderer

NAME = "mkteach_mimetype"


class MimeBundleRenderer(ExternalRenderer):
    """A plotly renderer that displays plotly's own mime bundle without needing nbformat.

    plotly checks for nbformat before it displays a mime bundle, but calls an external
    renderer's `render` without that check; this one builds the bundle with plotly's
    `plotly_mimetype` renderer and hands it to IPython.
    """

    def bundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
        """Return the mime bundle plotly's `plotly_mimetype` renderer makes for `fig_dict`."""
        return pio.renderers["plotly_mimetype"].to_mimebundle(dict(fig_dict))

    def render(self, fig_dict: dict[str, Any]) -> None:
        """Display `fig_dict` as plotly's mime bundle in the running IPython kernel."""
        from IPython.display import display

        display(self.bundle(fig_dict), raw=True)


def nbformat_missing() -> bool:
    """Return True when nbformat cannot be imported (so plotly's mime renderers refuse)."""
    try:
        return importlib.util.find_spec("nbformat") is None
    except (ImportError, ValueError):  # blocked, or a None left in sys.modules
        return True


def register() -> str:
    """Register the renderer as `mkteach_mimetype`; make it the default where nbformat is
    missing; return plotly's default renderer afterwards."""
    if NAME not in pio.renderers:
        pio.renderers[NAME] = MimeBundleRenderer()
    if nbformat_missing():
        pio.renderers.default = NAME
    return pio.renderers.default
