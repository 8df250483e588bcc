"""The contested succession, personal rule that can end, the terror from insecurity, one
divergence per policy lever and the army's expansion (issue 13, Soviet part).

Unit tests on hand-made states (the mechanisms where they act), then 256 whole-model runs
of ``otl`` and ``trotsky`` (prior draws, seed 0) for the fractions the issue asks for.
"""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import OTL, TROTSKY

from abm.models.interwar.soviet import coalition as C
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet import leadership as L
from abm.models.interwar.soviet import rule as R
from abm.models.interwar.soviet import security as S

f32 = jnp.float32
RUNS = 256

G = L.SuccessionParams(
    **{
        k: f32(v)
        for k, v in dict(
            apparatus_pull=0.035,
            base_weight=0.35,
            secretariat_growth=0.02,
            contest_rate=0.1,
            attack_confidence=0.6,
            contest_sharpness=8.0,
            contest_stake=0.5,
            bandwagon=2.0,
            policy_affinity=2.5,
            force_weight=0.3,
            expel_share=0.05,
            power_noise_sd=0.0,
            consolidation_threshold=0.6,
            consolidation_rate=0.1,
            consolidation_years=5.0,
            harvest_crisis_shift=0.0,
            mortality_50=0.01,
            mortality_doubling=8.0,
            revolt_rate=0.01,
            coup_rate=0.02,
            disaster_weight=0.2,
            rival_decay=0.02,
            assassination_rate=0.005,
            insecurity_memory=2.0,
        ).items()
    },
    propensity=jnp.full((K.N_FACTIONS,), 0.8, jnp.float32),
)
POLICIES = jnp.asarray(
    np.linspace(0.0, 1.0, K.N_FACTIONS * K.N_POLICY).reshape(K.N_FACTIONS, K.N_POLICY),
    jnp.float32,
)
DIST = C.distances(POLICIES)
CALM = L.Pressures(
    shortfall=f32(0.0), famine=f32(0.0), discharged=f32(0.0), terror=f32(0.0), year=f32(1930.0)
)
#: Draws under which nothing random happens (every uniform at 1).
NOTHING = jnp.ones((9,), jnp.float32)


def _lead(power, resources=None, ruler: int = -1, rule_start: int = -1):
    p = jnp.asarray(power, jnp.float32)
    res = jnp.tile(p[:, None], (1, C.N_RESOURCES)) if resources is None else resources
    lead = L.initial(p, jnp.asarray(res, jnp.float32))
    return replace(lead, ruler=jnp.int32(ruler), rule_start=jnp.int32(rule_start))


def _month(lead, u=NOTHING, pr=CALM, g=G, t=72):
    z = jnp.zeros((K.N_FACTIONS,), jnp.float32)
    return L.month(jnp.int32(t), lead, pr, z, u, g, DIST, 71)


# ----------------------------------------------------------------------------- succession
def test_a_faction_without_the_apparatus_can_attack_and_win():
    # Before: only the Secretariat's holder attacked. Here Stalin holds the apparatus, but
    # Zinoviev (with the base, the army and most of the Central Committee) judges he can
    # win; the draw that picks the attacker at 0 picks the first confident faction.
    res = np.full((K.N_FACTIONS, C.N_RESOURCES), 0.1, np.float32)
    res[K.STALIN, C.APPARATUS] = 0.6
    res[K.ZINOVIEV, [C.ARMY, C.POLICE, C.BASE]] = 0.6
    lead = _lead([0.15, 0.1, 0.5, 0.1, 0.15], res)
    x = C.strength(lead.power, lead.resources, lead.active, G.force_weight)
    target, chance = C.showdowns(x, lead.active, DIST, G.policy_affinity, G.bandwagon, f32(8.0))
    hazards = np.asarray(C.attack_hazards(chance, G.contest_rate, G.attack_confidence))
    assert hazards[K.ZINOVIEV] > 0 and hazards[K.STALIN] == 0
    u = NOTHING.at[L.EV_CONTEST].set(0.0).at[L.EV_CONTEST_WIN].set(0.0)
    new = _month(lead, u)
    loser = int(target[K.ZINOVIEV])
    assert float(new.power[loser]) < float(lead.power[loser])
    assert float(new.power[K.ZINOVIEV]) > float(lead.power[K.ZINOVIEV])


def test_third_factions_join_the_closer_platform_and_the_expected_winner():
    # Attacker 1 against target 4 (platforms ordered by index): factions 0 and 2 lie nearer
    # 1, faction 3 nearer 4, so a weight on platforms raises the attacker's side.
    x = jnp.full((K.N_FACTIONS,), 0.2, jnp.float32)
    act = jnp.ones((K.N_FACTIONS,), bool)
    i, j = jnp.int32(1), jnp.int32(4)
    blind = float(C.sides(x, act, DIST, i, j, f32(0.0), f32(0.0)))
    assert blind == pytest.approx(0.2 + 0.5 * 0.6)
    assert float(C.sides(x, act, DIST, i, j, f32(5.0), f32(0.0))) > blind
    # The expected winner draws the third factions (bandwagon > 0), or repels them (< 0).
    strong = x.at[1].set(0.3).at[4].set(0.1)
    even = float(C.sides(strong, act, DIST, i, j, f32(0.0), f32(0.0)))
    assert float(C.sides(strong, act, DIST, i, j, f32(0.0), f32(5.0))) > even
    assert float(C.sides(strong, act, DIST, i, j, f32(0.0), f32(-5.0))) < even


def test_a_rulers_death_ends_personal_rule_and_the_struggle_resumes():
    lead = _lead([0.8, 0.05, 0.05, 0.05, 0.05], ruler=K.STALIN, rule_start=60)
    u = NOTHING.at[L.EV_DEATH].set(0.0)  # the first named faction with a hazard dies
    old = replace(CALM, year=f32(1940.0))
    new = _month(lead, u, old, t=190)
    assert int(new.ruler) == -1 and int(new.end_cause) == R.END_DEATH
    assert not bool(new.active[K.STALIN]) and int(new.end_month) == 190
    # The next month is collective again: a showdown can come among the survivors.
    nxt = _month(new, NOTHING.at[L.EV_CONTEST].set(0.0), old, t=191)
    assert int(nxt.ruler) == -1
    assert not np.allclose(np.asarray(nxt.power), np.asarray(new.power))


def test_a_revolt_can_end_an_insecure_rule_but_not_a_secure_one():
    lead = _lead([0.4, 0.3, 0.1, 0.1, 0.1], ruler=K.STALIN, rule_start=60)
    u = NOTHING.at[L.EV_ATTEMPT].set(0.0).at[L.EV_ATTEMPT_WIN].set(0.0)
    early = _month(lead, u, t=70)
    assert int(early.ruler) == -1 and int(early.end_cause) == R.END_REVOLT
    late = _month(lead, u, t=60 + 12 * 6)  # past consolidation_years = 5
    assert int(late.ruler) == K.STALIN and int(late.end_cause) == R.END_NONE


def test_a_purged_army_can_make_a_coup_and_a_failed_plot_alarms_the_ruler():
    res = np.full((K.N_FACTIONS, C.N_RESOURCES), 0.1, np.float32)
    res[K.OTHERS, C.ARMY] = 0.9
    lead = replace(
        _lead([0.9, 0.025, 0.025, 0.025, 0.025], res, ruler=K.STALIN, rule_start=60),
        grievance=f32(3.0),
    )
    hz = R.attempt_hazards(
        lead.power, lead.resources[K.STALIN], jnp.int32(0), f32(0.0), f32(3.0),
        G.revolt_rate, G.coup_rate, G.disaster_weight, C.ARMY,
    )  # fmt: skip
    assert float(hz[1]) > float(hz[0])  # the army's grievance outweighs a broken opposition
    u = NOTHING.at[L.EV_ATTEMPT].set(float(hz[0]) + 1e-4).at[L.EV_ATTEMPT_WIN].set(0.0)
    coup = _month(lead, u, t=70)
    assert int(coup.ruler) == -1 and int(coup.end_cause) == R.END_COUP
    failed = _month(lead, u.at[L.EV_ATTEMPT_WIN].set(0.999), t=70)
    assert int(failed.ruler) == K.STALIN and float(failed.alarm) > float(lead.alarm) + 0.5


def test_death_hazards_rise_with_age_and_spare_the_others():
    h30 = np.asarray(R.death_hazards(f32(1924.0), jnp.ones(5, bool), f32(0.01), f32(8.0)))
    h40 = np.asarray(R.death_hazards(f32(1940.0), jnp.ones(5, bool), f32(0.01), f32(8.0)))
    assert np.all(h40[:4] > h30[:4]) and h40[K.OTHERS] == 0.0
    assert h30[K.STALIN] > h30[K.BUKHARIN]  # born 1878 against 1888


# ----------------------------------------------------------------------------- policy
def test_each_divergence_acts_on_its_own_lever():
    lead = _lead([0.1, 0.6, 0.1, 0.1, 0.1], ruler=K.TROTSKY)
    one = jnp.ones((K.N_POLICY,), jnp.float32)
    full = np.asarray(L.policy_in_force(lead, POLICIES, one, f32(2.0)))
    zero_purge = np.asarray(L.policy_in_force(lead, POLICIES, one.at[K.P_PURGE].set(0.0), f32(2.0)))
    assert zero_purge[K.P_PURGE] == pytest.approx(float(POLICIES[K.STALIN, K.P_PURGE]))
    others = np.arange(K.N_POLICY) != K.P_PURGE
    np.testing.assert_allclose(zero_purge[others], full[others], rtol=1e-6)
    np.testing.assert_allclose(full, np.asarray(POLICIES[K.TROTSKY]), rtol=1e-6)


# ----------------------------------------------------------------------------- terror
from soviet_security_cases import ARMY_0, SEC  # noqa: E402


def _ins(residual=0.0, alarm=0.0, personal=True, severity=1.0):
    return S.Insecurity(
        residual=f32(residual),
        alarm=f32(alarm),
        disaster=f32(0.0),
        severity=f32(severity),
        personal_rule=jnp.asarray(personal),
    )


def _security(ins, months=12, u=0.0, threat=0.5, war=False):
    sec = ARMY_0
    for i in range(months):
        sec, _, _ = S.month(
            sec, jnp.int32(150 + i), ins, f32(threat), jnp.asarray(war), f32(u if i == 0 else 1.0),
            jnp.asarray(True), jnp.asarray(True), jnp.asarray(False), jnp.zeros((2,), bool), SEC,
        )  # fmt: skip
    return sec


def test_the_terror_hazard_rises_with_the_rulers_insecurity():
    secure = float(S.wave_hazard(_ins(0.0, 0.0), f32(0.0), SEC))
    rivals = float(S.wave_hazard(_ins(0.4, 0.0), f32(0.0), SEC))
    alarmed = float(S.wave_hazard(_ins(0.4, 1.0), f32(0.0), SEC))
    threatened = float(S.wave_hazard(_ins(0.4, 1.0), f32(1.0), SEC))
    assert secure == 0.0 < rivals < alarmed < threatened
    assert float(S.wave_hazard(_ins(0.4, 1.0, severity=0.0), f32(1.0), SEC)) == 0.0


def test_a_collective_leadership_executes_fewer():
    personal = _security(_ins(0.4, 1.0, personal=True))
    collective = _security(_ins(0.4, 1.0, personal=False))
    assert float(personal.executions) > float(collective.executions) > 0.0
    assert float(S.wave_hazard(_ins(0.4, 1.0, False), f32(0.5), SEC)) < float(
        S.wave_hazard(_ins(0.4, 1.0, True), f32(0.5), SEC)
    )


def test_command_quality_falls_after_a_severe_purge_same_draws():
    severe = _security(_ins(0.4, 1.0, severity=1.0), months=24)
    mild = _security(_ins(0.4, 1.0, severity=0.2), months=24)
    none = _security(_ins(0.4, 1.0, severity=0.0), months=24)
    assert float(severe.quality) < float(mild.quality) < float(none.quality)
    assert float(severe.officers_purged) > float(mild.officers_purged) > 0.0


def test_the_war_expands_the_army_and_dilutes_its_command():
    peace = _security(_ins(severity=0.0), months=12, war=False)
    war = _security(_ins(severity=0.0), months=12, war=True)
    assert float(war.army) > float(peace.army) * 1.2
    assert float(war.quality) < float(peace.quality)


# ----------------------------------------------------------------------------- whole runs
def _final(path):
    from abm.config import load_scenario
    from abm.engine.runner import simulate_batch

    sc = load_scenario(path)
    model = sc.model()
    rows = jax.tree.map(lambda x: np.repeat(np.asarray(x)[None], RUNS, axis=0), sc.prior_table())
    runs = jnp.arange(RUNS, dtype=jnp.int32)
    go = jax.jit(lambda r, k: simulate_batch(model, jnp.uint32(0), r, 0 * k, k)[2])
    final = jax.device_get(go(rows, runs))
    return final.soviet, np.asarray(final.germany.polity.nazi_month)


@pytest.fixture(scope="module")
def finals():
    (otl, nazi), (trotsky, _) = _final(OTL), _final(TROTSKY)
    return {"otl": otl, "trotsky": trotsky, "nazi_otl": nazi}


def test_the_struggle_can_go_either_way(finals):
    # Before: Trotsky won 0.2 % of the baseline's runs and Stalin 0.3 % of Trotsky's (the
    # issue, on the posterior); on these prior draws the code before gave 1.95 % each.
    # Measured: see the report in docs/ODD.md 7.13.
    otl, tro = finals["otl"].leadership, finals["trotsky"].leadership
    stalin_in_trotsky = np.mean(np.asarray(tro.ruler) == K.STALIN)
    trotsky_in_otl = np.mean(np.asarray(otl.ruler) == K.TROTSKY)
    assert stalin_in_trotsky >= 0.01, stalin_in_trotsky
    assert trotsky_in_otl >= 0.03, trotsky_in_otl  # the code before: 1.95 %
    # The preset still sets the starting positions: each side usually keeps its lead.
    assert np.mean(np.asarray(otl.ruler) == K.STALIN) > 4 * trotsky_in_otl
    assert np.mean(np.asarray(tro.ruler) == K.TROTSKY) > 4 * stalin_in_trotsky


def test_personal_rule_can_end_and_is_not_pinned(finals):
    # Before: personal rule, once reached, lasted (P(personal) 0.96 under Trotsky).
    tro = finals["trotsky"].leadership
    ended = np.asarray(tro.end_cause) != R.END_NONE
    assert 0.02 < np.mean(ended) < 0.5
    assert np.mean(np.asarray(tro.personal_month) >= 0) < 0.9  # measured 0.81


def test_the_terrors_date_differs_between_runs(finals):
    sec = finals["otl"].security
    start = np.asarray(sec.first_wave)
    started = start[start >= 0]
    assert started.size > RUNS // 2
    assert np.std(started) > 6.0  # months
    assert np.median(np.asarray(sec.executions)) > 2e5  # measured 663,636 (681,692)


def test_the_army_of_june_1941_is_near_its_historical_size(finals):
    # Before: 2.9 M against 5.4 M. Conditioned on history's condition, a Nazi Germany
    # (its threat and its war drive the expansion; without it the army stays near 1 M).
    army = np.asarray(finals["otl"].security.army_record)  # thousands
    nazi = finals["nazi_otl"] >= 0
    assert nazi.sum() > RUNS // 4
    assert 4000.0 <= np.median(army[nazi, 1]) <= 6000.0, np.median(army[nazi, 1])
    assert np.median(army[~nazi, 1]) < np.median(army[nazi, 1])
