"""The frontier theatres and the combat kernel's fitted constants (package data).

``frontiers_theatres.csv``: per theatre, the opponent, the strengths engaged (thousand
persons) and whether the opponent holds a prepared defence, each row with its source.
``frontiers_combat.yaml``: the kernel fitted on CDB90
(:mod:`abm.models.interwar.frontiers.combat_fit`).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np
import yaml

from abm.models.catalogue import data_rows, data_text

PACKAGE = "abm.models.interwar"
#: The theatres, in the order of the ``theatre`` dimension.
THEATRES = ("khasan", "khalkhin_gol", "finland")
KHASAN, KHALKHIN_GOL, FINLAND = range(3)
#: The clashes with Japan (a Japanese probe begins them).
CLASHES = (KHASAN, KHALKHIN_GOL)
#: The sides of every theatre.
SIDES = ("ussr", "opponent")
USSR, OPPONENT = range(2)
#: Theatre status codes.
STATUS = ("quiet", "fighting", "over")
QUIET, FIGHTING, OVER = range(3)
#: The month's decisions drawn as uniforms.
DECISIONS = ("demand", "refusal", "escalation")
#: The annexations of 1940 (``annexation``): the secret protocol's remaining sphere.
ANNEXATIONS = ("baltic_states", "bessarabia")


class Theatres(NamedTuple):
    """The theatres' data (NumPy).

    Attributes:
        soviet_force, opponent_force: float32 ``[T]``, thousand persons engaged at the start.
        prepared: float32 ``[T]``, 1 where the opponent holds a prepared defence.
    """

    soviet_force: np.ndarray
    opponent_force: np.ndarray
    prepared: np.ndarray


class Kernel(NamedTuple):
    """The fitted combat kernel (:mod:`.combat_fit`).

    Coefficients over its columns: intercept, log force ratio, prepared defence,
    effectiveness advantage.

    Attributes:
        attacker, defender: float ``[4]``, ln casualties per day over strength.
        residual_sd: float ``[2]``; residual_corr: float.
        win: float ``[4]``, logit of P(attacker wins).
    """

    attacker: np.ndarray
    defender: np.ndarray
    residual_sd: np.ndarray
    residual_corr: float
    win: np.ndarray


@cache
def theatres() -> Theatres:
    """The theatres' data, checked against :data:`THEATRES`."""
    rows = data_rows("frontiers_theatres.csv", PACKAGE)
    names = tuple(r["theatre"] for r in rows)
    if names != THEATRES:
        raise ValueError(f"frontiers_theatres.csv: theatres {names}, expected {THEATRES}")
    col = lambda k: np.array([float(r[k]) for r in rows], np.float32)  # noqa: E731
    return Theatres(col("soviet_force"), col("opponent_force"), col("prepared_defence"))


@cache
def kernel() -> Kernel:
    """The combat kernel fitted on CDB90."""
    raw = yaml.safe_load(data_text("frontiers_combat.yaml", PACKAGE) or "")
    return Kernel(
        attacker=np.array(raw["attacker"]),
        defender=np.array(raw["defender"]),
        residual_sd=np.array(raw["residual_sd"]),
        residual_corr=float(raw["residual_corr"]),
        win=np.array(raw["win"]),
    )
