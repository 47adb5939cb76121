"""Figures show without nbformat: where it is missing (Pyodide), `fig.show()` still sends
plotly's mime bundle, the same one JupyterLab's kernel sends, through IPython's display.

The nbformat-less kernel is a fresh Python in which importing nbformat fails, as in JupyterLite.
Where nbformat is installed, plotly's renderers (which import it: seconds) wait for the first
figure mkteach draws; `import mkteach.views` alone imports neither plotly nor nbformat.
"""

from __future__ import annotations

import json
import subprocess
import sys

import plotly.io as pio

from mkteach import System
from mkteach.views import MappingTreeView
from mkteach.views.display import NAME, MimeBundleRenderer

WITHOUT_NBFORMAT = r"""
import importlib.abc, json, sys

class NoNbformat(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "nbformat":
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoNbformat())
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

InteractiveShell.instance()
import plotly.io as pio
from mkteach import System
import mkteach.views
from mkteach.views import MappingTreeView

s = System(machine="i486", frames=8, seed=0)
s.map(s.sigma0, 5, s.create_space("A"), 0)
with capture_output() as shown:
    MappingTreeView(s, frame=5).figure().show()
print(json.dumps({"default": pio.renderers.default, "shown": [o.data for o in shown.outputs]}))
"""


def a_figure():
    """Return a mapping-tree figure of a one-mapping system."""
    s = System(machine="i486", frames=8, seed=0)
    s.map(s.sigma0, 5, s.create_space("A"), 0)
    return MappingTreeView(s, frame=5).figure()


def test_the_renderer_sends_exactly_plotlys_own_mime_bundle():
    fig = a_figure().to_dict()
    ours = MimeBundleRenderer().bundle(fig)
    assert ours == pio.renderers["plotly_mimetype"].to_mimebundle(dict(fig))
    assert list(ours) == ["application/vnd.plotly.v1+json"]
    assert ours["application/vnd.plotly.v1+json"]["data"][2]["name"] == "mappings"


def test_with_nbformat_installed_plotlys_default_is_left_alone():
    a_figure()
    assert NAME in pio.renderers  # registered when mkteach draws a figure
    assert pio.renderers.default != NAME


def test_importing_the_views_leaves_plotly_networkx_and_nbformat_for_the_first_figure():
    probe = (
        "import sys\nimport mkteach.views\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'plotly', 'networkx', 'nbformat'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_without_nbformat_show_displays_the_figure_through_ipython():
    done = subprocess.run([sys.executable, "-c", WITHOUT_NBFORMAT], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]  # plotly alone raises "requires nbformat"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["default"] == NAME
    (bundle,) = result["shown"]
    figure = bundle["application/vnd.plotly.v1+json"]
    assert figure["data"][2]["name"] == "mappings"
    assert figure["layout"]["title"]["text"].startswith("mapping trees")
