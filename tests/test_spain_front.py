"""The Spanish front's pieces (``spain/front.py``): the July 1936 map scaled to the people
the rising holds, fronts closing and opening, the units' allocation, men conserved by
mobilisation, and battles only where a side attacks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.models.interwar.spain import factions as F
from abm.models.interwar.spain import front as FR
from abm.models.interwar.spain import sectors as SE
from abm.models.interwar.spain import units as UN
from abm.models.interwar.war.combat import kernel

SEC = SE.sector_data()
K = SE.N_SECTORS


def test_the_sector_table_is_spain_in_1930():
    """Ten sectors, 23.5 million people (the 1930 census: 23.68 million with Ceuta and
    Melilla), the rising's map holding about 39 % (El Nacional: 30 % after 18 July; a
    textbook: 10 of 24 million), Madrid and the Nationalist heartland neighbours."""
    assert K == 10 and SEC.names[0] == "north"
    assert 23_000 < SEC.population.sum() < 23_700
    share = float((SEC.population * SEC.control_1936).sum() / SEC.population.sum())
    assert 0.3 < share < 0.45, share
    i, j = SEC.names.index("madrid"), SEC.names.index("old_castile")
    assert SEC.adjacency[i, j] and SEC.adjacency[j, i]
    assert not SEC.contestable[SEC.names.index("islands")]


@pytest.mark.parametrize("held", [0.1, 0.25, 0.386, 0.5, 0.8])
def test_the_july_map_is_scaled_to_the_people_held(held):
    c = np.asarray(SE.control_at_rising(jnp.float32(held), SEC))
    assert np.all((c >= 0) & (c <= 1))
    np.testing.assert_allclose(float(SE.held_share(jnp.asarray(c), SEC)), held, atol=2e-3)
    # The map's order is kept: a sector more Nationalist in July stays so.
    front = SEC.contestable
    order = np.argsort(SEC.control_1936[front], kind="stable")
    assert np.all(np.diff(c[front][order]) >= -1e-6)


def test_fronts_close_on_lost_sectors_and_open_behind_them():
    names = SEC.names
    c = np.zeros(K, np.float32)
    c[names.index("islands")] = 0.9
    c[names.index("aragon")] = 0.995  # the Republic's last 0.5 % of Aragon: lost
    c[names.index("old_castile")] = 0.5
    c[names.index("north")] = 1.0  # the Nationalists' since an earlier month
    att = np.full(K, 2, np.int32)
    att[names.index("aragon")] = 1  # the Nationalists' offensive took it
    att[names.index("old_castile")] = 1
    out = np.asarray(SE.open_fronts(jnp.asarray(c), jnp.asarray(att), SEC))
    assert out[names.index("aragon")] == 1.0
    # The front reached Aragon's edge: Catalonia and the Levante, behind it, open.
    assert out[names.index("catalonia")] == pytest.approx(SE.FOOTHOLD)
    assert out[names.index("levante")] == pytest.approx(SE.FOOTHOLD)
    # And New Castile, Aragon's neighbour too; Old Castile is only half the
    # Nationalists': no front into Madrid.
    assert out[names.index("new_castile")] == pytest.approx(SE.FOOTHOLD)
    assert out[names.index("madrid")] == 0.0
    assert out[names.index("north")] == 1.0 and out[names.index("islands")] == pytest.approx(0.9)
    # Next month, without an advance, nothing opens: not Aragon from Catalonia's foothold.
    quiet = jnp.full(K, 2, jnp.int32)
    out2 = np.asarray(SE.open_fronts(jnp.asarray(out), quiet, SEC))
    np.testing.assert_array_equal(out2, out)
    contested = np.asarray(SE.contested(jnp.asarray(out2), SEC))
    assert contested[names.index("catalonia")] and not contested[names.index("aragon")]
    # The Republic throws the Nationalists out of Catalonia: the front goes back into Aragon.
    back = out2.copy()
    back[names.index("catalonia")] = 0.005
    att = np.full(K, 2, np.int32)
    att[names.index("catalonia")] = 0
    out3 = np.asarray(SE.open_fronts(jnp.asarray(back), jnp.asarray(att), SEC))
    assert out3[names.index("catalonia")] == 0.0
    assert out3[names.index("aragon")] == pytest.approx(1.0 - SE.FOOTHOLD)


def test_units_go_to_the_offensives_and_spread_over_the_fronts():
    n = 200
    side = np.where(np.arange(UN.N_UNITS) < n, np.arange(UN.N_UNITS) % 2, 2).astype(np.int32)
    alive = side < 2
    front = np.zeros(K, bool)
    front[[0, 2, 5, 6]] = True
    offensive = np.array([2, 5], np.int32)  # the Republic's, the Nationalists'
    sector = np.asarray(
        FR.allocate(
            jnp.asarray(side),
            jnp.asarray(alive),
            jnp.asarray(np.stack([front, front])),
            jnp.asarray(offensive),
            jnp.float32(0.3),
            jnp.float32(0.2),
            jnp.full(UN.N_UNITS, K, jnp.int32),
        )
    )
    assert np.all(sector[~alive] == K)
    for s, own, other in ((0, 2, 5), (1, 5, 2)):
        mine = sector[side == s]
        assert np.all(front[mine])
        # 30 % to its offensive, 20 % to meet the other's, 50 % spread over four fronts.
        assert np.mean(mine == own) == pytest.approx(0.3 + 0.5 / 4, abs=0.02)
        assert np.mean(mine == other) == pytest.approx(0.2 + 0.5 / 4, abs=0.02)
        assert np.mean(mine == 0) == pytest.approx(0.5 / 4, abs=0.02)


def test_mobilisation_conserves_men_and_forms_brigades():
    units = UN.unit_data()
    owner, men, alive = (jnp.asarray(x) for x in units)
    fac = UN.faction_strength(men, owner, alive)[: len(F.FACTIONS)]
    growth = jnp.asarray([20.0, 9.0], jnp.float32)
    men2, owner2, alive2 = UN.mobilise(men, owner, alive, growth, fac)
    assert float(jnp.sum(men2)) == pytest.approx(float(jnp.sum(men) + jnp.sum(growth)), rel=1e-5)
    new = np.asarray(alive2 & ~alive)
    assert new.sum() == 5 + 2  # floor(20 / 3.5) and floor(9 / 3.5) brigades
    side = UN.owner_side()[np.asarray(owner2)]
    assert (side[new] == 0).sum() == 5 and (side[new] == 1).sum() == 2
    # Per side, too: the Republic's men grew by 20 thousand, the Nationalists' by 9.
    before = UN.owner_side()[np.asarray(owner)]
    for s, g in ((0, 20.0), (1, 9.0)):
        got = float(np.asarray(men2)[side == s].sum() - np.asarray(men)[before == s].sum())
        assert got == pytest.approx(g, rel=1e-4)
    # The contingents' slots are never taken by the factions' brigades.
    assert np.all(np.asarray(owner2)[: UN.N_DONOR_SLOTS] >= len(F.FACTIONS))


def _battle(threshold: float, eff: float = 0.0):
    units = UN.unit_data()
    owner, men, alive = (jnp.asarray(x) for x in units)
    side = jnp.asarray(UN.owner_side())[owner]
    front = np.zeros(K, bool)
    front[[1, 2]] = True
    offensive = jnp.asarray([2, 1], jnp.int32)
    reach = jnp.asarray(np.stack([front, front]))
    none = jnp.full(UN.N_UNITS, K, jnp.int32)
    sector = FR.allocate(side, alive, reach, offensive, jnp.float32(0.5), jnp.float32(0.2), none)
    key = jax.random.key(4)
    noise = jax.random.normal(key, (FR.WEEKS, 2, 2), jnp.float32)
    u = jax.random.uniform(jax.random.fold_in(key, 1), (FR.WEEKS, 2), jnp.float32)
    p = {
        "spain_attack_threshold": jnp.float32(threshold),
        "spain_engaged": jnp.float32(0.5),
        "spain_combat_days": jnp.float32(8.0),
    }
    return men, FR.fight(
        men, side, sector, alive, offensive, jnp.float32(eff), jnp.float32(0.0), noise, u,
        kernel(), p, SEC,
    )  # fmt: skip


def test_battles_only_where_a_side_attacks():
    men, none = _battle(threshold=3.0)
    assert np.all(np.asarray(none.attacker) == 2)
    np.testing.assert_array_equal(np.asarray(none.men), np.asarray(men))
    assert float(jnp.sum(none.casualties)) == 0.0 and float(jnp.sum(none.weeks_won)) == 0.0
    men, some = _battle(threshold=-3.0)
    att = np.asarray(some.attacker)
    # Each side attacks in its own offensive sector, nowhere else.
    assert att[2] == 0 and att[1] == 1 and np.all(att[[0, *range(3, K)]] == 2)
    lost = float(jnp.sum(men - some.men))
    assert lost > 0 and float(jnp.sum(some.casualties)) == pytest.approx(lost, rel=1e-5)
    assert np.all(np.asarray(some.men) <= np.asarray(men) + 1e-6)


def test_a_better_army_wins_more_weeks():
    """The Nationalists' effectiveness advantage, two CDB90 steps for or against them:
    over 64 draws their attack wins more weeks with it (the kernel's effectiveness
    coefficient on the win is positive)."""
    owner, men, alive = (jnp.asarray(x) for x in UN.unit_data())
    side = jnp.asarray(UN.owner_side())[owner]
    front = jnp.asarray((np.arange(K) == 1) | (np.arange(K) == 2))
    off = jnp.asarray([2, 1], jnp.int32)  # the Republic attacks elsewhere
    none = jnp.full(UN.N_UNITS, K, jnp.int32)
    reach = jnp.stack([front, front])
    sector = FR.allocate(side, alive, reach, off, jnp.float32(0.5), jnp.float32(0.2), none)
    p = {
        "spain_attack_threshold": jnp.float32(-9.0),
        "spain_engaged": jnp.float32(0.5),
        "spain_combat_days": jnp.float32(8.0),
    }
    kern = kernel()

    def weeks(key: jax.Array, eff: jax.Array) -> tuple[jax.Array, jax.Array]:
        noise = jax.random.normal(key, (FR.WEEKS, 2, 2), jnp.float32)
        u = jax.random.uniform(jax.random.fold_in(key, 1), (FR.WEEKS, 2), jnp.float32)
        b = FR.fight(men, side, sector, alive, off, eff, jnp.float32(0.0), noise, u, kern, p, SEC)
        return b.weeks_won[1], b.attacker[1]

    keys = jax.random.split(jax.random.key(0), 64)
    won = {}
    for eff in (-2.0, 2.0):
        w, att = jax.jit(jax.vmap(weeks, in_axes=(0, None)))(keys, jnp.float32(eff))
        assert np.all(np.asarray(att) == 1)  # their offensive sector
        won[eff] = float(jnp.sum(w))
    assert won[2.0] > won[-2.0], won


def test_control_moves_by_the_weeks_won():
    """Each week won takes a fifth of the sector's people, up to all the defender holds:
    the last of a sector falls as fast as the first."""
    c = jnp.asarray(np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.95, 0.03, 0.5, 0.5], np.float32))
    attacker = jnp.asarray([1, 0, 2, 1, 0, 2, 1, 0, 2, 2], jnp.int32)
    weeks = jnp.asarray([2, 1, 3, 0, 4, 0, 1, 1, 0, 0], jnp.float32)
    out = np.asarray(FR.advance_control(c, attacker, weeks, jnp.float32(0.2)))
    np.testing.assert_allclose(out[:8], [0.9, 0.3, 0.5, 0.5, 0.0, 0.5, 1.0, 0.0], atol=1e-6)


def test_unit_sums_are_sequential_in_any_batch():
    """``group_sum`` (a segment sum) adds the units in their order, whatever the batch:
    the same bits for one batch of 1,008 runs, batches of 3, and a float32 loop."""
    rng = np.random.default_rng(2)
    b, n = 1008, 2 * K
    men = rng.uniform(0, 5, (b, UN.N_UNITS)).astype(np.float32)
    group = rng.integers(-1, n + 1, (b, UN.N_UNITS)).astype(np.int32)
    f = jax.jit(jax.vmap(lambda v, g: UN.group_sum(v, g, n)))
    whole = np.asarray(f(men, group))
    threes = np.concatenate(
        [np.asarray(f(men[i : i + 3], group[i : i + 3])) for i in range(0, b, 3)]
    )
    np.testing.assert_array_equal(whole, threes)
    loop = np.zeros((b, n), np.float32)
    for r in range(0, b, 97):
        for i in range(UN.N_UNITS):
            if 0 <= group[r, i] < n:
                loop[r, group[r, i]] = np.float32(loop[r, group[r, i]] + men[r, i])
        np.testing.assert_array_equal(whole[r], loop[r])


def test_the_slice_is_idle_before_its_election():
    """Before the election the month changes nothing but the month's count, so the
    engine may skip it for a batch in which no run has reached its election
    (``active_batch``, ``idle``): ``advance`` and ``idle`` give the same bits."""
    from abm.engine.compose import compose
    from abm.models import registry
    from abm.models.interwar.spain.slice import SLICE

    model = compose("spain_alone", (SLICE,), (), registry.default_calendar("interwar"))
    sl = model.slices["spain"]
    rng = np.random.default_rng(3)
    thetas = []
    for _ in range(8):
        row = []
        for p in model.params:
            lo, hi = p.prior.support(p.low, p.high) if p.prior.kind != "fixed" else (0, 0)
            row.append(p.prior.args["value"] if p.prior.kind == "fixed" else rng.uniform(lo, hi))
        thetas.append(row)
    theta = jnp.asarray(np.array(thetas, np.float32))
    keys = jax.random.split(jax.random.key(0), 8)
    state = jax.vmap(sl.init)(keys, theta)
    assert not bool(sl.active_batch(state, theta))
    stepped = jax.jit(jax.vmap(lambda k, s, th: sl.advance(k, s, th, {})))(keys, state, theta)
    idle = jax.jit(jax.vmap(sl.idle))(state)
    for a, b in zip(jax.tree.leaves(stepped), jax.tree.leaves(idle), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # At the election month the batch is active.
    first = int(sl.month_index(theta[0], "spain_election_year"))
    at = type(state)(**{**state.__dict__, "month": jnp.full(8, first, jnp.int32)})
    assert bool(sl.active_batch(at, theta))


def _names(mask: np.ndarray) -> set[str]:
    return {n for n, m in zip(SEC.names, mask, strict=True) if m}


def test_the_republics_north_is_a_pocket_from_the_start():
    """On the July 1936 map the Republic's north touches only Old Castile, the rising's:
    cut off by land, its pocket; the Nationalists reach it from Old Castile, and the
    Republic's main zone reaches every other front. With a weaker rising (a quarter of
    Old Castile the Republic's) the north is linked."""
    z = SE.zones(SE.control_at_rising(jnp.float32(0.4), SEC), SEC)
    pocket, reach = np.asarray(z.pocket), np.asarray(z.reach)
    assert _names(pocket[0]) == {"north"} and not pocket[1].any()
    assert "north" in _names(reach[1]) and "north" not in _names(reach[0])
    assert {"madrid", "old_castile", "aragon"} <= _names(reach[0])
    weak = SE.zones(SE.control_at_rising(jnp.float32(0.3), SEC), SEC)
    assert not np.asarray(weak.pocket).any() and "north" in _names(np.asarray(weak.reach)[0])


def test_madrid_cut_off_becomes_a_pocket_and_a_side_without_links_reaches_all():
    names = list(SEC.names)
    c = np.asarray(SE.control_at_rising(jnp.float32(0.4), SEC)).copy()
    # The Nationalists take New Castile and Old Castile: Madrid's only neighbours.
    c[names.index("new_castile")] = 0.9
    c[names.index("old_castile")] = 1.0
    z = SE.zones(jnp.asarray(c), SEC)
    assert "madrid" in _names(np.asarray(z.pocket)[0])
    # The Republic holding under a quarter everywhere: no zone, every front in reach.
    low = np.where(SEC.contestable, 0.9, SEC.control_1936).astype(np.float32)
    z = SE.zones(jnp.asarray(low), SEC)
    front = np.asarray(SE.contested(jnp.asarray(low), SEC))
    np.testing.assert_array_equal(np.asarray(z.reach)[0], front)
    assert not np.asarray(z.pocket)[0].any()


def test_units_cut_off_stay_and_the_first_month_places_them_by_people():
    """The war's first month: the Republic's last units in slot order, its share of
    people in the north, go there; later a unit there stays whatever the offensives,
    and no other Republican unit goes there."""
    owner, _, alive = (jnp.asarray(x) for x in UN.unit_data())
    side = jnp.asarray(UN.owner_side())[owner]
    z = SE.zones(SE.control_at_rising(jnp.float32(0.4), SEC), SEC)
    placed = np.asarray(FR.place_in_pockets(side, alive, z))
    rep = np.asarray(alive & (side == 0))
    north = SEC.names.index("north")
    people = np.asarray(z.people)[0]
    share = people[north] / people[np.asarray(z.pocket | z.reach)[0]].sum()
    assert np.all(placed[~rep] == K) and set(np.unique(placed[rep])) == {north, K}
    assert np.mean(placed[rep] == north) == pytest.approx(share, abs=1.5 / rep.sum())
    # The cut-off units are the side's last in slot order.
    idx = np.flatnonzero(rep)
    assert np.all(placed[idx[-int((placed[rep] == north).sum()) :]] == north)
    off = jnp.asarray([SEC.names.index("madrid"), north], jnp.int32)
    sector = np.asarray(
        FR.allocate(
            side, alive, z.reach, off, jnp.float32(0.5), jnp.float32(0.3), jnp.asarray(placed)
        )
    )
    np.testing.assert_array_equal(sector[placed == north], north)
    assert np.all(sector[rep & (placed == K)] != north)
    # The Republic's reserves cannot meet the Nationalists' offensive in the north: they
    # spread instead; the Nationalists' units reach it.
    assert np.any(sector[np.asarray(alive & (side == 1))] == north)
