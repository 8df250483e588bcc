"""Fixed labels and structural inputs of the Weimar Germany slice.

Sources and status of every number here are in ``docs/ODD.md`` ("Input data"); the
short version: party and constituency names and election dates are historical facts;
constituency confession and industry are coarse approximations from the confessional
and industrial geography of Weimar Germany (to be replaced by the 1925 census); the
milieu-by-party affinities are assumptions informed by Falter (1991) and Lepsius (1966)
whose national intercepts the calibration re-fits.
"""

from __future__ import annotations

import numpy as np

PARTIES: tuple[str, ...] = ("KPD", "SPD", "Zentrum/BVP", "DDP", "DVP", "DNVP", "NSDAP", "other")
KPD, SPD, ZENTRUM, DDP, DVP, DNVP, NSDAP, OTHER = range(8)
N_PARTIES = len(PARTIES)
#: Parties of the republican coalitions (Weimar coalition plus DVP).
REPUBLICAN = (SPD, ZENTRUM, DDP, DVP)

MILIEUX: tuple[str, ...] = (
    "industrial_workers",
    "unemployed",
    "catholic",
    "protestant_rural",
    "protestant_middle_class",
    "elites",
)
WORKERS, UNEMPLOYED, CATHOLIC, PROT_RURAL, PROT_MIDDLE, ELITES = range(6)
N_MILIEUX = len(MILIEUX)

#: The 35 Reichstag constituencies (Wahlkreise) of 1920-1933, with
#: (approximate Catholic share of the population, approximate industrial-worker share).
CONSTITUENCIES: tuple[tuple[str, float, float], ...] = (
    ("Ostpreussen", 0.15, 0.20),
    ("Berlin", 0.10, 0.45),
    ("Potsdam II", 0.10, 0.40),
    ("Potsdam I", 0.08, 0.35),
    ("Frankfurt (Oder)", 0.07, 0.25),
    ("Pommern", 0.03, 0.20),
    ("Breslau", 0.35, 0.30),
    ("Liegnitz", 0.20, 0.30),
    ("Oppeln", 0.88, 0.35),
    ("Magdeburg", 0.06, 0.35),
    ("Merseburg", 0.06, 0.45),
    ("Thueringen", 0.05, 0.40),
    ("Schleswig-Holstein", 0.03, 0.30),
    ("Weser-Ems", 0.35, 0.25),
    ("Osthannover", 0.03, 0.20),
    ("Suedhannover-Braunschweig", 0.12, 0.35),
    ("Westfalen-Nord", 0.65, 0.40),
    ("Westfalen-Sued", 0.45, 0.50),
    ("Hessen-Nassau", 0.30, 0.35),
    ("Koeln-Aachen", 0.82, 0.40),
    ("Koblenz-Trier", 0.80, 0.20),
    ("Duesseldorf-Ost", 0.45, 0.50),
    ("Duesseldorf-West", 0.65, 0.45),
    ("Oberbayern-Schwaben", 0.85, 0.25),
    ("Niederbayern", 0.92, 0.15),
    ("Franken", 0.40, 0.30),
    ("Pfalz", 0.45, 0.30),
    ("Dresden-Bautzen", 0.05, 0.45),
    ("Leipzig", 0.04, 0.50),
    ("Chemnitz-Zwickau", 0.03, 0.55),
    ("Wuerttemberg", 0.30, 0.35),
    ("Baden", 0.58, 0.35),
    ("Hessen-Darmstadt", 0.33, 0.35),
    ("Hamburg", 0.06, 0.45),
    ("Mecklenburg", 0.03, 0.20),
)
N_CONSTITUENCIES = len(CONSTITUENCIES)
N_BLOCS = N_CONSTITUENCIES * N_MILIEUX

#: Reichstag elections of the period (historical dates), the model's election slots.
ELECTION_SLOTS: tuple[str, ...] = (
    "1924-05",
    "1924-12",
    "1928-05",
    "1930-09",
    "1932-07",
    "1932-11",
    "1933-03",
)
N_ELECTIONS = len(ELECTION_SLOTS)
#: Art. 23 of the Weimar constitution: the Reichstag is elected for four years, so an
#: election falls due at the latest 48 months after the last one.
TERM_MONTHS = 48
#: The ``reichstag_share`` outcome labels an election by its own month: one coordinate
#: for every month from the first slot to the end of the slice's report (December 1936),
#: masked where no election was held.
ELECTION_GRID_START = "1924-05"
ELECTION_GRID_END = "1936-12"
#: Elections a run can record (in the order held): the seven historical slots, elections
#: every four years after them and early elections called by dissolutions.
MAX_BALLOTS = 20
#: Slots whose results are calibration targets (May 1924 to July 1932); later ones are
#: held out for validation.
CALIBRATION_SLOTS: tuple[str, ...] = ELECTION_SLOTS[:5]

#: Assumed milieu-by-party vote distribution before the Depression (rows: MILIEUX,
#: columns: PARTIES). Only relative odds within a row matter; national intercepts are
#: re-fitted to the May 1924 result by the calibration.
MILIEU_AFFINITY = np.array(
    [
        [0.22, 0.50, 0.08, 0.03, 0.03, 0.06, 0.03, 0.05],
        [0.35, 0.38, 0.06, 0.02, 0.02, 0.05, 0.05, 0.07],
        [0.03, 0.08, 0.65, 0.03, 0.04, 0.07, 0.03, 0.07],
        [0.03, 0.10, 0.02, 0.04, 0.06, 0.40, 0.07, 0.28],
        [0.03, 0.12, 0.02, 0.12, 0.18, 0.25, 0.08, 0.20],
        [0.01, 0.04, 0.06, 0.12, 0.32, 0.35, 0.03, 0.07],
    ],
    dtype=np.float64,
)

#: How strongly each milieu's preferences move with crisis and mobilisation (0..1).
#: Catholic and socialist milieux were the most cohesive (Lepsius 1966; Falter 1991).
MILIEU_SUSCEPTIBILITY = np.array([0.7, 1.0, 0.35, 1.0, 1.0, 0.6], dtype=np.float64)
#: Each milieu's relative propensity to stay at home (odds against its party
#: affinities; the abstention intercept sets the level). Assumption informed by Falter
#: (1991, ch. 4): non-voting was highest among rural Protestants and the urban lower
#: middle class before 1930, lowest in the Catholic and socialist milieux.
MILIEU_ABSTENTION = np.array([0.25, 0.35, 0.2, 0.45, 0.35, 0.15], dtype=np.float64)
#: Milieux where the agrarian crisis bites (rural Protestants: Schleswig-Holstein's
#: Landvolk movement 1928-29, Lower Saxony, East Elbia) and where the Protestant middle
#: class defects from its old parties (Childers 1983; Falter 1991).
AGRARIAN_EXPOSURE = np.array([0.0, 0.0, 0.2, 1.0, 0.2, 0.3], dtype=np.float64)
DEFECTION_EXPOSURE = np.array([0.0, 0.0, 0.1, 1.0, 1.0, 0.5], dtype=np.float64)
#: Exposure of each milieu to the economic crisis, relative to the national index.
MILIEU_CRISIS_EXPOSURE = np.array([1.0, 2.0, 0.7, 1.1, 1.2, 0.5], dtype=np.float64)
#: Share of the electorate that is elite (officers, estate owners, industrialists, senior
#: civil servants); an assumption.
ELITE_SHARE = 0.04

#: Paramilitary capacity at full organisation, thousands of men: Rotfrontkaempferbund
#: (KPD), Reichsbanner (SPD, active members), SA (NSDAP), Stahlhelm (DNVP-aligned).
PARAMILITARY_CAPACITY = np.array([130.0, 250.0, 0.0, 0.0, 0.0, 400.0, 450.0, 0.0])

#: Regime codes.
PARLIAMENTARY, PRESIDENTIAL, NAZI, AUTHORITARIAN, LEFT, CIVIL_WAR = range(6)
REGIMES: tuple[str, ...] = (
    "parliamentary",
    "presidential",
    "nazi",
    "authoritarian",
    "left",
    "civil_war",
)
#: Hindenburg takes office as Reich President (elected 26 April, sworn in 12 May 1925);
#: under Ebert (to February 1925) no presidential cabinet was formed.
HINDENBURG_FROM = "1925-05"

#: ``german_regime_1936`` categories (MODEL.md) and the regime code each maps from.
REGIME_1936_CATEGORIES: tuple[str, ...] = (
    "democracy",
    "conservative_authoritarian",
    "nazi",
    "left",
)
#: A presidential regime or a civil war still undecided in December 1936 (the army
#: governing under martial law) count as conservative_authoritarian.
REGIME_TO_1936 = np.array([0, 1, 2, 1, 3, 1], dtype=np.int32)


def bloc_layout() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Constituency, milieu and initial size of every voter bloc.

    Returns:
        ``(constituency, milieu, size)``: int ``[N_BLOCS]``, int ``[N_BLOCS]`` and float
        ``[N_BLOCS]`` (share of the national electorate; sums to one). Constituencies
        are taken as equal in size (the Weimar Wahlkreise were drawn to be of similar
        size; their exact electorates are not yet in the project's data).
    """
    con = np.repeat(np.arange(N_CONSTITUENCIES), N_MILIEUX)
    mil = np.tile(np.arange(N_MILIEUX), N_CONSTITUENCIES)
    size = np.zeros((N_CONSTITUENCIES, N_MILIEUX))
    for c, (_, catholic, industry) in enumerate(CONSTITUENCIES):
        workers = industry * (1.0 - 0.5 * catholic)
        cath = catholic * (1.0 - ELITE_SHARE - workers)
        rest = 1.0 - ELITE_SHARE - workers - cath
        rural = float(np.clip(0.75 - industry, 0.2, 0.6))
        size[c] = [workers, 0.0, cath, rest * rural, rest * (1.0 - rural), ELITE_SHARE]
    size /= N_CONSTITUENCIES
    return con, mil, size.reshape(-1)
