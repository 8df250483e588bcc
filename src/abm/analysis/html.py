"""The HTML report of a cube, at its historical import path (``abm report CUBE``).

The report is built by the package :mod:`abm.analysis.report` (Jinja2 templates,
autoescaped); this module keeps ``abm.analysis.html.write_report`` and its companions
importable where the CLI and older code look for them.
"""

from __future__ import annotations

from abm.analysis.report import (
    default_report_path,
    load_cube,
    png_data_uri,
    report_html,
    write_report,
    write_text_atomic,
)

__all__ = [
    "default_report_path",
    "load_cube",
    "png_data_uri",
    "report_html",
    "write_report",
    "write_text_atomic",
]
