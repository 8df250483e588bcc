"""The simulation calendar: moved to :mod:`abm.models.calendar` (kept importable here)."""

from __future__ import annotations

from abm.models.calendar import Calendar, parse_year_month

__all__ = ["Calendar", "parse_year_month"]
