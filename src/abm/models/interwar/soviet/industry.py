"""Heavy industry: NEP restoration, the plans' investment drive, steel, GDP.

Monthly (equations in ``docs/ODD.md``, "Soviet economy"):

* before the plan: logistic restoration, ``dK = nep_recovery * K * (1 - K / nep_ceiling) / 12``;
* from ``plan_start``: investment ``i = plan_investment * pace * efficiency * (1 -
  defence_shift * threat) * (1 - purge_output_loss * terror)`` of capacity a year enters
  construction, which takes ``construction_lag`` years on average through two stages
  (an Erlang-2 delay); capacity depreciates;
* ``efficiency = (1 + trade_transfer * (trade - 0.4)) * (1 - export_dependence * (1 -
  earnings))``, ``earnings`` = last year's grain exports / 5 Mt times the terms of trade
  (``depression_terms_of_trade`` in 1930-33), at most 1.5;
* output = capacity x ``(1 - purge_output_loss * terror)`` x ``exp(steel_noise_sd * z_year)``.

GDP (in the outcomes): ``GDP_1928 * (agri_share * A + (1 - agri_share) * (steel /
steel_1928) ** gdp_industry_elasticity)``, with ``A`` the harvest relative to 1928's
(``grain_yield`` x the 1928 area) less a third of the herd's loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.models.interwar.soviet.agriculture import EXPORT_REFERENCE
from abm.models.interwar.soviet.types import Industry

#: Trade openness at which foreign technology neither adds nor subtracts (Stalin's preset).
TRADE_REFERENCE = 0.4
#: Weight of the herd in agricultural output (livestock about a third of 1928's gross
#: agricultural output; assumption in round figures).
HERD_WEIGHT = 1.0 / 3.0
#: Extra steel capacity (Mt a year) at which tractors (the Stalingrad, Kharkiv and
#: Chelyabinsk plants, 1930-33) make up for all draught animals lost. Assumption.
TRACTOR_STEEL = 15.0


@dataclass(frozen=True)
class IndustryParams:
    """Scalars of the industry month (float32, drawn per run)."""

    nep_ceiling: jax.Array
    nep_recovery: jax.Array
    plan_investment: jax.Array
    construction_lag: jax.Array
    trade_transfer: jax.Array
    export_dependence: jax.Array
    depression_terms_of_trade: jax.Array
    purge_output_loss: jax.Array
    defence_shift: jax.Array
    depreciation: jax.Array
    steel_noise_sd: jax.Array


def month(
    ind: Industry,
    planning: jax.Array,
    pace: jax.Array,
    trade: jax.Array,
    exports_last_year: jax.Array,
    depression: jax.Array,
    threat: jax.Array,
    terror: jax.Array,
    noise: jax.Array,
    year_index: jax.Array,
    p: IndustryParams,
) -> Industry:
    """One month of heavy industry.

    Args:
        ind: industry at the start of the month.
        planning: bool, the plans are under way.
        pace: industrialisation pace in force, 0..1.
        trade: trade openness in force, 0..1.
        exports_last_year: grain exports of the previous calendar year, Mt.
        depression: bool, world prices are in the Depression (1930-33).
        threat: external threat, 0..1.
        terror: terror intensity this month (0 outside the wave).
        noise: this year's standard normal output draw.
        year_index: index into the ``[Y]`` records.
        p: parameters.
    """
    k = ind.capacity
    restore = p.nep_recovery * k * (1.0 - k / p.nep_ceiling) / 12.0
    tot = jnp.where(depression, p.depression_terms_of_trade, 1.0)
    earnings = jnp.minimum(exports_last_year / EXPORT_REFERENCE * tot, 1.5)
    efficiency = (1.0 + p.trade_transfer * (trade - TRADE_REFERENCE)) * (
        1.0 - p.export_dependence * (1.0 - earnings)
    )
    invest = (
        p.plan_investment
        * pace
        * jnp.maximum(efficiency, 0.0)
        * (1.0 - p.defence_shift * threat)
        * (1.0 - jnp.clip(p.purge_output_loss * terror, 0.0, 1.0))
        * k
        / 12.0
    )
    # Two construction stages in series, each of half the lag (an Erlang-2 delay: plant
    # begun comes on stream after the lag, not from the first month).
    flow = ind.pipeline / (6.0 * p.construction_lag)
    done = flow[1]
    planned_k = k + done - p.depreciation * k / 12.0
    capacity = jnp.where(planning, planned_k, k + restore)
    step = jnp.stack([invest - flow[0], flow[0] - flow[1]])
    pipeline = jnp.where(planning, ind.pipeline + step, ind.pipeline)
    # Arrests of managers and engineers also idle existing plant while the wave lasts.
    utilisation = 1.0 - jnp.clip(p.purge_output_loss * terror, 0.0, 1.0)
    output = capacity * utilisation * jnp.exp(p.steel_noise_sd * noise) / 12.0
    return Industry(
        capacity=capacity,
        pipeline=pipeline,
        steel=ind.steel.at[year_index].add(output),
        gdp=ind.gdp,
    )


def gdp(
    steel: jax.Array,
    harvest: jax.Array,
    herd: jax.Array,
    harvest_1928: jax.Array,
    gdp_1928: float,
    steel_1928: float,
    agri_share: jax.Array,
    elasticity: jax.Array,
) -> jax.Array:
    """USSR GDP of each year, billion 2011 int$ ``[Y]`` (inputs ``[Y]`` each)."""
    agri = harvest / harvest_1928 * (1.0 - HERD_WEIGHT * (1.0 - herd))
    industry = jnp.exp(elasticity * jnp.log(jnp.maximum(steel, 1e-3) / steel_1928))
    return gdp_1928 * (agri_share * agri + (1.0 - agri_share) * industry)


def mechanisation(capacity: jax.Array, steel_1928: float) -> jax.Array:
    """Share of lost draught power that tractors from the plans' industry replace, 0..1.

    None at the 1928 steel capacity, all at :data:`TRACTOR_STEEL` Mt more.
    """
    return jnp.clip((capacity - steel_1928) / TRACTOR_STEEL, 0.0, 1.0)
