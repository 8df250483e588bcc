"""The Soviet slice over whole runs: invariants, and the parts' own rules."""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import monthly_traces

from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet import leadership
from abm.models.interwar.soviet.regions import regions

N_TRACE = 16


@pytest.fixture(scope="module")
def traces(otl_scenario):
    """Full monthly traces of 16 ``otl`` runs: ``(model, theta, s0, final, states)``."""
    model, theta, s0, final, states = monthly_traces(otl_scenario, 5, N_TRACE)
    return model, theta, s0.soviet, final.soviet, states.soviet


def test_regions_table_has_the_groups_the_outcomes_name():
    reg = regions()
    assert reg.n >= 80
    assert reg.famine_mask[1].sum() >= 10  # Ukraine
    assert reg.famine_mask[2].sum() >= 3  # Kazakhstan
    np.testing.assert_allclose(reg.area_share.sum(), 1.0, rtol=1e-6)
    assert np.all(reg.rural_population > 0)


def test_nothing_is_nan_or_infinite(traces):
    _, _, _, _, states = traces
    for path, leaf in jax.tree_util.tree_flatten_with_path(states)[0]:
        arr = np.asarray(leaf)
        if arr.dtype.kind == "f":
            assert np.all(np.isfinite(arr)), jax.tree_util.keystr(path)


def test_population_is_conserved_across_regions(traces):
    """Rural population + those who fled = initial + natural increase - famine deaths."""
    _, _, s0, final, _ = traces
    pop0 = np.asarray(s0.blocs.population, np.float64).sum(axis=-1)
    popt = np.asarray(final.blocs.population, np.float64).sum(axis=-1)
    led = final.ledger
    lhs = popt + np.asarray(led.fled, np.float64)
    rhs = pop0 + np.asarray(led.births, np.float64) - np.asarray(led.deaths, np.float64)
    np.testing.assert_allclose(lhs, rhs, rtol=2e-5)
    assert np.all(np.asarray(final.blocs.population) > 0)


def test_grain_balance_holds(traces):
    """Harvested + initial stock = seed + procured + eaten + lost + final stock."""
    _, _, s0, final, _ = traces
    led = final.ledger
    f64 = lambda x: np.asarray(x, np.float64)  # noqa: E731
    lhs = f64(led.harvested) + f64(s0.blocs.stock).sum(-1)
    rhs = (
        f64(led.seed)
        + f64(led.procured)
        + f64(led.eaten)
        + f64(led.stock_lost)
        + f64(final.blocs.stock).sum(-1)
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4)
    assert np.all(np.asarray(final.blocs.stock) >= -1e-6)
    # The yearly harvest record adds up to the ledger's total.
    np.testing.assert_allclose(f64(led.harvest).sum(-1), f64(led.harvested), rtol=1e-5)


def test_famine_groups_are_parts_of_the_total(traces):
    _, _, _, final, _ = traces
    deaths = np.asarray(final.ledger.famine_deaths)  # [run, G]
    assert np.all(deaths >= 0)
    assert np.all(deaths[:, 1] + deaths[:, 2] <= deaths[:, 0] + 1e-6)
    assert np.all(deaths[:, 0] <= np.asarray(final.ledger.deaths) + 1e-6)


def test_power_shares_stay_a_distribution_and_personal_rule_changes_only_by_its_end(traces):
    _, _, _, _, states = traces
    lead = states.leadership
    power = np.asarray(lead.power)  # [run, month, F]
    np.testing.assert_allclose(power.sum(-1), 1.0, atol=1e-5)
    assert np.all(power >= 0)
    assert np.all(power[~np.asarray(lead.active)] == 0)
    res = np.asarray(lead.resources)  # [run, month, F, R]
    np.testing.assert_allclose(res.sum(-2), 1.0, atol=1e-5)
    assert np.all(res[~np.asarray(lead.active)] == 0)
    # Expelled (or dead) factions stay out; a ruler is replaced only through the end of
    # his rule (-1: the struggle resumes), never directly by another.
    active = np.asarray(lead.active)
    assert np.all(active[:, 1:] <= active[:, :-1])
    ruler = np.asarray(lead.ruler)
    before, after = ruler[:, :-1], ruler[:, 1:]
    changed = before != after
    assert np.all((before[changed] < 0) | (after[changed] < 0))
    # The first end of personal rule is recorded with its month.
    end = np.asarray(lead.end_month)[:, -1]
    cause = np.asarray(lead.end_cause)[:, -1]
    assert np.all((end >= 0) == (cause > 0))


def test_records_are_in_range(traces):
    _, _, _, final, _ = traces
    sec = final.security
    q = np.asarray(sec.quality_1941)
    assert np.all((q >= 0) & (q <= 1))
    assert np.all(np.asarray(sec.officers_arrested) <= np.asarray(sec.officers_purged) + 1e-3)
    coll = np.asarray(final.blocs.collectivised)
    assert np.all((coll >= 0) & (coll <= 1))
    assert np.all(np.asarray(final.china.record) > 0)


def test_policy_follows_the_ruler_alone_under_personal_rule():
    lead = leadership.initial(jnp.full((K.N_FACTIONS,), 0.2), jnp.full((K.N_FACTIONS, 4), 0.2))
    policies = (
        jnp.arange(K.N_FACTIONS * K.N_POLICY, dtype=jnp.float32).reshape(K.N_FACTIONS, K.N_POLICY)
        / 100.0
    )
    ruled = replace(lead, ruler=jnp.int32(K.TROTSKY), personal_month=jnp.int32(10))
    full = leadership.policy_in_force(ruled, policies, jnp.float32(1.0), jnp.float32(2.0))
    np.testing.assert_allclose(full, policies[K.TROTSKY], rtol=1e-6)
    none = leadership.policy_in_force(ruled, policies, jnp.float32(0.0), jnp.float32(2.0))
    np.testing.assert_allclose(none, policies[K.STALIN], rtol=1e-6)
    # Collective: equal power shares give the mean policy.
    mixed = leadership.policy_in_force(lead, policies, jnp.float32(1.0), jnp.float32(2.0))
    np.testing.assert_allclose(mixed, policies.mean(axis=0), rtol=1e-5)
