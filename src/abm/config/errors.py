"""The error every config problem raises, and helpers that word its message.

A message always names the file, the field (dotted, as in ``levers.united_front_uptake``),
the offending value and what is allowed, so that one line tells the user what to fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from abm.errors import InputError

#: Lists of allowed names longer than this are summarised by their count.
MAX_LISTED = 12


class ConfigError(InputError):
    """A scenario, preset or override that cannot be used, with a message saying why.

    Args:
        message: the full message.
        path: file the problem is in (or ``command line``).
        field: dotted field name.
        value: the offending value.
    """

    def __init__(self, message: str, *, path: str = "", field: str = "", value: Any = None) -> None:
        super().__init__(message)
        self.path = path
        self.field = field
        self.value = value


def show(value: Any) -> str:
    """Short printable form of a value (``repr``, cut to 80 characters)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fmt_number(x: float) -> str:
    """A bound as written by people (``1924``, ``0.05``)."""
    return f"{x:g}"


def range_text(low: float, high: float, unit: str) -> str:
    """``[low, high] (unit)``."""
    return f"[{fmt_number(low)}, {fmt_number(high)}] ({unit})"


def names_text(names: Iterable[str], what: str, where: str = "") -> str:
    """Every allowed name, or their count and a few of them when there are many.

    Args:
        names: the allowed names.
        what: what they are, plural (``levers``).
        where: where the full list is written, for long lists.
    """
    ordered = sorted(names)
    if len(ordered) <= MAX_LISTED:
        return ", ".join(ordered) if ordered else f"no {what}"
    see = f" (see {where})" if where else ""
    return f"one of {len(ordered)} {what}{see}, e.g. {', '.join(ordered[:3])}"


def did_you_mean(name: Any, *candidates: Iterable[str]) -> str:
    """``did you mean 'x'?`` for the closest candidate, trying each group in turn."""
    if not isinstance(name, str):
        return ""
    for group in candidates:
        close = difflib.get_close_matches(name, list(group), n=1, cutoff=0.6)
        if close:
            return f"did you mean {close[0]!r}?"
    return ""


@dataclass(frozen=True)
class Loc:
    """Where a value sits: a file and a dotted field.

    Attributes:
        path: file the value was read from (or ``command line``).
        field: dotted field name (empty at the top level).
    """

    path: str
    field: str = ""

    def child(self, name: Any) -> Loc:
        """The location of a key under this one."""
        return Loc(self.path, f"{self.field}.{name}" if self.field else str(name))

    def error(self, value: Any, problem: str, allowed: str, hint: str = "") -> ConfigError:
        """A :class:`ConfigError` for ``value`` at this location.

        Args:
            value: the offending value.
            problem: what is wrong with it.
            allowed: what would be accepted.
            hint: optional advice (a suggestion, where the value belongs).
        """
        field = self.field or "(top level)"
        message = f"{self.path}: {field}: {problem}, got {show(value)}"
        if hint:
            message += f"; {hint}"
        message += f"; allowed: {allowed}"
        return ConfigError(message, path=self.path, field=field, value=value)
