"""The Soviet levers' mechanisms, checked where they act (unit checks, no whole-model compile).

The directional tests (``test_soviet_levers.py``, ``test_model.py``) check final totals;
a sign flipped inside one mechanism can hide behind another that moves the total the
same way. Each test here calls one mechanism function twice, with two values of one
input and everything else equal, and checks the direction of the quantity the function
computes there (``docs/ODD.md`` 7.13, 7.14, 7.16; Germany's in ``test_mechanisms_germany.py``).
Whole-model traces of the same mechanisms are in ``test_mechanism_traces.py``.

Every test names the mutation of ``src/`` it was seen to catch ("catches: ...").
"""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.models.interwar.soviet import agriculture, leadership, policy_response, security
from abm.models.interwar.soviet import constants as SK
from abm.models.interwar.soviet.types import Grain, Leadership, Ledger, PeasantBlocs, Security

f32 = jnp.float32

# ----------------------------------------------------------------------------- agriculture
# Three regions: a singled-out grain region, an ordinary one, a singled-out nomadic one.
LAND = agriculture.Land(
    area=jnp.asarray([10.0, 20.0, 5.0], jnp.float32),
    nomad=jnp.asarray([0.0, 0.0, 0.6], jnp.float32),
    targeted=jnp.asarray([1.0, 0.0, 1.0], jnp.float32),
    famine_mask=jnp.ones((3, 3), jnp.float32),
)
TARGETED = np.asarray(LAND.targeted) > 0
#: Parameters near their prior means (docs/ODD.md 7.14).
FARM = agriculture.FarmParams(
    **{
        k: f32(v)
        for k, v in dict(
            grain_yield=0.7,
            yield_trend=0.01,
            weather_sd=0.07,
            regional_weather_sd=0.1,
            collectivisation_rate=0.45,
            disruption_loss=0.27,
            livestock_slaughter=0.4,
            herd_regrowth=0.1,
            draught_effect=0.2,
            sedentarisation_loss=0.6,
            seed_share=0.13,
            procurement_nep=0.15,
            procurement_drive=0.2,
            plan_optimism=0.2,
            subsistence_reserve=0.65,
            reserve_floor=0.12,
            target_boost=0.55,
            export_share=0.22,
            fodder_need=0.11,
            stock_loss=0.35,
            grain_need=0.22,
            other_food=0.3,
            famine_mortality=0.21,
            famine_exponent=1.0,
            famine_threshold=0.3,
            flight_rate=0.12,
            nomad_herd_need=0.45,
            natural_growth=0.018,
            urban_ration=0.24,
            army_ration=0.5,
            pool_loss=0.17,
            market_nep=0.75,
            kolkhoz_market=0.35,
            quota_cut=0.3,
            export_halt=0.8,
            hunger_loss=0.25,
        ).items()
    }
)
RESPONSE = policy_response.ResponseParams(
    report_lag=f32(6.0), response_gain=f32(40.0), relief_decay=f32(0.05), ration_end_cover=f32(1.6)
)
POLICY = agriculture.FarmPolicy(
    pace=f32(1.0),
    competence=f32(0.2),
    targeted=f32(0.9),
    trade=f32(0.4),
    mechanisation=f32(0.1),
    urban=f32(30.0),
    army=f32(600.0),
    recruits=f32(0.0),
)
#: The August harvest in the collectivisation drive (the first month of the campaign).
HARVEST = agriculture.Calendar(
    year_index=jnp.int32(0),
    years_since_1928=f32(4.5),
    months_to_harvest=jnp.int32(12),
    months_since_harvest=jnp.int32(0),
    crop_year_index=jnp.int32(0),
    harvest=jnp.asarray(True),
    drive=jnp.asarray(True),
    famine_window=jnp.asarray(True),
)
#: A state pool large enough that the plan's floor (the towns' year beyond the pool) does
#: not bind: the quota is the share of the planned harvest.
GRAIN = Grain(
    pool=f32(100.0),
    villages_year=f32(0.0),
    exports_due=f32(0.0),
    recruited=f32(0.0),
    alarm=f32(0.0),
    relief=f32(0.0),
    ration_phase=jnp.int32(policy_response.IN_FORCE),
)


def _blocs(stock: float = 2.0, collectivised: float = 0.3, upheaval: float = 0.3) -> PeasantBlocs:
    r = LAND.area.shape[0]
    return PeasantBlocs(
        population=jnp.asarray([10.0, 20.0, 3.0], jnp.float32),
        livestock=jnp.full((r,), 0.9, jnp.float32),
        collectivised=jnp.full((r,), collectivised, jnp.float32),
        upheaval=jnp.full((r,), upheaval, jnp.float32),
        stock=jnp.full((r,), stock, jnp.float32),
        shortage=jnp.zeros((r,), jnp.float32),
        quota=jnp.zeros((r,), jnp.float32),
        hunger=jnp.zeros((r,), jnp.float32),
        alive=jnp.ones((r,), bool),
    )


def _ledger() -> Ledger:
    z, zy = f32(0.0), jnp.zeros((2,), jnp.float32)
    return Ledger(
        harvested=z,
        seed=z,
        procured=z,
        eaten=z,
        stock_lost=z,
        births=z,
        deaths=z,
        fled=z,
        famine_deaths=jnp.zeros((3,), jnp.float32),
        harvest=zy,
        procurement=zy,
        exports=zy,
        herd=zy,
        shortfall=z,
        to_towns=z,
        to_villages=z,
        exported=z,
        pool_lost=z,
        quota=zy,
        deaths_by_year=zy,
        region_deaths=jnp.zeros((3,), jnp.float32),
    )


def _farm(blocs=None, cal=HARVEST, farm=FARM, g=GRAIN, **policy):
    """One peasant month with the policy's fields replaced; ``(blocs, ledger)``."""
    return _farm_grain(blocs, cal, farm, g, **policy)[::2]


def _farm_grain(blocs=None, cal=HARVEST, farm=FARM, g=GRAIN, **policy):
    """One peasant month with the policy's fields replaced; ``(blocs, grain, ledger)``."""
    b = _blocs() if blocs is None else blocs
    r = b.stock.shape[0]
    zero = jnp.zeros((r,), jnp.float32)
    return agriculture.month(
        b, g, _ledger(), f32(0.0), zero, cal, LAND, replace(POLICY, **policy), farm, RESPONSE
    )


def test_competence_lowers_the_planned_quota():
    # catches: planned = comp * trend * (1 + optimism) + (1 - comp) * harvest (the flipped
    # sign of competence inside the planned harvest). Without disruption and draught loss
    # the harvest does not depend on competence; with a full village stock the quota is
    # what is taken.
    farm = replace(FARM, disruption_loss=f32(0.0), draught_effect=f32(0.0))
    rich = _blocs(stock=100.0)
    low = _farm(rich, farm=farm, competence=f32(0.2))[1]
    high = _farm(rich, farm=farm, competence=f32(0.9))[1]
    assert float(low.harvested) == float(high.harvested)
    assert float(low.shortfall) == float(high.shortfall) == 0.0  # the quota is met
    assert float(high.procured) < float(low.procured)


def test_competence_leaves_more_grain_in_the_village():
    # catches: reserve = floor + (1 - comp) * (subsistence - floor). With an empty stock
    # and a harsh quota the cap binds: the state takes (1 - reserve) of the net harvest.
    farm = replace(
        FARM, disruption_loss=f32(0.0), draught_effect=f32(0.0), procurement_drive=f32(0.5)
    )
    bare = _blocs(stock=0.0)
    (b_low, low), (b_high, high) = (_farm(bare, farm=farm, competence=f32(c)) for c in (0.2, 0.9))
    assert float(low.shortfall) > 0.0 and float(high.shortfall) > 0.0  # the cap binds

    def taken(ledger: Ledger) -> float:
        return float(ledger.procured) / float(ledger.harvested - ledger.seed)

    assert taken(high) < taken(low)
    assert np.all(np.asarray(b_high.stock) > np.asarray(b_low.stock))


def test_competence_softens_the_upheaval_and_the_slaughter():
    # catches: harvest * (1 - clip(disruption * upheaval * (1 + comp))) and slaughter
    # * (1 + comp) (a flipped sign of competence in the harvest loss or in the herd loss).
    low_b, low = _farm(competence=f32(0.2))
    high_b, high = _farm(competence=f32(0.9))
    assert float(high.harvested) > float(low.harvested)
    assert np.all(np.asarray(high_b.livestock) > np.asarray(low_b.livestock))


def test_pace_raises_the_collectivised_share_and_the_upheaval_only_in_the_drive():
    # catches: dc = rate * (1 - pace) * ..., and pace acting before the drive.
    slow_b = _farm(pace=f32(0.4))[0]
    fast_b = _farm(pace=f32(1.0))[0]
    for name in ("collectivised", "upheaval"):
        assert np.all(np.asarray(getattr(fast_b, name)) > np.asarray(getattr(slow_b, name))), name
    # The quota share grows with pace too (procurement_drive * pace).
    rich = _blocs(stock=100.0)
    assert float(_farm(rich, pace=f32(1.0))[1].procured) > float(
        _farm(rich, pace=f32(0.4))[1].procured
    )
    nep = replace(HARVEST, drive=jnp.asarray(False))
    a, b = _farm(cal=nep, pace=f32(0.4)), _farm(cal=nep, pace=f32(1.0))
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        assert np.array_equal(np.asarray(x), np.asarray(y))


def _stock_after_harvest(targeted: float, drive: bool = True) -> np.ndarray:
    """The village stock right after the harvest, Mt ``[R]``.

    Nobody eats (no population), nothing spoils, herds are not touched by targeting and
    in the drive the quota is met (a full stock): the stock is stock + net harvest -
    procured, and only the procured part depends on ``targeted``.
    """
    b = replace(_blocs(stock=100.0), population=jnp.zeros((3,), jnp.float32))
    farm = replace(FARM, stock_loss=f32(0.0), sedentarisation_loss=f32(0.0))
    cal = replace(HARVEST, drive=jnp.asarray(drive))
    new, ledger = _farm(b, cal=cal, farm=farm, targeted=f32(targeted))
    assert float(ledger.shortfall) == 0.0 or not drive
    return np.asarray(new.stock, np.float64)


def test_targeting_raises_the_quota_in_singled_out_regions_only():
    # catches: weights = planned * (1 - target_boost * targeted * drive * T) (the quota
    # moved away from, not onto, the singled-out regions).
    # Extra grain procured under full targeting, per region (Mt).
    extra = _stock_after_harvest(0.0) - _stock_after_harvest(1.0)
    assert np.all(extra[TARGETED] > 0.0), extra
    assert np.all(extra[~TARGETED] < 0.0), extra
    assert abs(extra.sum()) < 1e-4 * np.abs(extra).sum() + 1e-4  # shared out, not added
    # Before the drive the singled-out regions deliver like any other.
    assert np.array_equal(_stock_after_harvest(0.0, False), _stock_after_harvest(1.0, False))


def test_targeting_settles_the_nomads_at_the_cost_of_their_herds():
    # catches: sedentarisation_loss * pace * (1 - targeted) * nomad.
    b0 = _farm(targeted=f32(0.0))[0]
    b1 = _farm(targeted=f32(1.0))[0]
    nomads = np.asarray(LAND.nomad) > 0
    herd0, herd1 = np.asarray(b0.livestock), np.asarray(b1.livestock)
    assert np.all(herd1[nomads] < herd0[nomads])
    assert np.array_equal(herd1[~nomads], herd0[~nomads])


def test_relief_lowers_the_plan_and_cuts_the_singled_out_regions_more():
    # catches: cut = quota_cut * relief * (1 - targeted) (relief cutting the other regions'
    # tranches), procured = tranche * (1 + cut), and the plan's own cut (the delivery
    # quotas of January 1933: asked * (1 - quota_cut * relief)) dropped. Before part G2
    # relief left the other regions' quotas as they were.
    b = replace(_blocs(stock=100.0), population=jnp.zeros((3,), jnp.float32))
    farm = replace(FARM, stock_loss=f32(0.0), sedentarisation_loss=f32(0.0))
    runs = [_farm(b, farm=farm, g=replace(GRAIN, relief=f32(r)))[0] for r in (0.0, 0.6)]
    stocks = [np.asarray(x.stock, np.float64) for x in runs]
    tranche0 = np.asarray(runs[0].quota, np.float64) / 5.0  # a sixth of the August due
    kept = (stocks[1] - stocks[0]) / tranche0  # share of the tranche left by the relief
    cut = float(FARM.quota_cut) * 0.6
    np.testing.assert_allclose(kept[~TARGETED], cut, rtol=1e-3)
    np.testing.assert_allclose(kept[TARGETED], 1.0 - (1.0 - cut) ** 2, rtol=1e-3)


def test_the_plan_is_anchored_on_last_years_harvest():
    # catches: the plan on the trend alone (the record harvest of 1930 did not raise the
    # plan of 1931). Full village stocks: the quota is taken in full.
    rich = _blocs(stock=1000.0)
    cal = replace(HARVEST, year_index=jnp.int32(1))

    def due(h0: float) -> float:
        led = replace(_ledger(), harvest=jnp.asarray([h0, 0.0], jnp.float32))
        b = agriculture.month(
            rich,
            GRAIN,
            led,
            f32(0.0),
            jnp.zeros((3,), jnp.float32),
            cal,
            LAND,
            POLICY,
            FARM,
            RESPONSE,
        )[0]
        return float(jnp.sum(b.quota))

    assert due(0.0) == due(1.0)  # below the trend the trend stands
    assert due(60.0) > 1.05 * due(0.0)
    assert due(80.0) > due(60.0)


def test_the_upheaval_remembers_two_years():
    # catches: the upheaval's memory back at 12 months (the 1930 harvest, sown largely by
    # individual peasants, took the kolkhozes' chaos in full).
    b = _blocs(upheaval=0.0, collectivised=0.0)
    new = np.asarray(_farm(b)[0].upheaval, np.float64)
    dc = float(FARM.collectivisation_rate) * 1.0 / 12.0
    np.testing.assert_allclose(new, dc * 12.0 / agriculture.UPHEAVAL_MONTHS, rtol=1e-5)
    assert agriculture.UPHEAVAL_MONTHS == 24.0


def test_reports_of_hunger_halt_the_exports():
    # catches: halt = max(relief, clip(response_gain * alarm)) dropped or its sign flipped
    # (ship * (1 + export_halt * halt)). The pool is full: only the halt limits the tranche.
    calm = _farm(g=GRAIN)[1]
    alarmed = _farm(g=replace(GRAIN, alarm=f32(0.05)))[1]
    assert float(calm.exported) > 0.0
    ratio = float(alarmed.exported) / float(calm.exported)
    np.testing.assert_allclose(ratio, 1.0 - float(FARM.export_halt), rtol=1e-5)


def test_the_pool_feeds_the_towns_before_it_exports():
    # catches: exports shipped before the towns are served (the pool's priority reversed):
    # a pool that holds a little more than the towns' month ships nothing abroad.
    towns = float(POLICY.urban * FARM.urban_ration + POLICY.army * 1e-3 * FARM.army_ration) / 12
    g = replace(GRAIN, pool=f32(0.0), exports_due=f32(5.0))
    b = replace(_blocs(stock=0.0), population=jnp.zeros((3,), jnp.float32))
    cal = replace(HARVEST, harvest=jnp.asarray(False), months_since_harvest=jnp.int32(2))
    cal = replace(cal, months_to_harvest=jnp.int32(10))
    led = _farm_grain(b, cal=cal, g=replace(g, pool=f32(1.1 * towns)))[2]
    assert float(led.to_towns) == pytest.approx(towns, rel=1e-5)
    assert float(led.exported) == 0.0
    # With a year's towns' need in the pool beyond it, the tranche goes out.
    led_full = _farm_grain(b, cal=cal, g=replace(g, pool=f32(20.0 * towns)))[2]
    assert float(led_full.exported) > 0.0


# ----------------------------------------------------------------------------- security
from soviet_security_cases import ARMY_0, SEC  # noqa: E402


def _terror(severity: float, months: int = 1, personal: bool = True) -> Security:
    """``months`` months of a wave that starts in the first (draw 0) at ``severity``."""
    sec, true = ARMY_0, jnp.asarray(True)
    ins = security.Insecurity(
        residual=f32(0.4),
        alarm=f32(0.5),
        disaster=f32(0.0),
        severity=f32(severity),
        personal_rule=jnp.asarray(personal),
    )
    for i in range(months):
        sec, _, _ = security.month(
            sec,
            jnp.int32(150 + i),
            ins,
            f32(0.5),
            jnp.asarray(False),
            f32(0.0 if i == 0 else 1.0),
            true,
            true,
            jnp.asarray(False),
            jnp.zeros((2,), bool),
            SEC,
        )
    return sec


@pytest.mark.parametrize("months", [1, 6])
def test_purge_severity_raises_executions_and_lowers_command_quality_as_it_acts(months):
    # catches: quality + quality_purge_loss * net_share * quality (the purge improving the
    # command), and intensity = (1 - severity) * ... (a flipped severity).
    mild, harsh = _terror(0.3, months), _terror(1.0, months)
    assert float(harsh.executions) > float(mild.executions) > 0.0
    assert float(harsh.officers_purged) > float(mild.officers_purged) > 0.0
    assert float(harsh.quality) < float(mild.quality)
    none = _terror(0.0, months)
    assert float(none.executions) == 0.0 and float(none.officers_purged) == 0.0
    assert float(mild.quality) < float(none.quality)


def test_a_collective_leadership_damps_the_terror():
    # catches: propensity = severity * where(personal_rule, damping, 1).
    personal, collective = _terror(1.0, 3, personal=True), _terror(1.0, 3, personal=False)
    assert float(collective.executions) < float(personal.executions)
    assert float(collective.quality) > float(personal.quality)


# ----------------------------------------------------------------------------- leadership
POLICIES = jnp.asarray(
    np.linspace(0.0, 1.0, SK.N_FACTIONS * SK.N_POLICY).reshape(SK.N_FACTIONS, SK.N_POLICY) ** 2,
    jnp.float32,
)


def _lead(power, ruler: int = -1) -> Leadership:
    p = jnp.asarray(power, jnp.float32)
    return replace(leadership.initial(p, p), ruler=jnp.int32(ruler))


@pytest.mark.parametrize("ruler", range(SK.N_FACTIONS))
def test_the_policy_in_force_is_the_rulers(ruler):
    # catches: policy_weights giving the ruler's weight to the others (or to power), and
    # v = v_stalin - divergence * (mix - v_stalin).
    lead = _lead([0.4, 0.3, 0.1, 0.1, 0.1], ruler)
    one, c = f32(1.0), f32(1.0)
    np.testing.assert_allclose(
        leadership.policy_in_force(lead, POLICIES, one, c), POLICIES[ruler], rtol=1e-6
    )
    half = leadership.policy_in_force(lead, POLICIES, f32(0.5), c)
    np.testing.assert_allclose(half, 0.5 * (POLICIES[SK.STALIN] + POLICIES[ruler]), rtol=1e-5)


def test_a_collective_policy_moves_towards_the_stronger_faction():
    # catches: weights = power ** -concentration (the weaker faction's policy prevailing).
    weak = leadership.policy_in_force(_lead([0.3, 0.2, 0.2, 0.2, 0.1]), POLICIES, f32(1), f32(2))
    strong = leadership.policy_in_force(
        _lead([0.3, 0.5, 0.1, 0.05, 0.05]), POLICIES, f32(1), f32(2)
    )
    towards = np.asarray(POLICIES[SK.TROTSKY])
    assert np.linalg.norm(np.asarray(strong) - towards) < np.linalg.norm(np.asarray(weak) - towards)
