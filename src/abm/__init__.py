"""abm: agent-based Monte Carlo forecasting of interwar counterfactuals, in JAX.

The public API::

    import abm
    ds = abm.run("configs/scenarios/otl.yaml", runs=1000, seed=0, out="results/otl.zarr")
    cmp = abm.compare("configs/scenarios/otl.yaml", "configs/scenarios/trotsky.yaml", runs=1000)
    tr = abm.trace("configs/scenarios/otl.yaml", seed=0, run=3)
    ds = abm.open_cube("results/otl.zarr")
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "compare", "info", "open_cube", "run", "trace"]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy: importing abm must not start JAX (the CLI sets the device count first).
    if name in ("run", "compare", "info", "trace"):
        from abm import api

        return getattr(api, name)
    if name == "open_cube":
        from abm.cube import open_cube

        return open_cube
    raise AttributeError(f"module 'abm' has no attribute {name!r}")
