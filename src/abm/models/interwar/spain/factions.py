"""The Spain slice's factions, donors and fixed figures (package data ``spain_factions.csv``).

Each faction row: its side, its armed strength in the first weeks of the war (thousand
persons) and its source. The front's sectors and units are in :mod:`.front`.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np

from abm.models.catalogue import data_rows

PACKAGE = "abm.models.interwar"
#: The factions, in the order of the ``spain_faction`` dimension.
FACTIONS = ("psoe_ugt", "pce", "poum", "cnt_fai", "republicans", "army", "falange", "carlists")
PSOE, PCE, POUM, CNT, REPUBLICANS, ARMY, FALANGE, CARLISTS = range(8)
REPUBLIC = (PSOE, PCE, POUM, CNT, REPUBLICANS)
NATIONALIST = (ARMY, FALANGE, CARLISTS)
#: The revolutionary left the Soviet line may repress.
DISSIDENTS = (POUM, CNT)
#: The war's two sides (``war_side``) and the winners' codes.
WAR_SIDES = ("republic", "nationalist")
WINNERS = ("none", "republic", "nationalist")
NO_WINNER, REPUBLIC_WON, NATIONALISTS_WON = range(3)
#: Foreign donors (``donor``).
DONORS = ("italy", "germany", "ussr", "international_brigades")
ITALY, GERMANY, USSR, BRIGADES = range(4)
#: The month's decisions drawn as uniforms (``spain_decision``).
DECISIONS = ("front", "rising", "clash")
#: Spain's population, 1936, thousand persons (24.7 million: the 1930 census's 23.6
#: million grown at the 1920s' rate; Instituto Nacional de Estadistica, Censo 1930).
POPULATION = 24_700.0
#: Seats of the Cortes elected in February 1936.
SEATS = 473.0


class FactionData(NamedTuple):
    """The factions' fixed data (NumPy).

    Attributes:
        side: int32 ``[F]``, 0 the Republic, 1 the Nationalists.
        strength: float32 ``[F]``, armed strength in the war's first weeks, thousand.
    """

    side: np.ndarray
    strength: np.ndarray


@cache
def faction_data() -> FactionData:
    """The factions' data, checked against :data:`FACTIONS`."""
    rows = data_rows("spain_factions.csv", PACKAGE)
    names = tuple(r["faction"] for r in rows)
    if names != FACTIONS:
        raise ValueError(f"spain_factions.csv: factions {names}, expected {FACTIONS}")
    side = np.array([WAR_SIDES.index(r["side"]) for r in rows], np.int32)
    strength = np.array([float(r["strength_1936"]) for r in rows], np.float32)
    return FactionData(side, strength)
