"""Readable figure text: titles wrapped to the axes' width, whole-number year axes.

Used by :mod:`abm.analysis.plots` and the report's own figures, so that a title is never
cut off at the figure's edge and a year axis reads 1925, not 1925.0 or 1927.5.
"""

from __future__ import annotations

import textwrap

from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

#: Average glyph width of the title font, as a share of its size (DejaVu Sans: ~0.55).
GLYPH_EM = 0.58


def wrap_title(text: str, width_in: float, fontsize: float) -> str:
    """``text`` wrapped to lines that fit ``width_in`` inches at ``fontsize`` points.

    Each line of ``text`` is wrapped on its own (explicit line breaks are kept); no word
    is cut or dropped, so ``" ".join(result.split()) == " ".join(text.split())``.
    """
    chars = max(16, int(width_in * 72.0 / (fontsize * GLYPH_EM)))
    lines = [textwrap.fill(line, chars, break_long_words=False) for line in text.split("\n")]
    return "\n".join(lines)


def set_wrapped_title(ax: Axes, text: str) -> None:
    """Set the axes title, wrapped to the axes' width so that no part is cut off."""
    root = ax.get_figure(root=True)
    fig_width = float(root.get_figwidth()) if isinstance(root, Figure) else 6.4
    width_in = max(ax.get_position().width * fig_width, 0.5 * fig_width)
    ax.set_title(wrap_title(text, width_in, float(ax.title.get_fontsize())))


def is_year(name: str) -> bool:
    """Whether a dimension or label names calendar years (``year``, ``harvest_year``...)."""
    return "year" in name.lower()


def integer_axis(axis: Axis, year: bool = False) -> None:
    """Ticks at whole numbers only; for a year axis, labels without decimals or offset."""
    axis.set_major_locator(MaxNLocator(integer=True))
    if year:
        axis.set_major_formatter(StrMethodFormatter("{x:.0f}"))


__all__ = ["GLYPH_EM", "integer_axis", "is_year", "set_wrapped_title", "wrap_title"]
