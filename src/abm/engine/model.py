"""The contract a model fulfils to run on the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import jax

from abm.engine.reducers import OutcomeSpec


class Model(Protocol):
    """A pure agent-based model over pytrees (ARCHITECTURE.md, "Contracts").

    Static attributes fix compiled shapes; everything numeric a user may sweep arrives in
    the parameter vector ``theta`` (float32 ``[n_params]``, in ``param_names`` order).
    Models composed from slices (:class:`abm.engine.compose.ComposedModel`) fulfil it;
    so does a single slice's stand-alone model (the Germany slice's, for benchmarks).
    """

    name: str
    calendar: Any
    n_months: int
    param_names: tuple[str, ...]
    outcome_specs: tuple[OutcomeSpec, ...]
    n_agents: int

    def init(self, key: jax.Array, theta: jax.Array) -> Any:
        """State at month 0 of one run."""
        ...

    def step_batch(self, keys: jax.Array, states: Any, thetas: jax.Array) -> Any:
        """Advance a batch of runs (leading axis ``[N]`` everywhere) by one month.

        A run's result must not depend on the other runs of the batch (a model may skip
        work no run needs this month, with a batch-wide ``lax.cond``).
        """
        ...

    def outcomes(self, state: Any, theta: jax.Array) -> Mapping[str, jax.Array]:
        """Per-run outcomes, as the reducers expect them, from the final state."""
        ...
