"""Import hygiene: readers of cubes must not start JAX (it is slow and grabs devices)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

_NO_JAX = (
    "import sys\n"
    "import {module}\n"
    "jax = sorted(m for m in sys.modules if m == 'jax' or m.startswith('jax.'))\n"
    "assert not jax, jax[:5]\n"
)


@pytest.mark.parametrize(
    "module",
    ["abm.cube", "abm.outcomes", "abm.tallies", "abm.engine.lanes", "abm.report", "abm.analysis"],
)
def test_module_imports_without_jax(module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _NO_JAX.format(module=module)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


_OPEN_GRID = (
    "import sys\n"
    "import abm\n"
    "ds = abm.open_cube(sys.argv[1])\n"
    "assert ds['e_prob'].dims == ('a', 'b'), ds['e_prob'].dims\n"
    "jax = sorted(m for m in sys.modules if m == 'jax' or m.startswith('jax.'))\n"
    "assert not jax, jax[:5]\n"
)


def test_opening_a_grid_sweep_cube_imports_no_jax(tmp_path) -> None:
    # A grid sweep's cube is reshaped on one dimension per lever when opened, which
    # abm report does too: the reshaping must not pull in the sweep runner (JAX).
    import numpy as np
    import xarray as xr

    from abm.cube import write_cube
    from abm.cube.grid import GRID_ATTR
    from abm.cube.schema import dataset_attrs

    a, b = np.repeat([0.0, 0.5, 1.0], 2), np.tile([10.0, 20.0], 3)
    attrs = {**dataset_attrs({}), "design": "grid", "varied": "a,b", GRID_ATTR: "a:3,b:2"}
    ds = xr.Dataset(
        {"e_prob": (("point",), a + b)},
        coords={"point": np.arange(6), "a": ("point", a), "b": ("point", b)},
        attrs=attrs,
    )
    path = write_cube(ds, tmp_path / "grid.zarr")
    proc = subprocess.run(
        [sys.executable, "-c", _OPEN_GRID, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
