"""The ceilings of this machine's roofline, measured: peak FLOP rate and memory bandwidth.

:func:`measure_peak_flops` times a large jitted float32 matrix product;
:func:`measure_bandwidth` the best of large array copies (JAX, NumPy, threaded NumPy).
Both are measured in the same run as the chunk they bound (:mod:`abm.bench.roofline`),
not taken from a data sheet.
"""

from __future__ import annotations

import statistics
import threading
from typing import Any

import numpy as np

from abm.bench.timing import time_calls


def measure_peak_flops(n: int = 4096, reps: int = 5) -> dict[str, Any]:
    """Attainable float32 FLOP rate: a jitted ``n x n`` matrix product, best of ``reps``.

    Args:
        n: matrix size; the product costs ``2 n^3`` FLOPs.
        reps: timed calls after one warm-up call (which compiles).

    Returns:
        ``flop_s`` (best call), ``flop_s_median``, ``n``, ``flops_per_call``, ``times_s``.
    """
    import jax
    import jax.numpy as jnp

    ka, kb = jax.random.split(jax.random.key(0))
    a = jax.random.normal(ka, (n, n), jnp.float32)
    b = jax.random.normal(kb, (n, n), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(a, b).block_until_ready()
    times = time_calls(lambda: dot(a, b).block_until_ready(), reps)
    flops = 2.0 * n**3
    return {
        "n": n,
        "flops_per_call": flops,
        "times_s": times,
        "flop_s": flops / min(times),
        "flop_s_median": flops / statistics.median(times),
        "method": f"jit(jnp.dot) of two {n}x{n} float32 matrices, best of {reps}",
    }


def _threaded_copy(dst: np.ndarray, src: np.ndarray, threads: int) -> None:
    parts = np.array_split(np.arange(src.size), threads)
    flat_d, flat_s = dst.reshape(-1), src.reshape(-1)
    workers = [
        threading.Thread(
            target=np.copyto, args=(flat_d[p[0] : p[-1] + 1], flat_s[p[0] : p[-1] + 1])
        )
        for p in parts
        if p.size
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def measure_bandwidth(nbytes: int = 256 * 2**20, reps: int = 5, threads: int = 2) -> dict[str, Any]:
    """Attainable memory bandwidth: large array copies, bytes read + written per second.

    Three copies of an ``nbytes`` float32 array are timed (best of ``reps``): a jitted
    ``x + 1`` on the JAX default device, ``np.copyto`` on one thread, and ``np.copyto``
    split over ``threads`` threads. The best of the three is the attainable bandwidth.

    Returns:
        ``bytes_s`` (the best), one entry per method (bytes/s) and ``nbytes``.
    """
    import jax
    import jax.numpy as jnp

    n = max(1, nbytes // 4)
    moved = 2.0 * 4 * n  # read + write
    x = jnp.ones((n,), jnp.float32)
    add = jax.jit(lambda v: v + 1.0)
    add(x).block_until_ready()
    t_jax = min(time_calls(lambda: add(x).block_until_ready(), reps))
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    t_np = min(time_calls(lambda: np.copyto(dst, src), reps))
    t_thr = min(time_calls(lambda: _threaded_copy(dst, src, threads), reps))
    methods = {
        "jax_add_bytes_s": moved / t_jax,
        "numpy_copy_bytes_s": moved / t_np,
        f"numpy_copy_{threads}_threads_bytes_s": moved / t_thr,
    }
    return {
        "nbytes": 4 * n,
        **methods,
        "bytes_s": max(methods.values()),
        "method": "best of jit(x + 1), np.copyto and threaded np.copyto; read + write bytes",
    }
