"""Coverage of the historical figures: moved to :mod:`abm.calibration` (kept importable)."""

from __future__ import annotations

from abm.calibration import QUANTILES, coverage, coverage_markdown, row

__all__ = ["QUANTILES", "coverage", "coverage_markdown", "row"]
