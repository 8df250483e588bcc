"""XLA's costs of one month of a chunk, per branch of the month's ``lax.switch``.

XLA costs a ``lax.switch`` (an XLA ``conditional``) at its costliest branch, which in
the interwar model (its Germany slice; the Soviet slice has none) is the election
month's vote count that most months skip. :class:`MonthCosts` therefore costs one month
of the chunk's batch per branch (tracing the month with :class:`SwitchRecorder` standing
in for ``jax.lax.switch``, to force a branch or record the branch taken) and counts which
branch each month of the chunk takes (a census of the first chunk);
:func:`abm.bench.roofline.corrected_chunk_cost` weights the branches by that census.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

import numpy as np

from abm.bench.xla_cost import cost_of

_REAL_SWITCH: Any = None


def _real_switch() -> Any:
    """``jax.lax.switch`` itself, remembered before any recorder stands in for it."""
    global _REAL_SWITCH
    if _REAL_SWITCH is None:
        import jax

        _REAL_SWITCH = jax.lax.switch
    return _REAL_SWITCH


class SwitchRecorder:
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
        """Record the switch; take branch ``forced`` if set, else switch on ``index``."""
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
        self._census: tuple[Any, SwitchRecorder] | None = None
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

    def month(self, recorder: SwitchRecorder, census: bool) -> Callable[..., Any]:
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

    def _census_fn(self) -> tuple[Any, SwitchRecorder]:
        import jax

        if self._census is None:
            rec = SwitchRecorder()
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
                self._forced[k] = jax.jit(self.month(SwitchRecorder(forced=k), census=False))
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
