"""Where abm's chunk sits on this machine's roofline.

The roofline of a machine bounds the FLOP rate of a program of arithmetic intensity
``I`` (FLOPs per byte moved to or from memory) by ``min(peak_flops, I * bandwidth)``.
Here both ceilings are measured, not taken from a data sheet: the attainable float32
FLOP rate is that of a large jitted matrix product (:func:`measure_peak_flops`), the
attainable memory bandwidth that of large array copies (:func:`measure_bandwidth`).

The FLOPs and bytes of one compiled chunk come from XLA's cost analysis
(:func:`cost_of`), which needs two corrections for a month loop:

* the body of a ``scan`` (an XLA ``while`` loop) may be counted once rather than once
  per month: :func:`toy_scan_check` and :func:`model_scan_check` find out which, by
  comparing the FLOPs of the same program with twice the trip count;
* a ``lax.switch`` (an XLA ``conditional``) is counted at its costliest branch, which
  in the interwar model (its Germany slice; the Soviet slice has none) is the election
  month's vote count that most months skip.
  :class:`MonthCosts` therefore costs one month of the chunk's batch per branch and
  counts which branch each month of the chunk takes (a census of the first chunk).

The corrected FLOPs of a chunk are then
``F - m * B_switch + sum_k n_k * B_k``: ``F`` the chunk as XLA costs it, ``B_switch``
the month body as it costs it (switch at its costliest branch), ``m`` the times ``F``
counts that body (1, or ``n_months`` where the trip count is applied), ``n_k`` the months
that take branch ``k`` and ``B_k`` the month body with branch ``k`` taken. Bytes alike.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

import numpy as np

#: Cost-analysis keys kept, under the names used in the bench results.
COST_KEYS = {"flops": "flops", "bytes accessed": "bytes", "transcendentals": "transcendentals"}
#: Ratio of FLOPs at twice the trip count above which a loop counts as multiplied.
TRIP_RATIO_THRESHOLD = 1.5


# ---------------------------------------------------------------- arithmetic
def roofline_bound(peak_flop_s: float, bandwidth_bytes_s: float, intensity: float) -> float:
    """Attainable FLOP rate of a program of arithmetic intensity ``intensity``.

    Args:
        peak_flop_s: attainable compute rate, FLOP/s.
        bandwidth_bytes_s: attainable memory bandwidth, bytes/s.
        intensity: FLOPs per byte accessed.

    Returns:
        ``min(peak_flop_s, intensity * bandwidth_bytes_s)`` in FLOP/s.
    """
    return min(peak_flop_s, intensity * bandwidth_bytes_s)


def roofline_fraction(
    achieved_flop_s: float, peak_flop_s: float, bandwidth_bytes_s: float, intensity: float
) -> float:
    """Achieved FLOP rate as a fraction of the roofline bound at its intensity."""
    return achieved_flop_s / roofline_bound(peak_flop_s, bandwidth_bytes_s, intensity)


def ridge_intensity(peak_flop_s: float, bandwidth_bytes_s: float) -> float:
    """Intensity (FLOP/byte) where the memory roof meets the compute roof."""
    return peak_flop_s / bandwidth_bytes_s


def bound_kind(peak_flop_s: float, bandwidth_bytes_s: float, intensity: float) -> str:
    """``"memory"`` left of the ridge point, ``"compute"`` right of it."""
    return "memory" if intensity < ridge_intensity(peak_flop_s, bandwidth_bytes_s) else "compute"


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


# ---------------------------------------------------------------- ceilings
def _time_calls(fn: Callable[[], Any], reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


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
    times = _time_calls(lambda: dot(a, b).block_until_ready(), reps)
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
    t_jax = min(_time_calls(lambda: add(x).block_until_ready(), reps))
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    t_np = min(_time_calls(lambda: np.copyto(dst, src), reps))
    t_thr = min(_time_calls(lambda: _threaded_copy(dst, src, threads), reps))
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


# ---------------------------------------------------------------- scan trip count
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


def model_scan_check(model: Any, tables: Any, chunk_size: int, factor: int = 2) -> dict[str, Any]:
    """Cost of the model's chunk at ``n_months`` and ``factor * n_months`` months.

    Uses the cost analysis of the lowered (not yet optimised) program, which is cheap;
    only the scan's trip count differs between the two programs.

    Returns:
        ``n_months``, ``flops`` of both, their ``ratio`` and ``multiplied``.
    """
    from abm.engine.runner import Runner

    t = int(model.n_months)
    flops = []
    for n in (t, factor * t):
        runner = Runner(model if n == t else _MonthsProxy(model, n), chunk_size=chunk_size)
        lowered = runner._chunk_fn(1).lower(*chunk_args(runner, tables))
        flops.append(cost_of(lowered.cost_analysis())["flops"])
    ratio = flops[1] / flops[0] if flops[0] > 0 else math.nan
    return {
        "n_months": [t, factor * t],
        "flops": flops,
        "ratio": ratio,
        "multiplied": bool(ratio > 1.0 + (factor - 1) * 0.5),
        "method": "lowered (pre-optimisation) cost analysis of the chunk",
    }


# ---------------------------------------------------------------- one month, per branch
_REAL_SWITCH: Any = None


def _real_switch() -> Any:
    """``jax.lax.switch`` itself, remembered before any recorder stands in for it."""
    global _REAL_SWITCH
    if _REAL_SWITCH is None:
        import jax

        _REAL_SWITCH = jax.lax.switch
    return _REAL_SWITCH


class _SwitchRecorder:
    """Stands in for ``jax.lax.switch`` while a month is traced.

    Records the branch index of every switch traced; with ``forced`` set, takes that
    branch unconditionally instead of switching.
    """

    def __init__(self, forced: int | None = None) -> None:
        self.real = _real_switch()
        self.forced = forced
        self.indices: list[Any] = []
        self.n_branches: list[int] = []

    def __call__(self, index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
        self.indices.append(index)
        self.n_branches.append(len(branches))
        if self.forced is not None:
            return branches[min(self.forced, len(branches) - 1)](*operands)
        return self.real(index, branches, *operands)


class MonthCosts:
    """XLA costs of one month of a batch, per branch of the month's ``lax.switch``.

    The prologue (priors, initial states, step keys) and the month body are the ones of
    :func:`abm.engine.runner.simulate_batch`, for the first chunk (runs ``0..n-1`` of
    sweep point 0) on the default device.

    Args:
        model: the engine model.
        n: runs in the batch (the chunk size).
    """

    def __init__(self, model: Any, n: int) -> None:
        self.model = model
        self.n = int(n)
        self._inputs: Any = None
        self._census: tuple[Any, _SwitchRecorder] | None = None
        self._forced: dict[int, Any] = {}

    # -- programs
    def prologue(self) -> Callable[..., Any]:
        """``(seed, tables, runs) -> (states0, thetas, steps_keys)``, as the runner's."""
        import jax
        import jax.numpy as jnp

        from abm.engine import keys
        from abm.engine.priors import sample

        model = self.model

        def prologue(seed: jax.Array, tables: Any, runs: jax.Array) -> Any:
            points = jnp.zeros_like(runs)
            rows = jax.tree.map(lambda x: x[points], tables)
            run_keys = jax.vmap(keys.run_key, in_axes=(None, 0, 0))(seed, points, runs)
            thetas = jax.vmap(lambda k, row: sample(keys.stream(k, keys.STREAM_PRIORS), row))(
                run_keys, rows
            )
            states0 = jax.vmap(lambda k, th: model.init(keys.stream(k, keys.STREAM_INIT), th))(
                run_keys, thetas
            )
            steps_keys = jax.vmap(lambda k: keys.stream(k, keys.STREAM_STEPS))(run_keys)
            return states0, thetas, steps_keys

        return prologue

    def month(self, recorder: _SwitchRecorder, census: bool) -> Callable[..., Any]:
        """The scan body of the runner; with ``census``, also the switch indices taken."""
        import jax
        import jax.numpy as jnp

        from abm.engine import keys
        from abm.engine.runner import batch_step

        step = batch_step(self.model)

        def month(states: Any, thetas: jax.Array, steps_keys: jax.Array, t: jax.Array) -> Any:
            recorder.indices.clear()
            recorder.n_branches.clear()
            month_keys = jax.vmap(keys.month_key, in_axes=(0, None))(steps_keys, t)
            with mock.patch.object(jax.lax, "switch", recorder):
                new = step(month_keys, states, thetas)
            if not census:
                return new
            idx = [jnp.asarray(i, jnp.int32).reshape(()) for i in recorder.indices]
            return new, (jnp.stack(idx) if idx else jnp.zeros((0,), jnp.int32))

        return month

    def _start(self, seed: int, tables: Any) -> tuple[Any, Any, Any]:
        """Initial states, parameters and step keys of the first chunk (prologue run)."""
        import jax
        import jax.numpy as jnp

        if self._inputs is None:
            seed_arr = jnp.asarray(np.uint32(seed))
            runs = jnp.arange(self.n, dtype=jnp.int32)
            self._inputs = jax.jit(self.prologue())(seed_arr, jax.device_put(tables), runs)
        return self._inputs

    def _census_fn(self) -> tuple[Any, _SwitchRecorder]:
        import jax

        if self._census is None:
            rec = _SwitchRecorder()
            self._census = (jax.jit(self.month(rec, census=True)), rec)
        return self._census

    def compile_census(self, seed: int, tables: Any) -> dict[str, float]:
        """Compile the month with its switch (returning the branch taken); its XLA cost."""
        import jax.numpy as jnp

        states, thetas, steps_keys = self._start(seed, tables)
        fn, _ = self._census_fn()
        t0 = jnp.asarray(0, jnp.int32)
        return cost_of(fn.lower(states, thetas, steps_keys, t0).compile().cost_analysis())

    def branches(self, seed: int, tables: Any) -> tuple[int, int, dict[int, float]]:
        """Switches per month, branches of the switch, lowered FLOPs per forced branch.

        Returns ``(switches, 0, {})`` unless the month has exactly one switch.
        """
        import jax
        import jax.numpy as jnp

        states, thetas, steps_keys = self._start(seed, tables)
        fn, rec = self._census_fn()
        t0 = jnp.asarray(0, jnp.int32)
        fn.lower(states, thetas, steps_keys, t0)  # traces: the recorder sees the switches
        if len(rec.n_branches) != 1:
            return len(rec.n_branches), 0, {}
        n_br = rec.n_branches[0]
        if not self._forced:
            for k in range(n_br):
                self._forced[k] = jax.jit(self.month(_SwitchRecorder(forced=k), census=False))
        lowered = {
            k: cost_of(f.lower(states, thetas, steps_keys, t0).cost_analysis())["flops"]
            for k, f in self._forced.items()
        }
        return 1, n_br, lowered

    def compile_branch(self, seed: int, tables: Any, k: int) -> dict[str, float]:
        """Compile the month with branch ``k`` forced; its XLA cost."""
        import jax.numpy as jnp

        states, thetas, steps_keys = self._start(seed, tables)
        t0 = jnp.asarray(0, jnp.int32)
        compiled = self._forced[k].lower(states, thetas, steps_keys, t0).compile()
        return cost_of(compiled.cost_analysis())

    def compile_branches(self, seed: int, tables: Any) -> None:
        """Compile every forced branch but the costliest (for the compilation cache)."""
        _, n_br, lowered = self.branches(seed, tables)
        if n_br:
            costliest = max(lowered, key=lambda k: lowered[k])
            for k in range(n_br):
                if k != costliest:
                    self.compile_branch(seed, tables, k)

    def costs(self, seed: int, tables: Any) -> dict[str, Any]:
        """Cost of a month per branch and the census of branches over the first chunk.

        Compiles the prologue and the month with its switch (which also returns the
        branch taken), runs them over every month of the first chunk (the census), then
        compiles the month with each branch forced that the census saw taken, except the
        costliest (whose cost is the switch month's, as XLA costs a conditional at its
        costliest branch; the costliest by the lowered programs' FLOPs).

        Returns:
            ``switch_month`` cost, ``branch_costs`` (branch -> cost), ``census`` (branch
            -> months), ``switches`` per month, ``costliest_branch`` and ``method``.
        """
        import jax.numpy as jnp

        switch_cost = self.compile_census(seed, tables)
        n_switches, n_br, lowered_flops = self.branches(seed, tables)
        out: dict[str, Any] = {"batch": self.n, "switch_month": switch_cost, "switches": n_switches}
        if n_switches != 1:
            out["method"] = (
                f"{n_switches} lax.switch calls in the month (not one): every month counted "
                "as XLA costs it, conditionals at their costliest branch (an upper bound)"
            )
            return out
        states, thetas, steps_keys = self._start(seed, tables)
        fn, _ = self._census_fn()
        taken = []
        for t in range(int(self.model.n_months)):
            states, idx = fn(states, thetas, steps_keys, jnp.asarray(t, jnp.int32))
            taken.append(int(np.asarray(idx)[0]))
        census = {k: taken.count(k) for k in range(n_br)}
        costliest = max(lowered_flops, key=lambda k: lowered_flops[k])
        branch_costs: dict[int, dict[str, float]] = {costliest: dict(switch_cost)}
        for k in range(n_br):
            if k != costliest and census[k] > 0:
                branch_costs[k] = self.compile_branch(seed, tables, k)
        out.update(
            {
                "n_branches": n_br,
                "census": census,
                "costliest_branch": costliest,
                "lowered_branch_flops": lowered_flops,
                "branch_costs": branch_costs,
                "method": (
                    "month costed per branch of its lax.switch (compiled with the branch "
                    "forced; the costliest branch as the switch month), weighted by the "
                    "branches the first chunk's months took"
                ),
            }
        )
        return out


def corrected_chunk_cost(
    chunk: dict[str, float], months: dict[str, Any], n_months: int, multiplied: bool
) -> dict[str, float]:
    """FLOPs/bytes/transcendentals of one chunk, each month counted with its branch.

    Args:
        chunk: XLA's cost of the compiled chunk (:func:`cost_of`).
        months: :meth:`MonthCosts.costs`.
        n_months: the scan's trip count.
        multiplied: whether XLA's cost already multiplies the scan body by the trip count.

    Returns:
        Corrected ``flops``, ``bytes`` and ``transcendentals``.
    """
    m = n_months if multiplied else 1
    switch = months["switch_month"]
    census = months.get("census")
    out = {}
    for key in chunk:
        total = chunk[key] - m * switch[key]
        if census:
            costs = months["branch_costs"]
            total += sum(n * costs[k][key] for k, n in census.items() if n > 0)
        else:
            total += n_months * switch[key]
        out[key] = total
    return out


def summarise(
    chunk_cost: dict[str, float],
    chunk_s: float,
    peak_flop_s: float,
    bandwidth_bytes_s: float,
) -> dict[str, float | str]:
    """Achieved rates of one chunk and its place on the roofline.

    Args:
        chunk_cost: corrected cost of one chunk (:func:`corrected_chunk_cost`).
        chunk_s: steady seconds of that chunk.
        peak_flop_s: attainable FLOP/s.
        bandwidth_bytes_s: attainable bytes/s.

    Returns:
        ``achieved_flop_s``, ``achieved_bytes_s``, ``intensity`` (FLOP/byte),
        ``ridge_intensity``, ``bound_flop_s``, ``bound`` (memory or compute),
        ``roofline_fraction``, ``fraction_of_peak_flops``, ``fraction_of_bandwidth``.
    """
    flops, nbytes = chunk_cost["flops"], chunk_cost["bytes"]
    intensity = flops / nbytes
    achieved = flops / chunk_s
    achieved_bw = nbytes / chunk_s
    return {
        "achieved_flop_s": achieved,
        "achieved_bytes_s": achieved_bw,
        "intensity_flop_per_byte": intensity,
        "ridge_intensity_flop_per_byte": ridge_intensity(peak_flop_s, bandwidth_bytes_s),
        "bound_flop_s": roofline_bound(peak_flop_s, bandwidth_bytes_s, intensity),
        "bound": bound_kind(peak_flop_s, bandwidth_bytes_s, intensity),
        "roofline_fraction": roofline_fraction(achieved, peak_flop_s, bandwidth_bytes_s, intensity),
        "fraction_of_peak_flops": achieved / peak_flop_s,
        "fraction_of_bandwidth": achieved_bw / bandwidth_bytes_s,
    }
