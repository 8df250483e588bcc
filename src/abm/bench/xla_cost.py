"""What XLA's cost analysis says about a compiled program, and how to lower a chunk.

:func:`cost_of` reads FLOPs, bytes accessed and transcendentals from a cost analysis;
:func:`chunk_args` gives the arguments of a runner's first chunk, placed as
:meth:`abm.engine.runner.Runner.run` places them, so that the chunk's program can be
lowered and compiled on its own (:mod:`abm.bench.roofline`, :mod:`abm.bench.tasks`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Cost-analysis keys kept, under the names used in the bench results.
COST_KEYS = {"flops": "flops", "bytes accessed": "bytes", "transcendentals": "transcendentals"}


def cost_of(analysis: Any) -> dict[str, float]:
    """FLOPs, bytes accessed and transcendentals from an XLA cost analysis.

    Args:
        analysis: what ``Compiled.cost_analysis()`` or ``Lowered.cost_analysis()``
            returns: a dict, a list of dicts (one per program, summed; older JAX) or None.

    Returns:
        ``{"flops", "bytes", "transcendentals"}`` as floats (0.0 where missing).
    """
    out = dict.fromkeys(COST_KEYS.values(), 0.0)
    if analysis is None:
        return out
    items = analysis if isinstance(analysis, list | tuple) else [analysis]
    for item in items:
        if not item:
            continue
        for key, name in COST_KEYS.items():
            value = item.get(key)
            if value is not None and math.isfinite(float(value)):
                out[name] += float(value)
    return out


def chunk_args(runner: Any, tables: Any, seed: int = 0) -> tuple[Any, ...]:
    """The arguments of a runner's first chunk, placed as :meth:`Runner.run` places them."""
    import jax
    import jax.numpy as jnp

    from abm.engine.devices import replicated, runs_sharding

    g = np.arange(runner.chunk_size, dtype=np.int32)
    return (
        jnp.asarray(np.uint32(seed)),
        jax.device_put(tables, replicated(runner.mesh)),
        jax.device_put(g, runs_sharding(runner.mesh)),
        jnp.asarray(np.int32(runner.chunk_size)),
        jnp.asarray(np.int32(0)),  # point_offset
    )
