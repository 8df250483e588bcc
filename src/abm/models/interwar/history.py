"""Exogenous paths as they came: the scenario option ``exogenous: history``.

Under ``exogenous: random`` (the default) the slices draw their exogenous streams (the
Soviet harvest weather, the other powers' deviations from their recorded paths, the
German unemployment shock). Under ``exogenous: history`` they follow history instead,
where the project holds it (``docs/exogenous.md``):

* the Soviet **national harvest weather** of 1928-1935: the weather index (standard
  normal units) that, in the Soviet slice's deterministic skeleton
  (:func:`abm.models.interwar.soviet.calibration.skeleton`: Stalin's rule, the NSDAP in
  power from January 1933, every other random number neutral) under the ``otl``
  scenario with every parameter at its prior's centre, reproduces the historical harvest
  (``SUN_grain_1928`` .. ``SUN_grain_1935``, Wheatcroft & Davies 1994) on average over
  the regional weather. Derived by :mod:`abm.models.interwar.history_derive` and stored
  in ``data/exogenous_history.yaml``; other years are drawn.
* the **other powers' steel and GDP**: their recorded paths (COW NMC v6.0, Maddison
  2020; :mod:`abm.models.interwar.soviet.states`) with no deviation.
* **German registered unemployment** of 1928 to January 1933 (the Depression as it
  came): each month of 1928-1932 at the year's registered annual average
  (``DEU_unemp_1928`` .. ``DEU_unemp_1932``; the project holds annual averages only),
  January 1933 at its recorded 6.0 M (``DEU_unemp_Jan1933``). The slice's AR(1)
  deviation is the gap between that and the run's trend; after January 1933 it decays
  from there with drawn innovations.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import yaml

from abm.models.interwar.calendar import Calendar
from abm.models.interwar.parameters import data_text

#: The modes of the exogenous streams; the first is the default.
EXOGENOUS_MODES = ("random", "history")
RANDOM, HISTORY = EXOGENOUS_MODES
#: The slices that take the build option ``exogenous``.
EXOGENOUS_SLICES = ("germany", "soviet")
#: Package data file of the derived historical paths.
HISTORY_FILE = "exogenous_history.yaml"


def check_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`EXOGENOUS_MODES`.

    Raises:
        ValueError: naming the allowed modes.
    """
    if mode not in EXOGENOUS_MODES:
        raise ValueError(f"exogenous mode {mode!r}; allowed: {', '.join(EXOGENOUS_MODES)}")
    return mode


def build_options(mode: str, slices: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Build options (slice -> keyword arguments) for ``mode``; none for the default."""
    if check_mode(mode) == RANDOM:
        return {}
    return {name: {"exogenous": mode} for name in slices if name in EXOGENOUS_SLICES}


@cache
def stored() -> dict[str, Any]:
    """The content of :data:`HISTORY_FILE` (see :mod:`.history_derive`)."""
    text = data_text(HISTORY_FILE)
    if text is None:
        raise FileNotFoundError(f"package data file {HISTORY_FILE} is missing")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{HISTORY_FILE}: expected a mapping")
    return data


def soviet_weather(years: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The historical national harvest weather of each year, and where history holds it.

    Returns:
        ``(weather, known)``: float32 ``[Y]`` (standard normal units; 0 where unknown)
        and bool ``[Y]``.
    """
    table = {int(y): float(v) for y, v in stored()["soviet_weather"]["values"].items()}
    weather = np.array([table.get(int(y), 0.0) for y in years], np.float32)
    known = np.array([int(y) in table for y in years], bool)
    return weather, known


def german_unemployment(calendar: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Registered unemployment (millions) of each month as it came, and where known.

    Returns:
        ``(unemployed, known)``: float32 ``[n_months]`` (0 where unknown), bool
        ``[n_months]``.
    """
    spec = stored()["german_unemployment"]
    annual = {int(y): float(v) for y, v in spec["annual"].items()}
    monthly = {str(m): float(v) for m, v in spec["monthly"].items()}
    out = np.zeros((calendar.n_months,), np.float32)
    known = np.zeros((calendar.n_months,), bool)
    for i in range(calendar.n_months):
        label = calendar.label(i)
        year = int(label[:4])
        if label in monthly:
            out[i], known[i] = monthly[label], True
        elif year in annual:
            out[i], known[i] = annual[year], True
    return out, known
