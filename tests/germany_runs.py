"""Germany-slice runs on their own, for the regime tests: priors sampled, the line fixed.

The whole model's runs need every slice; the regime month's tests need only the Germany
slice with the Comintern line given (as the Soviet slice's ``Influence`` would give it
month by month). Used by ``test_germany_regime.py``.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.priors import Prior, PriorTable, sample
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.germany.draws import draw_month
from abm.models.interwar.germany.model import GermanyModel


@lru_cache(maxsize=2)
def model(end_year: int = 1941, end_month: int = 6) -> GermanyModel:
    """The Germany slice over 1924-01 to the end month (its own catalogue)."""
    n = (end_year - 1924) * 12 + end_month
    return GermanyModel(Calendar(1924, 1, n))


def table(m: GermanyModel, pins: dict[str, float]) -> PriorTable:
    """The catalogue's priors, with ``pins`` fixed."""
    priors = [Prior.fixed(pins[p.name]) if p.name in pins else p.prior for p in m.params]
    return PriorTable.build(priors, [(p.low, p.high) for p in m.params])


def run(
    pins: dict[str, float],
    line: float,
    n_runs: int = 256,
    seed: int = 0,
    m: GermanyModel | None = None,
):
    """Final states of ``n_runs`` runs (paired by ``seed``), the Comintern line fixed.

    Returns:
        ``(states, thetas)``: the final :class:`GermanyState` (leading axis ``[n_runs]``)
        and float32 ``[n_runs, n_params]``.
    """
    m = m or model()
    tab = table(m, pins)
    keys = jax.random.split(jax.random.key(seed), n_runs)
    return _run(m, tab, keys, jnp.float32(line))


def _run(m: GermanyModel, tab: PriorTable, keys: jax.Array, line: jax.Array):
    @jax.jit
    def go(keys, line, kind, a, b, c, low, high):
        t = PriorTable(kind, a, b, c, low, high)

        def one(key):
            k_theta, k_init, k_months = jax.random.split(key, 3)
            theta = sample(k_theta, t)
            state = m.init(k_init, theta)
            month_keys = jax.random.split(k_months, m.n_months)

            def body(s, k):
                return m.advance(s, theta, draw_month(k, m.layout.n_constituencies), line), None

            s, _ = jax.lax.scan(body, state, month_keys)
            return s, theta

        return jax.vmap(one)(keys)

    return go(
        keys, line, *(jnp.asarray(x) for x in (tab.kind, tab.a, tab.b, tab.c, tab.low, tab.high))
    )


def month_index(m: GermanyModel, label: str) -> int:
    """Month index of ``YYYY-MM``."""
    return int(m.calendar.index_of(label))


def p_nazi(states) -> float:
    """Share of runs with a Nazi-led government."""
    return float(np.mean(np.asarray(states.polity.nazi_month) >= 0))


#: Regime-month parameters near the catalogue's prior centres (unit tests).
GOV_VALUES = dict(
    united_front_uptake=0.3,
    comintern_line=0.5,
    cabinet_fall_rate=0.05,
    elite_authoritarianism=0.6,
    decision_inertia=2.5,
    parliament_return_util=-1.0,
    dissolution_util=0.3,
    military_util=-3.0,
    hitler_util=1.5,
    elite_framing=1.5,
    elite_decline_weight=0.5,
    elite_violence_weight=1.0,
    strike_deterrence=2.0,
    hitler_aversion=4.0,
    president_fatigue=1.5,
    president_base_wish=1.0,
    president_military_util=-1.0,
    army_autonomy=0.0,
    army_hitler_util=0.5,
    army_two_front_fear=2.0,
    prussia_coup_util=-5.5,
    strike_base=0.8,
    strike_unemployment_sensitivity=4.0,
    strike_united_front_gain=1.0,
    united_front_rate=0.1,
    sectarian_residual=0.1,
    civil_war_on_confrontation=0.5,
    civil_war_violence_rate=0.05,
    civil_war_months=12.0,
    left_strength_effect=2.0,
    army_bias_right=0.5,
)


def gov(**kw: float):
    """:class:`GovernmentParams` from :data:`GOV_VALUES` with ``kw`` replaced."""
    from abm.models.interwar.germany import government

    return government.GovernmentParams(
        **{k: jnp.float32(v) for k, v in {**GOV_VALUES, **kw}.items()}
    )


def inputs(nsdap: float = 0.33, kpd: float = 0.15, dnvp: float = 0.08, **kw):
    """A hand-made month of late 1932 (:class:`RegimeInputs`), ``kw`` replacing fields."""
    from abm.models.interwar.germany import constants as K
    from abm.models.interwar.germany import government

    seats = np.zeros(K.N_PARTIES, np.float32)
    seats[K.NSDAP], seats[K.KPD], seats[K.DNVP] = nsdap, kpd, dnvp
    seats[K.SPD] = 0.2
    seats[K.OTHER] = 1.0 - seats.sum()
    para = np.full(K.N_PARTIES, 100.0, np.float32)
    para[K.NSDAP] = 400.0
    base = dict(
        t=jnp.int32(106),  # 1932-11
        regime=jnp.int32(K.PRESIDENTIAL),
        regime_since=jnp.int32(74),  # 1930-03
        united_front=jnp.asarray(False),
        united_front_strength=jnp.float32(0.0),
        prussia_left=jnp.asarray(False),
        early_election=jnp.int32(-1),
        last_election=jnp.int32(106),
        seat_share=jnp.asarray(seats),
        nsdap_previous=jnp.float32(nsdap),
        paramilitary=jnp.asarray(para),
        crisis=jnp.float32(0.35),
        slump=jnp.float32(0.3),
        presidential_era=jnp.asarray(True),
        window_open=jnp.asarray(True),
        landtag_expired=jnp.asarray(True),
        violence=jnp.float32(0.3),
    )
    base.update({k: jnp.asarray(v) for k, v in kw.items()})
    base["united_front_strength"] = base["united_front_strength"].astype(jnp.float32)
    return government.RegimeInputs(**base)
