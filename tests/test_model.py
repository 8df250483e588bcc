"""The Germany slice over whole runs: invariants, and the direction of its mechanisms."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from conftest import OTL, monthly_traces

from abm.api import compare
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import voters

N_TRACE = 16


@pytest.fixture(scope="module")
def traces(otl_scenario):
    """Full monthly traces of 16 runs (vmapped)."""
    model, theta, s0, _, states = monthly_traces(otl_scenario, 11, N_TRACE)
    return model, (theta, s0, states)


def _leaves(tree):
    return jax.tree_util.tree_flatten_with_path(tree)[0]


def test_nothing_is_nan_or_infinite(traces):
    _, (theta, s0, states) = traces
    for path, leaf in _leaves((theta, s0, states)):
        arr = np.asarray(leaf)
        if np.issubdtype(arr.dtype, np.floating):
            assert np.all(np.isfinite(arr)), jax.tree_util.keystr(path)


def test_electorate_is_conserved(traces):
    _, (_, s0, states) = traces
    size = np.asarray(states.germany.blocs.size, np.float64)  # [run, month, bloc]
    assert np.allclose(size.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(size >= 0)
    pool0 = np.asarray(jax.vmap(voters.labour_pool)(s0.germany.blocs.size))  # [run, C]
    pool = np.asarray(jax.vmap(jax.vmap(voters.labour_pool))(states.germany.blocs.size))
    assert np.allclose(pool, pool0[:, None, :], atol=1e-6)
    others = ~np.isin(voters.BLOC_MILIEU, [K.WORKERS, K.UNEMPLOYED])
    assert np.array_equal(
        size[..., others],
        np.broadcast_to(
            np.asarray(s0.germany.blocs.size)[:, None, others], size[..., others].shape
        ),
    )


def test_vote_shares_sum_to_one_at_every_election_held(traces):
    _, (_, _, states) = traces
    po = states.germany.polity
    final_shares = np.asarray(po.shares[:, -1])  # [run, K, P]
    held = np.asarray(po.held[:, -1])
    assert held.any()
    sums = final_shares.sum(axis=-1)
    assert np.allclose(sums[held], 1.0, atol=1e-5)
    assert np.all(sums[~held] == 0.0)
    assert np.all((final_shares >= 0) & (final_shares <= 1))
    months = np.asarray(po.election_month[:, -1])
    assert np.all((months >= 0) == held)


def test_states_stay_in_their_ranges(traces):
    _, (_, _, states) = traces
    po, pa, ec = states.germany.polity, states.germany.parties, states.germany.economy
    assert np.all((po.regime >= 0) & (po.regime < len(K.REGIMES)))
    assert np.all((po.violence >= 0) & (po.violence <= 1))
    assert np.all((pa.organisation > 0) & (pa.organisation < 1))
    assert np.all(pa.paramilitary >= 0)
    assert np.all(ec.unemployed > 0)
    assert np.all(np.diff(np.asarray(po.month), axis=1) == 1)
    # first-occurrence months never change once set
    for name in ("nazi_month", "united_front_month", "civil_war_month"):
        m = np.asarray(getattr(po, name))
        set_at = m >= 0
        assert np.all(m[:, 1:][set_at[:, :-1]] == m[:, :-1][set_at[:, :-1]])


def test_cube_probabilities_are_in_range(otl_scenario):
    from abm.api import run

    ds = run(otl_scenario, runs=64, seed=2, chunk_size=64)
    for name, var in ds.data_vars.items():
        if name.endswith(("_prob", "_share", "_by_year", "_se")):
            v = var.values
            assert np.all((v >= 0) & (v <= 1)), name
    assert np.allclose(ds["german_regime_1936_share"].sum(), 1.0)
    assert 0.0 < float(ds["nazi_power_prob"]) < 1.0


def _paired(overrides_b, runs=320, overrides_a=()):
    cmp = compare(
        OTL,
        OTL,
        runs=runs,
        seed=7,
        chunk_size=160,
        overrides_a=overrides_a,
        overrides_b=overrides_b,
    )
    return {r["outcome"]: r for r in cmp.table if r["cell"] == ""}


def test_more_united_front_uptake_lowers_nazi_power():
    # Where it acts: test_united_front_uptake_and_line_raise_the_united_front_hazard,
    # test_a_united_front_deters_or_fights_a_nazi_appointment (test_mechanisms_germany.py),
    # test_united_front_uptake_brings_the_united_front_forward (test_mechanism_traces.py).
    rows = _paired(["united_front_uptake=1.0", "comintern_united_front_line=1.0"])
    row = rows["nazi_power_prob"]
    assert row["hi"] < 0, row
    assert rows["united_front_prob"]["lo"] > 0


def test_a_shock_free_economy_lowers_nazi_power():
    # Where it acts: test_the_crisis_raises_unemployment_radicalisation_and_the_nsdap_logit
    # (test_mechanisms_germany.py), test_the_depression_raises_unemployment_radicalisation_
    # and_the_nsdap_vote (test_mechanism_traces.py).
    row = _paired(["depression_severity=0"])["nazi_power_prob"]
    assert row["hi"] < 0, row
    assert row["b"] < row["a"]
