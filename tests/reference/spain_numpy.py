"""A slow NumPy reference of one month of the Spain slice (plain floats and loops).

Written from the mechanism's description in ``docs/ODD.md`` section 7.22 (the front of
brigade-sized units on ten sectors), not from the JAX code: it replays a month on the
same draws, one unit and one sector at a time, and the tests compare the two. It reads
only the data (the sectors, the July 1936 units, the owners' sides, the factions), the
front's constants and the combat kernel's stored coefficients; the kernel's weekly
arithmetic (``war/combat.py``'s ``engagement_week``, four weeks a month on the sectors'
totals) is written out here again.

Besides the state, :func:`advance` returns ``near_edge``: the smallest distance (relative
where the operands are large) of any of the month's decisions from its threshold (a
draw against a probability, an argmax's runner-up, a unit's rank against a share, a
control share against a front's cut-off...). Float32 against float64 may decide such a
knife edge either way; the tests draw another case there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain import sectors as SE
from abm.models.interwar.spain import units as UN
from abm.models.interwar.war import combat as C
from abm.models.interwar.war import combat_fit

#: Weight of the effectiveness advantage in an attack's score (ODD 7.22: ``0.5 E_own``).
ATTACK_WEIGHT = 0.5
#: Weekly engagements a month (ODD 7.22: four of ``combat_days / 4`` days).
WEEKS = 4
N_FAC = len(F.FACTIONS)
#: A unit's sector when it is on no front.
NOWHERE = SE.N_SECTORS
#: The side of an empty slot's owner.
NO_SIDE = 2


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class _Edges:
    """The month's distances from its knife edges."""

    def __init__(self) -> None:
        self.gaps: list[float] = [math.inf]

    def __call__(self, a: float, b: float) -> None:
        self.gaps.append(abs(a - b) / max(1.0, abs(a), abs(b)))

    def add(self, gap: float) -> None:
        self.gaps.append(gap)


def control_at_rising(h: float) -> list[float]:
    """The July 1936 map scaled so that the people held add up to ``h``.

    The islands keep their share and are never fought over, so the mainland's share is
    what makes the total ``h``; below the mainland map's own share every sector's share
    is scaled by the ratio, above it every Republican share.
    """
    sec = SE.sector_data()
    pop = [float(x) for x in sec.population]
    c0 = [float(x) for x in sec.control_1936]
    can = [bool(x) for x in sec.contestable]
    k_all = range(len(pop))
    p_front = sum(pop[k] for k in k_all if can[k])
    islands = sum(c0[k] * pop[k] for k in k_all if not can[k])
    h_map = sum(c0[k] * pop[k] for k in k_all if can[k]) / p_front
    want = min(max((h * sum(pop) - islands) / p_front, 0.0), 1.0)
    out = []
    for k in k_all:
        if not can[k]:
            out.append(c0[k])
        elif want <= h_map:
            out.append(c0[k] * want / h_map)
        else:
            out.append(1.0 - (1.0 - c0[k]) * (1.0 - want) / (1.0 - h_map))
    return out


def _week(
    att: float,
    dfn: float,
    cond: dict[str, float],
    z0: float,
    z1: float,
    u: float,
    days: float,
    edge: _Edges,
) -> tuple[float, float, bool]:
    """One weekly engagement on the CDB90 kernel: (attacker's and defender's surviving
    shares, the attacker won)."""
    kern = C.kernel()
    a, d = max(att, 1e-3), max(dfn, 1e-3)
    x = {
        "intercept": 1.0,
        "log_force_ratio": math.log(a) - math.log(d),
        "log_size": 0.5 * (math.log(a) + math.log(d)) + math.log(1000.0 / kern.size_unit),
        "log_days": math.log(days),
        **cond,
    }
    cols = combat_fit.COLUMNS

    def linear(coef: tuple[float, ...]) -> float:
        return sum(c * x[name] for c, name in zip(coef, cols, strict=True))

    rho = kern.residual_corr
    e_a = kern.residual_sd[0] * z0
    e_d = kern.residual_sd[1] * (rho * z0 + math.sqrt(1.0 - rho * rho) * z1)
    keep_a = math.exp(-math.exp(linear(kern.attacker) + e_a) * days)
    keep_d = math.exp(-math.exp(linear(kern.defender) + e_d) * days)
    p_win = _sig(linear(kern.win))
    edge(u, p_win)
    return keep_a, keep_d, u < p_win


def _open_fronts(control: list[float], attacker: list[int], edge: _Edges) -> list[float]:
    """A side under SNAP of a sector loses it; a sector one side holds entirely opens to
    a foothold of the other where the other attacked this month in a neighbouring sector
    and now holds OPEN_AT of it (one pass: a foothold opens nothing further)."""
    sec = SE.sector_data()
    can = [bool(x) for x in sec.contestable]
    c = list(control)
    for k in range(len(c)):
        if can[k] and 0.0 < c[k] < 1.0:
            edge(c[k], SE.SNAP)
            edge(c[k], 1.0 - SE.SNAP)
            if c[k] < SE.SNAP:
                c[k] = 0.0
            elif c[k] > 1.0 - SE.SNAP:
                c[k] = 1.0
    # The sectors where a side's attack has reached the far edge (the other side's at most
    # 1 - OPEN_AT left there).
    reached: list[list[int]] = [[], []]
    for j in range(len(c)):
        if can[j] and attacker[j] < NO_SIDE:
            share = control[j] if attacker[j] == 1 else 1.0 - control[j]
            edge(share, SE.OPEN_AT)
            if share >= SE.OPEN_AT:
                reached[attacker[j]].append(j)
    out = list(c)
    for k in range(len(c)):
        if not can[k]:
            continue
        if c[k] == 0.0 and any(sec.adjacency[k, j] for j in reached[1]):
            out[k] = SE.FOOTHOLD
        elif c[k] == 1.0 and any(sec.adjacency[k, j] for j in reached[0]):
            out[k] = 1.0 - SE.FOOTHOLD
    return out


def _held(control: list[float]) -> float:
    pop = [float(x) for x in SE.sector_data().population]
    return sum(c * n for c, n in zip(control, pop, strict=True)) / sum(pop)


def _faction_men(men: list[float], owner: list[int], alive: list[bool]) -> list[float]:
    out = [0.0] * N_FAC
    for m, o, a in zip(men, owner, alive, strict=True):
        if a and o < N_FAC:
            out[o] += m
    return out


def _zones(control: list[float], edge: _Edges) -> tuple[list[list[bool]], list[list[bool]]]:
    """Each side's reach and pockets (ODD 7.22, "pockets"), with loops.

    A side links the contestable sectors where it holds at least ``LINK`` of the people;
    its main zone is the connected group of them (land neighbours) with the most of its
    people (the group of the lowest sector index on a tie); it reaches the contested
    sectors in or next to its main zone, and its pockets are the other contestable
    sectors where it holds anyone. A side that links nothing reaches every contested
    sector and has no pockets.
    """
    sec = SE.sector_data()
    n = len(sec.names)
    can = [bool(x) for x in sec.contestable]
    pop = [float(x) for x in sec.population]
    adj = [[bool(sec.adjacency[i, j]) for j in range(n)] for i in range(n)]
    front = [can[k] and 0.0 < control[k] < 1.0 for k in range(n)]
    reach: list[list[bool]] = []
    pocket: list[list[bool]] = []
    for s in (0, 1):
        share = [1.0 - c if s == 0 else c for c in control]
        links = []
        for k in range(n):
            if can[k]:
                edge(share[k], SE.LINK)
            links.append(can[k] and share[k] >= SE.LINK)
        # Connected groups by a breadth-first search from each unvisited sector.
        group = [-1] * n
        for k in range(n):
            if links[k] and group[k] < 0:
                group[k] = k
                todo = [k]
                while todo:
                    i = todo.pop()
                    for j in range(n):
                        if adj[i][j] and links[j] and group[j] < 0:
                            group[j] = k
                            todo.append(j)
        if not any(links):
            reach.append(front[:])
            pocket.append([False] * n)
            continue
        people = {
            g: sum(share[k] * pop[k] for k in range(n) if group[k] == g)
            for g in set(group)
            if g >= 0
        }
        ranked = sorted(people.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(ranked) > 1:
            edge(ranked[0][1], ranked[1][1])
        main = ranked[0][0]
        in_main = [group[k] == main for k in range(n)]
        near = [in_main[k] or any(adj[k][j] and in_main[j] for j in range(n)) for k in range(n)]
        reach.append([front[k] and near[k] for k in range(n)])
        pocket.append([can[k] and share[k] > 0.0 and not near[k] for k in range(n)])
    return reach, pocket


def _war_month(
    t: int,
    state: dict[str, Any],
    inp: dict[str, Any],
    p: dict[str, float],
    d: dict[str, Any],
    edge: _Edges,
) -> dict[str, Any]:
    """The war's month (ODD 7.22, steps 1-7, the cohesion, the clash, the repression and
    the end), the war on before it."""
    sec = SE.sector_data()
    n_sec = len(sec.names)
    pop = [float(x) for x in sec.population]
    rugged = [float(x) for x in sec.rugged]
    owner_side = [int(x) for x in UN.owner_side()]
    fac_side = [int(x) for x in F.faction_data().side]
    members = [[f for f in range(N_FAC) if fac_side[f] == s] for s in (0, 1)]

    held, cohesion = float(state["held"]), float(state["cohesion"])
    control = [float(x) for x in state["control"]]
    men = [float(x) for x in state["unit_men"]]
    owner = [int(x) for x in state["unit_owner"]]
    alive = [bool(x) for x in state["unit_alive"]]
    n_units = len(men)
    months = float(t - int(state["war_month"]))

    # 1. Foreign troops arrive into their contingents (slots 0..3, one per donor).
    will = [
        p["spain_italy_rate"],
        p["spain_germany_rate"] * float(inp["nazi"]),
        p["spain_ussr_rate"] * inp["aid"],
        p["spain_brigades_rate"] * inp["aid"],
    ]
    foreign = [float(x) + w for x, w in zip(state["foreign"], will, strict=True)]
    for i, w in enumerate(will):
        men[i] += w
        alive[i] = alive[i] or men[i] > 0.0

    # 2. Mobilisation: each side's own men grow a 1/months share of the gap to the
    # target; whole brigades in free slots, the rest to the side's brigades by men.
    fac_men = _faction_men(men, owner, alive)
    free = [i for i in range(UN.N_DONOR_SLOTS, n_units) if not alive[i]]
    base = [i for i in range(n_units) if alive[i] and owner[i] < N_FAC]
    new_slots: list[list[int]] = []
    rest = [0.0, 0.0]
    for s in (0, 1):
        own = sum(fac_men[f] for f in members[s])
        target = p["spain_mobilisation"] * (held if s == 1 else 1.0 - held) * F.POPULATION
        growth = max(target - own, 0.0) / p["spain_mobilisation_months"]
        q = growth / UN.BRIGADE
        if target > own:
            edge.add(
                abs(q - round(q))
                * UN.BRIGADE
                * p["spain_mobilisation_months"]
                / max(1.0, target, own)
            )
        n_new = min(math.floor(q), len(free) - sum(len(x) for x in new_slots))
        start = sum(len(x) for x in new_slots)
        new_slots.append(free[start : start + n_new])
        rest[s] = growth - n_new * UN.BRIGADE
    side_total = [0.0, 0.0]
    for i in base:
        side_total[owner_side[owner[i]]] += men[i]
    for i in base:
        s = owner_side[owner[i]]
        if side_total[s] > 0.0:
            men[i] += rest[s] * men[i] / side_total[s]
    for s in (0, 1):
        total = sum(fac_men[f] for f in members[s])
        for r, i in enumerate(new_slots[s]):
            x = (r + 0.5) / len(new_slots[s])
            pick = members[s][0]
            if total > 0.0:
                cum = 0.0
                for f in members[s]:
                    cum += fac_men[f] / total
                    if fac_men[f] > 0.0:
                        edge(x, cum)
                    if x < cum:
                        pick = f
                        break
                else:
                    pick = members[s][-1]
            owner[i], men[i], alive[i] = pick, UN.BRIGADE, True

    side = [owner_side[o] for o in owner]
    # Each side's reach and pockets; units cut off in a pocket stay there (placed in the
    # war's first month: a side's last units in slot order, as many as its people in
    # pockets over its people in the sectors it reaches or is cut off in, in proportion
    # to the people in each pocket).
    reach, pocket = _zones(control, edge)
    prev = [int(x) for x in state["unit_sector"]]
    pinned = [NOWHERE] * n_units
    if t == int(state["war_month"]) + 1:
        for s in (0, 1):
            people = [(1.0 - control[k] if s == 0 else control[k]) * pop[k] for k in range(n_sec)]
            cut = sum(people[k] for k in range(n_sec) if pocket[s][k])
            held_s = sum(people[k] for k in range(n_sec) if pocket[s][k] or reach[s][k])
            if cut <= 0.0:
                continue
            share = cut / max(held_s, 1e-6)
            mine = [i for i in range(n_units) if alive[i] and side[i] == s]
            for r, i in enumerate(mine):
                x = (r + 0.5) / len(mine)
                edge(x, 1.0 - share)
                if x < 1.0 - share:
                    continue
                y = (x - (1.0 - share)) / share
                cum, pick = 0.0, NOWHERE
                for k in range(n_sec):
                    if pocket[s][k]:
                        cum += people[k] / cut
                        edge(y, cum)
                        if pick == NOWHERE and y < cum:
                            pick = k
                if pick == NOWHERE:
                    pick = max(k for k in range(n_sec) if pocket[s][k])
                pinned[i] = pick
    else:
        for i in range(n_units):
            if alive[i] and side[i] < NO_SIDE and prev[i] < n_sec and pocket[side[i]][prev[i]]:
                pinned[i] = prev[i]

    # 3. The offensives: a contested sector with probability in proportion to the people
    # to take over one plus the defender's men there last month (thousand, before last
    # month's battles: state front_men), by the inverse of the cumulative weights.
    last = np.asarray(state["front_men"], np.float64)
    offensive = [NOWHERE, NOWHERE]
    u_pick = [float(x) for x in d["offensive"]]
    for s in (0, 1):
        front = [k for k in range(n_sec) if reach[s][k]]
        if not front:
            continue
        weight = [0.0] * n_sec
        for k in front:
            take = control[k] * pop[k] if s == 0 else (1.0 - control[k]) * pop[k]
            weight[k] = take / (1.0 + float(last[1 - s][k]))
        total = sum(weight)
        goal = u_pick[s] * total
        cum = 0.0
        pick = front[-1]
        for k in range(n_sec):
            cum += weight[k]
            if weight[k] > 0.0:
                edge(cum, goal)
            if cum > goal and weight[k] > 0.0:
                pick = k
                break
        offensive[s] = pick

    # 4. The allocation: units cut off stay; each side's other alive units in slot order
    # (the response only where the side reaches the other's offensive).
    sector = [pinned[i] if alive[i] else NOWHERE for i in range(n_units)]
    for s in (0, 1):
        front = [k for k in range(n_sec) if reach[s][k]]
        if not front:
            continue
        other = offensive[1 - s]
        conc = p["spain_concentration"] if offensive[s] != NOWHERE else 0.0
        resp = p["spain_response"] if other != NOWHERE and reach[s][other] else 0.0
        used = min(conc + resp, 0.95)
        mine = [i for i in range(n_units) if alive[i] and side[i] == s and pinned[i] == NOWHERE]
        for r, i in enumerate(mine):
            x = (r + 0.5) / len(mine)
            edge(x, conc)
            edge(x, used)
            if x < conc:
                sector[i] = offensive[s]
            elif x < used:
                sector[i] = other
            else:
                q = (x - used) / (1.0 - used) * len(front)
                if q > 0.5:
                    edge(q, round(q))
                sector[i] = front[min(int(q), len(front) - 1)]

    # 5. The effectiveness advantage and who attacks where.
    gap = (foreign[0] + foreign[1] - foreign[2] - foreign[3]) / 10.0
    eff = (
        p["spain_effectiveness_start"] * math.exp(-months / p["spain_army_months"])
        + p["spain_aid_effect"] * gap
        + p["spain_cohesion_effect"] * (1.0 - cohesion)
    )
    at = [[0.0] * n_sec for _ in (0, 1)]
    for i in range(n_units):
        if alive[i] and side[i] < NO_SIDE and sector[i] < n_sec:
            at[side[i]][sector[i]] += men[i]
    attacker = [NO_SIDE] * n_sec
    threshold = p["spain_attack_threshold"]
    for k in range(n_sec):
        if not (at[0][k] > 0.0 and at[1][k] > 0.0):
            continue
        nat = math.log(at[1][k] / at[0][k]) + ATTACK_WEIGHT * eff
        side_score = [-nat, nat]
        wants = []
        for s in (0, 1):
            if offensive[s] == k:
                edge(side_score[s], threshold)
                wants.append(side_score[s] >= threshold)
            else:
                wants.append(False)
        if wants[0] and wants[1]:
            edge(side_score[1], side_score[0])
            attacker[k] = 1 if side_score[1] >= side_score[0] else 0
        elif wants[1]:
            attacker[k] = 1
        elif wants[0]:
            attacker[k] = 0

    # 6. The battles: one engagement in each side's offensive sector (one where the two
    # are the same), engaged of every unit's men there, four weeks on the kernel.
    days = float(np.float32(p["spain_combat_days"]) / np.float32(WEEKS))
    noise = np.asarray(d["combat_noise"], np.float64)
    u_win = np.asarray(d["combat_u"], np.float64)
    casualties = [0.0, 0.0]
    weeks_won = [0] * n_sec
    for e in (0, 1):
        k = offensive[e]
        if k == NOWHERE or attacker[k] == NO_SIDE or (e == 1 and k == offensive[0]):
            continue
        a = attacker[k]
        first = [p["spain_engaged"] * at[a][k], p["spain_engaged"] * at[1 - a][k]]
        cond = {name: 0.0 for name in C.CONDITIONS}
        cond["effectiveness"] = eff if a == 1 else -eff
        cond["rugged_terrain"] = rugged[k]
        cond["winter"] = float(inp["winter"])
        kept = [1.0, 1.0]
        for w in range(WEEKS):
            ka, kd, won = _week(
                first[0] * kept[0],
                first[1] * kept[1],
                cond,
                float(noise[w, 0, e]),
                float(noise[w, 1, e]),
                float(u_win[w, e]),
                days,
                edge,
            )
            kept = [kept[0] * ka, kept[1] * kd]
            weeks_won[k] += int(won)
        casualties[a] += first[0] * (1.0 - kept[0])
        casualties[1 - a] += first[1] * (1.0 - kept[1])
        for i in range(n_units):
            if alive[i] and side[i] < NO_SIDE and sector[i] == k:
                share = kept[0] if side[i] == a else kept[1]
                men[i] -= p["spain_engaged"] * men[i] * (1.0 - share)

    # 7. Ground: each week won takes sector_advance of the sector's people (up to all
    # the defender holds there); a pocket without its side's men falls.
    step = p["spain_sector_advance"]
    for k in range(n_sec):
        if attacker[k] == 1:
            control[k] = min(control[k] + step * weeks_won[k], 1.0)
        elif attacker[k] == 0:
            control[k] = max(control[k] - step * weeks_won[k], 0.0)
    for k in range(n_sec):
        if pocket[0][k] and at[0][k] <= 0.0:
            control[k] = 1.0
        elif pocket[1][k] and at[1][k] <= 0.0:
            control[k] = 0.0
    control = _open_fronts(control, attacker, edge)
    new_held = _held(control)
    died = [1000.0 * p["spain_dead_share"] * c for c in casualties]
    for i in range(n_units):
        if alive[i] and i >= UN.N_DONOR_SLOTS:
            edge(men[i], UN.MIN_MEN)
            if men[i] < UN.MIN_MEN:
                alive[i] = False
        # Units cut off in a pocket their side has lost surrender.
        if alive[i] and pinned[i] != NOWHERE:
            kept = 1.0 - control[pinned[i]] if side[i] == 0 else control[pinned[i]]
            if kept <= 0.0:
                alive[i] = False
        if not alive[i]:
            men[i] = 0.0

    # The Republic's cohesion, and the clash inside it (once).
    fac_men = _faction_men(men, owner, alive)
    republic = sum(fac_men[f] for f in members[0])
    dissidents = (fac_men[F.POUM] + fac_men[F.CNT]) / max(republic, 1e-6)
    r = inp["repression"]
    target = p["spain_cohesion_start"] + p["spain_centralisation"] * r
    target = min(max(target - p["spain_resentment"] * r * dissidents, 0.0), 1.0)
    cohesion += (target - cohesion) / 12.0
    killed = [0.0, 0.0]
    out: dict[str, Any] = {}
    if int(state["may_days_month"]) < 0:
        u_clash = float(d["decision"][2])
        edge(u_clash, p["spain_clash_rate"] * r)
        if u_clash < p["spain_clash_rate"] * r:
            out["may_days_month"] = t
            for i in range(n_units):
                if owner[i] == F.POUM:
                    alive[i], men[i] = False, 0.0
                elif owner[i] == F.CNT and alive[i]:
                    men[i] *= 1.0 - p["spain_clash_cnt_loss"]
            cohesion *= 1.0 - p["spain_clash_cohesion_loss"]
            killed[0] += p["spain_clash_deaths"]

    # Repression in both rearguards.
    killed[1] += 1000.0 * p["spain_nationalist_terror"] * max(new_held - held, 0.0) * F.POPULATION
    killed[0] += (
        1000.0
        * p["spain_republican_terror"]
        * (1.0 - cohesion)
        * (1.0 - new_held)
        * F.POPULATION
        * math.exp(-months / p["spain_terror_months"])
    )

    # The end.
    end = p["spain_end_share"]
    edge(new_held, 1.0 - end)
    edge(new_held, end)
    if new_held > 0.5:
        edge(cohesion, p["spain_collapse_cohesion"])
    if new_held >= 1.0 - end or (cohesion < p["spain_collapse_cohesion"] and new_held > 0.5):
        out["winner"], out["end_month"] = F.NATIONALISTS_WON, t
    elif new_held <= end:
        out["winner"], out["end_month"] = F.REPUBLIC_WON, t

    out.update(
        held=new_held,
        cohesion=cohesion,
        foreign=np.array(foreign),
        died=died,
        killed=killed,
        control=np.array(control),
        unit_men=np.array(men),
        unit_owner=np.array(owner, np.int64),
        unit_alive=np.array(alive),
        unit_sector=np.array([s if a else NOWHERE for s, a in zip(sector, alive, strict=True)]),
        attacker=np.array(attacker, np.int64),
        casualties=np.array(casualties),
        weeks_won=np.array(weeks_won),
        offensive=np.array(offensive),
        front_men=np.array(at),
    )
    return out


def advance(
    state: dict[str, Any], inp: dict[str, Any], p: dict[str, float], d: dict[str, Any]
) -> dict[str, Any]:
    """One month; ``state`` and the result map field names to NumPy values.

    The result adds ``near_edge`` (see the module's docstring) and, in a war's month,
    ``casualties`` (thousand per side), ``weeks_won`` (per sector) and ``offensive``
    (each side's sector).
    """
    edge = _Edges()
    t = int(state["month"])
    out: dict[str, Any] = {
        k: (np.array(v).item() if np.ndim(v) == 0 else np.array(v)) for k, v in state.items()
    }
    u, z = [float(x) for x in d["decision"]], float(d["vote"])

    # The election.
    if t == inp["election_month"]:
        p_front = _sig(
            p["spain_front_intercept"] + p["spain_front_line"] * (inp["front_line"] - 0.5)
        )
        edge(u[0], p_front)
        front = u[0] < p_front
        loss = 0.0 if front else p["spain_split_vote_loss"]
        left = min(max(p["spain_left_vote"] + p["spain_vote_sd"] * z - loss, 0.0), 1.0)
        right = min(max(1.0 - left - p["spain_centre_vote"], 0.0), 1.0)
        seats = F.SEATS * _sig(p["spain_seat_bonus"] * (left - loss - right) + p["spain_seat_bias"])
        if front:
            out["popular_front_month"] = t
        out["left_vote"], out["left_seats"] = left, seats

    # The rising: the war's units and map if it neither fails nor wins outright.
    killed = [0.0, 0.0]
    if (
        t == inp["rising_month"]
        and float(state["left_seats"]) > 0
        and int(state["war_month"]) < 0
        and int(state["winner"]) == 0
    ):
        left_gov = float(state["left_seats"]) > F.SEATS / 2
        edge(float(state["left_seats"]), F.SEATS / 2)
        p_rising = p["spain_rising_left"] if left_gov else p["spain_rising_right"]
        edge(u[1], p_rising)
        if u[1] < p_rising:
            out["rising_month"] = t
            hold0 = min(max(p["spain_hold_mean"] + p["spain_hold_sd"] * z, 0.0), 1.0)
            fails = p["spain_rising_fails"]
            edge(hold0, fails)
            edge(hold0, 1.0 - fails)
            if fails <= hold0 <= 1.0 - fails:
                units = UN.unit_data()
                out.update(
                    war_month=t,
                    held=hold0,
                    cohesion=p["spain_cohesion_start"],
                    control=np.array(control_at_rising(hold0)),
                    unit_men=np.array(units.men, np.float64),
                    unit_owner=np.array(units.owner, np.int64),
                    unit_alive=np.array(units.alive),
                )
                killed[1] += 1000.0 * p["spain_nationalist_terror"] * hold0 * F.POPULATION

    fighting = int(state["war_month"]) >= 0 and int(state["winner"]) == 0
    died = [0.0, 0.0]
    if fighting:
        war = _war_month(t, state, inp, p, d, edge)
        killed = [a + b for a, b in zip(killed, war.pop("killed"), strict=True)]
        died = war.pop("died")
        out.update(war)
    else:
        # No front this month: nobody is anywhere, nobody attacks.
        out["unit_sector"] = np.full(len(out["unit_men"]), NOWHERE)
        out["attacker"] = np.full(len(out["control"]), NO_SIDE)
    out.update(
        month=t + 1,
        strength=np.array(
            _faction_men(
                [float(x) for x in out["unit_men"]],
                [int(x) for x in out["unit_owner"]],
                [bool(x) for x in out["unit_alive"]],
            )
        ),
        # The month's dead join the totals next month (ODD 7.22, "the tallies").
        battle_dead=np.array(state["battle_dead"], np.float64) + state["month_dead"][0],
        repression=np.array(state["repression"], np.float64) + state["month_dead"][1],
        month_dead=np.array([died, killed]),
        near_edge=min(edge.gaps),
    )
    return out
