"""A self-contained HTML report of one result cube (``abm report CUBE``).

The report is one HTML file: inline CSS, every plot a PNG embedded as a
``data:image/png;base64,`` URI, no script and no external resource, so it opens offline
and can be mailed or archived as is. It is rendered by a Jinja2 template with
autoescaping on, so every text taken from the cube (names, attributes, descriptions, the
resolved config) reaches the page as text, never as markup.

What it holds adapts to the cube; no outcome is named here, the cube says which are its
headline ones (:mod:`abm.analysis.meta`):

* always: the cube's path, a title, the provenance table (every dataset attribute) and
  the resolved config; for a sweep, points done of all.
* a single-scenario cube (no ``point`` dimension, or one point): every event's
  probability with its Monte Carlo standard error and 95 % interval (headline events
  first), the categories' shares, the year each event first happened (plots), fan charts
  of the quantities over time and the spread of the scalar quantities.
* a sweep (over ``point``, or over one dimension per lever): each event's range over the
  points; heat maps of the events' probabilities over the first two levers when the
  points form a full grid (a probability plot for a one-lever sweep); Sobol' first-order
  and total indices with a tornado chart per event for a Sobol' (Saltelli) design; a
  PRIM box where the points avoid the first two headline events. Points whose
  ``points_done`` flag is False are left out of every table and plot, and the report
  says how many are missing.
* a single-scenario cube whose model has default targets: "Validation against history",
  the per-group proper scores and the PIT histogram (:mod:`abm.analysis.validation`).

Modules: :mod:`~abm.analysis.report.document` (blocks and the template),
:mod:`~abm.analysis.report.read` (reading, design, atomic writes),
:mod:`~abm.analysis.report.provenance`, :mod:`~abm.analysis.report.single`,
:mod:`~abm.analysis.report.sweep`, :mod:`~abm.analysis.report.sobol`,
:mod:`~abm.analysis.report.prim`, :mod:`~abm.analysis.report.validation` (the
sections), :mod:`~abm.analysis.report.render` (the whole document).
"""

from __future__ import annotations

from abm.analysis.report.document import png_data_uri
from abm.analysis.report.read import default_report_path, load_cube, write_text_atomic
from abm.analysis.report.render import report_html, write_report

__all__ = [
    "default_report_path",
    "load_cube",
    "png_data_uri",
    "report_html",
    "write_report",
    "write_text_atomic",
]
