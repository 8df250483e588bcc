"""Outcome specs: what a model reports per run, and how reports should show it.

A model declares its outcomes with these specs; the engine tallies them
(:mod:`abm.engine.reducers`), the cube is built from the tallies (:mod:`abm.cube`).
This module imports no JAX, so cube readers and reports can use the specs without it.

Outcome kinds (``ARCHITECTURE.md``):

* :class:`EventOutcome`: per run, the month index of the event's first occurrence, or
  -1. Tally: a histogram over months, with a last bin for "never".
* :class:`CategoryOutcome`: per run, a category code. Tally: counts per category.
* :class:`QuantityOutcome`: per run, a float array over the outcome's own dimensions,
  with an optional validity mask (for example an election that was not held). Tallies:
  the number of valid runs, an exact fixed-point sum and a histogram over fixed bin
  edges for the quantiles.

Every spec also carries display metadata: ``headline`` (reports show headline outcomes
first) and, for quantities, ``dim_labels`` (human labels of its dimensions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class EventOutcome:
    """An event: did it happen, and in which month first.

    Attributes:
        name: catalogue name.
        description: one line for attrs and tables.
        headline: a headline outcome, shown first in reports.
    """

    name: str
    description: str
    headline: bool = False


@dataclass(frozen=True)
class CategoryOutcome:
    """One of a fixed set of categories.

    Attributes:
        name: catalogue name.
        categories: category labels, indexed by code.
        description: one line for attrs and tables.
        headline: a headline outcome, shown first in reports.
    """

    name: str
    categories: tuple[str, ...]
    description: str
    headline: bool = False


@dataclass(frozen=True)
class QuantityOutcome:
    """A number per run over the outcome's own dimensions.

    Attributes:
        name: catalogue name.
        dims: names of the outcome's own dimensions, in array order.
        coords: labels of each dimension, one tuple per entry of ``dims``.
        unit: physical unit of the values.
        edges: float histogram bin edges (values outside fall in the end bins).
        scale: fixed-point scale; the sum is exact to ``1/scale`` units per run.
        description: one line for attrs and tables.
        masked: whether the per-run value comes with a validity mask.
        headline: a headline outcome, shown first in reports.
        dim_labels: human labels of ``dims`` (for example ``("Reichstag election",
            "party")``), one per dimension; empty: use the dimension names.
        shape: number of labels of each dimension (derived).
    """

    name: str
    dims: tuple[str, ...]
    coords: tuple[tuple[str, ...], ...]
    unit: str
    edges: tuple[float, ...]
    scale: float
    description: str
    masked: bool = False
    headline: bool = False
    dim_labels: tuple[str, ...] = ()
    shape: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(len(c) for c in self.coords))
        if len(self.dims) != len(self.coords):
            raise ValueError(f"{self.name}: dims and coords differ in length")
        if self.dim_labels and len(self.dim_labels) != len(self.dims):
            raise ValueError(f"{self.name}: dim_labels must be empty or one per dim")
        if len(self.edges) < 2 or any(np.diff(self.edges) <= 0):
            raise ValueError(f"{self.name}: edges must be increasing, at least two")

    @property
    def n_bins(self) -> int:
        """Number of histogram bins."""
        return len(self.edges) - 1


OutcomeSpec = EventOutcome | CategoryOutcome | QuantityOutcome

__all__ = ["CategoryOutcome", "EventOutcome", "OutcomeSpec", "QuantityOutcome"]
