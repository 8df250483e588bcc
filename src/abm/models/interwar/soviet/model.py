"""The Soviet slice: one month of succession, peasant blocs, industry, terror and China.

Order within a month: the policy in force (from the leadership at the start of the
month), the peasant blocs (harvest and procurement in August), industry, terror and the
army, the CCP, then the succession struggle (which hears of the month's procurement
shortfall). Every random number of the month is drawn first (:func:`draw_month`); the
run's weather and output shocks are drawn at the start (:class:`.types.Shocks`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from abm.models.interwar import history
from abm.models.interwar.calendar import Calendar
from abm.models.interwar.parameters import ParamDef
from abm.models.interwar.soviet import agriculture, grain, leadership
from abm.models.interwar.soviet import constants as K
from abm.models.interwar.soviet.month import SovietMonth, params_of
from abm.models.interwar.soviet.regions import regions
from abm.models.interwar.soviet.signals import Influence
from abm.models.interwar.soviet.states import gdp_history, steel_history
from abm.models.interwar.soviet.types import (
    China,
    Grain,
    Industry,
    Ledger,
    PeasantBlocs,
    Security,
    Shocks,
    SovietDraws,
    SovietState,
)

#: Uniform draws of a month: showdown, its outcome, consolidation, the KMT's break, a
#: leader's death, a plot, its outcome, an assassination, a terror wave.
N_EVENTS = 9
#: Autocorrelation of the other powers' yearly deviation from their recorded paths.
STATE_PERSISTENCE = 0.7
#: Threat from Japan after the Manchurian incident (September 1931), relative to a Nazi
#: Germany at full threat (1). Assumption.
JAPAN_THREAT = 0.3
JAPAN_FROM = "1931-09"
#: World grain prices in the Depression: the calendar years of low terms of trade.
DEPRESSION_YEARS = (1930, 1933)
#: Seizure of power from which German rearmament (in the recorded steel path) runs.
REARMAMENT_FROM = 1933
REARMAMENT_YEARS = 5.0
#: A terror wave starting from this year counts as the terror's start (``terror_wave``):
#: after the famine, from the year of Kirov's murder (December 1934).
TERROR_FROM = 1934
#: Per-faction levers of the starting resources (columns of ``Leadership.resources``).
INITIAL_RESOURCES = ("initial_apparatus", "initial_army", "initial_police", "initial_base")


def draw_month(key: jax.Array) -> SovietDraws:
    """Every random number of one Soviet month, from the slice's month key.

    The key is the slice's own stream of the run's month key
    (:func:`abm.engine.keys.slice_month_key`).
    """
    k_z, k_u = jax.random.split(key)
    return SovietDraws(
        power=jax.random.normal(k_z, (K.N_FACTIONS,), jnp.float32),
        events=jax.random.uniform(k_u, (N_EVENTS,), jnp.float32),
    )


class SovietModel(SovietMonth):
    """The Soviet slice over a calendar reaching at least June 1941.

    Args:
        calendar: the simulation calendar.
        params: the catalogue whose order ``theta`` follows (the whole model's).
        exogenous: ``random`` (draw the weather and the other powers' deviations) or
            ``history`` (follow them as they came, :mod:`abm.models.interwar.history`).
    """

    def __init__(
        self,
        calendar: Calendar,
        params: tuple[ParamDef, ...],
        exogenous: str = history.RANDOM,
    ) -> None:
        self.exogenous = history.check_mode(exogenous)
        cal = self.calendar = calendar
        if cal.index_of(K.REQUIRED_END) >= cal.n_months or cal.index(1924, 1) < 0:
            raise ValueError(
                f"calendar {cal.label(0)}..{cal.end_label}: the Soviet slice needs "
                f"1924-01 to at least {K.REQUIRED_END}"
            )
        self._idx = {p.name: i for i, p in enumerate(params)}
        self.regions = regions()
        n = self.n_months = cal.n_months
        months = cal.months
        self.years = cal.year_labels
        self.year_index = (cal.years - self.years[0]).astype(np.int32)
        self.decimal_month = (cal.years + (months - 1) / 12.0).astype(np.float32)
        self.months_to_harvest = ((K.HARVEST_MONTH - months - 1) % 12 + 1).astype(np.int32)
        self.months_since_harvest = ((months - K.HARVEST_MONTH) % 12).astype(np.int32)
        self.crop_year_index = np.maximum(self.year_index - (months < K.HARVEST_MONTH), 0).astype(
            np.int32
        )
        self.harvest = months == K.HARVEST_MONTH
        self.december = months == 12
        y = cal.years
        self.famine_window = (y >= K.FAMINE_YEARS[0]) & (y <= K.FAMINE_YEARS[1])
        self.terror_window = (y >= K.TERROR_YEARS[0]) & (y <= K.TERROR_YEARS[1])
        self.terror_from = y >= TERROR_FROM
        self.depression = (y >= DEPRESSION_YEARS[0]) & (y <= DEPRESSION_YEARS[1])
        self.japan = np.arange(n) >= cal.index_of(JAPAN_FROM)
        self.leader_month = cal.index_of(K.LEADER_MONTH)
        self.quality_month = cal.index_of(K.QUALITY_MONTH)
        self.army_months = np.array([cal.index_of(m) for m in K.ARMY_MONTHS], np.int32)
        self.ccp_months = np.array([cal.index_of(m) for m in K.CCP_MONTHS], np.int32)
        full = [yr for yr in self.years if np.sum(cal.years == yr) == 12]
        self.full_years = tuple(full)
        self.full_index = np.array([self.years.index(yr) for yr in full], np.int32)
        self.harvest_index = np.array(
            [self.years.index(yr) for yr in K.HARVEST_YEARS if yr in full], np.int32
        )
        self.harvest_years = tuple(yr for yr in K.HARVEST_YEARS if yr in full)
        hist = tuple(int(v) for v in self.years)
        self.steel_hist = np.nan_to_num(steel_history(hist))
        self.gdp_hist = np.nan_to_num(gdp_history(hist))
        #: Under ``exogenous: history``: the historical national weather of each year
        #: and where it is known (float32 ``[Y]``, bool ``[Y]``).
        self.weather_hist = (
            history.soviet_weather(hist) if self.exogenous == history.HISTORY else None
        )
        reg = self.regions
        self.land = agriculture.Land(
            area=jnp.asarray(reg.area_share * K.GRAIN_AREA_1928),
            nomad=jnp.asarray(reg.nomad_share),
            targeted=jnp.asarray(reg.targeted),
            famine_mask=jnp.asarray(reg.famine_mask),
        )
        names = [f"{lev}.{f}" for f in K.FACTIONS for lev in K.POLICY_LEVERS]
        self._policy = np.array([self._idx[n] for n in names], np.int32).reshape(
            K.N_FACTIONS, K.N_POLICY
        )
        self._faction = {
            base: np.array([self._idx[f"{base}.{f}"] for f in K.FACTIONS], np.int32)
            for base in ("initial_power", *INITIAL_RESOURCES, "personal_rule_propensity")
        }
        self._divergence = np.array(
            [self._idx[f"policy_divergence.{lev}"] for lev in K.POLICY_LEVERS], np.int32
        )
        self.n_agents = K.N_FACTIONS + reg.n

    # ------------------------------------------------------------------ parameters
    def p(self, theta: jax.Array, name: str) -> jax.Array:
        """Scalar parameter ``name``."""
        return theta[self._idx[name]]

    def per_faction(self, theta: jax.Array, base: str) -> jax.Array:
        """Per-faction parameter ``base``, float32 ``[F]``."""
        return theta[self._faction[base]]

    def policies(self, theta: jax.Array) -> jax.Array:
        """Every faction's policy vector, float32 ``[F, N_POLICY]``."""
        return theta[self._policy]

    def _month_float(self, theta: jax.Array, name: str) -> jax.Array:
        # Fractional month index of a decimal-year parameter.
        return (self.p(theta, name) - self.calendar.start_year) * 12.0 - (
            self.calendar.start_month - 1
        )

    # ------------------------------------------------------------------ init
    def draw_shocks(self, key: jax.Array) -> Shocks:
        """The run's exogenous shocks (:class:`Shocks`), from the slice's init key alone.

        Drawn from ``fold_in(key, 7)`` split four ways (weather, regional weather, the
        USSR's output, the other powers' innovations), whatever ``theta`` or the state:
        both worlds of a paired comparison get the same. Under ``exogenous: history``
        the national weather of the years history holds is history's, and the other
        powers follow their recorded paths (deviation 0).
        """
        n_y, n_r = len(self.years), self.regions.n
        k_w, k_r, k_s, k_o = jax.random.split(jax.random.fold_in(key, 7), 4)
        innov = jax.random.normal(k_o, (K.N_STATES, n_y), jnp.float32)

        def ar(prev: jax.Array, z: jax.Array) -> tuple[jax.Array, jax.Array]:
            x = STATE_PERSISTENCE * prev + np.sqrt(1 - STATE_PERSISTENCE**2) * z
            return x, x

        _, rest = jax.lax.scan(ar, innov[:, 0], innov[:, 1:].T)
        dev = jnp.concatenate([innov[:, :1].T, rest])  # [Y, S], stationary from the start
        shocks = Shocks(
            weather=jax.random.normal(k_w, (n_y,), jnp.float32),
            regional=jax.random.normal(k_r, (n_y, n_r), jnp.float32),
            steel=jax.random.normal(k_s, (n_y,), jnp.float32),
            states=dev.T,
        )
        if self.weather_hist is not None:
            weather, known = self.weather_hist
            shocks = Shocks(
                weather=jnp.where(jnp.asarray(known), jnp.asarray(weather), shocks.weather),
                regional=shocks.regional,
                steel=shocks.steel,
                states=jnp.zeros_like(shocks.states),
            )
        return shocks

    def init(self, key: jax.Array, theta: jax.Array) -> SovietState:
        """State at January 1924, with the run's yearly shocks drawn (:meth:`draw_shocks`)."""
        p = lambda n: self.p(theta, n)  # noqa: E731
        n_y, n_r = len(self.years), self.regions.n
        farm = params_of(agriculture.FarmParams, p)
        area = self.land.area
        return SovietState(
            month=jnp.int32(0),
            leadership=leadership.initial(
                self.per_faction(theta, "initial_power"),
                jnp.stack([self.per_faction(theta, b) for b in INITIAL_RESOURCES], axis=1),
            ),
            blocs=PeasantBlocs(
                population=jnp.asarray(self.regions.rural_population),
                livestock=jnp.ones((n_r,), jnp.float32),
                collectivised=jnp.zeros((n_r,), jnp.float32),
                upheaval=jnp.zeros((n_r,), jnp.float32),
                stock=agriculture.initial_stock(area, farm),
                shortage=jnp.zeros((n_r,), jnp.float32),
                quota=jnp.zeros((n_r,), jnp.float32),
                hunger=jnp.zeros((n_r,), jnp.float32),
                alive=jnp.ones((n_r,), bool),
            ),
            ledger=Ledger(
                harvested=jnp.float32(0.0),
                seed=jnp.float32(0.0),
                procured=jnp.float32(0.0),
                eaten=jnp.float32(0.0),
                stock_lost=jnp.float32(0.0),
                births=jnp.float32(0.0),
                deaths=jnp.float32(0.0),
                fled=jnp.float32(0.0),
                famine_deaths=jnp.zeros((len(K.FAMINE_GROUPS),), jnp.float32),
                harvest=jnp.zeros((n_y,), jnp.float32),
                procurement=jnp.zeros((n_y,), jnp.float32),
                exports=jnp.zeros((n_y,), jnp.float32),
                herd=jnp.zeros((n_y,), jnp.float32),
                shortfall=jnp.float32(0.0),
                to_towns=jnp.float32(0.0),
                to_villages=jnp.float32(0.0),
                exported=jnp.float32(0.0),
                pool_lost=jnp.float32(0.0),
                quota=jnp.zeros((n_y,), jnp.float32),
                deaths_by_year=jnp.zeros((n_y,), jnp.float32),
                region_deaths=jnp.zeros((n_r,), jnp.float32),
            ),
            industry=Industry(
                capacity=jnp.float32(K.STEEL_1924),
                pipeline=jnp.zeros((2,), jnp.float32),
                steel=jnp.zeros((n_y,), jnp.float32),
                gdp=jnp.zeros((n_y,), jnp.float32),
            ),
            security=Security(
                army=jnp.float32(K.ARMY_1924),
                quality=p("command_quality_base"),
                quality_1941=jnp.float32(0.0),
                intensity=jnp.float32(0.0),
                wave_start=jnp.int32(-1),
                first_wave=jnp.int32(-1),
                executions=jnp.float32(0.0),
                arrests=jnp.float32(0.0),
                officers_purged=jnp.float32(0.0),
                officers_arrested=jnp.float32(0.0),
                to_reinstate=jnp.float32(0.0),
                cadres_lost=jnp.float32(0.0),
                army_record=jnp.zeros((len(K.ARMY_MONTHS),), jnp.float32),
            ),
            china=China(
                members=p("ccp_members_1924"),
                purged=jnp.asarray(False),
                record=jnp.zeros((len(K.CCP_LABELS),), jnp.float32),
                massacre_month=jnp.int32(-1),
            ),
            grain=Grain(
                pool=agriculture.initial_pool(jnp.float32(grain.URBAN_1924), farm),
                villages_year=jnp.float32(0.0),
                exports_due=jnp.float32(0.0),
                recruited=jnp.float32(0.0),
                alarm=jnp.float32(0.0),
                relief=jnp.float32(0.0),
                ration_phase=jnp.int32(0),
            ),
            shocks=self.draw_shocks(key),
        )

    # ------------------------------------------------------------------ month
    def policy(self, state: SovietState, theta: jax.Array) -> jax.Array:
        """The policy vector in force at the start of the month, float32 ``[N_POLICY]``."""
        return leadership.policy_in_force(
            state.leadership,
            self.policies(theta),
            theta[self._divergence],
            self.p(theta, "power_concentration"),
        )

    def influence(self, state: SovietState, theta: jax.Array) -> Influence:
        """What the leadership in power sends to the KPD this month."""
        v = self.policy(state, theta)
        return Influence(
            comintern_line=v[K.P_UF_LINE],
            kpd_support=1.0 + self.p(theta, "comintern_export_effect") * v[K.P_EXPORT],
            army=state.security.army,
            army_quality=state.security.quality,
            comintern_export=v[K.P_EXPORT],
            ccp_members=state.china.members,
            ccp_purged=state.china.purged.astype(jnp.float32),
            policy_weights=leadership.policy_weights(
                state.leadership, self.p(theta, "power_concentration")
            ),
        )

    def threat(self, theta: jax.Array, t: jax.Array, nazi_month: jax.Array) -> jax.Array:
        """External threat at month ``t``, 0..1: Japan, and a Nazi Germany ramping up."""
        ramp = 12.0 * self.p(theta, "threat_ramp")
        since = (t - nazi_month).astype(jnp.float32)
        nazi = jnp.where(nazi_month >= 0, jnp.clip(since / ramp, 0.0, 1.0), 0.0)
        japan = jnp.asarray(self.japan)[t].astype(jnp.float32) * JAPAN_THREAT
        return jnp.clip(japan + (1.0 - JAPAN_THREAT) * nazi, 0.0, 1.0)

    # ------------------------------------------------------------------ outcomes
    def steel_and_gdp(
        self, state: SovietState, theta: jax.Array, nazi_month: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        """Steel (Mt) and GDP (bn 2011 int$) of each power and full year, ``[S, Yf]``."""
        p = lambda n: self.p(theta, n)  # noqa: E731
        full = jnp.asarray(self.full_index)
        dev = state.shocks.states[:, full] * p("state_steel_sd")
        years = jnp.asarray(np.array(self.full_years, np.float32))
        start_year = self.calendar.start_year + (nazi_month.astype(jnp.float32) + 0.5) / 12.0
        nazi_year = jnp.where(nazi_month >= 0, jnp.floor(start_year), 1e4)
        ramp = lambda y0: jnp.clip((years - y0) / REARMAMENT_YEARS, 0.0, 1.0)  # noqa: E731
        lost = p("german_rearmament_steel") * (ramp(float(REARMAMENT_FROM)) - ramp(nazi_year))
        steel = jnp.asarray(self.steel_hist)[:, full] * jnp.exp(dev)
        steel = steel.at[K.GERMANY].multiply(1.0 - jnp.maximum(lost, 0.0))
        gdp = jnp.asarray(self.gdp_hist)[:, full] * jnp.exp(0.5 * dev)
        ind = state.industry
        return steel.at[K.USSR].set(ind.steel[full]), gdp.at[K.USSR].set(ind.gdp[full])

    def outcomes(
        self, state: SovietState, theta: jax.Array, nazi_month: jax.Array
    ) -> dict[str, jax.Array]:
        """Per-run Soviet outcomes for the reducers."""
        steel, gdp = self.steel_and_gdp(state, theta, nazi_month)
        led, sec = state.ledger, state.security
        hi = jnp.asarray(self.harvest_index)
        return {
            "soviet_leader": state.leadership.leader_1930,
            "personal_dictatorship": state.leadership.personal_month,
            "personal_rule_end": state.leadership.end_cause,
            "terror_wave": sec.first_wave,
            "famine_deaths": led.famine_deaths,
            "terror_executions": sec.executions,
            "terror_arrests": sec.arrests,
            "officers_purged": sec.officers_purged,
            "officers_arrested": sec.officers_arrested,
            "red_army_quality_1941": sec.quality_1941,
            "red_army_strength": sec.army_record,
            "comintern_cadres_lost": sec.cadres_lost,
            "grain_harvest": led.harvest[hi],
            "grain_procurement": led.procurement[hi],
            "grain_exports": led.exports[hi],
            "steel_output": steel,
            "gdp": gdp,
            "ccp_members": state.china.record,
            "kmt_massacre": state.china.massacre_month,
        }
