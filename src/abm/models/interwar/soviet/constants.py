"""Fixed structure of the Soviet slice: factions, outcome categories, states, dates.

Historical anchors carry their source in the comment beside them; the uncertain
quantities are parameters (``data/soviet_parameters.yaml``), not constants.
"""

from __future__ import annotations

#: Leadership factions, in the order of every ``[F]`` array.
FACTIONS = ("stalin", "trotsky", "zinoviev", "bukharin", "others")
STALIN, TROTSKY, ZINOVIEV, BUKHARIN, OTHERS = range(5)
N_FACTIONS = len(FACTIONS)
#: Factions with a policy vector of their own (a leader preset each); the uncommitted
#: "others" (Kalinin, Voroshilov, the Central Committee's swing vote) take the mean.
POLICY_FACTIONS = FACTIONS[:4]

#: ``soviet_leader`` categories (MODEL.md) and the category of each faction's rule.
LEADER_CATEGORIES = ("stalin", "trotsky", "collective", "bukharin", "other")
COLLECTIVE = 2
FACTION_CATEGORY = (0, 1, 4, 3, 4)

#: The policy vector: levers a faction holds a preference on (``NAME.<faction>``).
POLICY_LEVERS = (
    "industrialisation_pace",
    "collectivisation_pace",
    "collectivisation_competence",
    "targeted_extraction",
    "purge_severity",
    "comintern_united_front_line",
    "comintern_export",
    "ccp_independence",
    "trade_openness",
)
(
    P_INDUSTRIALISATION,
    P_COLLECTIVISATION,
    P_COMPETENCE,
    P_TARGETED,
    P_PURGE,
    P_UF_LINE,
    P_EXPORT,
    P_CCP_INDEPENDENCE,
    P_TRADE,
) = range(len(POLICY_LEVERS))
N_POLICY = len(POLICY_LEVERS)

#: Great powers with a steel and GDP path (``steel_output``, ``gdp``), USSR first.
#: COW state abbreviation and Maddison country code of each.
STATES = ("USSR", "Germany", "UK", "France", "Italy", "Japan", "USA")
COW_CODES = ("RUS", "GMY", "UKG", "FRN", "ITA", "JPN", "USA")
MADDISON_CODES = ("SUN", "DEU", "GBR", "FRA", "ITA", "JPN", "USA")
USSR, GERMANY = 0, 1
N_STATES = len(STATES)

#: Region groups of ``data/soviet_regions.csv``; ``famine_deaths`` reports the total and
#: these two by name.
REGION_GROUPS = (
    "ukraine",
    "kazakhstan",
    "volga",
    "north_caucasus",
    "central_black_earth",
    "central_industrial",
    "northwest",
    "urals",
    "siberia",
    "belarus",
    "transcaucasia",
    "central_asia",
    "far_east",
    "other_rsfsr",
)
FAMINE_GROUPS = ("total", "ukraine", "kazakhstan")

#: Month of the grain harvest and the procurement campaign (the campaign ran from
#: August; the calendar books the whole harvest in that month). Assumption.
HARVEST_MONTH = 8
#: First and last harvest year reported by ``grain_harvest`` (MODEL.md).
HARVEST_YEARS = tuple(range(1928, 1941))
#: Window of ``famine_deaths`` (MODEL.md: excess deaths 1930-1934), inclusive years.
FAMINE_YEARS = (1930, 1934)
#: Window of ``terror_executions`` and ``officers_purged`` (MODEL.md: 1936-1939).
TERROR_YEARS = (1936, 1939)
#: ``soviet_leader`` is read at the end of this month: "who holds power in 1930".
LEADER_MONTH = "1929-12"
#: ``red_army_quality_1941`` is read at the end of this month (the eve of Barbarossa).
QUALITY_MONTH = "1941-06"
#: The earliest calendar end the Soviet slice accepts.
REQUIRED_END = "1941-06"
#: ``ccp_members`` is read just before the KMT's purge (the membership the Fifth
#: Congress reported in April-May 1927 was counted before it) and at the end of these
#: months: 1927 (after the purge) and 1937.
CCP_MONTHS = ("1927-12", "1937-12", "1940-12", "1941-06")
CCP_LABELS = ("before_purge", *CCP_MONTHS)

#: USSR crude steel 1924 and 1928, million tonnes (COW NMC v6.0 ``irst``, RUS).
STEEL_1924 = 0.993
STEEL_1928 = 4.251
#: Red Army personnel 1924-1932, thousands (COW NMC v6.0 ``milper``, RUS: 562).
ARMY_1924 = 562.0
#: USSR GDP 1928, billion 2011 international dollars (Maddison Project Database 2020).
GDP_1928 = 369.7
#: USSR grain sown area 1928, million hectares (``data/soviet/README.md``).
GRAIN_AREA_1928 = 92.2
#: ``red_army_strength`` is read at the end of these months: 1 January 1939 and the eve
#: of the German invasion.
ARMY_MONTHS = ("1938-12", "1941-06")
ARMY_LABELS = ("1939-01", "1941-06")
