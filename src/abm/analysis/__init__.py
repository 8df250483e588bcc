"""Analysis of result cubes for notebooks and reports.

* :mod:`~abm.analysis.cubes`: event probabilities with their errors, unpaired differences
  between independent cubes, yearly shares, sweep points as lever dimensions.
* :mod:`~abm.analysis.sensitivity`: Sobol' indices over a Saltelli design (SALib).
* :mod:`~abm.analysis.prim`: PRIM scenario discovery (boxes of inputs where an outcome
  concentrates).
* :mod:`~abm.analysis.plots`: heatmap, event-year distribution, fan chart, tornado
  (matplotlib figures, no pyplot).
* :mod:`~abm.analysis.meta`: what a cube says of its outcomes (the headline ones, labels
  of dimensions) and its sweep layout.
* :mod:`~abm.analysis.figtext`: wrapped titles and whole-number year axes.
* :mod:`~abm.analysis.validation` (with :mod:`~abm.analysis.scores` and
  :mod:`~abm.analysis.targets`): proper scores of a cube against historical targets
  (``abm validate``; :func:`validate`, :func:`pit_histogram`).
* :mod:`~abm.analysis.report` (also importable as :mod:`~abm.analysis.html`): a
  self-contained HTML report of a cube (``abm report``), from Jinja2 templates.

Nothing here imports JAX or the simulation engine: reading and reporting a cube needs
neither.
"""

from __future__ import annotations

from abm.analysis.cubes import (
    event_names,
    event_year_shares,
    lever_grid,
    pairwise,
    probability_with_error,
    quantity_names,
)
from abm.analysis.meta import (
    dim_label,
    headline_events,
    headline_outcomes,
)
from abm.analysis.plots import event_year_distribution, fan_chart, heatmap, tornado
from abm.analysis.prim import PrimBox, PrimResult, choose_step, prim_box
from abm.analysis.report import report_html, write_report
from abm.analysis.sensitivity import saltelli_points, sobol_indices
from abm.analysis.targets import ValidationTarget, read_targets, write_targets
from abm.analysis.validation import Validation, pit_histogram, validate

__all__ = [
    "PrimBox",
    "PrimResult",
    "Validation",
    "ValidationTarget",
    "choose_step",
    "dim_label",
    "event_names",
    "event_year_distribution",
    "event_year_shares",
    "fan_chart",
    "headline_events",
    "headline_outcomes",
    "heatmap",
    "lever_grid",
    "pairwise",
    "pit_histogram",
    "prim_box",
    "probability_with_error",
    "quantity_names",
    "read_targets",
    "report_html",
    "saltelli_points",
    "sobol_indices",
    "tornado",
    "validate",
    "write_report",
    "write_targets",
]
