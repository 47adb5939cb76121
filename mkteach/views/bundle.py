"""The dashboard's player as one script, built from the ES modules in mkteach/views/player/.

model.js (the pure view model), views.js (the panels as HTML) and render.js (the page) are
ES modules that node tests import as they are; the page gets them inlined into one script
(anywidget loads a single module, and a saved replay must run from one <script>): the live
widget's module ends with widget.js's default export, the saved replay's script defines
`mkteachPlayer(el, data, model)`. Both are built from the same files, nothing cut by hand.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

PLAYER = Path(__file__).with_name("player")
MODULES = ("model.js", "views.js", "render.js")  # in dependency order
_IMPORT = re.compile(r"^import\s[^;]*?\sfrom\s+\"\./[\w.]+\";[ \t]*\n", re.M | re.S)
_EXPORT = re.compile(r"^export (?=(?:async )?(?:function|const|let|class)\b)", re.M)
_NAME = re.compile(r"^(?:async )?(?:function\*?|const|let|class)\s+(\w+)", re.M)


def inline(name: str) -> str:
    """Return module `name`'s code with its imports of sibling modules and its `export`
    keywords removed (the default export is kept)."""
    return _EXPORT.sub("", _IMPORT.sub("", (PLAYER / name).read_text()))


@functools.cache
def _modules() -> str:
    """Return the view model, the panels and the renderer inlined in order; raise ValueError
    if two modules define the same top-level name (they would clash in one script)."""
    seen: dict[str, str] = {}
    parts = []
    for name in MODULES:
        code = inline(name)
        for top in _NAME.findall(code):
            if top in seen:
                raise ValueError(f"{top} is defined in both {seen[top]} and {name}")
            seen[top] = name
        parts.append(f"// -- {name} --\n{code}")
    return "\n".join(parts)


def widget_esm() -> str:
    """Return the anywidget module: the inlined modules and widget.js's default export."""
    return f"{_modules()}\n// -- widget.js --\n{inline('widget.js')}"


def standalone_js() -> str:
    """Return a classic script that defines `mkteachPlayer(el, data, model)` (the saved
    replay's entry point; it returns the player's handle, whose cleanup() stops it)."""
    return (
        f"{_modules()}\n"
        "function mkteachPlayer(el, data, model) {\n  return render(el, data, model);\n}\n"
    )
