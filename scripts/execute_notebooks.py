"""Execute the course notebooks in place, without storing widget state, for nbval to check.

python scripts/execute_notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: str) -> None:
    """Run every cell of the notebook at `path` and write it back with its outputs."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False)
    client.execute(cwd=str(Path(path).parent))
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for notebook in sys.argv[1:]:
        execute(notebook)
        print(f"executed {notebook}")
