"""The Germany slice's random draws of a month, and the batch's vote-count capacity.

Every random number of a month is drawn up front from the slice's month key: the
regular draws (unemployment, events) from ``fold_in(key, 0)``, the election drifts from
``fold_in(key, 1)`` (drawn only where a run of the batch votes).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from abm.engine.lanes import RUN_LANES
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import government
from abm.models.interwar.germany.types import MonthDraws


def draw_regular(key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The draws every month uses: unemployment shock ``[]`` and event uniforms ``[11]``."""
    k_u, k_e = jax.random.split(jax.random.fold_in(key, 0))
    return (
        jax.random.normal(k_u, (), jnp.float32),
        jax.random.uniform(k_e, (government.N_EVENT_DRAWS,), jnp.float32),
    )


def draw_election(
    key: jax.Array, n_constituencies: int = K.N_CONSTITUENCIES
) -> tuple[jax.Array, jax.Array]:
    """The drift draws of an election month: national ``[P]``, regional ``[C, P]``."""
    k_n, k_r = jax.random.split(jax.random.fold_in(key, 1))
    return (
        jax.random.normal(k_n, (K.N_PARTIES,), jnp.float32),
        jax.random.normal(k_r, (n_constituencies, K.N_PARTIES), jnp.float32),
    )


def draw_month(key: jax.Array, n_constituencies: int = K.N_CONSTITUENCIES) -> MonthDraws:
    """Every random number of one month (shapes in :class:`MonthDraws`)."""
    unemployment, events = draw_regular(key)
    national, regional = draw_election(key, n_constituencies)
    return MonthDraws(
        national_drift=national,
        regional_drift=regional,
        unemployment=unemployment,
        events=events,
    )


def compact_capacity(n_runs: int) -> int:
    """Runs whose vote is counted apart when only a few of a batch vote (static).

    A sixteenth of the batch, in whole lanes (:data:`abm.engine.lanes.RUN_LANES`),
    so each run's count goes through the same vectorised code in either path.
    """
    return max(RUN_LANES, (n_runs // 16) // RUN_LANES * RUN_LANES)


class Election(NamedTuple):
    """Result of a vote count: valid-vote shares ``[P]``, turnout, the drifts up to date."""

    shares: jax.Array
    turnout: jax.Array
    national_drift: jax.Array
    regional_drift: jax.Array
