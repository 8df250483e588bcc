"""A slow NumPy reference of one month of the war slice (loops over powers, sectors,
divisions and weeks).

It mirrors :func:`abm.models.interwar.war.month.advance` (relations, reinforcement, the
fronts, the two allocations around the choice of attacks, the weekly battles on the
CDB90 kernel, the front's move, the will and the armistices, the tallies), written from
the docstrings of ``war/month.py`` and ``war/combat.py`` and not from their array code:
every step is an explicit Python loop over powers, sectors, divisions or weeks, where the
JAX month uses segment sums, gathers over padded neighbour tables, one ``searchsorted``
over all the powers' quotas and a ``scan`` over the weeks. That is why it is slow (a
second or so a month) and why it is a second opinion: the tests replay one month of the
JAX slice from the same state on the same draws and compare the two.

It reads only the month's tables (:class:`~abm.models.interwar.war.month.Tables`, built
by ``build_tables``), the kernel's stored coefficients and the package's constants.

Precision: float64, except where an integer is cut from a float. There the reference
repeats the JAX month's float32 operations in the same order, since those values sit on
exact ties by construction: a field strength given as divisions times their men, or a
small state's mobilised share against the 0.08 its slots are sized with, is often an
exact multiple of a slot's men (the count of new divisions, :func:`reinforce`), a
division's persons and the allocation's quotas are floors and roundings of float32
products (:func:`allocate`, whose want total is summed by the same pairwise tree as
``abm.engine.exact.fixed_sum``), and a sector whose control runs out after exactly four
open weeks has ``left == 0`` (:func:`move_front`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from abm.models.interwar.war import powers as PW
from abm.models.interwar.war.combat import ATTACKER, CONDITIONS, DEFENDER, WarKernel
from abm.models.interwar.war.month import WEEKS, Tables

F32 = np.float32
#: Effectiveness groups, in ``Tables.eff_group``'s order.
GROUPS = PW.EFFECTIVENESS
#: JAX's ``exact.exp`` clips its argument to float32's normal range.
EXP_LOW, EXP_HIGH = -87.3, 88.0


def _exp(x: float) -> float:
    return math.exp(min(max(x, EXP_LOW), EXP_HIGH))


def _neighbours(tb: Tables, k: int) -> list[int]:
    """Sector ``k``'s neighbours (the table is padded with ``K``)."""
    n_k = len(tb.width)
    return [int(j) for j in tb.neighbours[k] if j < n_k]


def _slots(tb: Tables, q: int) -> list[int]:
    """Power ``q``'s division slots, in slot order."""
    return [u for u in range(len(tb.slot_owner)) if tb.slot_owner[u] == q]


# ------------------------------------------------------------------------ relations
def relations(
    at_war: np.ndarray, ally: np.ndarray, surrendered: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(war, friend ``[P, P]``, fighting ``[P]``) among the powers still in the war.

    Two active powers are at war where history says so; a power is its own friend, and
    two active powers not at war are friends where they are declared allies or share an
    enemy.
    """
    n = len(surrendered)
    active = [int(surrendered[i]) < 0 for i in range(n)]
    war = np.zeros((n, n), bool)
    for i in range(n):
        for j in range(n):
            war[i, j] = bool(at_war[i, j]) and active[i] and active[j]
    friend = np.zeros((n, n), bool)
    for i in range(n):
        for j in range(n):
            if i == j:
                friend[i, j] = True
            elif active[i] and active[j] and not war[i, j]:
                shared = any(war[i, e] and war[j, e] for e in range(n))
                friend[i, j] = bool(ally[i, j]) or shared
    fighting = np.array([any(war[i, j] for j in range(n)) for i in range(n)], bool)
    return war, friend, fighting


# ------------------------------------------------------------------------ reinforcement
def reinforce(
    state: dict[str, Any], tb: Tables, t: int, fighting: np.ndarray, p: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(men, alive, sector, added per power): each power's men move towards its field
    strength, topping its divisions up to their establishment first, then filling its
    free slots (in slot order) with new divisions, in reserve. float32 throughout: the
    count of new divisions is a floor of a ratio that is often an exact integer."""
    n_p, n_k = len(tb.people), len(tb.width)
    alive0 = np.asarray(state["alive"], bool)
    men = np.where(alive0, np.asarray(state["men"], F32), F32(0.0)).astype(F32)
    alive = alive0.copy()
    sector = np.asarray(state["sector"], np.int32).copy()
    added = np.zeros(n_p, np.float64)
    fs = F32(p["war_field_share"])
    for q in range(n_p):
        if not fighting[q]:
            target = F32(0.0)
        elif tb.minor[q]:
            target = F32(p["war_minor_mobilisation"]) * F32(tb.people[q])
        else:
            lo = F32(tb.men_lo[t, q]) * (fs if tb.men_lo_total[t, q] else F32(1.0))
            hi = F32(tb.men_hi[t, q]) * (fs if tb.men_hi_total[t, q] else F32(1.0))
            w = F32(tb.men_weight[t, q])
            target = (F32(1.0) - w) * lo + w * hi
        mine = _slots(tb, q)
        now = F32(0.0)
        for u in mine:
            if alive0[u]:
                now = now + men[u]
        pace = F32(p["war_refill"]) if float(state["mobilised"][q]) > 0.0 else F32(1.0)
        gap = max(target - now, F32(0.0)) * pace
        est = F32(tb.slot_men[q])
        short = F32(0.0)
        for u in mine:
            if alive0[u]:
                short = short + max(est - men[u], F32(0.0))
        top = min(gap, short)
        if short > 0.0:
            fill = top / short
            for u in mine:
                if alive0[u]:
                    men[u] = men[u] + max(est - men[u], F32(0.0)) * fill
        rest = gap - top
        # Whole divisions in integer persons (the float32 products, rounded half to even).
        n_new = int(np.round(F32(rest) * F32(1000.0))) // int(np.round(est * F32(1000.0)))
        made = 0
        for u in mine:
            if made >= n_new:
                break
            if not alive0[u]:
                alive[u], men[u], sector[u] = True, est, n_k
                made += 1
        added[q] = float(top) + made * float(est)
    return men, alive, sector, added


# ------------------------------------------------------------------------ fronts and demand
def fronts(
    holder: np.ndarray, tb: Tables, war: np.ndarray, friend: np.ndarray, fighting: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(defend, attack ``[P, K]``): a fighting power defends, on its reachable fronts, the
    sectors held by it or a friend next to one held by its enemy, and can attack its
    enemy's sectors next to one held by it or a friend."""
    n_p, n_k = len(tb.people), len(tb.width)
    defend = np.zeros((n_p, n_k), bool)
    attack = np.zeros((n_p, n_k), bool)
    for q in range(n_p):
        if not fighting[q]:
            continue
        for k in range(n_k):
            if not tb.reach[q, k]:
                continue
            h = int(holder[k])
            nbs = _neighbours(tb, k)
            if friend[q, h] and any(war[q, int(holder[j])] for j in nbs):
                defend[q, k] = True
            if war[q, h] and any(friend[q, int(holder[j])] for j in nbs):
                attack[q, k] = True
    return defend, attack


def demand(defend: np.ndarray, attack: np.ndarray, tb: Tables, p: dict[str, float]) -> np.ndarray:
    """float32 ``[P, 2K]``: ``war_offence_weight`` times the km of each sector attacked,
    then the km of each sector defended (float32, as the allocation's quotas are cut
    from it)."""
    n_p, n_k = defend.shape
    want = np.zeros((n_p, 2 * n_k), F32)
    ow = F32(p["war_offence_weight"])
    for q in range(n_p):
        for k in range(n_k):
            if attack[q, k]:
                want[q, k] = ow * F32(tb.width[k])
            if defend[q, k]:
                want[q, n_k + k] = F32(tb.width[k])
    return want


def men_by_sector(men: np.ndarray, alive: np.ndarray, sector: np.ndarray, tb: Tables) -> np.ndarray:
    """float64 ``[P, K]``: each power's men placed in each sector (reserve left out)."""
    n_p, n_k = len(tb.people), len(tb.width)
    out = np.zeros((n_p, n_k), np.float64)
    for u in range(len(men)):
        if alive[u] and sector[u] < n_k:
            out[int(tb.slot_owner[u]), int(sector[u])] += float(men[u])
    return out


def choose_attacks(
    attack: np.ndarray,
    held: np.ndarray,
    holder: np.ndarray,
    tb: Tables,
    friend: np.ndarray,
    p: dict[str, float],
) -> np.ndarray:
    """bool ``[P, K]``: the attackable sectors where the power's men in the sector's
    neighbours reach its doctrine's ratio times the sector's defenders (the holder's and
    its friends' men there, at least a thousand), times one plus the fortification."""
    n_p, n_k = held.shape
    ratio = [float(p[f"war_attack_ratio_{g}"]) for g in GROUPS]
    chosen = np.zeros((n_p, n_k), bool)
    for k in range(n_k):
        h = int(holder[k])
        guards = sum(held[q, k] for q in range(n_p) if friend[q, h])
        guards = max(guards, 1.0) * (1.0 + float(tb.fortification[k]))
        for q in range(n_p):
            if not attack[q, k]:
                continue
            near = sum(held[q, j] for j in _neighbours(tb, k))
            chosen[q, k] = near >= ratio[int(tb.eff_group[q])] * guards
    return chosen


# ------------------------------------------------------------------------ allocation
def _tree_sum(x: np.ndarray) -> np.float32:
    """A float32 sum by the pairwise tree of ``exact.fixed_sum`` (zeros to a power of two,
    then halves), so that the quotas' floors see the same total."""
    width = 1 << (len(x) - 1).bit_length()
    v = np.zeros(width, F32)
    v[: len(x)] = x
    while len(v) > 1:
        half = len(v) // 2
        v = (v[:half] + v[half:]).astype(F32)
    return F32(v[0])


def allocate(
    men: np.ndarray,
    alive: np.ndarray,
    owner: np.ndarray,
    want: np.ndarray,
    reserve: float,
    columns: np.ndarray | None = None,
    n_sectors: int | None = None,
) -> np.ndarray:
    """int32 ``[U]``: each division's sector (``K``: reserve), by a walk over each power's
    quotas.

    A power's men, in whole persons, are cut into quotas: the floor of ``(1 - reserve)``
    of them times each column's share of its ``want``, in column order, the remainder to
    its reserve (all of them where it wants nothing); column ``m`` stands for sector
    ``columns[m]`` (default: column ``m`` is sector ``m``). Its divisions, in slot order,
    are laid end to end along those quotas, and each goes to the quota holding the
    middle person of its men.
    """
    n_p, n_m = want.shape
    cols = np.arange(n_m) if columns is None else np.asarray(columns)
    n_k = n_m if n_sectors is None else int(n_sectors)
    sector = np.full(len(men), n_k, np.int32)
    res = F32(reserve)
    for q in range(n_p):
        mine = [u for u in range(len(men)) if owner[u] == q and alive[u]]
        persons = {u: int(np.round(F32(men[u]) * F32(1000.0))) for u in mine}
        total = sum(persons.values())
        wsum = _tree_sum(np.asarray(want[q], F32))
        front = (F32(1.0) - res) if wsum > 0.0 else F32(0.0)
        scale = front * F32(total)
        quotas = []
        for k in range(n_m):
            share = F32(want[q, k]) / max(wsum, F32(1e-6))
            quotas.append(math.floor(share * scale))
        quotas.append(total - sum(quotas))  # the reserve's
        # Walk: the quota ``i`` holds the persons [ends[i-1], ends[i]).
        i, end, pos = 0, quotas[0], 0
        for u in mine:
            middle = pos + persons[u] // 2
            while i < len(quotas) and end <= middle:
                i += 1
                end += quotas[i] if i < len(quotas) else 0
            sector[u] = int(cols[i]) if i < n_m else n_k
            pos += persons[u]
    return sector


# ------------------------------------------------------------------------ battles
def engagement_week(
    attacker: float,
    defender: float,
    cond: dict[str, float],
    z: tuple[float, float],
    u: float,
    kern: WarKernel,
    days: float,
) -> tuple[float, float, bool, bool]:
    """A week in one sector on the CDB90 kernel: (attacker's and defender's surviving
    shares, the attacker won, engaged). Not engaged unless both sides are there."""
    if not (attacker > 0.0 and defender > 0.0):
        return 1.0, 1.0, False, False
    a, d = max(attacker, 1e-3), max(defender, 1e-3)
    x = [
        1.0,
        math.log(a) - math.log(d),
        0.5 * (math.log(a) + math.log(d)) + math.log(1000.0 / kern.size_unit),
        math.log(days),
    ] + [cond[name] for name in CONDITIONS]

    def linear(coef: tuple[float, ...]) -> float:
        return sum(c * v for c, v in zip(coef, x, strict=True))

    sd_a, sd_d = kern.residual_sd
    rho = kern.residual_corr
    e_a = sd_a * z[0]
    e_d = sd_d * (rho * z[0] + math.sqrt(1.0 - rho * rho) * z[1])
    rate_a = _exp(linear(kern.attacker) + e_a)
    rate_d = _exp(linear(kern.defender) + e_d)
    p_win = 1.0 / (1.0 + _exp(-linear(kern.win)))
    return _exp(-rate_a * days), _exp(-rate_d * days), u < p_win, True


def fight(
    men: np.ndarray,
    alive: np.ndarray,
    sector: np.ndarray,
    holder: np.ndarray,
    tb: Tables,
    friend: np.ndarray,
    eff_power: list[float],
    opening: np.ndarray,
    winter: float,
    noise: np.ndarray,
    u: np.ndarray,
    kern: WarKernel,
    p: dict[str, float],
) -> dict[str, Any]:
    """The month's battles, sector by sector and week by week.

    In each sector the divisions of the holder and its friends defend, the others
    attack; ``war_engaged`` of each division's men fight. Four weeks of
    ``war_combat_days / 4`` days each on the sides' totals; each division loses its
    side's share. A sector attacked and not defended counts four won weeks.
    """
    n_p, n_k = len(tb.people), len(tb.width)
    engaged_share = float(p["war_engaged"])
    side = np.full(len(men), -1, np.int32)
    strength = np.zeros((2, n_k))
    eff_sum = np.zeros((2, n_k))
    mobile = np.zeros((2, n_k))
    tanks = np.zeros((2, n_k))
    sudden = np.zeros(n_k)
    attacker_men = np.zeros((n_p, n_k))
    for v in range(len(men)):
        if not (alive[v] and sector[v] < n_k):
            continue
        k, q = int(sector[v]), int(tb.slot_owner[v])
        s = DEFENDER if friend[q, int(holder[k])] else ATTACKER
        side[v] = s
        e = float(men[v]) * engaged_share
        strength[s, k] += e
        eff_sum[s, k] += e * eff_power[q]
        if int(tb.slot_kind[v]) in PW.MOBILE:
            mobile[s, k] += e
        tanks[s, k] += e * PW.TANKS_PER_THOUSAND[int(tb.slot_kind[v])]
        if s == ATTACKER and opening[q, int(holder[k])]:
            sudden[k] += e
        if s == ATTACKER:
            attacker_men[q, k] += float(men[v])
    days = float(p["war_combat_days"]) / WEEKS
    kept = np.ones((2, n_k))
    weeks_won = np.zeros(n_k)
    mobile_share = np.zeros(n_k)
    for k in range(n_k):
        att, dfn = strength[ATTACKER, k], strength[DEFENDER, k]
        eff = eff_sum[ATTACKER, k] / max(att, 1e-6) - eff_sum[DEFENDER, k] / max(dfn, 1e-6)
        mobile_share[k] = mobile[ATTACKER, k] / max(att, 1e-6)
        cond = dict.fromkeys(CONDITIONS, 0.0)
        cond["prepared_defence"] = 1.0 if tb.fortification[k] >= 0.5 else 0.0
        cond["effectiveness"] = eff
        # ln of tanks (+1) per man, the attacker's over the defender's (CDB90's armour).
        cond["armour"] = math.log((tanks[ATTACKER, k] + 1.0) / (max(att, 1e-6) * 1000.0)) - (
            math.log((tanks[DEFENDER, k] + 1.0) / (max(dfn, 1e-6) * 1000.0))
        )
        cond["surprise"] = float(p["war_opening_surprise"]) * sudden[k] / max(att, 1e-6)
        cond["rugged_terrain"] = float(tb.rugged[k])
        cond["winter"] = winter * float(tb.winter_front[k])
        won = 0
        for w in range(WEEKS):
            keep_a, keep_d, win, _ = engagement_week(
                att * kept[ATTACKER, k],
                dfn * kept[DEFENDER, k],
                cond,
                (float(noise[w, 0, k]), float(noise[w, 1, k])),
                float(u[w, k]),
                kern,
                days,
            )
            kept[ATTACKER, k] *= keep_a
            kept[DEFENDER, k] *= keep_d
            won += int(win)
        weeks_won[k] = float(WEEKS) if (att > 0.0 and dfn <= 0.0) else float(won)
    after = np.asarray(men, np.float64).copy()
    casualties = np.zeros(n_p)
    for v in range(len(men)):
        if side[v] < 0:
            continue
        loss = float(men[v]) * engaged_share * (1.0 - kept[side[v], int(sector[v])])
        after[v] -= loss
        casualties[int(tb.slot_owner[v])] += loss
    return {
        "men": after,
        "casualties": casualties,
        "weeks_won": weeks_won,
        "attacking": strength[ATTACKER] > 0.0,
        "mobile_share": mobile_share,
        "attacker_men": attacker_men,
    }


# ------------------------------------------------------------------------ the front
def move_front(
    holder: np.ndarray, control: np.ndarray, b: dict[str, Any], tb: Tables, p: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(holder, control, fallen): each won week takes ``war_advance (0.5 +
    infrastructure) (1 + war_mobility mobile share)`` of the sector's control; a sector
    attacked whose control runs out in a won week passes to the attacking power with the
    most men there, at full control (float32: four open weeks may use up exactly 1)."""
    n_k = len(holder)
    holder = np.asarray(holder, np.int32).copy()
    control = np.asarray(control, F32).copy()
    fallen = np.zeros(n_k, bool)
    for k in range(n_k):
        step = F32(p["war_advance"]) * (F32(0.5) + F32(tb.infrastructure[k]))
        step = step * (F32(1.0) + F32(p["war_mobility"]) * F32(b["mobile_share"][k]))
        left = control[k] - step * F32(b["weeks_won"][k])
        if b["attacking"][k] and left <= 0.0 and b["weeks_won"][k] > 0.0:
            fallen[k] = True
            column = b["attacker_men"][:, k]
            holder[k] = int(np.argmax(column))  # the first of equals
            control[k] = F32(1.0)
        else:
            control[k] = min(max(left, F32(0.0)), F32(1.0))
    return holder, control, fallen


def will(
    holder: np.ndarray, control: np.ndarray, tb: Tables, friend: np.ndarray, cw: float
) -> tuple[np.ndarray, np.ndarray]:
    """(will ``[P]``, people lost by each power to each holder ``[P, P]``).

    Per the docstring of ``month.will``: a sector of a power's 1939 land counts as lost
    in the share its holder does not hold (``1 - control``), or wholly where a non-friend
    holds it; the capital held by a non-friend takes ``cw`` more off.
    """
    n_p = len(tb.people)
    lost = np.zeros(n_p)
    to = np.zeros((n_p, n_p))
    for k in range(len(holder)):
        own, h = int(tb.owner_1939[k]), int(holder[k])
        people = float(tb.sector_people[k])
        if h == own or friend[own, h]:
            lost[own] += people * (1.0 - float(control[k]))
        else:
            lost[own] += people
            to[own, h] += people
    out = np.zeros(n_p)
    for q in range(n_p):
        cap = int(tb.capital[q])
        cap_lost = cap >= 0 and not friend[q, int(holder[cap])]
        out[q] = 1.0 - lost[q] / float(tb.people[q]) - cw * float(cap_lost)
    return out, to


def hand_over(
    holder: np.ndarray,
    quits: np.ndarray,
    lost_to: np.ndarray,
    placed: np.ndarray,
    tb: Tables,
    war: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Holders after the armistices: each sector still held by a power that quits goes
    to the enemy with the most men in it and its neighbours, else (no enemy men near)
    to the enemy that took most of the quitting power's people (the first of equals).

    Returns:
        (holder int32 ``[K]``, how int8 ``[K]``: 0 kept, 1 handed to the enemy near,
        2 to the enemy that took most people).
    """
    n_p = len(tb.people)
    out = np.asarray(holder, np.int32).copy()
    how = np.zeros(len(holder), np.int8)
    for k in range(len(holder)):
        h = int(holder[k])
        if not quits[h]:
            continue
        enemies = [q for q in range(n_p) if war[q, h]]
        if not enemies:
            continue
        best, best_men = -1, 0.0
        for q in enemies:
            near = placed[q, k] + sum(placed[q, j] for j in _neighbours(tb, k))
            if near > best_men:
                best, best_men = q, near
        how[k] = 1
        if best < 0:
            best, most = enemies[0], lost_to[h, enemies[0]]
            for q in enemies[1:]:
                if lost_to[h, q] > most:
                    best, most = q, lost_to[h, q]
            how[k] = 2
        out[k] = best
    return out, how


# ------------------------------------------------------------------------ the month
def advance(
    state: dict[str, Any],
    tb: Tables,
    kern: WarKernel,
    quality: float,
    p: dict[str, float],
    noise: np.ndarray,
    u: np.ndarray,
) -> dict[str, Any]:
    """One month from ``state`` (field name to NumPy value) on the draws ``noise [W, 2,
    K]`` and ``u [W, K]``; returns the next state's fields (and ``will``, ``quits``)."""
    t = int(state["month"])
    n_p, n_k = len(tb.people), len(tb.width)
    owner = np.asarray(tb.slot_owner)
    # Annexations this month.
    holder = np.asarray(state["holder"], np.int32).copy()
    control = np.asarray(state["control"], F32).copy()
    for k in range(n_k):
        if tb.annex[t, k] >= 0:
            holder[k], control[k] = int(tb.annex[t, k]), F32(1.0)
    war, friend, fighting = relations(tb.at_war[t], tb.ally[t], state["surrendered"])
    men, alive, _, added = reinforce(state, tb, t, fighting, p)
    defend, can_attack = fronts(holder, tb, war, friend, fighting)
    nothing = np.zeros_like(can_attack)
    reserve = float(p["war_reserve_share"])
    cols = np.concatenate([np.arange(n_k), np.arange(n_k)])
    first = allocate(men, alive, owner, demand(defend, nothing, tb, p), reserve, cols, n_k)
    held = men_by_sector(men, alive, first, tb)
    attack = choose_attacks(can_attack, held, holder, tb, friend, p)
    sector = allocate(men, alive, owner, demand(defend, attack, tb, p), reserve, cols, n_k)
    ussr = (quality - p["war_soviet_quality_offset"]) / p["quality_per_effectiveness"]
    group_eff = {
        "other": 0.0,
        "germany": p["war_effectiveness_germany"],
        "west": p["war_effectiveness_west"],
        "japan": p["war_effectiveness_japan"],
        "ussr": ussr,
    }
    eff_power = [float(group_eff[GROUPS[int(g)]]) for g in tb.eff_group]
    b = fight(
        men,
        alive,
        sector,
        holder,
        tb,
        friend,
        eff_power,
        np.asarray(tb.opening[t]),
        float(tb.winter[t]),
        noise,
        u,
        kern,
        p,
    )
    holder, control, fallen = move_front(holder, control, b, tb, p)
    for v in range(len(sector)):
        if sector[v] < n_k and fallen[sector[v]]:
            sector[v] = n_k  # back to reserve from a sector taken
    # Will and armistices.
    w, lost_to = will(holder, control, tb, friend, float(p["war_capital_weight"]))
    quits = np.array(
        [
            bool(tb.collapses[q])
            and bool(fighting[q])
            and int(state["surrendered"][q]) < 0
            and w[q] < p["war_collapse_threshold"]
            for q in range(n_p)
        ],
        bool,
    )
    before = holder.copy()
    placed = men_by_sector(b["men"], alive, sector, tb)
    holder, handed = hand_over(holder, quits, lost_to, placed, tb, war)
    control = np.where(holder != before, F32(1.0), control)
    men_after = b["men"].copy()
    disbanded = np.asarray(state["disbanded"], np.float64).copy()
    for v in range(len(men_after)):
        if alive[v] and quits[int(owner[v])]:
            disbanded[int(owner[v])] += men_after[v]
            men_after[v] = 0.0
            alive[v] = False
    surrendered = np.asarray(state["surrendered"], np.int32).copy()
    for q in range(n_p):
        if quits[q]:
            surrendered[q] = t
    # Tallies and events.
    dead = float(p["war_dead_share"]) * b["casualties"]
    g, r = int(tb.gmy), int(tb.rus)
    sg_war = bool(war[g, r])
    soviet_german = int(state["soviet_german_month"])
    if soviet_german < 0 and sg_war:
        soviet_german = t
    losses = np.asarray(state["losses_1941"], np.float64).copy()
    if sg_war and int(tb.year[t]) == 1941:
        losses += [dead[r], b["casualties"][r] - dead[r], dead[g]]

    def first_month(old: int, now: bool) -> int:
        return t if (old < 0 and now) else old

    red = [k for k in range(n_k) if holder[k] == r]
    return {
        "month": t + 1,
        "men": men_after,
        "sector": np.where(alive, sector, n_k).astype(np.int32),
        "alive": alive,
        "holder": holder,
        "control": control,
        "surrendered": surrendered,
        "mobilised": np.asarray(state["mobilised"], np.float64) + added,
        "casualties": np.asarray(state["casualties"], np.float64) + b["casualties"],
        "dead": np.asarray(state["dead"], np.float64) + dead,
        "disbanded": disbanded,
        "losses_1941": losses,
        "soviet_german_month": soviet_german,
        "red_army_germany_month": first_month(
            int(state["red_army_germany_month"]), any(tb.german[k] for k in red)
        ),
        "red_army_rhine_month": first_month(
            int(state["red_army_rhine_month"]), any(tb.rhine[k] for k in red)
        ),
        "weeks_won": b["weeks_won"],
        # Diagnostics (not state).
        "will": w,
        "quits": quits,
        "attack": attack,
        "fallen": fallen,
        "handed": handed,
    }
