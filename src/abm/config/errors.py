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
#: Characters of a value a message shows.
SHOWN = 80
#: Nesting levels of a value a message renders.
MAX_DEPTH = 20
#: The containers :func:`show` renders piece by piece, and their brackets.
_BRACKETS: dict[type, str] = {dict: "{}", list: "[]", tuple: "()", set: "{}", frozenset: "{}"}


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


class Opaque:
    """A value a message describes instead of showing (a file's content, for one).

    Args:
        text: what :func:`show` prints for it (``str of 2,345 characters``).
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def show(value: Any) -> str:
    """Short printable form of a value (``repr``, cut to :data:`SHOWN` characters).

    Only as much of the value is rendered as the message shows: a huge or deeply nested
    value (a YAML alias bomb, a long list) costs about :data:`SHOWN` characters of work,
    never its full ``repr``.
    """
    parts: list[str] = []
    _render(value, parts, [0], 0)
    text = "".join(parts)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def _render(value: Any, parts: list[str], used: list[int], depth: int) -> None:
    """Append ``repr(value)`` to ``parts`` piece by piece until past :data:`SHOWN`.

    Args:
        value: the value.
        parts: the pieces rendered so far.
        used: one-element list, the characters in ``parts``.
        depth: nesting level of ``value``.
    """

    def put(text: str) -> None:
        parts.append(text)
        used[0] += len(text)

    if used[0] > SHOWN:
        return
    if depth > MAX_DEPTH:
        put("...")
        return
    if isinstance(value, str):
        put(repr(value[: SHOWN + 1]) if len(value) <= SHOWN else repr(value[: SHOWN + 1])[:-1])
        return
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        put(f"<an integer of {value.bit_length() * 0.30103:.0f} digits>")
        return
    if type(value) in (dict, list, tuple, set, frozenset) and not value:
        put(repr(value))
        return
    pair = _BRACKETS.get(type(value))
    if pair is None:
        text = repr(value)
        put(text[: SHOWN + 1])
        return
    if type(value) is frozenset:
        put("frozenset(")
    put(pair[0])
    items = value.items() if isinstance(value, dict) else value
    for i, item in enumerate(items):
        if used[0] > SHOWN:
            return
        if i:
            put(", ")
        if isinstance(value, dict):
            _render(item[0], parts, used, depth + 1)
            put(": ")
            _render(item[1], parts, used, depth + 1)
        else:
            _render(item, parts, used, depth + 1)
    if type(value) is tuple and len(value) == 1:
        put(",")
    put(pair[1])
    if type(value) is frozenset:
        put(")")


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
