"""The war slice (issue 15, step 1): its history tables, allocation, the month's
invariants, and what its mechanisms do.

The month is compiled once for the module (``_simulate``: parameters are arguments, so
the paired runs share the program) and run from September 1939 to December 1945.
"""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.errors import InputError
from abm.models.calendar import Calendar
from abm.models.interwar.war import history as HI
from abm.models.interwar.war import month as M
from abm.models.interwar.war import powers as PW
from abm.models.interwar.war.combat import kernel
from abm.models.interwar.war.sectors import sector_table
from abm.models.interwar.war.slice import catalogue
from abm.models.interwar.war.types import WarState

CAL = Calendar.from_strings("1939-09", "1945-12")
FULL = Calendar.from_strings("1924-01", "1945-12")
RUNS = 6


def _index(codes: tuple[str, ...], code: str) -> int:
    return codes.index(code)


# ---------------------------------------------------------------- the history tables
def test_declarations_give_history_s_wars_month_by_month():
    pw = PW.power_table()
    h = HI.war_history(FULL)
    at = FULL.index_of
    c = {code: i for i, code in enumerate(pw.codes)}
    assert h.start == at("1939-09")
    assert np.array_equal(h.at_war, np.swapaxes(h.at_war, 1, 2)), "war is symmetric"
    assert h.at_war[at("1939-09"), c["GMY"], c["POL"]]
    assert not h.at_war[at("1939-08"), c["GMY"], c["POL"]]
    assert not h.at_war[at("1941-05"), c["GMY"], c["RUS"]]
    assert h.at_war[at("1941-06"), c["GMY"], c["RUS"]]
    assert h.at_war[at("1943-08"), c["ITA"], c["UKG"]]
    assert not h.at_war[at("1943-09"), c["ITA"], c["UKG"]]
    assert h.at_war[at("1943-10"), c["ITA"], c["GMY"]]
    assert not h.at_war[at("1945-07"), c["RUS"], c["JPN"]]
    assert h.at_war[at("1945-08"), c["RUS"], c["JPN"]]
    names = sector_table().names
    baltic = [names.index(n) for n in ("estonia", "latvia", "lithuania", "bessarabia")]
    assert set(h.annex[at("1940-06"), baltic]) == {c["RUS"]}
    assert (h.annex[at("1940-07")] == -1).all()
    # Bulgaria's alliance with Germany ends when it turns on Germany.
    assert h.ally[at("1941-03"), c["BUL"], c["GMY"]]
    assert not h.ally[at("1944-09"), c["BUL"], c["GMY"]]


def test_slots_are_in_blocks_by_power_and_fill_the_capacity():
    pw = PW.power_table()
    h = HI.war_history(FULL)
    assert h.block_size.sum() == PW.CAPACITY
    assert (h.block_size >= 4).all()
    assert np.array_equal(h.slot_owner, np.repeat(np.arange(len(pw.codes)), h.block_size))
    g = _index(pw.codes, "GMY")
    kinds = np.bincount(h.slot_kind[h.slot_owner == g], minlength=len(PW.KINDS))
    # Germany's mix of September 1939 (war_forces.csv: 85 infantry, 4 motorised, 11
    # armoured, 3 mountain): armoured about a tenth of its slots.
    assert 0.07 < kinds[PW.KINDS.index("armoured")] / kinds.sum() < 0.14


def test_field_strength_follows_the_forces_table():
    pw = PW.power_table()
    h = HI.war_history(FULL)
    t41 = FULL.index(1941, 6)
    rus = _index(pw.codes, "RUS")
    # The Red Army's field strength of 22 June 1941 (F-RUS-1941: 4.8 M).
    assert HI.field_men(h, 0.6, t41)[rus] == pytest.approx(4800.0)
    # Germany's point of June 1941 is a total under arms: the field share applies.
    g = _index(pw.codes, "GMY")
    assert HI.field_men(h, 0.5, t41)[g] == pytest.approx(3550.0)
    assert np.isnan(HI.field_men(h, 0.6, t41)[_index(pw.codes, "NTH")])


@pytest.mark.parametrize(
    "row, field",
    [
        ({"month": "1939-13", "kind": "war", "a": "GMY", "b": "POL"}, "month"),
        ({"month": "1939-09", "kind": "invade", "a": "GMY", "b": "POL"}, "kind"),
        ({"month": "1939-09", "kind": "war", "a": "XXX", "b": "POL"}, "a"),
        ({"month": "1939-09", "kind": "war", "a": "GMY", "b": "GMY"}, "b"),
        ({"month": "1939-09", "kind": "annex", "a": "RUS", "b": "atlantis"}, "b"),
    ],
)
def test_a_bad_declaration_is_named_by_file_row_and_field(row, field):
    good = {"month": "1939-09", "kind": "war", "a": "GMY", "b": "POL"}
    with pytest.raises(InputError) as err:
        PW.parse_declarations([good, row], PW.power_table(), sector_table(), "decl.csv")
    text = str(err.value)
    assert "decl.csv" in text and "row 3" in text and repr(field) in text


def test_declarations_out_of_order_are_refused():
    rows = [
        {"month": "1940-05", "kind": "war", "a": "GMY", "b": "BEL"},
        {"month": "1939-09", "kind": "war", "a": "GMY", "b": "POL"},
    ]
    with pytest.raises(InputError, match="in order"):
        PW.parse_declarations(rows, PW.power_table(), sector_table())


def test_a_bad_power_row_is_named():
    from abm.models.catalogue import data_rows

    rows = data_rows(PW.POWERS_FILE, PW.PACKAGE)
    rows[2] = {**rows[2], "fronts": "china;the_moon"}
    with pytest.raises(InputError, match=r"row 4, field 'fronts': 'the_moon'"):
        PW.parse_powers(rows, sector_table())
    rows = data_rows(PW.POWERS_FILE, PW.PACKAGE)
    with pytest.raises(InputError, match="no row for the 1939 holder"):
        PW.parse_powers([r for r in rows if r["power"] != "NOR"], sector_table())


# ---------------------------------------------------------------- allocation
def _allocate_by_walk(men, alive, owner, want, reserve, cols, n_k):
    """The allocation walked power by power, quota by quota (the definition)."""
    n_p, n_m = want.shape
    persons = np.where(alive, np.round(men.astype(np.float32) * np.float32(1000.0)), 0)
    persons = persons.astype(np.int64)
    out = np.full(len(men), n_k, np.int64)
    for p in range(n_p):
        slots = np.flatnonzero(owner == p)
        total = int(persons[slots].sum())
        wsum = float(np.float32(want[p].sum()))
        quotas = []
        for m in range(n_m):
            share = np.float32(want[p, m]) / np.float32(max(wsum, 1e-6))
            front = np.float32(1.0 - reserve) if wsum > 0 else np.float32(0.0)
            quotas.append(int(np.floor(share * (front * np.float32(total)))))
        quotas.append(total - sum(quotas))  # the reserve
        ends = np.cumsum(quotas)
        seen = 0
        for u in slots:
            mid = seen + persons[u] - (persons[u] + 1) // 2
            seen += persons[u]
            m = int(np.searchsorted(ends, mid, side="right"))
            if alive[u] and m < n_m:
                out[u] = cols[m]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_allocation_is_the_walk_over_each_power_s_quotas(seed):
    rng = np.random.default_rng(seed)
    n_p, n_k, per = 5, 7, 24
    cols = np.concatenate([np.arange(n_k), np.arange(n_k)]).astype(np.int32)
    owner = np.repeat(np.arange(n_p), per).astype(np.int32)
    men = rng.uniform(2.0, 20.0, n_p * per).astype(np.float32)
    alive = rng.uniform(size=n_p * per) < 0.7
    shape = (n_p, 2 * n_k)
    want = (rng.uniform(size=shape) * (rng.uniform(size=shape) < 0.5)).astype(np.float32)
    want[1] = 0.0  # a power with no front keeps everything in reserve
    got = np.asarray(
        M.allocate(
            jnp.asarray(men),
            jnp.asarray(alive),
            jnp.asarray(owner),
            jnp.asarray(want),
            jnp.asarray(cols),
            jnp.float32(0.2),
            n_k,
        )
    )
    assert np.array_equal(got, _allocate_by_walk(men, alive, owner, want, 0.2, cols, n_k))
    assert (got[owner == 1] == n_k).all()
    assert (got[~alive] == n_k).all()
    # Each power's men on a sector come close to its quota (within a division a column).
    for p in (0, 2, 3, 4):
        mine = (owner == p) & alive
        if want[p].sum() == 0:
            continue
        placed = np.bincount(got[mine], weights=men[mine], minlength=n_k + 1)[:n_k]
        per_sector = want[p, :n_k] + want[p, n_k:]
        quota = 0.8 * men[mine].sum() * per_sector / want[p].sum()
        assert np.all(np.abs(placed - quota) <= 2 * men[mine].max() + 1e-3)


def test_mobile_divisions_lead_the_attacks():
    """A power's block starts with its armoured and motorised slots, and the attacks'
    quotas come before the defences': with one attacked and one defended sector of
    equal want, the armour goes to the attack."""
    tb, _ = _setup()
    g = _index(PW.power_table().codes, "GMY")
    mine = np.flatnonzero(tb.slot_owner == g)
    n_k = len(tb.width)
    owner = np.asarray(tb.slot_owner)
    men = np.where(owner == g, 15.0, 0.0).astype(np.float32)
    alive = owner == g
    want = np.zeros((len(tb.people), 2 * n_k), np.float32)
    want[g, 5] = 1.0  # attack sector 5
    want[g, n_k + 9] = 1.0  # defend sector 9
    got = np.asarray(
        M.allocate(
            jnp.asarray(men),
            jnp.asarray(alive),
            jnp.asarray(owner),
            jnp.asarray(want),
            jnp.asarray(M.columns(n_k)),
            jnp.float32(0.0),
            n_k,
        )
    )
    armour = mine[np.isin(tb.slot_kind[mine], PW.MOBILE)]
    assert armour.size and (got[armour] == 5).all()
    assert set(got[mine]) == {5, 9}


# ---------------------------------------------------------------- the month, simulated
@cache
def _setup():
    tables = M.build_tables(CAL)
    cat = {p.name: p for p in catalogue()}
    base = {}
    for name in M.PARAMS:
        if name == "quality_per_effectiveness":
            base[name] = 0.25  # the frontiers slice's prior's middle (0.1-0.4)
            continue
        args = cat[name].prior.args
        base[name] = 0.5 * (args["low"] + args["high"])
    return tables, base


def _initial(tb: M.Tables) -> WarState:
    return M.initial_state(tb)


@cache
def _program():
    tb, _ = _setup()
    kern = kernel()
    n_k = len(tb.width)

    def one(key, params, quality):
        def body(s, k):
            s = M.advance(s, tb, kern, quality, params, M.draw_month(k, n_k))
            return s, s

        return jax.lax.scan(body, _initial(tb), jax.random.split(key, CAL.n_months))

    return jax.jit(jax.vmap(one, in_axes=(0, None, None)))


def _simulate(seed: int = 0, quality: float = 0.5, **changes: float):
    _, base = _setup()
    params = {k: jnp.float32(v) for k, v in {**base, **changes}.items()}
    keys = jax.random.split(jax.random.key(seed), RUNS)
    final, months = jax.device_get(_program()(keys, params, jnp.float32(quality)))
    return final, months.holder, months.sector, months.alive, months


@pytest.fixture(scope="module")
def baseline():
    return _simulate()


def test_the_chronicle_tells_the_partition_of_poland_and_the_armistices(baseline):
    """The chronicle (``abm trace``) of run 0, from its monthly states."""
    from abm.models.interwar.war.chronicle import chronicle

    tb, _ = _setup()
    months = baseline[4]
    one = jax.tree.map(lambda x: x[0], months)
    events = chronicle(one, _initial(tb), CAL, tb)
    text = [f"{m} {e}" for m, e in events]
    assert [m for m, _ in events] == sorted(m for m, _ in events)
    assert any(e.startswith("1939-09 Germany takes") and "from Poland" in e for e in text)
    assert "1939-09 the USSR takes western_belorussia from Poland" in text
    assert any(e.startswith("1939-") and "Poland asks for an armistice" in e for e in text)
    assert "1941-06 the USSR and Germany are at war" in text
    assert any("thousand men in the field" in e for e in text if e.startswith("1940-12"))


def test_every_man_is_accounted_for(baseline):
    final = baseline[0]
    in_service = np.where(final.alive, final.men, 0.0).sum(axis=1)
    out = in_service + final.casualties.sum(1) + final.disbanded.sum(1)
    assert np.allclose(final.mobilised.sum(1), out, rtol=1e-5)
    assert (final.men >= 0).all() and (final.dead <= final.casualties + 1e-6).all()


def test_divisions_stay_on_the_fronts_their_power_reaches(baseline):
    tb, _ = _setup()
    _, _, sectors, alive, _ = baseline
    n_k = len(tb.width)
    owner = np.broadcast_to(tb.slot_owner, sectors.shape)
    placed = alive & (sectors < n_k)
    assert placed.any()
    assert tb.reach[owner[placed], sectors[placed]].all()


def test_poland_falls_in_1939_and_is_partitioned(baseline):
    tb, _ = _setup()
    final, holders, _, _, _ = baseline
    pw = PW.power_table()
    names = sector_table().names
    pol, gmy, rus = (_index(pw.codes, c) for c in ("POL", "GMY", "RUS"))
    dec = CAL.index(1939, 12)
    assert (final.surrendered[:, pol] >= 0).all()
    assert (final.surrendered[:, pol] <= dec).all()
    west = [names.index(n) for n in ("pomorze", "greater_poland", "warsaw_central")]
    east = [names.index(n) for n in ("western_belorussia", "western_ukraine")]
    assert (holders[:, dec, west] == gmy).all()
    assert (holders[:, dec, east] == rus).all()
    # A surrendered power keeps no division.
    pol_slots = tb.slot_owner == pol
    assert not baseline[3][:, -1, pol_slots].any()


def test_the_soviet_german_war_starts_in_june_1941_and_counts_its_losses(baseline):
    final = baseline[0]
    jun = CAL.index(1941, 6)
    assert (final.soviet_german_month == jun).all()
    losses = final.losses_1941
    assert (losses > 0).all(), "Soviet dead, Soviet wounded and German dead in 1941"
    assert (losses[:, 1] > losses[:, 0]).all(), "more wounded than dead"


def test_a_more_effective_german_army_takes_more_ground_and_holds_out_longer():
    """Paired runs (the same draws), only the German army's effectiveness changed. The
    CDB90 kernel gives effectiveness small effects (docs/combat_kernel.md: 0.24 on the
    logit of winning per step), so the ground moves little; the direction is the test."""
    gmy = _index(PW.power_table().codes, "GMY")
    weak = _simulate(war_effectiveness_germany=0.3)
    strong = _simulate(war_effectiveness_germany=2.5)
    held = lambda run: (run[1] == gmy).sum(axis=2).mean()  # noqa: E731 - sector-months
    assert held(strong) > held(weak)
    quit_weak, quit_strong = weak[0].surrendered[:, gmy], strong[0].surrendered[:, gmy]
    assert (quit_weak >= 0).all()
    assert np.where(quit_strong >= 0, quit_strong, CAL.n_months).mean() > quit_weak.mean() + 2


def test_a_better_commanded_red_army_loses_less_in_1941_and_beats_germany_sooner():
    """Issue 15's directional test, on paired runs: only the Red Army's command quality
    (the Soviet slice's, after the purges) changes."""
    purged = _simulate(quality=0.3)[0]
    better = _simulate(quality=0.75)[0]
    assert better.losses_1941[:, 0].mean() < purged.losses_1941[:, 0].mean()
    # ... inflicts more German dead in 1941 ...
    assert better.losses_1941[:, 2].mean() > purged.losses_1941[:, 2].mean()
    # ... and Germany asks for an armistice earlier (in these runs it does in both).
    g = _index(PW.power_table().codes, "GMY")
    assert (purged.surrendered[:, g] >= 0).all() and (better.surrendered[:, g] >= 0).all()
    assert better.surrendered[:, g].mean() < purged.surrendered[:, g].mean() - 2.0


def test_will_counts_the_people_lost_to_enemies_and_the_capital():
    tb, _ = _setup()
    pw = PW.power_table()
    names = sector_table().names
    frn, gmy, ukg = (_index(pw.codes, c) for c in ("FRN", "GMY", "UKG"))
    at_war = np.zeros((len(pw.codes),) * 2, bool)
    at_war[gmy, [frn, ukg]] = at_war[[frn, ukg], gmy] = True
    rel = M.relations(
        jnp.asarray(at_war),
        jnp.zeros_like(jnp.asarray(at_war)),
        jnp.full(len(pw.codes), -1, jnp.int32),
    )
    holder = np.asarray(tb.owner_1939).copy()
    control = np.ones(len(names), np.float32)
    will = lambda: np.asarray(  # noqa: E731
        M.will(jnp.asarray(holder), jnp.asarray(control), tb, rel, jnp.float32(0.3))[0]
    )
    assert will()[frn] == pytest.approx(1.0)
    coast = names.index("channel_coast")
    people = float(tb.sector_people[coast]) / float(tb.people[frn])
    holder[coast] = ukg  # held by a friend: not lost
    assert will()[frn] == pytest.approx(1.0)
    holder[coast] = gmy  # held by the enemy: lost
    assert will()[frn] == pytest.approx(1.0 - people, rel=1e-5)
    holder[coast], control[coast] = frn, 0.25  # three quarters taken
    assert will()[frn] == pytest.approx(1.0 - 0.75 * people, rel=1e-5)
    control[coast] = 1.0
    paris = names.index("paris_champagne")
    holder[paris] = gmy  # the capital lost: its people and the capital's weight
    share = float(tb.sector_people[paris]) / float(tb.people[frn])
    assert will()[frn] == pytest.approx(1.0 - share - 0.3, rel=1e-5)


def test_a_power_collapses_when_its_will_fails():
    """At the top of the threshold's range every power fighting with its land on the map
    quits at its first loss (Poland in the first month); at the bottom Britain, Japan and
    the United States never quit (their land is not on the map)."""
    codes = PW.power_table().codes
    quick = _simulate(war_collapse_threshold=0.99)[0]
    assert (quick.surrendered[:, _index(codes, "POL")] == 0).all()
    for c in ("UKG", "JPN", "USA"):
        assert (quick.surrendered[:, _index(codes, c)] == -1).all()
