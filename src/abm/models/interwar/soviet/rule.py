"""Personal rule that can end: the leaders' deaths, a Politburo revolt, a military coup.

Monthly (equations in ``docs/ODD.md``, "Soviet succession"):

* *Death*: each named faction's leader dies with the Gompertz hazard
  ``q(a) = mortality_50 * 2 ** ((a - 50) / mortality_doubling)`` a year at age ``a``
  (Stalin b. 1878, Trotsky 1879, Zinoviev 1883, Bukharin 1888; the uncommitted "others"
  have no single leader). A leaderless faction leaves the struggle; a ruler's death ends
  his rule.
* *Revolt* (while rule is not yet secure, ``consolidation_years`` after it began): monthly
  hazard ``revolt_rate * (1 - s_ruler) * (1 + disaster_weight * disaster)``; it succeeds
  with probability ``sigmoid(contest_sharpness * (1 - 2 x_ruler))`` (``x``: showdown
  strength, :func:`.coalition.strength`).
* *Coup* (same window): hazard ``coup_rate * grievance * (1 - army_ruler)``; it succeeds
  with probability ``sigmoid(contest_sharpness * (1 - army_ruler - police_ruler))``.
* A failed attempt raises the ruler's ``alarm`` by 1 and costs the plotters
  ``contest_stake`` of their power and resources; a successful one ends personal rule
  (the ruler's faction loses the stake) and the struggle resumes among the survivors.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

#: Year of birth of each faction's leader (Stalin 1878 — his own later claim was 1879 —,
#: Trotsky 1879, Zinoviev 1883, Bukharin 1888; the "others" have no single leader: NaN).
BIRTH_YEAR = np.array([1878.96, 1879.84, 1883.75, 1888.78, np.nan], np.float32)
#: How personal rule ended (``personal_rule_end``): not (yet), death, revolt, coup.
END_CAUSES = ("none", "death", "revolt", "coup")
END_NONE, END_DEATH, END_REVOLT, END_COUP = range(4)


def death_hazards(
    year: jax.Array, active: jax.Array, m50: jax.Array, doubling: jax.Array
) -> jax.Array:
    """Monthly probability that each faction's leader dies, float32 ``[F]``.

    Args:
        year: decimal calendar year of the month.
        active: bool ``[F]``.
        m50: annual mortality at age 50 (``mortality_50``).
        doubling: years over which mortality doubles (``mortality_doubling``).
    """
    birth = jnp.asarray(BIRTH_YEAR)
    age = year - jnp.nan_to_num(birth, nan=year)
    q = jnp.clip(m50 * jnp.exp2((age - 50.0) / doubling), 0.0, 1.0)
    named = ~jnp.isnan(birth)
    return jnp.where(active & named, q / 12.0, 0.0)


def attempt_hazards(
    power: jax.Array,
    resources_ruler: jax.Array,
    ruler: jax.Array,
    disaster: jax.Array,
    grievance: jax.Array,
    revolt_rate: jax.Array,
    coup_rate: jax.Array,
    disaster_weight: jax.Array,
    army: int,
) -> jax.Array:
    """Monthly hazards of a revolt and of a coup, float32 ``[2]``.

    Args:
        power: float32 ``[F]``.
        resources_ruler: float32 ``[R]``, the ruler's resource shares.
        ruler: int32, the ruling faction (>= 0).
        disaster: the remembered famine deaths, millions.
        grievance: the army's remembered share of officers discharged.
        revolt_rate: ``revolt_rate``.
        coup_rate: ``coup_rate``.
        disaster_weight: ``disaster_weight``.
        army: index of the army among the resources.
    """
    residual = 1.0 - power[ruler]
    revolt = revolt_rate * residual * (1.0 + disaster_weight * disaster)
    coup = coup_rate * jnp.minimum(grievance, 1.0) * (1.0 - resources_ruler[army])
    return jnp.stack([revolt, coup])


def consolidation_window(t: jax.Array, rule_start: jax.Array, years: jax.Array) -> jax.Array:
    """bool: personal rule is still insecure (revolt and coup possible)."""
    return (t - rule_start).astype(jnp.float32) < 12.0 * years


__all__ = [
    "BIRTH_YEAR",
    "END_CAUSES",
    "END_COUP",
    "END_DEATH",
    "END_NONE",
    "END_REVOLT",
    "attempt_hazards",
    "consolidation_window",
    "death_hazards",
]
