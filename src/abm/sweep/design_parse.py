"""Checking a sweep file's ``design`` block into a :class:`~abm.sweep.design.Design`.

Forms (see :mod:`abm.sweep.config`): ``{kind: grid, points_per_dim: K}`` (or a count per
varied name), ``{kind: lhs, n: N, seed: S, method: qmc}`` (``method: strata`` for the
hand-written generator of older stores), ``{kind: sobol, n: N, seed: S, second_order:
false}`` and ``{kind: list, points: [{NAME: VALUE, ...}, ...]}``. Every problem raises a
:class:`~abm.config.errors.ConfigError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from abm.config.errors import Loc, did_you_mean, fmt_number
from abm.config.values import RUN_BOUNDS, check_keys, number
from abm.sweep.design import (
    DEFAULT_LHS_METHOD,
    DESIGN_KINDS,
    LHS_METHODS,
    Design,
    GridDesign,
    LhsDesign,
    ListDesign,
    SobolDesign,
)
from abm.sweep.spec import DEFAULT_DESIGN_SEED, MAX_INT, Vary

DESIGN_KEYS: dict[str, tuple[str, ...]] = {
    "grid": ("kind", "points_per_dim"),
    "lhs": ("kind", "n", "seed", "method"),
    "sobol": ("kind", "n", "seed", "second_order"),
    "list": ("kind", "points"),
}
DESIGN_REQUIRED: dict[str, tuple[str, ...]] = {
    "grid": ("points_per_dim",),
    "lhs": ("n",),
    "sobol": ("n",),
    "list": ("points",),
}
DESIGN_FORMS = (
    "{kind: grid, points_per_dim: K}, {kind: lhs, n: N, seed: S, method: qmc}, "
    "{kind: sobol, n: N, seed: S, second_order: false} or "
    "{kind: list, points: [{NAME: VALUE, ...}, ...]}"
)


def integer(value: Any, loc: Loc, low: int, high: int) -> int:
    """An integer (not a bool) in ``[low, high]``."""
    allowed = f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int):
        raise loc.error(value, f"not an integer ({type(value).__name__})", allowed)
    if not low <= value <= high:
        raise loc.error(value, "out of range", allowed)
    return int(value)


def _exact_names(keys: Sequence[Any], loc: Loc, vary: Sequence[Vary], form: str) -> None:
    """Refuse a mapping whose keys are not exactly the varied names."""
    wanted = [v.name for v in vary]
    for key in keys:
        if key not in wanted:
            raise loc.child(key).error(
                key,
                "not a varied parameter",
                f"{form}: {', '.join(wanted)}",
                did_you_mean(key, wanted),
            )
    missing = [n for n in wanted if n not in keys]
    if missing:
        raise loc.error(list(keys), f"misses {', '.join(missing)}", f"{form}: {', '.join(wanted)}")


def _grid(value: Mapping[Any, Any], loc: Loc, vary: Sequence[Vary]) -> GridDesign:
    where = loc.child("points_per_dim")
    per = value["points_per_dim"]
    if isinstance(per, Mapping):
        _exact_names(list(per), where, vary, "a count for every varied parameter")
        counts = tuple(integer(per[v.name], where.child(v.name), 2, MAX_INT) for v in vary)
        return GridDesign(counts)
    if isinstance(per, bool) or not isinstance(per, int):
        raise where.error(
            per,
            "neither an integer nor a mapping",
            f"an integer in [2, {MAX_INT}] (values per dimension, ends included) "
            "or a mapping of each varied name to one",
        )
    return GridDesign((integer(per, where, 2, MAX_INT),) * len(vary))


def _seed(value: Mapping[Any, Any], loc: Loc) -> int:
    low, high = RUN_BOUNDS["seed"]
    return integer(value.get("seed", DEFAULT_DESIGN_SEED), loc.child("seed"), low, high)


def _sobol(value: Mapping[Any, Any], loc: Loc, vary: Sequence[Vary]) -> SobolDesign:
    where = loc.child("n")
    n = integer(value["n"], where, 1, MAX_INT)
    if n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise where.error(
            n,
            "not a power of 2 (the Sobol' sequence balances only at powers of 2)",
            "a power of 2 (e.g. 64, 128, 256, 512)",
            f"try {below} or {below * 2}",
        )
    second = value.get("second_order", False)
    if not isinstance(second, bool):
        raise loc.child("second_order").error(second, "not a boolean", "true or false")
    if second and len(vary) < 2:
        raise loc.child("second_order").error(
            second, "second-order indices need at least 2 varied parameters", "false"
        )
    return SobolDesign(n, _seed(value, loc), second)


def _list(value: Mapping[Any, Any], loc: Loc, vary: Sequence[Vary]) -> ListDesign:
    where = loc.child("points")
    raw = value["points"]
    form = "a non-empty list of points {NAME: VALUE, ...} naming every varied parameter"
    if not isinstance(raw, list) or not raw:
        raise where.error(raw, "not a non-empty list", form)
    out: list[tuple[float, ...]] = []
    for i, item in enumerate(raw):
        at = Loc(where.path, f"{where.field}[{i}]")
        if not isinstance(item, Mapping):
            raise at.error(item, "not a mapping", form)
        _exact_names(list(item), at, vary, "a value for every varied parameter")
        row = []
        for v in vary:
            cell = at.child(v.name)
            allowed = f"[{fmt_number(v.low)}, {fmt_number(v.high)}] (vary.{v.name})"
            x = number(item[v.name], cell)
            if not v.low <= x <= v.high:
                raise cell.error(item[v.name], "outside the varied range", allowed)
            row.append(x)
        out.append(tuple(row))
    return ListDesign(tuple(out))


def _lhs(value: Mapping[Any, Any], loc: Loc) -> LhsDesign:
    method = value.get("method", DEFAULT_LHS_METHOD)
    if not isinstance(method, str) or method not in LHS_METHODS:
        raise loc.child("method").error(
            method,
            "unknown Latin hypercube method",
            f"{' or '.join(LHS_METHODS)} (qmc: scipy.stats.qmc; strata: the generator of "
            "stores written before it)",
            did_you_mean(method, LHS_METHODS),
        )
    return LhsDesign(integer(value["n"], loc.child("n"), 1, MAX_INT), _seed(value, loc), method)


def parse_design(value: Any, loc: Loc, vary: Sequence[Vary], max_points: int) -> Design:
    """Check a sweep's ``design`` block.

    Args:
        value: the block as read from YAML.
        loc: where it lies (file and field), for errors.
        vary: the varied dimensions (checked before).
        max_points: the guard on the design's number of points.

    Returns:
        The design.

    Raises:
        ConfigError: naming the field, the value and what is allowed.
    """
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", DESIGN_FORMS)
    if "kind" not in value:
        raise loc.child("kind").error(dict(value), "missing design kind", ", ".join(DESIGN_KINDS))
    kind = value["kind"]
    if not isinstance(kind, str) or kind not in DESIGN_KINDS:
        raise loc.child("kind").error(
            kind, "unknown design kind", ", ".join(DESIGN_KINDS), did_you_mean(kind, DESIGN_KINDS)
        )
    check_keys(value, loc, DESIGN_KEYS[kind], f"{kind} design key")
    for key in DESIGN_REQUIRED[kind]:
        if key not in value:
            raise loc.child(key).error(
                dict(value), f"missing {key} for a {kind} design", DESIGN_FORMS
            )
    out: Design
    if kind == "grid":
        out = _grid(value, loc, vary)
    elif kind == "lhs":
        out = _lhs(value, loc)
    elif kind == "sobol":
        out = _sobol(value, loc, vary)
    else:
        out = _list(value, loc, vary)
    n = out.n_points(len(vary))
    if n > max_points:
        how = _count_text(out, len(vary))
        raise loc.error(
            dict(value),
            f"the {kind} design makes {n} points ({how}), more than max_points {max_points}",
            f"at most {max_points} points: a smaller design, or raise max_points",
        )
    return out


def _count_text(d: Design, n_dims: int) -> str:
    if isinstance(d, GridDesign):
        return " x ".join(str(k) for k in d.counts)
    if isinstance(d, SobolDesign):
        factor = (2 * n_dims + 2) if d.second_order else (n_dims + 2)
        return f"n * {factor} = {d.n} * {factor}"
    return "as given" if isinstance(d, ListDesign) else "n"


__all__ = [
    "DESIGN_FORMS",
    "DESIGN_KEYS",
    "DESIGN_REQUIRED",
    "integer",
    "parse_design",
]
