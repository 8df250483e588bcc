"""One month of the China slice: the draws, then a pure function of state and draws.

Parameter names below drop the ``china_`` prefix of the catalogue.

Growth rates are per month and discrete (the men are multiplied by ``1 + rate``): no
exponential or logarithm on the CCP's path, whose last bits would otherwise depend on
whether the compiler vectorises the loop that computes them (which differs between
differently fused programs, and a run's bits must not).

* **The soviets** (``soviet_delay`` months after the KMT's purge, which the Soviet slice
  publishes; until then the surviving party neither grows nor fights): the CCP's Red
  Army starts at ``army_per_member`` men per surviving party member and grows
  logistically, ``soviet_growth (1 - men / soviet_ceiling)`` a month.
* **The government's forces**: the KMT's central army and the regional militarists
  together move towards China's men under arms (COW ``milper`` of the year, less the
  CCP's) over ``replace_months``; ``unification`` of the militarists' share passes to
  the KMT each month (its share starts at ``kmt_share_1928``).
* **Encirclement campaigns** (from ``campaign_year``, while there is no united front):
  with chance ``campaign_hazard`` a month the KMT sends ``campaign_share`` of its men
  against the CCP's base; the Red Army, concentrated, meets ``engaged`` of them (one
  column at a time) with all its men, at an effectiveness
  advantage ``learning - ccp_edge`` (``learning`` grows ``kmt_learning`` per month of
  campaign), on the CDB90 kernel over ``combat_days``. A KMT win drives the Red Army
  out of its soviets with chance ``breakout_prob min(learning / ccp_edge, 1)`` (the
  noose tightens as the KMT learns): the Long March, ``march_months``
  long, loses ``march_loss`` of the men a month (counted among the civil war's
  casualties); then the northwest, where the army
  grows ``northwest_growth`` a month. The campaigns go on there until a united front.
* **Manchuria**: from ``manchuria_open``, with chance ``manchuria_hazard`` times the
  KMT's share of the government's men a month, Japan's army strikes; for
  ``manchuria_months`` its ``manchuria_force`` fights the militarists (``engaged`` of
  each side's men, Japan attacking at ``japan_edge``) and takes Manchuria and Rehe
  (``manchuria_share`` of China's people) month by month.
* **The full-scale war**: once the war over Manchuria is over, with chance
  ``war_hazard (1 + war_front_effect front)`` a month (``front`` 1 under a united
  front). Japan brings ``japan_commit`` of its men under arms into China over
  ``war_buildup`` months; each month ``engaged`` of each side fights, Japan attacking
  at ``japan_edge - front_effect front - aid_effect aid`` (``aid`` the Soviet
  leadership's ``china_aid``, which also accumulates as aid-months); a Japanese win
  takes ``war_advance`` of the ground left to ``occupation_limit``.
* **The Second United Front**: once the Red Army is in the northwest or the war has
  begun, with chance ``front_hazard line pressure`` a month, ``line`` the Soviet
  leadership's ``china_front_line`` and ``pressure`` the share of China Japan holds
  over Manchuria's (at most 3). It ends the campaigns.
* **The CCP in the war**: its armies grow ``war_ccp_growth`` times the share occupied
  over the limit (behind Japan's lines), logistically towards ``war_ceiling``; the
  party's membership moves with its armies (the month's growth factor, published to the
  Soviet slice, which owns ``ccp_members``), times ``1 + party_drift`` in the war.
* **Casualties** (thousand) accumulate per war and side; ``dead_share`` of them are the
  dead (applied in the outcomes: a sum of products would let the compiler contract it
  differently in differently fused programs, and a run's bits must not depend on that).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from abm.models.interwar.china import actors as A
from abm.models.interwar.china.types import ChinaDraws, ChinaState
from abm.models.interwar.combat import kernel_battle, kernel_survival
from abm.models.interwar.frontiers.theatres import Kernel

#: Pressure (share held over Manchuria's) at which the front's chance stops rising.
MAX_PRESSURE = 3.0

#: The mechanism parameters a month reads, by catalogue name.
PARAMS = (
    "china_army_per_member",
    "china_soviet_growth",
    "china_soviet_ceiling",
    "china_soviet_delay",
    "china_campaign_hazard",
    "china_campaign_share",
    "china_ccp_edge",
    "china_kmt_learning",
    "china_breakout_prob",
    "china_march_months",
    "china_march_loss",
    "china_northwest_growth",
    "china_unification",
    "china_replace_months",
    "china_engaged",
    "china_combat_days",
    "china_manchuria_hazard",
    "china_manchuria_months",
    "china_manchuria_force",
    "china_manchuria_share",
    "china_japan_edge",
    "china_war_hazard",
    "china_war_front_effect",
    "china_japan_commit",
    "china_war_buildup",
    "china_war_advance",
    "china_occupation_limit",
    "china_front_hazard",
    "china_front_effect",
    "china_aid_effect",
    "china_war_ccp_growth",
    "china_war_ceiling",
    "china_party_drift",
)


class Inputs(NamedTuple):
    """This month's inputs (scalars).

    Attributes:
        purged: bool, the KMT's purge of the CCP has happened (before this month).
        members: the CCP's members at the start of the month.
        front_line: the Soviet leadership's united-front line for the CCP, 0..1.
        aid: its will to arm China, 0..1.
        china_men, japan_men: men under arms this year, thousand (COW ``milper``).
        campaign_month, manchuria_month: int32, first months of the campaigns and of
            Japan's chance to strike in Manchuria.
        record: bool ``[3]``, which ``ccp_army`` records this month's end fills.
    """

    purged: jax.Array
    members: jax.Array
    front_line: jax.Array
    aid: jax.Array
    china_men: jax.Array
    japan_men: jax.Array
    campaign_month: jax.Array
    manchuria_month: jax.Array
    record: jax.Array


def draw_month(key: jax.Array) -> ChinaDraws:
    """The month's draws from the slice's month key."""
    k_dec, k_attr = jax.random.split(key)
    return ChinaDraws(
        decision=jax.random.uniform(k_dec, (len(A.DECISIONS),), jnp.float32),
        attrition=jax.random.normal(k_attr, (len(A.BATTLES), len(A.WAR_SIDES)), jnp.float32),
    )


def advance(
    state: ChinaState, kern: Kernel, inp: Inputs, p: dict[str, jax.Array], d: ChinaDraws
) -> ChinaState:
    """One month of one run."""
    t = state.month
    u = d.decision
    s = state.strength
    phase0 = state.ccp_phase

    # The soviets begin soviet_delay months after the purge.
    purge_month = jnp.where((state.purge_month < 0) & inp.purged, t, state.purge_month)
    waited = (t - purge_month).astype(jnp.float32) >= p["china_soviet_delay"]
    start = (phase0 == A.BEFORE_PURGE) & (purge_month >= 0) & waited
    ccp = jnp.where(start, inp.members * p["china_army_per_member"] / 1000.0, s[A.CCP])
    phase = jnp.where(start, A.SOVIETS, phase0)

    # The government's forces towards China's men under arms; unification.
    gov = s[A.KMT] + s[A.MILITARISTS]
    share = s[A.KMT] / jnp.maximum(gov, 1e-6)
    share = share + p["china_unification"] * (1.0 - share)
    gov = gov + (jnp.maximum(inp.china_men - ccp, 0.0) - gov) / p["china_replace_months"]
    kmt, mil = gov * share, gov * (1.0 - share)

    # Japan's decisions: Manchuria, then the full-scale war.
    strike = (
        (state.manchuria_month < 0)
        & (t >= inp.manchuria_month)
        & (u[0] < p["china_manchuria_hazard"] * share)
    )
    manchuria_month = jnp.where(strike, t, state.manchuria_month)
    since = (t - manchuria_month).astype(jnp.float32)
    manchuria_on = (manchuria_month >= 0) & (since < p["china_manchuria_months"])
    manchuria_over = (state.manchuria_month >= 0) & (since >= p["china_manchuria_months"])
    front0 = (state.front_month >= 0).astype(jnp.float32)
    invade = (
        (state.war_month < 0)
        & manchuria_over
        & (u[1] < p["china_war_hazard"] * (1.0 + p["china_war_front_effect"] * front0))
    )
    war_month = jnp.where(invade, t, state.war_month)
    at_war = war_month >= 0

    # Japan's men in China: the expeditionary force over Manchuria, then the war's.
    garrison = jnp.where(manchuria_month >= 0, p["china_manchuria_force"], 0.0)
    target = jnp.where(at_war, p["china_japan_commit"] * inp.japan_men, garrison)
    months = jnp.where(at_war, p["china_war_buildup"], 1.0)
    japan = s[A.JAPAN] + (target - s[A.JAPAN]) / months

    # The Second United Front.
    pressure = jnp.minimum(state.occupied / p["china_manchuria_share"], MAX_PRESSURE)
    eligible = (state.front_month < 0) & ((phase == A.NORTHWEST) | (at_war & (phase > 0)))
    unite = eligible & (u[2] < p["china_front_hazard"] * inp.front_line * pressure)
    front_month = jnp.where(unite, t, state.front_month)
    front = (front_month >= 0).astype(jnp.float32)

    # An encirclement campaign.
    days = p["china_combat_days"]
    civil = (
        ((phase == A.SOVIETS) | (phase == A.NORTHWEST))
        & (front_month < 0)
        & (t >= inp.campaign_month)
    )
    campaign = civil & (u[3] < p["china_campaign_hazard"])
    column = p["china_engaged"] * p["china_campaign_share"] * kmt
    s_att, s_def, c_won = kernel_survival(
        column,
        ccp,
        state.kmt_learning - p["china_ccp_edge"],
        d.attrition[A.CAMPAIGN],
        u[5],
        kern,
        days,
    )
    c_att = jnp.where(campaign, column * (1.0 - s_att), 0.0)
    # The Red Army engages all its men: it keeps the survivors' share.
    ccp_kept = jnp.where(campaign, s_def, 1.0)
    c_def = ccp * (1.0 - ccp_kept)
    kmt = kmt - c_att
    ccp = ccp * ccp_kept
    civil_cas = state.civil_cas + jnp.stack([c_att, c_def])
    learning = state.kmt_learning + jnp.where(campaign, p["china_kmt_learning"], 0.0)
    # The noose tightens as the KMT learns: the chance of a breakout after a lost month
    # grows with its learning over the Red Army's edge.
    noose = jnp.minimum(learning / jnp.maximum(p["china_ccp_edge"], 0.1), 1.0)
    breakout = campaign & c_won & (phase == A.SOVIETS) & (u[4] < p["china_breakout_prob"] * noose)
    march_month = jnp.where(breakout, t, state.march_month)

    # The war over Manchuria.
    engaged = p["china_engaged"]
    m_att, m_def, _ = kernel_battle(
        engaged * japan,
        engaged * mil,
        p["china_japan_edge"],
        d.attrition[A.MANCHURIA],
        u[6],
        kern,
        days,
    )
    m_att = jnp.where(manchuria_on, m_att, 0.0)
    m_def = jnp.where(manchuria_on, m_def, 0.0)
    japan = japan - m_att
    mil = mil - m_def
    manchuria_cas = state.manchuria_cas + jnp.stack([m_def, m_att])
    taken = p["china_manchuria_share"] * jnp.clip((since + 1.0) / p["china_manchuria_months"], 0, 1)
    occupied = jnp.where(manchuria_on, jnp.maximum(state.occupied, taken), state.occupied)

    # The full-scale war.
    edge = p["china_japan_edge"] - p["china_front_effect"] * front - p["china_aid_effect"] * inp.aid
    w_att, w_def, w_won = kernel_battle(
        engaged * japan,
        engaged * (kmt + mil),
        edge,
        d.attrition[A.WAR],
        u[7],
        kern,
        days,
    )
    w_att = jnp.where(at_war, w_att, 0.0)
    w_def = jnp.where(at_war, w_def, 0.0)
    japan = japan - w_att
    kmt_part = kmt / jnp.maximum(kmt + mil, 1e-6)
    kmt = kmt - w_def * kmt_part
    mil = mil - w_def * (1.0 - kmt_part)
    war_cas = state.war_cas + jnp.stack([w_def, w_att])
    limit = p["china_occupation_limit"]
    gained = p["china_war_advance"] * jnp.maximum(limit - occupied, 0.0)
    occupied = occupied + jnp.where(at_war & w_won, gained, 0.0)
    aid = state.aid + jnp.where(at_war, inp.aid, 0.0)

    # The CCP's growth: the soviets, the march, the northwest, behind Japan's lines.
    soviets = p["china_soviet_growth"] * (1.0 - ccp / p["china_soviet_ceiling"])
    behind = p["china_war_ccp_growth"] * jnp.minimum(occupied / limit, 1.0)
    behind = behind * (1.0 - ccp / p["china_war_ceiling"])
    rate = jnp.where(phase == A.SOVIETS, soviets, 0.0)
    rate = rate + jnp.where(phase == A.NORTHWEST, p["china_northwest_growth"], 0.0)
    rate = rate + jnp.where(at_war & (phase != A.BEFORE_PURGE), behind, 0.0)
    marching = phase == A.MARCH
    kept = jnp.where(marching, 1.0 - p["china_march_loss"], 1.0 + rate)
    lost = jnp.where(marching, ccp * p["china_march_loss"], 0.0)
    civil_cas = civil_cas + jnp.stack([jnp.float32(0.0), lost])
    ccp = ccp * kept
    marched = (phase == A.MARCH) & (
        (t - state.march_month).astype(jnp.float32) + 1.0 >= p["china_march_months"]
    )
    phase = jnp.where(breakout, A.MARCH, jnp.where(marched, A.NORTHWEST, phase))
    counted = phase0 != A.BEFORE_PURGE
    # The month's factor on the CCP's men (the same products, no division), and the
    # party's drift in the war.
    growth = ccp_kept * kept * jnp.where(at_war, 1.0 + p["china_party_drift"], 1.0)
    return ChinaState(
        month=t + 1,
        purge_month=purge_month,
        strength=jnp.stack([kmt, mil, ccp, japan]).clip(0.0),
        ccp_phase=phase.astype(jnp.int32),
        ccp_growth=jnp.where(counted, growth, 1.0),
        kmt_learning=learning,
        campaign_months=state.campaign_months + campaign.astype(jnp.int32),
        march_month=march_month,
        manchuria_month=manchuria_month,
        front_month=front_month,
        war_month=war_month,
        occupied=occupied,
        aid=aid,
        manchuria_cas=manchuria_cas,
        war_cas=war_cas,
        civil_cas=civil_cas,
        ccp_army=jnp.where(inp.record, ccp, state.ccp_army),
    )


__all__ = ["PARAMS", "Inputs", "advance", "draw_month"]
