"""What the peer implementations of the Weimar Germany model share.

The peers (:mod:`numpy_germany`, :mod:`mesa_germany`) re-implement abm's
``interwar.germany`` model from ``docs/ODD.md`` in their own idioms. They share only
inputs, never model code:

* the Germany-only view of a scenario (``abm.bench.germany.germany_view``): a scenario
  runs the whole interwar model, whose Soviet slice sets the KPD's Comintern line month
  by month; the peers, like abm's side of every comparison with them, run the Germany
  slice alone, with the scenario's prior for each Germany-catalogue parameter and the
  scalar lever ``comintern_united_front_line`` pinned at the line of the leader
  preset's faction (``comintern_united_front_line.<faction>``); and a NumPy sampler for
  those priors (:func:`sample_params`), with the Germany catalogue's allowed ranges;
* the static structure of abm's model: the bloc layout, milieu affinities, abstention
  propensities, susceptibility, crisis, agrarian and defection exposures, paramilitary
  capacities and initial organisation (``abm.models.interwar.germany.constants``,
  ``voters.Layout`` and ``model.ORGANISATION_INITIAL``);
* the calendar-derived month indices (:class:`Timeline`), from the scenario's calendar
  (1924-01 .. 1941-06, 210 months, for the shipped scenarios: the Germany slice runs
  every month of the whole model's calendar);
* the outcome format (:data:`OUTCOMES`) and a summary of it (:func:`summarise`),
  which can also be built from an abm cube (:func:`summarise_cube`), so that the three
  implementations are compared on the same numbers.

Per-run outcome format (``simulate(...)`` of every peer returns this dict; ``R`` runs)::

    nazi_power            int   [R]       first month index of Nazi rule, -1 never
    united_front          int   [R]       first month of a KPD-SPD united front, -1 never
    german_civil_war      int   [R]       first month of a civil war, -1 never
    german_regime_1936    int   [R]       REGIME_1936_CATEGORIES code
    reichstag_share       float [R, E, 8] valid-vote shares of the election held in each
                                          month of the election grid (0 where none)
    reichstag_share/mask  bool  [R, E, 8] an election was held that month
    german_unemployment   float [R, Y]    annual mean registered unemployment, millions
                                          (Y calendar years, 18 for 1924-1941)

The election grid (``E`` = 152 months, 1924-05 .. 1936-12 for the shipped calendar) labels
an election by its own month, as abm's ``reichstag_share`` does: an early election of
July 1931 is reported as "1931-07", not under the next historical slot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.bench.germany import germany_ranges, germany_view
from abm.config import load_scenario
from abm.engine.priors import Prior
from abm.models.interwar.germany import constants as K
from abm.models.interwar.germany import voters
from abm.models.interwar.germany.model import ORGANISATION_INITIAL
from abm.models.interwar.germany.parameters import party_key
from abm.models.interwar.model import DEFAULT_CALENDAR

# ---------------------------------------------------------------- sizes
N_PARTIES = K.N_PARTIES  # 8
N_MILIEUX = K.N_MILIEUX  # 6
N_CONSTITUENCIES = K.N_CONSTITUENCIES  # 35
N_BLOCS = K.N_BLOCS  # 210, bloc b = 6 * constituency + milieu
N_ELECTIONS = K.N_ELECTIONS  # 7
#: Agents as abm counts them: 210 voter blocs + 8 parties.
N_AGENTS = N_BLOCS + N_PARTIES
#: Months of the default calendar, 1924-01 .. 1941-06 (the shipped scenarios'); a
#: simulation runs its scenario's calendar (:attr:`ScenarioInputs.n_months`).
N_MONTHS = DEFAULT_CALENDAR.n_months

# ---------------------------------------------------------------- static structure
PARTIES = K.PARTIES
KPD, SPD, ZENTRUM, DDP, DVP, DNVP, NSDAP, OTHER = range(N_PARTIES)
WORKERS, UNEMPLOYED = K.WORKERS, K.UNEMPLOYED
BLOC_CONSTITUENCY, BLOC_MILIEU, INITIAL_SIZE = K.bloc_layout()  # [B], [B], [B]
#: ln a_{m,p}, the milieu affinities in logit, ``[M, P]``.
LOG_AFFINITY = np.log(K.MILIEU_AFFINITY)
SUSCEPTIBILITY = np.asarray(K.MILIEU_SUSCEPTIBILITY, np.float64)  # [M]
EXPOSURE = np.asarray(K.MILIEU_CRISIS_EXPOSURE, np.float64)  # [M]
#: ln h_m, each milieu's propensity to stay at home (logit against its party affinities).
LOG_ABSTENTION = np.log(K.MILIEU_ABSTENTION)  # [M]
AGRARIAN_EXPOSURE = np.asarray(K.AGRARIAN_EXPOSURE, np.float64)  # [M] g_m
DEFECTION_EXPOSURE = np.asarray(K.DEFECTION_EXPOSURE, np.float64)  # [M] d_m
#: Milieux of the labour movement (workers, unemployed), where the united front acts.
LABOUR_MILIEU = np.isin(np.arange(K.N_MILIEUX), (K.WORKERS, K.UNEMPLOYED))  # [M] bool
PARAMILITARY_CAPACITY = np.asarray(K.PARAMILITARY_CAPACITY, np.float64)  # [P], thousands
#: Initial organisation of each party; the NSDAP's entry is replaced by a parameter.
ORGANISATION_START = np.asarray(ORGANISATION_INITIAL, np.float64)  # [P]
#: Electorate (millions) that turns registered unemployed into a share of voters.
ELECTORATE_M = float(voters.ELECTORATE_M)


def layout(replicas: int = 1) -> Any:
    """abm's static bloc layout, each constituency split into ``replicas`` equal parts.

    ``abm.models.interwar.germany.voters.Layout``: constituency-major, ``b = c * 6 + m``,
    with ``n_constituencies``, ``n_blocs``, ``constituency``, ``milieu`` and
    ``initial_size``; every sub-constituency has its own effects and drift (abm's
    capacity scaling for benchmarks). ``replicas=1`` is the historical map (210 blocs).
    """
    return voters.Layout(int(replicas))


def n_agents(replicas: int = 1) -> int:
    """Agents as abm counts them: voter blocs plus parties."""
    return N_BLOCS * int(replicas) + N_PARTIES


# ---------------------------------------------------------------- fixed numbers of 7.x
# Written out from docs/ODD.md (sections 7.1-7.11), not imported from abm's modules.
UNEMPLOYMENT_FLOOR = 0.05  # millions (7.1)
LABOUR_SHARE_MAX = 0.8  # most of a labour pool that can be unemployed (7.3)
ORGANISATION_MIN, ORGANISATION_MAX = 0.005, 0.999  # NSDAP organisation clip (7.5)
SA_CAPACITY, RFB_CAPACITY = 450.0, 130.0  # violence formula (7.8)
# 7.10 elections
TERM_MONTHS = 48  # Art. 23: an election falls due 48 months after the last
MAX_BALLOTS = 20  # elections a run records, in the order held
MIN_REICHSTAG_AGE = 4  # months before a presidential cabinet may dissolve
EARLY_ELECTION_DELAY = 2  # an early election is held this many months after dissolution
NAZI_ELECTION_GRACE = 2  # a Nazi regime still holds an election this many months in
# 7.11 the regime month
SLUMP_TURN, SLUMP_WIDTH = 0.15, 0.02  # presidential-turn sigmoid; elites' parliament width
SLUMP_RETURN = 0.12  # unemployment rate where a parliamentary cabinet becomes attractive
NSDAP_REFERENCE = 0.3  # NSDAP share at which the elites' Hitler utility is hitler_util
RIGHT_REFERENCE = 0.45  # NSDAP + DNVP share where Hindenburg's base wish is neutral
SURE = 30.0  # acceptance logit of an option not in doubt
LINE_FROM_BELOW = 0.3  # Comintern line outside the third period ("from below")
THREAT = (0.05, 0.25, 1.5)  # Nazi threat = clip((N - a) / b, 0, c)
BUILD_MONTHS = 6.0  # the united front's strength moves with this time constant
BREAK_STRENGTH = 0.05  # a front weaker than this has broken up
PRUSSIAN_POLICE = 0.8  # Prussian police in Reichswehr units
SA_AT_FULL = 450.0  # thousands of SA men = 1 Reichswehr unit
NO_MAJORITY_WEIGHT = 4.0  # a Prussian Landtag without a republican majority, coup logit
HINDENBURG_DEATH = "1934-08"  # no Nazi appointment from this month
LANDTAG_1932 = "1932-04"  # the 1928 Prussian Landtag's term ends

REGIMES = K.REGIMES
PARLIAMENTARY, PRESIDENTIAL, NAZI, AUTHORITARIAN, LEFT, CIVIL_WAR = range(6)
REGIME_1936_CATEGORIES = K.REGIME_1936_CATEGORIES
REGIME_TO_1936 = np.asarray(K.REGIME_TO_1936, np.int64)

#: The vector parameters, one per party (``crisis_loading.NSDAP`` ...).
PARTY_VECTORS = ("crisis_loading", "agrarian_loading", "intercept")
OUTCOMES = (
    "nazi_power",
    "united_front",
    "german_civil_war",
    "german_regime_1936",
    "reichstag_share",
    "reichstag_share/mask",
    "german_unemployment",
)
EVENTS = ("nazi_power", "united_front", "german_civil_war")


# ---------------------------------------------------------------- calendar
@dataclass(frozen=True)
class Timeline:
    """Month indices the model needs, from a scenario's calendar.

    Attributes:
        start_year: year of month index 0.
        start_month: calendar month (1-12) of month index 0.
        n_months: simulated months.
        slot_months: int ``[7]`` month index of each election slot.
        first_slot: index of the first slot at or after the calendar start.
        hindenburg_month: month index of 1925-05.
        hindenburg_death_month: month index of 1934-08 (the appointment window closes).
        landtag_month: month index of 1932-04 (the 1928 Prussian Landtag's term ends).
        grid_start: month index of the election grid's first month (1924-05).
        election_labels: ``YYYY-MM`` of every month of the election grid (to 1936-12).
        recovery_month: month index of 1933-01 (start of the recovery), as a float.
        month_1936: month index of 1936-12.
        months_since_1924: float ``[T]`` months since 1924-01 of each month index.
        year_index: int ``[T]`` calendar year of each month, 0 = first year.
        months_in_year: int ``[Y]`` simulated months of each calendar year.
        year_labels: the calendar years.
    """

    start_year: int
    start_month: int
    n_months: int
    slot_months: np.ndarray
    first_slot: int
    hindenburg_month: int
    hindenburg_death_month: int
    landtag_month: int
    grid_start: int
    election_labels: tuple[str, ...]
    recovery_month: float
    month_1936: int
    months_since_1924: np.ndarray
    year_index: np.ndarray
    months_in_year: np.ndarray
    year_labels: tuple[int, ...]

    @classmethod
    def from_calendar(cls, cal: Any) -> Timeline:
        """From an ``abm.models.interwar.calendar.Calendar``."""
        years = cal.years
        labels = cal.year_labels
        year_index = (years - labels[0]).astype(np.int64)
        slots = np.array([cal.index_of(s) for s in K.ELECTION_SLOTS], np.int64)
        month_1936 = cal.index(1936, 12)
        grid_start = max(cal.index_of(K.ELECTION_GRID_START), 0)
        grid_end = min(cal.index_of(K.ELECTION_GRID_END), cal.n_months - 1)
        if month_1936 >= cal.n_months:
            raise ValueError("the Germany model needs a calendar that reaches 1936-12")
        return cls(
            start_year=cal.start_year,
            start_month=cal.start_month,
            n_months=cal.n_months,
            slot_months=slots,
            first_slot=int(np.sum(slots < 0)),
            hindenburg_month=cal.index_of(K.HINDENBURG_FROM),
            hindenburg_death_month=cal.index_of(HINDENBURG_DEATH),
            landtag_month=cal.index_of(LANDTAG_1932),
            grid_start=grid_start,
            election_labels=tuple(cal.label(t) for t in range(grid_start, grid_end + 1)),
            recovery_month=float(cal.index(1933, 1)),
            month_1936=month_1936,
            months_since_1924=(np.arange(cal.n_months) - cal.index(1924, 1)).astype(float),
            year_index=year_index,
            months_in_year=np.bincount(year_index, minlength=len(labels)),
            year_labels=tuple(labels),
        )

    @property
    def n_grid(self) -> int:
        """Months of the election grid (``E``)."""
        return len(self.election_labels)

    def month_of_year(self, year: Any) -> Any:
        """Fractional month index of a decimal year (1929.75 = start of October 1929)."""
        return (year - self.start_year) * 12.0 - (self.start_month - 1)


# ---------------------------------------------------------------- scenario and priors
@dataclass(frozen=True)
class ScenarioInputs:
    """The Germany-only view of a scenario: priors, ranges and timeline.

    Attributes:
        name: the scenario's name.
        faction: the leader preset's faction, whose Comintern line the KPD follows.
        priors: Germany-catalogue name -> prior (``comintern_united_front_line`` pinned).
        ranges: Germany-catalogue name -> allowed ``(low, high)``.
        timeline: month indices of the scenario's calendar.
    """

    name: str
    faction: str
    priors: dict[str, Prior]
    ranges: dict[str, tuple[float, float]]
    timeline: Timeline

    @property
    def n_months(self) -> int:
        """Months simulated (the scenario's calendar)."""
        return self.timeline.n_months


def catalogue_ranges() -> dict[str, tuple[float, float]]:
    """Allowed ``[low, high]`` of every Germany-catalogue parameter, by name."""
    return germany_ranges()


def load(scenario_path: str, overrides: Mapping[str, str] | None = None) -> ScenarioInputs:
    """A scenario YAML's Germany-only view; ``overrides`` as ``--set``."""
    view = germany_view(load_scenario(scenario_path, dict(overrides or {})))
    return ScenarioInputs(
        name=view.scenario.name,
        faction=view.faction,
        priors=view.priors,
        ranges=view.ranges,
        timeline=Timeline.from_calendar(view.scenario.calendar),
    )


def n_months(scenario_path: str) -> int:
    """Months a peer simulates for a scenario YAML (its calendar's)."""
    return int(load_scenario(scenario_path).calendar.n_months)


def sample_params(
    priors: Mapping[str, Prior],
    rng: np.random.Generator,
    n: int,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, np.ndarray]:
    """Draw ``n`` values of every parameter from its prior (float64 ``[n]`` each).

    Kinds as in ``abm.engine.priors``: ``fixed`` (value), ``uniform`` (low, high),
    ``normal`` (mean, sd), ``lognormal`` (``exp(N(mu, sigma))``), ``beta`` (``Beta(a, b)``
    rescaled to the parameter's range), ``triangular`` (low, mode, high); every draw is
    clipped to the parameter's ``[low, high]`` (the catalogue's range by default).
    """
    ranges = catalogue_ranges() if ranges is None else ranges
    out: dict[str, np.ndarray] = {}
    for name, prior in priors.items():
        low, high = ranges[name]
        a = prior.args
        if prior.kind == "fixed":
            x = np.full(n, a["value"])
        elif prior.kind == "uniform":
            x = rng.uniform(a["low"], a["high"], n)
        elif prior.kind == "normal":
            x = rng.normal(a["mean"], a["sd"], n)
        elif prior.kind == "lognormal":
            x = np.exp(rng.normal(a["mu"], a["sigma"], n))
        elif prior.kind == "beta":
            x = low + (high - low) * rng.beta(a["a"], a["b"], n)
        elif prior.kind == "triangular":
            if a["low"] == a["high"]:
                x = np.full(n, a["low"])
            else:
                x = rng.triangular(a["low"], a["mode"], a["high"], n)
        else:
            raise ValueError(f"{name}: unknown prior kind {prior.kind!r}")
        out[name] = np.clip(x, low, high)
    return out


def party_vector(params: Mapping[str, Any], name: str) -> np.ndarray:
    """Per-party parameter ``name`` stacked on a last axis: ``[..., P]``."""
    return np.stack(
        [np.asarray(params[f"{name}.{party_key(p)}"], np.float64) for p in PARTIES], axis=-1
    )


# ---------------------------------------------------------------- summaries
#: The election grid of the default calendar (1924-05 .. 1936-12), the shipped scenarios'.
ELECTION_LABELS = Timeline.from_calendar(DEFAULT_CALENDAR).election_labels
#: Index of each historical slot's month in the election grid (default calendar).
SLOT_INDEX = {s: ELECTION_LABELS.index(s) for s in K.ELECTION_SLOTS}
PARTY_INDEX = {p: i for i, p in enumerate(PARTIES)}


def _mean_se(x: np.ndarray) -> tuple[float, float, int]:
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, 0
    sd = float(np.std(x, ddof=1)) if n > 1 else math.nan
    return float(np.mean(x)), sd / math.sqrt(n), n


def _prob_se(hit: np.ndarray) -> tuple[float, float, int]:
    n = int(hit.size)
    p = float(np.mean(hit))
    return p, math.sqrt(max(p * (1.0 - p), 0.0) / n), n


def summarise(
    out: Mapping[str, np.ndarray],
    year_labels: tuple[int, ...] | None = None,
    election_labels: tuple[str, ...] | None = None,
) -> dict:
    """Per-run outcomes -> ``{key: (estimate, standard error, runs)}``.

    Keys: ``nazi_power``, ``united_front``, ``german_civil_war`` (probability the event
    happens), ``german_regime_1936/<category>`` (share), ``reichstag_share/<month>/<party>``
    (mean over runs that held an election that month), ``election_held/<month>``
    (probability an election is held that month), ``german_unemployment/<year>`` (mean).
    ``<month>`` is every month of the election grid (``election_labels``, by default the
    default calendar's :data:`ELECTION_LABELS`).
    """
    labels = ELECTION_LABELS if election_labels is None else election_labels
    res: dict[str, tuple[float, float, int]] = {}
    for name in EVENTS:
        res[name] = _prob_se(np.asarray(out[name]) >= 0)
    regime = np.asarray(out["german_regime_1936"])
    for i, cat in enumerate(REGIME_1936_CATEGORIES):
        res[f"german_regime_1936/{cat}"] = _prob_se(regime == i)
    share = np.asarray(out["reichstag_share"])
    mask = np.asarray(out["reichstag_share/mask"])
    for k, s in enumerate(labels):
        res[f"election_held/{s}"] = _prob_se(mask[:, k, 0])
        for p, j in PARTY_INDEX.items():
            res[f"reichstag_share/{s}/{p}"] = _mean_se(share[:, k, j][mask[:, k, j]])
    unemp = np.asarray(out["german_unemployment"])
    years = year_labels or tuple(range(1924, 1924 + unemp.shape[1]))
    for i, y in enumerate(years):
        res[f"german_unemployment/{y}"] = _mean_se(unemp[:, i])
    return res


def _hist_mean_se(hist: np.ndarray, edges: np.ndarray) -> tuple[float, float, int]:
    n = int(hist.sum())
    if n == 0:
        return math.nan, math.nan, 0
    centre = 0.5 * (edges[1:] + edges[:-1])
    mean = float((hist * centre).sum() / n)
    var = float((hist * (centre - mean) ** 2).sum() / max(n - 1, 1))
    return mean, math.sqrt(var / n), n


def summarise_cube(ds: Any) -> dict:
    """The same summary as :func:`summarise` from an abm cube of one sweep point.

    Probabilities and their binomial SEs are the cube's own; a quantity's mean is the
    cube's exact mean and its SE the standard deviation of its fixed-bin histogram
    (bins of 0.001 vote share and 0.01 million persons, far finer than the spread).
    """
    n_runs = int(ds["n_runs"])
    res: dict[str, tuple[float, float, int]] = {}
    for name in EVENTS:
        res[name] = (float(ds[f"{name}_prob"]), float(ds[f"{name}_se"]), n_runs)
    for i, cat in enumerate(REGIME_1936_CATEGORIES):
        res[f"german_regime_1936/{cat}"] = (
            float(ds["german_regime_1936_share"].values[i]),
            float(ds["german_regime_1936_se"].values[i]),
            n_runs,
        )
    held = np.asarray(ds["reichstag_share_n"].values)[:, 0] / n_runs
    labels = [str(x) for x in ds["election"].values.tolist()]
    for k, s in enumerate(labels):
        p = float(held[k])
        res[f"election_held/{s}"] = (p, math.sqrt(p * (1.0 - p) / n_runs), n_runs)
    for q in ("reichstag_share", "german_unemployment"):
        hist = np.asarray(ds[f"{q}_hist"].values)
        edges = np.asarray(ds[f"{q}_hist"].attrs["bin_edges"], np.float64)
        mean = np.asarray(ds[f"{q}_mean"].values)
        if q == "reichstag_share":
            cells = [
                (f"{q}/{s}/{p}", (k, j))
                for k, s in enumerate(labels)
                for p, j in PARTY_INDEX.items()
            ]
        else:
            cells = [(f"{q}/{y}", (i,)) for i, y in enumerate(ds["year"].values.tolist())]
        for key, idx in cells:
            _, se, n = _hist_mean_se(hist[idx], edges)
            res[key] = (float(mean[idx]), se, n)
    return res


def z_score(a: tuple[float, float, int], b: tuple[float, float, int]) -> float:
    """``(a - b) / sqrt(se_a^2 + se_b^2)`` of two ``(estimate, se, n)`` summaries."""
    se = math.sqrt(a[1] ** 2 + b[1] ** 2)
    if se == 0.0:
        return 0.0 if a[0] == b[0] else math.copysign(math.inf, a[0] - b[0])
    return (a[0] - b[0]) / se
