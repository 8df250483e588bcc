"""Reading a slice's parameters out of the composed ``theta`` (the international slices).

A slice is built knowing the composed catalogue's order; :class:`ThetaReader` keeps the
name -> column index and reads scalars, dates as month indices, and per-faction Soviet
levers weighed by the factions' weights in the policy in force (the Soviet slice's
``Influence.policy_weights``, or Stalin's alone without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_sum
from abm.models.calendar import Calendar
from abm.models.catalogue import member_key
from abm.models.interwar.soviet.constants import FACTIONS, STALIN


class ThetaReader:
    """Name-indexed access to ``theta`` for one slice.

    Args:
        calendar: the simulation calendar.
        params: the composed catalogue (the order of ``theta``).
        faction_levers: base names of the slice's per-faction Soviet levers.
    """

    def __init__(
        self, calendar: Calendar, params: tuple[Any, ...], faction_levers: Sequence[str] = ()
    ) -> None:
        self.calendar = calendar
        self.index = {p.name: i for i, p in enumerate(params)}
        self._levers = {
            name: jnp.array([self.index[f"{name}.{member_key(f)}"] for f in FACTIONS])
            for name in faction_levers
        }

    def p(self, theta: jax.Array, name: str) -> jax.Array:
        """Parameter ``name`` of this run (float32 scalar)."""
        return theta[self.index[name]]

    def month_index(self, theta: jax.Array, name: str) -> jax.Array:
        """The calendar month (int32 index, floor) of the decimal year in ``name``."""
        at = self.calendar.index_of_decimal_year(self.p(theta, name))
        return jnp.floor(at).astype(jnp.int32)

    def lever(self, theta: jax.Array, weights: jax.Array, name: str) -> jax.Array:
        """Per-faction lever ``name`` weighed by ``weights`` (float32 ``[faction]``).

        Summed by a fixed tree (:func:`abm.engine.exact.fixed_sum`): XLA's own reduction
        may add in another order in another batch size, and a run's bits must not depend
        on its batch.
        """
        return fixed_sum(weights * theta[self._levers[name]])


def stalin_alone() -> jax.Array:
    """Policy weights of Stalin's rule alone, float32 ``[faction]`` (a port's fallback)."""
    return (jnp.arange(len(FACTIONS)) == STALIN).astype(jnp.float32)


__all__ = ["ThetaReader", "stalin_alone"]
