"""Grid sweeps on one dimension per lever: moved to :mod:`abm.cube.grid` (kept importable).

The reshaping lives with the cube readers so that opening a grid sweep's cube (and
``abm report`` on it) imports no JAX.
"""

from __future__ import annotations

from abm.cube.grid import *  # noqa: F403
from abm.cube.grid import __all__ as __all__
