"""Does XLA's cost analysis count a ``scan`` body once or once per trip?

The body of a ``scan`` (an XLA ``while`` loop) may be counted once rather than once per
month; :func:`toy_scan_check` (a small scan) and :func:`model_scan_check` (the model's
chunk) find out which, by comparing the FLOPs of the same program with twice the trip
count. :mod:`abm.bench.roofline` corrects the chunk's cost by the answer.
"""

from __future__ import annotations

import math
from typing import Any

from abm.bench.xla_cost import chunk_args, cost_of

#: Ratio of FLOPs at twice the trip count above which a loop counts as multiplied.
TRIP_RATIO_THRESHOLD = 1.5


def toy_scan_check(trips: int = 16) -> dict[str, Any]:
    """Does XLA's cost analysis multiply a ``scan`` body by its trip count here?

    Compiles the same small scan with ``trips`` and ``2 * trips`` iterations.

    Returns:
        ``flops`` at both trip counts, their ``ratio`` and ``multiplied`` (ratio > 1.5).
    """
    import jax
    import jax.numpy as jnp

    def loop(x: jax.Array, n: int) -> jax.Array:
        def body(c: jax.Array, _: Any) -> tuple[jax.Array, None]:
            return jnp.sin(c) * c + 1.0, None

        return jax.lax.scan(body, x, None, length=n)[0]

    x = jnp.ones((128,), jnp.float32)
    f = jax.jit(loop, static_argnums=1)
    flops = [cost_of(f.lower(x, n).compile().cost_analysis())["flops"] for n in (trips, 2 * trips)]
    ratio = flops[1] / flops[0] if flops[0] > 0 else math.nan
    return {
        "trips": [trips, 2 * trips],
        "flops": flops,
        "ratio": ratio,
        "multiplied": bool(ratio > TRIP_RATIO_THRESHOLD),
    }


class _MonthsProxy:
    """A model seen with another number of months (for lowering only, never run)."""

    def __init__(self, model: Any, n_months: int) -> None:
        self._model = model
        self.n_months = n_months

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def model_scan_check(model: Any, tables: Any, chunk_size: int, factor: int = 2) -> dict[str, Any]:
    """Cost of the model's chunk at ``n_months`` and ``factor * n_months`` months.

    Uses the cost analysis of the lowered (not yet optimised) program, which is cheap;
    only the scan's trip count differs between the two programs.

    Returns:
        ``n_months``, ``flops`` of both, their ``ratio`` and ``multiplied``.
    """
    from abm.engine.priors import beta_columns_of
    from abm.engine.runner import Runner

    t = int(model.n_months)
    flops = []
    for n in (t, factor * t):
        runner = Runner(model if n == t else _MonthsProxy(model, n), chunk_size=chunk_size)
        fn = runner._chunk_fn(1, beta_columns_of(tables.kind))
        lowered = fn.lower(*chunk_args(runner, tables))
        flops.append(cost_of(lowered.cost_analysis())["flops"])
    ratio = flops[1] / flops[0] if flops[0] > 0 else math.nan
    return {
        "n_months": [t, factor * t],
        "flops": flops,
        "ratio": ratio,
        "multiplied": bool(ratio > 1.0 + (factor - 1) * 0.5),
        "method": "lowered (pre-optimisation) cost analysis of the chunk",
    }
