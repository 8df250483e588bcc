"""The analyst's notebook (notebooks/analyst.ipynb) runs end to end with small run counts.

It is executed as Jupyter would, by a ``python3`` kernel (ipykernel, the venv's Python)
started in ``notebooks/``, with its cubes written to a temporary folder. Any failing cell
fails the test (nbclient raises ``CellExecutionError`` naming it).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "analyst.ipynb"
#: Runs per sweep point and per compared scenario, and the Sobol' base sample, in CI.
RUNS = 16
SOBOL_N = 16


def _outputs(nb: nbformat.NotebookNode) -> list[tuple[int, dict]]:
    return [
        (i, out)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
    ]


def test_notebook_is_committed_clean() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) // 2


@pytest.mark.slow
def test_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel inherits this process's environment.
    monkeypatch.setenv("ABM_NOTEBOOK_RUNS", str(RUNS))
    monkeypatch.setenv("ABM_NOTEBOOK_SOBOL_N", str(SOBOL_N))
    monkeypatch.setenv("ABM_NOTEBOOK_OUT", str(tmp_path / "cubes"))
    # The tests' compilation cache (conftest.py): a second execution skips compiling.
    cache = os.environ.get("ABM_TEST_JAX_CACHE") or str(ROOT / ".pytest_cache" / "jax")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", cache)
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()

    outputs = _outputs(nb)
    errors = [(i, o) for i, o in outputs if o.output_type == "error"]
    assert not errors, errors
    images = [i for i, o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4, images
    # Every cell that shows a figure has its image.
    showing = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "show(fig)" in c.source
    ]
    assert showing and set(showing) <= set(images), (showing, images)
    text = "".join(o.get("text", "") for _, o in outputs if o.output_type == "stream")
    assert f"x {RUNS} runs" in text
    assert "coverage" in text and "density" in text  # the PRIM box's statistics
    assert list((tmp_path / "cubes").glob("*.zarr"))  # cubes went to ABM_NOTEBOOK_OUT
