"""One month of the war slice, for one run (``vmap`` adds runs).

In order (``docs/war_design.md`` section 2; step 1: declarations and men from history):

1. :func:`relations`: who is at war with whom this month (history's declarations, less
   the powers that asked for an armistice) and who fights beside whom (declared allies,
   and powers sharing an enemy while not at war with each other);
2. :func:`reinforce`: each power's men in the field move towards its historical field
   strength (``war_forces.csv``; a small state mobilises a share of its people when
   attacked): divisions are topped up to their establishment, then new ones fill the
   power's free slots (a prefix count over the free mask, no loop);
3. :func:`allocate`: each power's divisions are spread over the sectors it defends
   (held by it or a friend, facing an enemy) and attacks (held by an enemy, next to a
   friend's), in proportion to frontage times demand, by cumulative quotas and one
   ``searchsorted`` over all powers (integer persons, so the result does not depend on
   the batch);
4. :func:`fight`: each sector where attackers and defenders meet is a month of weekly
   engagements on the CDB90 kernel (:func:`abm.models.interwar.war.combat.sector_month`),
   with the sides' effectiveness and tanks per man, the surprise of a war's opening
   month, the sector's fortification, terrain and winter;
5. :func:`move_front`: won weeks (every week, where nobody defends) take the sector
   from its holder at a pace set by its infrastructure and the attacker's mobile share;
   a sector taken changes holder and the divisions in it go back to reserve;
6. :func:`collapse`: a power whose will (its 1939 people still held, less a weight if its
   capital is lost) falls below the threshold asks for an armistice: its divisions are
   disbanded and its remaining sectors pass to the enemy that took most of its people.
"""

import dataclasses

import jax
import jax.numpy as jnp

from abm.models.interwar.war import combat as C
from abm.models.interwar.war.battle import (
    WEEKS,
    Battle,
    Draws,
    draw_month,
    fight,
    hand_over,
    move_front,
    will,
)
from abm.models.interwar.war.deploy import (
    Fronts,
    Relations,
    allocate,
    choose_attacks,
    columns,
    demand,
    fronts,
    men_by_sector,
    reinforce,
    relations,
)
from abm.models.interwar.war.tables import Tables, build_tables, initial_state
from abm.models.interwar.war.types import WarState

#: The parameters :func:`advance` reads (the slice passes them by name).
PARAMS = (
    "war_field_share",
    "war_minor_mobilisation",
    "war_refill",
    "war_offence_weight",
    "war_reserve_share",
    "war_attack_ratio_other",
    "war_attack_ratio_germany",
    "war_attack_ratio_west",
    "war_attack_ratio_japan",
    "war_attack_ratio_ussr",
    "war_engaged",
    "war_combat_days",
    "war_effectiveness_germany",
    "war_effectiveness_west",
    "war_effectiveness_japan",
    "war_soviet_quality_offset",
    "quality_per_effectiveness",
    "war_dead_share",
    "war_opening_surprise",
    "war_advance",
    "war_mobility",
    "war_collapse_threshold",
    "war_capital_weight",
)


def advance(
    state: WarState,
    tb: Tables,
    kern: C.WarKernel,
    quality: jax.Array,
    p: dict[str, jax.Array],
    d: Draws,
) -> WarState:
    """One month of one run from its start (``state.month >= start``).

    Args:
        state: the start-of-month state.
        tb: :func:`build_tables`.
        kern: the CDB90 kernel.
        quality: the Red Army's command quality this month, 0..1 (the Soviet slice's).
        p: :data:`PARAMS` by name, float32 scalars.
        d: :func:`draw_month`.
    """
    t = state.month
    n_p, n_k = tb.people.shape[0], tb.width.shape[0]
    owner = jnp.asarray(tb.slot_owner)
    annex = jnp.asarray(tb.annex)[t]
    holder = jnp.where(annex >= 0, annex, state.holder)
    control = jnp.where(annex >= 0, 1.0, state.control)
    rel = relations(jnp.asarray(tb.at_war)[t], jnp.asarray(tb.ally)[t], state.surrendered)
    men, alive, sector, added = reinforce(state, tb, rel, p)
    fr = fronts(holder, tb, rel)
    none = jnp.zeros_like(fr.attack)
    cols, rs = jnp.asarray(columns(n_k)), p["war_reserve_share"]
    guarding = allocate(men, alive, owner, demand(fr, none, tb, p), cols, rs, n_k)
    attack = choose_attacks(fr, men_by_sector(men, alive, guarding, tb), holder, tb, rel, p)
    sector = allocate(men, alive, owner, demand(fr, attack, tb, p), cols, rs, n_k)
    ussr = (quality - p["war_soviet_quality_offset"]) / p["quality_per_effectiveness"]
    eff_group = jnp.stack(
        [
            jnp.float32(0.0),
            p["war_effectiveness_germany"],
            p["war_effectiveness_west"],
            p["war_effectiveness_japan"],
            ussr,
        ]
    )
    eff_power = eff_group[jnp.asarray(tb.eff_group)]
    winter = jnp.asarray(tb.winter)[t]
    opening = jnp.asarray(tb.opening)[t]
    b = fight(men, alive, sector, holder, tb, rel, eff_power, opening, winter, d, kern, p)
    holder, control, fallen = move_front(holder, control, b, tb, p)
    sector = jnp.where(fallen[jnp.minimum(sector, n_k - 1)] & (sector < n_k), n_k, sector)
    # Collapse: the will of each power still fighting.
    w, to = will(holder, control, tb, rel, p["war_capital_weight"])
    quits = (
        jnp.asarray(tb.collapses)
        & rel.fighting
        & (state.surrendered < 0)
        & (w < p["war_collapse_threshold"])
    )
    before = holder
    holder = hand_over(holder, quits, to, men_by_sector(b.men, alive, sector, tb), tb, rel)
    control = jnp.where(holder != before, 1.0, control)
    gone = alive & quits[owner]
    disbanded = jax.ops.segment_sum(jnp.where(gone, b.men, 0.0), owner, num_segments=n_p)
    men = jnp.where(gone, 0.0, b.men)
    alive = alive & ~gone
    surrendered = jnp.where(quits, t, state.surrendered)
    # Events and tallies.
    dead = p["war_dead_share"] * b.casualties
    sg_war = rel.war[tb.gmy, tb.rus]
    soviet_german = jnp.where(
        (state.soviet_german_month < 0) & sg_war, t, state.soviet_german_month
    )
    in_1941 = sg_war & (jnp.asarray(tb.year)[t] == 1941)
    losses = jnp.stack(
        [dead[tb.rus], b.casualties[tb.rus] - dead[tb.rus], dead[tb.gmy]]
    ) * in_1941.astype(jnp.float32)
    red = holder == tb.rus

    def first(old: jax.Array, now: jax.Array) -> jax.Array:
        return jnp.where((old < 0) & now, t, old)

    return dataclasses.replace(
        state,
        month=t + 1,
        men=men,
        sector=jnp.where(alive, sector, n_k),
        alive=alive,
        holder=holder,
        control=control,
        surrendered=surrendered,
        mobilised=state.mobilised + added,
        casualties=state.casualties + b.casualties,
        dead=state.dead + dead,
        disbanded=state.disbanded + disbanded,
        losses_1941=state.losses_1941 + losses,
        soviet_german_month=soviet_german,
        red_army_germany_month=first(
            state.red_army_germany_month, jnp.any(red & jnp.asarray(tb.german))
        ),
        red_army_rhine_month=first(
            state.red_army_rhine_month, jnp.any(red & jnp.asarray(tb.rhine))
        ),
        weeks_won=b.weeks_won,
    )


__all__ = [
    "PARAMS",
    "WEEKS",
    "Battle",
    "Draws",
    "Fronts",
    "Relations",
    "Tables",
    "advance",
    "allocate",
    "build_tables",
    "choose_attacks",
    "columns",
    "demand",
    "draw_month",
    "fight",
    "fronts",
    "hand_over",
    "initial_state",
    "men_by_sector",
    "move_front",
    "reinforce",
    "relations",
    "will",
]
