"""The national grain economy: the villages' market, the state pool and its priorities.

Per month (equations in ``docs/ODD.md``, "Collectivisation and famine", "The grain
economy"):

* *Market*: a village eats its own stock first, rationed to the next harvest
  (``own = min(need, stock / months_to_harvest)``). Villages with more than their need
  offer ``open * (ration - need)`` on the market; villages short of it buy pro rata up
  to what is offered (``open`` = ``market_nep`` under the NEP and once rationing has
  ended, the kolkhoz market's opening times the relief in the drive).
* *State pool*: procurement flows in; out go, in this order, the towns and the army,
  the deficit villages' remaining gap times their access (1 except in a region singled
  out by the drive), and the month's export tranche as far as the pool holds more than
  the towns' and the villages' need (this month's or the last year's rate, whichever is
  higher) to the next harvest. The villages get at most their allotment of the state's
  grain balance to the harvest: what the pool holds after the towns' month and still
  expects from the campaign, less the towns' need for the months after this one, spread
  evenly over the months left (``allot = max(left + expected - towns * (m - 1), 0) / m``),
  so that a short year is shared out over the months to the harvest instead of emptying
  the pool in early summer. What is left loses ``pool_loss`` a year (spoilage, other
  uses).

Everything is per run, grain in Mt, people in millions; region arrays are ``[R]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_sum

#: Months over which a harvest's procurement is collected and its exports are shipped:
#: August to January (the 1932 campaign's last deliveries came in January 1933, Davies &
#: Wheatcroft 2004, "The Years of Hunger", ch. 6-7). Assumption on the even spread.
CAMPAIGN_MONTHS = 6
#: Urban population in January 1924, millions: between the 1923 urban census (21.6 M)
#: and the 1926 census (26.3 M), Lorimer 1946, "The Population of the Soviet Union".
URBAN_1924 = 23.2


@dataclass(frozen=True)
class Market:
    """The month's village market (Mt, ``[R]`` each)."""

    own: jax.Array  # eaten from the village's own stock
    bought: jax.Array  # bought from other villages
    sold: jax.Array  # sold to other villages
    gap: jax.Array  # need still unmet after the market


def market(stock: jax.Array, need: jax.Array, months_left: jax.Array, open_: jax.Array) -> Market:
    """Villages eat their own grain, then trade their surplus to the deficit villages.

    Args:
        stock: village stock available this month, Mt ``[R]``.
        need: the month's food and fodder need, Mt ``[R]``.
        months_left: months to the next harvest including this one (1..12).
        open_: share of the surplus beyond need that is offered, 0..1.
    """
    ration = stock / months_left.astype(jnp.float32)
    own = jnp.minimum(need, ration)
    gap = need - own
    offer = open_ * jnp.maximum(ration - need, 0.0)
    demand, supply = fixed_sum(gap), fixed_sum(offer)
    traded = jnp.minimum(demand, supply)
    bought = gap * traded / jnp.maximum(demand, 1e-9)
    sold = offer * traded / jnp.maximum(supply, 1e-9)
    return Market(own=own, bought=bought, sold=sold, gap=gap - bought)


@dataclass(frozen=True)
class Supply:
    """The month's outflows of the state pool (Mt)."""

    towns: jax.Array  # to the towns and the army (scalar)
    villages: jax.Array  # to each deficit village ``[R]``
    exports: jax.Array  # shipped abroad (scalar)
    lost: jax.Array  # spoiled or used otherwise (scalar)
    pool: jax.Array  # left in the pool at the end of the month (scalar)


def supply(
    pool: jax.Array,
    towns: jax.Array,
    village_gap: jax.Array,
    access: jax.Array,
    exports: jax.Array,
    pool_loss: jax.Array,
    months_left: jax.Array,
    villages_year: jax.Array,
    expected: jax.Array,
) -> Supply:
    """The pool's supply by priority: the towns, the villages (by access), exports.

    Args:
        pool: state pool after the month's procurement, Mt.
        towns: the towns' and the army's need of the month, Mt.
        village_gap: the villages' unmet need after the market, Mt ``[R]``.
        access: the share of each village's gap the state will meet, 0..1 ``[R]``.
        exports: the month's export tranche, Mt.
        pool_loss: losses and other uses, per year.
        months_left: months to the next harvest including this one (float32).
        villages_year: the pool's supply to the villages over the last year, Mt.
        expected: grain the campaign has still to deliver after this month, Mt.
    """
    to_towns = jnp.minimum(towns, pool)
    left = pool - to_towns
    asked = village_gap * access
    demand = fixed_sum(asked)
    # The grain balance to the harvest (the state's quarterly allocation plans): the
    # villages' allotment keeps the towns' need for the months after this one.
    allot = jnp.maximum(left + expected - towns * (months_left - 1.0), 0.0) / months_left
    fed = jnp.minimum(jnp.minimum(demand, allot), left)
    villages = asked * fed / jnp.maximum(demand, 1e-9)
    left = jnp.maximum(left - fixed_sum(villages), 0.0)
    # Exports only from what the pool holds beyond the towns' and the villages' need (this
    # month's or the last year's rate, whichever is higher) to the next harvest.
    keep = (towns + jnp.maximum(demand, villages_year / 12.0)) * (months_left - 1.0)
    shipped = jnp.minimum(exports, jnp.maximum(left - keep, 0.0))
    left = left - shipped
    lost = left * (1.0 - jnp.exp(-pool_loss / 12.0))
    return Supply(towns=to_towns, villages=villages, exports=shipped, lost=lost, pool=left - lost)


def urban_population(
    years_since_1924: jax.Array,
    capacity: jax.Array,
    steel_1924: float,
    urban_growth: jax.Array,
    urban_per_steel: jax.Array,
) -> jax.Array:
    """Town population to be fed, millions: natural increase plus industry's recruits.

    ``URBAN_1924 * exp(urban_growth * years) + urban_per_steel * max(capacity - steel_1924, 0)``
    """
    return URBAN_1924 * jnp.exp(urban_growth * years_since_1924) + recruits(
        capacity, steel_1924, urban_per_steel
    )


def recruits(capacity: jax.Array, steel_1924: float, urban_per_steel: jax.Array) -> jax.Array:
    """Industry's recruits from the villages so far, millions.

    ``urban_per_steel * max(capacity - steel_1924, 0)``: the town dwellers the plans'
    industry has drawn from the villages (they leave the peasant blocs, :mod:`.agriculture`).
    """
    return urban_per_steel * jnp.maximum(capacity - steel_1924, 0.0)
