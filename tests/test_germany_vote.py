"""The German vote from mechanisms, the united front on votes, elections by their own month.

Issue 13, part GV (``docs/ODD.md``, the voters' submodel). Each test reproduces a finding
measured on the model before the rebuild and failed there: the NSDAP's rise rested on a
time trend (``trend.NSDAP``), a bigger NSDAP organisation lowered its own vote
(``mobilisation_loading.NSDAP`` < 0), a united front changed no vote, an early election
took the next slot's label, and no election was held after March 1933's slot. The model
runs on its deterministic skeleton (every draw neutral: no drift, no event) at the
prior's centre, so the checks are exact comparisons of two states that differ in one input.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from abm.models.interwar.germany import calibration, voters
from abm.models.interwar.germany import constants as GK
from abm.models.interwar.germany.model import GermanyModel
from abm.models.interwar.germany.parameters import catalogue

MODEL = GermanyModel()


def _theta(**pins: float) -> jnp.ndarray:
    """The prior's centre (calibrated priors where written), with ``pins`` set."""
    theta = np.array([p.prior.median_guess(p.low, p.high) for p in MODEL.params], np.float32)
    for name, value in pins.items():
        theta[MODEL._idx[name]] = value
    return jnp.asarray(theta)


@cache
def _advance_fn():
    draws = calibration.neutral_draws()

    @jax.jit
    def run(state, theta, n):
        return jax.lax.fori_loop(0, n, lambda _, s: MODEL.advance(s, theta, draws), state)

    return run


def _state_at(label: str, theta: jnp.ndarray):
    """The skeleton's state at the start of month ``label`` (before it is simulated)."""
    state = MODEL.init(jax.random.key(0), theta)
    return _advance_fn()(state, theta, jnp.int32(MODEL.calendar.index_of(label)))


def _vote(state, theta):
    """The month's vote count (valid-vote shares ``[P]``) on the skeleton's draws."""
    draws = calibration.neutral_draws()
    mid, _, _ = MODEL.before_election(state, theta, draws)
    return MODEL.election(mid, theta, draws)


def test_the_nsdap_has_no_time_trend_and_rises_with_the_crisis():
    # The finding: the NSDAP's rise rested on trend.NSDAP (+0.30 logit a year); set to 0,
    # its July 1932 median fell to 7 %. Now no party trend exists, and the rise is the
    # crisis's: with the Depression the skeleton's NSDAP passes 30 % in July 1932, with a
    # flat economy (no Depression; the agrarian crisis alone) it stays small.
    names = {p.name for p in catalogue()}
    assert not any(n.startswith("trend.") for n in names), sorted(names)
    k = GK.ELECTION_SLOTS.index("1932-07")
    run = jax.jit(lambda th: calibration.skeleton(MODEL, th).polity)
    crisis = run(_theta())
    flat = run(_theta(depression_severity=0.0))
    assert int(crisis.election_month[k]) == MODEL.calendar.index_of("1932-07")
    assert float(crisis.shares[k, GK.NSDAP]) > 0.30
    assert float(flat.shares[k, GK.NSDAP]) < 0.15
    # ... and falls back after the July peak while it stays out of power (November 1932).
    assert float(crisis.shares[k + 1, GK.NSDAP]) < float(crisis.shares[k, GK.NSDAP])
    # Turnout rises with the crisis (75.6 % in 1928, 84.1 % in July 1932).
    assert float(crisis.turnout[k]) > float(crisis.turnout[GK.ELECTION_SLOTS.index("1928-05")])
    assert float(crisis.turnout[k]) > float(flat.turnout[k])


def test_the_spd_recovers_as_the_hyperinflations_aftershock_fades():
    # The finding (part GF): with the party trends gone, the skeleton's SPD stayed flat
    # through 1924 (26.9 % in May, 26.4 % in December; history 20.5 % and 26.0 %), so May
    # 1924's SPD fell outside its 90 % interval. The aftershock now estranges the workers
    # and unemployed from the SPD (to the KPD and to abstention) and fades with it: the
    # SPD rises and the KPD falls between May and December 1924, and without the
    # mechanism (its loading at 0) the swing is gone. By 1928 it has no effect left.
    run = jax.jit(lambda th: calibration.skeleton(MODEL, th).polity)
    may, dec, y28 = (GK.ELECTION_SLOTS.index(s) for s in ("1924-05", "1924-12", "1928-05"))
    fitted = run(_theta())
    off = run(_theta(aftershock_spd_loading=0.0))
    spd, kpd = np.asarray(fitted.shares[:, GK.SPD]), np.asarray(fitted.shares[:, GK.KPD])
    assert spd[dec] - spd[may] > 0.03, spd[:3]
    assert kpd[may] - kpd[dec] > 0.02, kpd[:3]
    assert abs(spd[may] - 0.205) < 0.025, spd[may]
    spd_off = np.asarray(off.shares[:, GK.SPD])
    assert spd_off[dec] - spd_off[may] < 0.01, spd_off[:3]
    assert abs(spd_off[y28] - spd[y28]) < 1e-3


def test_the_aftershock_moves_only_the_labour_milieux_away_from_the_spd():
    # -zeta a(t) on the SPD's utility of the workers' and unemployed blocs, nothing else.
    n_b, n_p = voters.DEFAULT.n_blocs, GK.N_PARTIES
    zero_p, zero = jnp.zeros(n_p), jnp.float32(0.0)
    params = voters.VoteParams(zero_p, zero_p, zero_p, *([zero] * 10), jnp.float32(10.0))
    args = (
        params,
        jnp.zeros((GK.N_CONSTITUENCIES, n_p)),
        jnp.zeros(n_b),
        zero,
        jnp.float32(0.5),
        zero,
        zero,
        zero,
        zero,
        zero_p,
        jnp.zeros((GK.N_CONSTITUENCIES, n_p)),
    )
    calm = np.asarray(voters.bloc_logits(*args, aftershock=0.0))
    shock = np.asarray(voters.bloc_logits(*args, aftershock=0.1))
    diff = shock - calm
    labour = np.isin(voters.BLOC_MILIEU, [GK.WORKERS, GK.UNEMPLOYED])
    assert np.allclose(diff[labour, GK.SPD], -1.0, atol=1e-5)
    diff[labour, GK.SPD] = 0.0
    assert np.abs(diff).max() == 0.0


def test_disappointment_follows_a_big_vote_kept_out_of_power():
    # D grows towards (S_N - theta)^+ out of power, fades in power and below the threshold.
    d0, thr, months = jnp.float32(0.0), jnp.float32(0.25), jnp.float32(4.0)
    out = voters.update_disappointment(d0, jnp.float32(0.37), jnp.asarray(False), thr, months)
    assert float(out) == pytest.approx(0.12 / 4.0)
    assert float(voters.update_disappointment(d0, 0.37, jnp.asarray(True), thr, months)) == 0.0
    assert float(voters.update_disappointment(d0, 0.18, jnp.asarray(False), thr, months)) == 0.0
    fade = voters.update_disappointment(jnp.float32(0.1), 0.37, jnp.asarray(True), thr, months)
    assert float(fade) == pytest.approx(0.075)


def test_a_bigger_nsdap_organisation_never_lowers_its_own_vote():
    # The finding: mobilisation_loading.NSDAP < 0 (a bigger party organisation lowered its
    # own vote). At the prior's centre, and with the loadings at their ranges' extremes,
    # the NSDAP's share does not fall as its organisation grows.
    for pins in (
        {},
        {"agrarian_loading.NSDAP": -10.0, "organisation_loading": 0.0, "defection_loading": 0.0},
        {"crisis_loading.NSDAP": -15.0, "organisation_loading": 5.0, "defection_loading": 10.0},
    ):
        theta = _theta(**pins)
        state = _state_at("1932-07", theta)
        shares = []
        for org in (0.02, 0.1, 0.3, 0.6, 0.9, 0.99):
            pa = replace(
                state.parties, organisation=state.parties.organisation.at[GK.NSDAP].set(org)
            )
            mid = replace(state, parties=pa)
            # Elections count the organisation as it stands after the month's growth: pin
            # the growth to 0 so the organisation is the one set here.
            th = theta.at[MODEL._idx["nsdap_organisation_growth"]].set(0.0)
            shares.append(float(_vote(mid, th).shares[GK.NSDAP]))
        assert np.all(np.diff(shares) >= -1e-6), (pins, shares)
        assert shares[-1] > shares[0] or pins, shares


@pytest.mark.parametrize("label", ["1932-07", "1932-11"])
def test_a_united_front_changes_the_vote(label):
    # The finding: the Reichstag rows were identical between otl and trotsky runs. Now
    # the same month with the same draws, with a united front and without, votes
    # differently: the left gains, the NSDAP loses, turnout rises.
    theta = _theta()
    state = _state_at(label, theta)
    po = state.polity
    without = _vote(replace(state, polity=replace(po, united_front=jnp.asarray(False))), theta)
    front = replace(po, united_front=jnp.asarray(True))
    if hasattr(po, "united_front_strength"):
        front = replace(front, united_front_strength=jnp.float32(1.0))
    with_ = _vote(replace(state, polity=front), theta)
    a, b = np.asarray(without.shares), np.asarray(with_.shares)
    assert np.abs(a - b).max() > 0.005, (a, b)
    left = [GK.KPD, GK.SPD]
    assert b[left].sum() > a[left].sum()
    assert b[GK.NSDAP] < a[GK.NSDAP]
    assert float(with_.turnout) > float(without.turnout)


def test_an_early_election_is_labelled_by_its_own_month():
    # The finding: a July 1931 election was reported as "1932-07". Now it is reported as
    # "1931-07", and it replaces the next scheduled slot, so "1932-07" stays unheld.
    theta = _theta()
    july31 = MODEL.calendar.index_of("1931-07")
    state = _state_at("1931-07", theta)
    state = replace(state, polity=replace(state.polity, early_election=jnp.int32(july31)))
    after = _advance_fn()(state, theta, jnp.int32(1))
    labels = list(MODEL.election_labels)
    out = MODEL.outcomes(after, theta)
    held = np.asarray(out["reichstag_share/mask"])[:, 0]
    assert held[labels.index("1931-07")]
    assert not held[labels.index("1932-07")]
    shares = np.asarray(out["reichstag_share"])[labels.index("1931-07")]
    assert shares.sum() == pytest.approx(1.0, abs=1e-5)
    # The slot of July 1932 is used up: the next scheduled one is November 1932.
    assert int(after.polity.next_slot) == GK.ELECTION_SLOTS.index("1932-11")
    # Every reported election sits at its own month.
    months = np.asarray(after.polity.election_month)[np.asarray(after.polity.held)]
    assert sorted(MODEL.calendar.label(int(t)) for t in months) == [
        lab for lab, h in zip(labels, held, strict=True) if h
    ]


@pytest.mark.parametrize(
    ("regime", "since", "holds"),
    [
        (GK.PARLIAMENTARY, 0, True),
        (GK.PRESIDENTIAL, 0, True),
        (GK.NAZI, 40, False),
        (GK.AUTHORITARIAN, 40, False),
        (GK.NAZI, -1, True),  # within two months of taking power (as in March 1933)
    ],
)
def test_elections_after_the_last_slot_follow_the_constitution(regime, since, holds):
    # Art. 23: a Reichstag election is due four years after the last one, also after the
    # historical slots; no free election under a Nazi or authoritarian dictatorship after
    # its first two months.
    theta = _theta()
    t = MODEL.calendar.index_of("1936-11")
    state = _state_at("1924-02", theta)
    po = replace(
        state.polity,
        month=jnp.int32(t),
        regime=jnp.int32(regime),
        regime_since=jnp.int32(t + since if since < 0 else since),
        last_election=jnp.int32(MODEL.calendar.index_of("1932-11")),
        next_slot=jnp.int32(GK.N_ELECTIONS),
    )
    _, _, hold = MODEL.before_election(
        replace(state, polity=po), theta, calibration.neutral_draws()
    )
    assert bool(hold) is holds
    # Not yet due a month earlier under a parliamentary government.
    po_early = replace(po, regime=jnp.int32(GK.PARLIAMENTARY), month=jnp.int32(t - 1))
    _, _, hold = MODEL.before_election(
        replace(state, polity=po_early), theta, calibration.neutral_draws()
    )
    assert not bool(hold)


def test_a_nazi_government_campaigns_with_state_power():
    # March 1933: the NSDAP in government gains, the left is repressed, turnout rises.
    theta = _theta()
    state = _state_at("1933-03", theta)
    po = state.polity
    other = _vote(replace(state, polity=replace(po, regime=jnp.int32(GK.PRESIDENTIAL))), theta)
    nazi = _vote(
        replace(state, polity=replace(po, regime=jnp.int32(GK.NAZI), regime_since=po.month)),
        theta,
    )
    assert float(nazi.shares[GK.NSDAP]) > float(other.shares[GK.NSDAP]) + 0.03
    assert float(nazi.shares[GK.KPD]) < float(other.shares[GK.KPD])
    assert float(nazi.turnout) > float(other.turnout)
