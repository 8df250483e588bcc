"""The war's combat data: CDB90's 1939-1945 engagements, their covariates and the split.

What is read. Every engagement of 1939-1945 in ``data/cdb90`` with both strengths and
both casualty counts known (read by :func:`abm.models.interwar.frontiers.combat_fit.load`,
extended here with more CDB90 columns keyed by the same ``ISQNO``): the strengths ``A``,
``D`` (persons), the casualties ``C_a``, ``C_d`` (killed, wounded and missing, persons),
the duration ``T`` (days), the defender's posture, the :data:`EXTRA` codes and whether
the attacker won (CDB90's ``WINA``; NaN for a draw). :class:`WarEngagements` holds one
entry per engagement (arrays ``[n]``); its :meth:`~WarEngagements.rates` are the outcomes
``y_a = ln(C_a / (A * T))`` and ``y_d = ln(C_d / (D * T))`` (float ``[n, 2]``, ln(1/day)),
its :meth:`~WarEngagements.covariates` the :data:`COVARIATES` (float ``[n, 13]``) and its
:meth:`~WarEngagements.design` an intercept and those (float ``[n, 14]``, :data:`COLUMNS`).

The split (:func:`theatre_of`, the rule read from CDB90's own columns). ``WAR`` alone will
not do: CDB90 files the Red Army's 1945 engagements in East Prussia, Poland (the winter
offensive) and at Berlin, and in Manchuria, under ``WORLD WAR II (OKINAWA)``. So the
rule goes by the belligerents (the nationality prefix of ``NAMA``/``NAMD``), then the location
(``LOCN``): Japanese on one side -> ``pacific`` (``soviet_other`` if the other side is
Soviet); Soviet against German -> ``eastern_front``; Soviet against anyone else ->
``soviet_other``; then ``LOCN`` Egypt, Libya or Tunisia -> ``north_africa``; Italy ->
``italy``; France, Belgium, Luxembourg, the Netherlands, Germany or "Northwest Europe"
-> ``western_europe``. Counts (:data:`THEATRE_COUNTS`): western Europe 43, Italy 69,
North Africa 11 (fitted on: 123), Eastern Front 28 (held out, the test), Pacific 33
(held out, scored as a second test), Soviet-Finnish and Soviet-Japanese 4 (unused).
North Africa is fitted on: the same armies (British, American, German, Italian) and
doctrines as Italy and the West, and 11 engagements too few to test on alone.
:func:`split` gives the three sets.

Covariates are used where CDB90 covers them: at least 15 of the 123 fit-set engagements
away from the reference value, and known on the Eastern Front. Left out for coverage:
leadership (``LEADA``, 10 away from 0), morale (``MORALA``, 8), technology (``TECHA``,
0), heavily wooded terrain (9), desert (7, all North Africa); front width is not in
the patched table.

Data problems (``data/cdb90/README.md``), handled by the frontiers loader reused here:
the winner is the patched table's ``WINA`` (not the tidy ``battles.csv`` code), the
duration is recomputed from ``datetime_min``/``datetime_max`` (at least half a day), not
the tidy ``duration1``; ``CEA`` -9 (unknown) drops the engagement. Here also: the
mislabelled ``WAR`` (above); unknown codes (-9; ``AEROA`` 9) drop an engagement (none of
the 1939-1945 ones with ``CEA`` known).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abm.models.interwar.frontiers import combat_fit as frontiers

__all__ = [
    "COLUMNS",
    "COVARIATES",
    "EXTRA",
    "FIT_THEATRES",
    "SECOND_THEATRE",
    "SIZE_UNIT",
    "TEST_THEATRE",
    "THEATRE_COUNTS",
    "YEARS",
    "WarEngagements",
    "load",
    "split",
    "theatre_of",
]

#: Years (of the engagement's start) of the engagements used.
YEARS = (1939, 1945)
#: Theatres fitted on.
FIT_THEATRES = ("western_europe", "italy", "north_africa")
#: The held-out theatre that scores the models (the test set).
TEST_THEATRE = "eastern_front"
#: A second held-out theatre, scored for information.
SECOND_THEATRE = "pacific"
#: Engagements per theatre after loading (asserted by the tests).
THEATRE_COUNTS = {
    "western_europe": 43,
    "italy": 69,
    "north_africa": 11,
    "eastern_front": 28,
    "pacific": 33,
    "soviet_other": 4,
}
#: CDB90's extra columns read here (beyond the frontiers loader's), as covariates.
EXTRA = (
    "training",
    "surprise",
    "air_superiority",
    "armour",
    "rugged_terrain",
    "wet_weather",
    "winter",
    "supply",
)
#: The regression kernel's covariates (the attacker's view: positive favours it):
#: ln(A/D); ln of the geometric mean strength over 10,000; ln days; prepared or
#: fortified defence (0/1); CEA (-2..2); TRNGA (-1..1); SURPA (-3..3); AEROA (-1..1);
#: ln of the attacker's over the defender's tanks per man (tanks + 1); rugged terrain
#: (TERRA1 "G", 0/1); wet weather (WX1 "W", 0/1); winter (WX1 season "W", 0/1); LOGSA.
COVARIATES: tuple[str, ...] = (
    "log_force_ratio",
    "log_size",
    "log_days",
    "prepared_defence",
    "effectiveness",
    *EXTRA,
)
#: The kernel's columns: intercept and the covariates.
COLUMNS = ("intercept", *COVARIATES)
#: Strength unit of the size covariate and of the linear law, persons.
SIZE_UNIT = 1e4

_WEST = ("FRANCE", "BELGIUM", "LUXEMBOURG", "NETHERLANDS", "GERMANY", "NORTHWEST EUROPE")


# ---------------------------------------------------------------- the engagements
def theatre_of(locn: str, attacker: str, defender: str) -> str:
    """The theatre of an engagement from CDB90's ``LOCN``, ``NAMA`` and ``NAMD``.

    The nationality is the first word of the unit's name (``SOV``/``USSR``, ``GER``,
    ``JAP``, ``US``, ``BR``...). See the module docstring for the rule.
    """
    sides = {(name.split() or [""])[0] for name in (attacker, defender)}
    soviet = bool(sides & {"SOV", "USSR"})
    if "JAP" in sides:
        return "soviet_other" if soviet else "pacific"
    if soviet:
        return "eastern_front" if "GER" in sides else "soviet_other"
    if locn in ("EGYPT", "LIBYA", "TUNISIA"):
        return "north_africa"
    if locn == "ITALY":
        return "italy"
    return "western_europe" if locn in _WEST else "other"


def _code(value: str, unknown: tuple[float, ...] = (-9.0,)) -> float:
    """A CDB90 integer code as float; NaN where unknown."""
    x = float(value)
    return math.nan if x in unknown else x


def _extras(row: dict[str, str]) -> list[float]:
    """The :data:`EXTRA` covariates of one CDB90 row (NaN where unknown)."""
    tanks_a, tanks_d = _code(row["TANKA"], (-1.0, -9.0)), _code(row["TANKD"], (-1.0, -9.0))
    armour = math.log((tanks_a + 1.0) / float(row["STRA"])) - math.log(
        (tanks_d + 1.0) / float(row["STRD"])
    )
    terrain, weather = row["TERRA1"], row["WX1"]
    return [
        _code(row["TRNGA"]),
        _code(row["SURPA"]),
        _code(row["AEROA"], (9.0, -9.0)),
        armour,
        float(terrain[:1] == "G"),
        float(weather[:1] == "W"),
        float(weather[3:4] == "W"),
        _code(row["LOGSA"]),
    ]


@dataclass(frozen=True)
class WarEngagements:
    """The 1939-1945 engagements (one entry each), the frontiers loader's and more.

    Attributes:
        base: the frontiers loader's arrays (ids, strengths, casualties, days, prepared
            defence, CEA, attacker won), restricted to these engagements.
        theatre: :func:`theatre_of` (str ``[n]``).
        campaign: CDB90 ``CAMPGN`` (str ``[n]``), the cross-validation's groups.
        year: the year the engagement began (int ``[n]``).
        posture: the defender's primary posture (``POST1``; ``WD`` counted as ``DL``):
            ``DL`` delay, ``HD`` hasty, ``PD`` prepared, ``FD`` fortified (str ``[n]``).
        extra: float ``[n, len(EXTRA)]``, the :data:`EXTRA` covariates.
    """

    base: frontiers.Engagements
    theatre: np.ndarray
    campaign: np.ndarray
    year: np.ndarray
    posture: np.ndarray
    extra: np.ndarray

    @property
    def n(self) -> int:
        """Number of engagements."""
        return len(self.base.ids)

    def log_force_ratio(self) -> np.ndarray:
        """``r = ln(A/D)``, float ``[n]``."""
        return np.log(self.base.attacker / self.base.defender)

    def log_size(self) -> np.ndarray:
        """``s = ln(sqrt(A D) / 10^4)``, float ``[n]``."""
        return 0.5 * np.log(self.base.attacker * self.base.defender) - math.log(SIZE_UNIT)

    def covariates(self) -> np.ndarray:
        """Float ``[n, len(COVARIATES)]``."""
        b = self.base
        core = [self.log_force_ratio(), self.log_size(), np.log(b.days), b.prepared]
        return np.column_stack([*core, b.effectiveness, self.extra])

    def design(self) -> np.ndarray:
        """Float ``[n, len(COLUMNS)]``: an intercept and the covariates."""
        return np.column_stack([np.ones(self.n), self.covariates()])

    def rates(self) -> np.ndarray:
        """Float ``[n, 2]``: ln daily casualty rates (attacker, defender), ln(1/day)."""
        return np.column_stack(frontiers.rates(self.base))

    def decided(self) -> np.ndarray:
        """Bool ``[n]``: the engagements with a winner (no draw)."""
        return ~np.isnan(self.base.attacker_won)

    def subset(self, keep: np.ndarray) -> WarEngagements:
        """The engagements where ``keep`` (bool ``[n]``) holds."""
        arrays = ("theatre", "campaign", "year", "posture", "extra")
        return WarEngagements(
            base=self.base.subset(keep), **{k: getattr(self, k)[keep] for k in arrays}
        )


def load(path: Path | None = None) -> WarEngagements:
    """The usable engagements of :data:`YEARS`, with the extra covariates.

    Usable: the frontiers loader's rule (both strengths and both casualty counts
    positive, ``CEA`` known, both dates) and every :data:`EXTRA` code known.
    """
    root = path or frontiers.data_dir()
    base = frontiers.load(root)
    with open(root / "CDB90-patched.csv", newline="", encoding="utf-8") as fh:
        rows = {r["ISQNO"]: r for r in csv.DictReader(fh)}
    with open(root / "battle_durations.csv", newline="", encoding="utf-8") as fh:
        start = {r["isqno"]: int(r["datetime_min"][:4] or 0) for r in csv.DictReader(fh)}
    keep = np.zeros(len(base.ids), bool)
    theatre, campaign, year, posture, extra = [], [], [], [], []
    for i, eid in enumerate(base.ids):
        row, extras = rows[eid], _extras(rows[eid])
        if not YEARS[0] <= start[eid] <= YEARS[1] or any(math.isnan(x) for x in extras):
            continue
        keep[i] = True
        theatre.append(theatre_of(row["LOCN"], row["NAMA"], row["NAMD"]))
        campaign.append(row["CAMPGN"])
        year.append(start[eid])
        posture.append("DL" if row["POST1"] == "WD" else row["POST1"])
        extra.append(extras)
    return WarEngagements(
        base=base.subset(keep),
        theatre=np.array(theatre),
        campaign=np.array(campaign),
        year=np.array(year),
        posture=np.array(posture),
        extra=np.array(extra, dtype=float).reshape(-1, len(EXTRA)),
    )


def split(w: WarEngagements) -> tuple[WarEngagements, WarEngagements, WarEngagements]:
    """(fit set, test set: the Eastern Front, second test: the Pacific)."""
    return (
        w.subset(np.isin(w.theatre, FIT_THEATRES)),
        w.subset(w.theatre == TEST_THEATRE),
        w.subset(w.theatre == SECOND_THEATRE),
    )
