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
