"""Conditions on a run's outcomes: ``abm compare --given EXPR`` (no JAX).

A condition keeps the runs whose outcomes satisfy it; ``abm compare`` evaluates it on
scenario A's outcomes ("our timeline") and drops the failing runs from both scenarios
(``docs/conditioning.md``). Forms (several conditions are ANDed):

* ``EVENT=yes`` / ``EVENT=no``: the event happened at all / never;
* ``EVENT_month=YYYY-MM`` or ``EVENT_month=YYYY-MM..YYYY-MM``: its first month is that
  month or in that inclusive range (either end may be empty: ``..1933-06``);
* ``EVENT_year=YYYY`` or ``EVENT_year=YYYY..YYYY``: the same by calendar year;
* ``CATEGORY=label`` or ``CATEGORY=label1|label2``: the run's category is one of them;
* ``QUANTITY[dim=label,...]=LOW..HIGH``: the cell's value, in the quantity's unit, lies in
  the inclusive range (either end may be empty); a masked cell that is not valid fails.
  A scalar quantity has no brackets.

Parsing (:func:`parse_conditions`) checks every part against the model's outcome specs
and calendar and raises :class:`~abm.errors.InputError` naming the expression, the part
that is wrong and what is allowed. Evaluation (:func:`holds`) is written against an
array namespace ``xp`` (NumPy on the host, ``jax.numpy`` on the device): each
condition's structure (which outcome, which cell) is static, its bounds
(:meth:`Condition.bounds`) are arrays, so that a compiled program serves every value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from abm.errors import InputError
from abm.outcomes import CategoryOutcome, EventOutcome, OutcomeSpec, QuantityOutcome

if TYPE_CHECKING:
    from abm.models.calendar import Calendar

#: How several conditions are joined in messages and in the cube attr ``given``.
GIVEN_JOIN = " AND "

FORMS = (
    "EVENT=yes|no, EVENT_month=YYYY-MM[..YYYY-MM], EVENT_year=YYYY[..YYYY], "
    "CATEGORY=label[|label...], QUANTITY[dim=label,...]=LOW..HIGH"
)

_EXPR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*=\s*(.*)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^\d{4}$")

Kind = Literal["event", "category", "quantity"]


@dataclass(frozen=True)
class Condition:
    """One parsed condition on a run's outcomes.

    Attributes:
        text: the expression as written (whitespace stripped).
        outcome: the outcome it reads.
        kind: ``"event"``, ``"category"`` or ``"quantity"``.
        low: inclusive lower bound: for an event the month index of its first
            occurrence (-1: never), for a quantity a value in its unit; ``-inf``: none.
        high: inclusive upper bound, likewise; ``inf``: none.
        cell: a quantity's cell index, one per dimension (``()`` otherwise).
        masked: whether the quantity has a validity mask.
        allowed: a category's allowed codes.
        n_categories: a category's number of codes (0 otherwise).
    """

    text: str
    outcome: str
    kind: Kind
    low: float = -math.inf
    high: float = math.inf
    cell: tuple[int, ...] = ()
    masked: bool = False
    allowed: tuple[int, ...] = ()
    n_categories: int = 0

    @property
    def structure(self) -> tuple[Any, ...]:
        """What a compiled program depends on (not the bounds): kind, outcome, cell."""
        return (self.kind, self.outcome, self.cell, self.masked, self.n_categories)

    def bounds(self) -> np.ndarray:
        """The condition's values as an array.

        Returns:
            float32 ``[2]`` (low, high) for an event or a quantity; float32
            ``[n_categories]`` (1 for an allowed code, else 0) for a category.
        """
        if self.kind == "category":
            out = np.zeros(self.n_categories, np.float32)
            out[list(self.allowed)] = 1.0
            return out
        return np.asarray([self.low, self.high], np.float32)


def holds(
    conditions: Sequence[Condition],
    bounds: Sequence[Any],
    outcomes: Mapping[str, Any],
    xp: Any = np,
) -> Any:
    """Whether each run satisfies every condition (AND).

    Only the conditions' structure is read from ``conditions``; their values come from
    ``bounds`` (so that a compiled program takes them as arguments).

    Args:
        conditions: the parsed conditions.
        bounds: one array per condition, as :meth:`Condition.bounds`.
        outcomes: per-run outcomes, leading axis ``[chunk]``: an event's month index of
            first occurrence (int, -1: never), a category's code, a quantity's values
            ``[chunk, *shape]`` and its mask under ``Q/mask``.
        xp: the array namespace (``numpy`` or ``jax.numpy``).

    Returns:
        bool ``[chunk]``.
    """
    first = next(iter(outcomes.values()))
    ok = xp.ones(first.shape[:1], bool)
    for c, b in zip(conditions, bounds, strict=True):
        if c.kind == "category":
            hit = xp.asarray(b)[outcomes[c.outcome]] > 0
        else:
            v = outcomes[c.outcome]
            index = (slice(None), *c.cell)
            v = v[index].astype(xp.float32)
            hit = (v >= b[0]) & (v <= b[1])
            if c.masked:
                hit = hit & outcomes[f"{c.outcome}/mask"][index]
        ok = ok & hit
    return ok


def describe(conditions: Sequence[Condition]) -> str:
    """The conditions as written, joined by :data:`GIVEN_JOIN`."""
    return GIVEN_JOIN.join(c.text for c in conditions)


def parse_conditions(
    texts: Sequence[str], specs: Sequence[OutcomeSpec], calendar: Calendar
) -> tuple[Condition, ...]:
    """Parse ``--given`` expressions against a model's outcomes and calendar.

    Args:
        texts: the expressions (ANDed).
        specs: the model's outcome specs (``model.outcome_specs``).
        calendar: the model's calendar (``model.calendar``): month indices and labels.

    Returns:
        One :class:`Condition` per expression, in order.

    Raises:
        InputError: naming the expression, the wrong part and what is allowed.
    """
    return tuple(parse_condition(t, specs, calendar) for t in texts)


def parse_condition(text: str, specs: Sequence[OutcomeSpec], calendar: Calendar) -> Condition:
    """Parse one expression (see :func:`parse_conditions`)."""
    expr = str(text).strip()
    m = _EXPR.match(expr)
    if not m:
        raise _error(expr, f"{expr!r} is not OUTCOME=VALUE", f"the forms {FORMS}")
    name, dims, value = m.group(1), m.group(2), m.group(3).strip()
    by_name = {s.name: s for s in specs}
    spec = by_name.get(name)
    if spec is None:
        for suffix in ("_month", "_year"):
            stem = name.removesuffix(suffix)
            if stem != name and isinstance(by_name.get(stem), EventOutcome):
                _no_brackets(expr, name, dims)
                if suffix == "_month":
                    lo, hi = _month_range(expr, value, calendar)
                else:
                    lo, hi = _year_range(expr, value, calendar)
                return Condition(expr, stem, "event", float(lo), float(hi))
            if stem != name and stem in by_name:
                raise _error(expr, f"{name}: {stem} is not an event", _outcome_names(specs))
        raise _error(expr, f"unknown outcome {name!r}", _outcome_names(specs))
    if isinstance(spec, EventOutcome):
        _no_brackets(expr, name, dims)
        if value.lower() == "yes":
            return Condition(expr, name, "event", 0.0, math.inf)
        if value.lower() == "no":
            return Condition(expr, name, "event", -1.0, -1.0)
        allowed = f"yes or no (or {name}_month=YYYY-MM[..YYYY-MM], {name}_year=YYYY[..YYYY])"
        raise _error(expr, f"{value!r} for event {name}", allowed)
    if isinstance(spec, CategoryOutcome):
        _no_brackets(expr, name, dims)
        codes = []
        for label in value.split("|"):
            if label.strip() not in spec.categories:
                raise _error(
                    expr, f"{label.strip()!r} is not a {name} label", ", ".join(spec.categories)
                )
            codes.append(spec.categories.index(label.strip()))
        return Condition(
            expr,
            name,
            "category",
            allowed=tuple(sorted(set(codes))),
            n_categories=len(spec.categories),
        )
    cell = _cell(expr, spec, dims)
    low, high = _value_range(expr, spec, value)
    return Condition(expr, name, "quantity", low, high, cell=cell, masked=spec.masked)


def _error(expr: str, part: str, allowed: str) -> InputError:
    return InputError(f"--given {expr!r}: {part}; allowed: {allowed}")


def _outcome_names(specs: Sequence[OutcomeSpec]) -> str:
    def names(kind: type) -> str:
        return ", ".join(s.name for s in specs if isinstance(s, kind)) or "none"

    return (
        f"events {names(EventOutcome)} (also EVENT_month, EVENT_year); "
        f"categories {names(CategoryOutcome)}; quantities {names(QuantityOutcome)}"
    )


def _no_brackets(expr: str, name: str, dims: str | None) -> None:
    if dims is not None:
        raise _error(expr, f"[{dims}] after {name}", "brackets only after a quantity with dims")


def _split_range(expr: str, value: str, allowed: str) -> tuple[str, str]:
    """``A..B`` -> (A, B) (either may be empty, not both); ``A`` -> (A, A)."""
    if ".." not in value:
        return value, value
    lo, _, hi = value.partition("..")
    if not lo.strip() and not hi.strip():
        raise _error(expr, f"{value!r} has no bound", allowed)
    return lo.strip(), hi.strip()


def _month_range(expr: str, value: str, cal: Calendar) -> tuple[int, float]:
    first, last = cal.label(0), cal.label(cal.n_months - 1)
    allowed = f"YYYY-MM or YYYY-MM..YYYY-MM (either end may be empty) from {first} to {last}"
    a, b = _split_range(expr, value, allowed)

    def index(text: str) -> int:
        m = _MONTH.match(text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise _error(expr, f"{text!r} is not a month", allowed)
        i = cal.index(int(m.group(1)), int(m.group(2)))
        if not 0 <= i < cal.n_months:
            raise _error(expr, f"{text} is outside the calendar", allowed)
        return i

    lo = index(a) if a else 0
    hi = index(b) if b else cal.n_months - 1
    if lo > hi:
        raise _error(expr, f"{value!r} ends before it starts", allowed)
    return lo, float(hi)


def _year_range(expr: str, value: str, cal: Calendar) -> tuple[int, float]:
    years = np.asarray(cal.years)
    allowed = f"YYYY or YYYY..YYYY (either end may be empty) from {years[0]} to {years[-1]}"
    a, b = _split_range(expr, value, allowed)

    def year(text: str) -> int:
        if not _YEAR.match(text):
            raise _error(expr, f"{text!r} is not a year", allowed)
        if not years[0] <= int(text) <= years[-1]:
            raise _error(expr, f"{text} is outside the calendar", allowed)
        return int(text)

    lo = int(np.flatnonzero(years == year(a))[0]) if a else 0
    hi = int(np.flatnonzero(years == year(b))[-1]) if b else cal.n_months - 1
    if lo > hi:
        raise _error(expr, f"{value!r} ends before it starts", allowed)
    return lo, float(hi)


def _cell(expr: str, spec: QuantityOutcome, dims: str | None) -> tuple[int, ...]:
    """The cell index named by ``dim=label,...`` (every dimension exactly once)."""
    if not spec.dims:
        if dims is not None:
            raise _error(
                expr, f"[{dims}] after {spec.name}", f"no brackets ({spec.name} is scalar)"
            )
        return ()
    need = ", ".join(spec.dims)
    form = f"{spec.name}[{','.join(f'{d}=label' for d in spec.dims)}]=LOW..HIGH"
    if dims is None:
        raise _error(expr, f"{spec.name} without its cell", f"{form} (dims {need})")
    chosen: dict[str, int] = {}
    for item in dims.split(","):
        dim, eq, label = (x.strip() for x in item.partition("="))
        if not eq or dim not in spec.dims:
            raise _error(expr, f"{item.strip()!r} in [{dims}]", f"DIM=label with DIM in {need}")
        if dim in chosen:
            raise _error(expr, f"{dim} given twice", f"each of {need} once")
        labels = spec.coords[spec.dims.index(dim)]
        if label not in labels:
            raise _error(expr, f"{label!r} is not a {dim} label", ", ".join(labels))
        chosen[dim] = labels.index(label)
    missing = [d for d in spec.dims if d not in chosen]
    if missing:
        raise _error(expr, f"no label for {', '.join(missing)}", f"{form} (dims {need})")
    return tuple(chosen[d] for d in spec.dims)


def _value_range(expr: str, spec: QuantityOutcome, value: str) -> tuple[float, float]:
    allowed = f"LOW..HIGH in {spec.unit} (either end may be empty)"
    if ".." not in value:
        raise _error(expr, f"{value!r} is not a range", allowed)
    a, b = _split_range(expr, value, allowed)

    def number(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise _error(expr, f"{text!r} is not a number", allowed) from None
        if math.isnan(v):
            raise _error(expr, f"{text!r} is not a number", allowed)
        return v

    lo = number(a) if a else -math.inf
    hi = number(b) if b else math.inf
    if lo > hi:
        raise _error(expr, f"{value!r} ends before it starts", allowed)
    return lo, hi


__all__ = [
    "FORMS",
    "GIVEN_JOIN",
    "Condition",
    "describe",
    "holds",
    "parse_condition",
    "parse_conditions",
]
