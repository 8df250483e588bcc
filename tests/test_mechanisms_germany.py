"""Germany's mechanisms behind the directional tests, checked where they act (unit checks).

``test_model.py`` checks that a united front and a shock-free economy lower the chance of
a Nazi chancellor; here each step of those paths is checked in the function that computes
it, with two values of one input and everything else equal (``docs/ODD.md`` 7.1-7.4, 7.9,
7.11): the united front's hazard, its deterrence and confrontation, and the Depression's
unemployment, crisis, radicalisation and NSDAP logit. Every test names the mutation of
``src/`` it was seen to catch ("catches: ...").
"""

from __future__ import annotations

import germany_runs as R
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.models.interwar.germany import constants as GK
from abm.models.interwar.germany import economy, government, voters

f32 = jnp.float32

#: A grid of uniform draws: the share of it under which an event happens is its probability.
U_GRID = (jnp.arange(400, dtype=jnp.float32) + 0.5) / 400.0


def _event_share(event: int, outcome, regime: int, nsdap: float = 0.3, uf: bool = False, **g):
    """Share of ``U_GRID`` draws of ``event`` for which ``outcome(RegimeMonth)`` holds.

    Every other draw is 1 (no other event), except those named ``u_<index>`` in ``g``.
    """
    base = jnp.ones((government.N_EVENT_DRAWS,), jnp.float32)
    for k in [k for k in g if k.startswith("u_")]:
        base = base.at[int(k[2:])].set(f32(g.pop(k)))
    x = R.inputs(
        nsdap=nsdap,
        regime=regime,
        united_front=uf,
        united_front_strength=1.0 if uf else 0.0,
        t=100,
        last_election=95,
        regime_since=95,
    )
    params = R.gov(**g)

    def one(u):
        return outcome(government.regime_month(x, base.at[event].set(u), params))

    return float(jnp.mean(jax.vmap(one)(U_GRID).astype(jnp.float32)))


def _uf_forms(**kw) -> float:
    forms = lambda r: r.united_front  # noqa: E731
    return _event_share(government.EV_UNITED_FRONT, forms, GK.PARLIAMENTARY, **kw)


def test_united_front_uptake_and_line_raise_the_united_front_hazard():
    # catches: h_uf = rate * (1 - uptake) * line * threat, and a flipped line.
    low, high = _uf_forms(united_front_uptake=0.1), _uf_forms(united_front_uptake=1.0)
    assert 0.0 < low < high
    assert _uf_forms(comintern_line=0.0) < _uf_forms(comintern_line=1.0)
    assert _uf_forms(nsdap=0.1) < _uf_forms(nsdap=0.35)  # the Nazi threat drives it too
    assert _uf_forms(united_front_uptake=0.0) == 0.0
    assert _uf_forms(comintern_line=0.0) == 0.0  # the KPD's line must allow it


def _nazi(**kw) -> float:
    is_nazi = lambda r: r.regime == GK.NAZI  # noqa: E731
    kw = {f"u_{government.EV_PRESIDENT}": 0.0, f"u_{government.EV_ARMY}": 0.0, **kw}
    return _event_share(government.EV_PROPOSAL, is_nazi, GK.PRESIDENTIAL, nsdap=0.33, **kw)


def test_a_united_front_deters_or_fights_a_nazi_appointment():
    # catches: the strike threat added to the elites' utility of a Hitler cabinet, and a
    # confrontation that does not end in civil war or the regime's collapse (the ways
    # the united front lowers the Nazi seizure of power).
    alone, united = _nazi(uf=False), _nazi(uf=True)
    assert 0.0 < united < alone
    ev = government.EV_CONFRONTATION
    assert _nazi(uf=True, **{f"u_{ev}": 0.0}) == 0.0  # every appointment meets resistance


def test_the_crisis_raises_unemployment_radicalisation_and_the_nsdap_logit(otl_scenario):
    # catches: unemployment base - severity * g(t), radicalisation moving away from the
    # crisis, and the crisis loading subtracted in the bloc logits (whose last column is
    # staying at home: shares are of the valid votes).
    # Unemployment (millions, two years into the Depression) with and without it.
    path = lambda d: float(  # noqa: E731
        economy.unemployment_path(
            f32(96.0), f32(1.3), f32(d), f32(70.0), f32(12.0), f32(108), f32(36)
        )
    )
    assert path(0.0) == pytest.approx(1.3)
    assert path(2.0) < path(5.0)
    crisis = [
        float(economy.crisis_index(f32(96), f32(u), f32(18.1), f32(0.3), f32(12)))
        for u in (path(0), path(5))
    ]
    assert crisis[0] < crisis[1]
    r0 = jnp.zeros((voters.DEFAULT.n_blocs,), jnp.float32)
    rad = [voters.update_radicalisation(r0, f32(x), f32(6.0)) for x in crisis]
    assert np.all(np.asarray(rad[1]) > np.asarray(rad[0]))

    # The catalogue's crisis loading of the NSDAP is positive across its prior (normal).
    table = otl_scenario.prior_table()
    index = otl_scenario.model().slices["germany"].model._vec["crisis_loading"]
    loading = np.asarray(table.a)[index]  # prior means (the SPD's is fixed at 0)
    i = index[GK.NSDAP]
    assert table.a[i] - 4 * table.b[i] > 0.0, (table.kind[i], table.a[i], table.b[i])

    n_c, n_p = voters.DEFAULT.n_constituencies, GK.N_PARTIES
    zero_p, zero_cp = jnp.zeros((n_p,), jnp.float32), jnp.zeros((n_c, n_p), jnp.float32)
    zero = f32(0.0)
    params = voters.VoteParams(zero_p, jnp.asarray(loading), zero_p, *([zero] * 10))

    def logits(r):
        # No organisation, agrarian distress, disappointment or united front: the crisis
        # loading alone.
        return voters.bloc_logits(
            params, zero_cp, r, zero, f32(0.05), zero, zero, zero, zero, zero_p, zero_cp
        )

    calm, hard = logits(rad[0]), logits(rad[1])
    lead = lambda x: np.asarray(x[:, GK.NSDAP] - x[:, GK.SPD])  # noqa: E731  (SPD: the reference)
    assert np.all(lead(hard) > lead(calm))
    size = jnp.asarray(voters.INITIAL_SIZE, jnp.float32)
    share = lambda x: float(voters.national_shares(size, x)[GK.NSDAP])  # noqa: E731
    assert share(hard) > share(calm)
