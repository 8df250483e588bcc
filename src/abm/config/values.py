"""Reading YAML files and checking the values in them: numbers, priors, calendar, run.

Every check raises :class:`~abm.config.errors.ConfigError` through a
:class:`~abm.config.errors.Loc`, so the message names the file and the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from abm.config.errors import Loc, Opaque, did_you_mean, range_text
from abm.engine.priors import FLOAT32_MAX, PRIOR_ARGS, PRIOR_KINDS, Prior
from abm.models.calendar import Calendar, parse_year_month
from abm.models.catalogue import ParamDef

#: The first and the last month the model must simulate: the Soviet slice starts from
#: January 1924 and reports up to June 1941 (the Germany slice up to December 1936).
REQUIRED_FIRST = (1924, 1)
REQUIRED_MONTH = (1941, 6)
#: The calendar when a scenario gives none.
DEFAULT_CALENDAR = {"start": "1924-01", "end": "1941-06"}
#: Defaults of the ``run`` block.
RUN_DEFAULTS: dict[str, int] = {"runs": 1000, "seed": 0, "chunk_size": 1024}
#: Inclusive bounds of each ``run`` value.
RUN_BOUNDS: dict[str, tuple[int, int]] = {
    "runs": (1, 2**62),
    "seed": (0, 2**32 - 1),
    "chunk_size": (1, 32768),
}
#: Prior numbers that must lie inside the parameter's range, by kind.
BOUNDED_ARGS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
}
_FLOATISH = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")
#: The most nodes aliases (``*name``) may add to a YAML document once expanded.
MAX_ALIAS_EXPANSION = 10_000


class AliasLimitError(yaml.composer.ComposerError):
    """Aliases (``*name``) that expand a document beyond :data:`MAX_ALIAS_EXPANSION`."""


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of the document under ``root`` once every alias is expanded.

    Counted without expanding: each node's size is memoised by identity, so a billion
    laughs (nine levels of ten aliases) costs a few dozen steps, not 10**9.

    Raises:
        AliasLimitError: for an alias inside its own anchor (a recursive document).
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise AliasLimitError(
                None,
                None,
                "an alias refers to its own anchor (a recursive document)",
                node.start_mark,
            )
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(root)


def _distinct_nodes(root: yaml.Node) -> int:
    """Distinct nodes under ``root`` (what the text itself holds, aliases counted once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(x for pair in node.value for x in pair)
    return len(seen)


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys and aliases that blow a document up.

    Aliases may add at most :data:`MAX_ALIAS_EXPANSION` nodes to a document (the few
    ``<<: *defaults`` a config may use), checked on the composed node graph before any
    value is built: a YAML alias bomb is refused in milliseconds.
    """

    def get_single_node(self) -> yaml.Node | None:
        """The document's node graph, refused if its aliases expand it too far."""
        node = super().get_single_node()
        if node is not None:
            added = _expanded_size(node) - _distinct_nodes(node)
            if added > MAX_ALIAS_EXPANSION:
                raise AliasLimitError(
                    None,
                    None,
                    f"aliases (*name) would expand the document by {added:,} nodes",
                    node.start_mark,
                )
        return node


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable: the base constructor reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_mapping(path: Path, shown: str, what: str) -> dict[Any, Any]:
    """Parse a YAML file whose top level must be a mapping.

    Args:
        path: file to read.
        shown: how messages name the file.
        what: what the file should be (``a scenario YAML file``).

    Returns:
        The top-level mapping.
    """
    loc = Loc(shown, "file")
    if not path.exists():
        raise loc.error(str(path), "file not found", what)
    if path.is_dir():
        raise loc.error(str(path), "is a directory, not a file", what)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise loc.error(str(path), f"cannot read the file ({exc})", what) from exc
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # safe: a SafeLoader subclass
    except AliasLimitError as exc:
        raise Loc(shown, f"(YAML at {_at(exc)})").error(
            str(path),
            f"refused: {exc.problem}",
            f"aliases adding at most {MAX_ALIAS_EXPANSION:,} nodes, none recursive",
        ) from exc
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise Loc(shown, f"(YAML at {_at(exc)})").error(
            str(path), f"malformed YAML: {problem}", "well-formed YAML"
        ) from exc
    except RecursionError as exc:
        raise loc.error(str(path), "YAML nested too deeply", what) from exc
    except ValueError as exc:  # an integer of more than 4300 digits
        problem = str(exc).split(":")[0]
        raise loc.error(str(path), f"unreadable YAML value ({problem})", what) from exc
    if not isinstance(raw, dict):
        # Name the file, never echo its content (it may be any file, a system file).
        raise Loc(shown, "(top level)").error(
            Opaque(
                "None (an empty document)"
                if raw is None
                else f"a {type(raw).__name__} (the file's {len(text):,} characters, not shown)"
            ),
            "the top level is not a mapping",
            f"a mapping of keys ({what})",
        )
    return raw


def _at(exc: yaml.YAMLError) -> str:
    """``line L, column C`` of a YAML error, or ``?``."""
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"


def check_keys(raw: Mapping[Any, Any], loc: Loc, allowed: tuple[str, ...], what: str) -> None:
    """Refuse any key of ``raw`` not in ``allowed``, suggesting the closest one."""
    for key in raw:
        if key not in allowed:
            raise loc.child(key).error(
                key, f"unknown {what}", ", ".join(allowed), did_you_mean(key, allowed)
            )


def string(value: Any, loc: Loc, allowed: str = "a string") -> str:
    """``value`` if it is a string."""
    if not isinstance(value, str):
        raise loc.error(value, "not a string", allowed)
    return value


def number(value: Any, loc: Loc, pdef: ParamDef | None = None) -> float:
    """A real number finite in float32, inside ``pdef``'s range when given.

    Args:
        value: the value read (a YAML scalar, or a string from the command line).
        loc: where it was read.
        pdef: the parameter whose range applies, if any.

    Returns:
        The number as a float.
    """
    allowed = range_text(pdef.low, pdef.high, pdef.unit) if pdef else "a finite number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = ""
        if isinstance(value, str) and _FLOATISH.match(value.strip()):
            hint = "YAML reads exponents without a decimal point as text: write 1.0e-3"
        raise loc.error(value, f"not a number ({type(value).__name__})", allowed, hint)
    x = float(value)
    if not math.isfinite(x):
        raise loc.error(value, "not a finite number", allowed)
    if pdef is not None and not pdef.low <= x <= pdef.high:
        raise loc.error(value, "out of range", allowed)
    if abs(x) > FLOAT32_MAX:  # the model computes in float32: it would become inf
        raise loc.error(
            value,
            "not finite in float32 (the model's numbers)",
            f"{allowed} of magnitude at most {FLOAT32_MAX:.6g}",
        )
    return x


def number_text(value: Any, loc: Loc, pdef: ParamDef) -> float:
    """A number given as text on the command line (or a plain number), inside the range."""
    if isinstance(value, str):
        try:
            parsed: Any = float(value.strip())
        except ValueError:
            raise loc.error(
                value, "not a number", range_text(pdef.low, pdef.high, pdef.unit)
            ) from None
        return number(parsed, loc, pdef)
    return number(value, loc, pdef)


def prior(value: Any, loc: Loc, pdef: ParamDef) -> Prior:
    """A parameter's prior: a number pins it, a mapping ``{kind: ..., <args>}`` replaces it.

    Args:
        value: the value read.
        loc: where it was read.
        pdef: the parameter.

    Returns:
        The prior, whose pinned value or bounds lie inside the parameter's range.
    """
    if not isinstance(value, Mapping):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise loc.error(
                value,
                "neither a number nor a prior",
                f"a number in {range_text(pdef.low, pdef.high, pdef.unit)} (pins it) "
                "or a mapping {kind: ..., <args>}",
            )
        return Prior.fixed(number(value, loc, pdef))
    # ``posterior`` is the engine's own kind (a column of a calibrated sample): a
    # scenario asks for a posterior with its ``posterior:`` key, never per parameter.
    written = [k for k in PRIOR_KINDS if k != "posterior"]
    kinds = ", ".join(written)
    if "kind" not in value:
        raise loc.child("kind").error(dict(value), "missing prior kind", kinds)
    kind = value["kind"]
    if not isinstance(kind, str) or kind not in written:
        raise loc.child("kind").error(
            kind, "unknown prior kind", kinds, did_you_mean(kind, written)
        )
    want = PRIOR_ARGS[kind]
    args_text = f"the {kind} prior takes {', '.join(want)}"
    for key in value:
        if key != "kind" and key not in want:
            raise loc.child(key).error(key, f"unknown {kind} prior argument", args_text)
    missing = [a for a in want if a not in value]
    if missing:
        raise loc.error(dict(value), f"{kind} prior misses {', '.join(missing)}", args_text)
    args = {a: number(value[a], loc.child(a)) for a in want}
    for a in BOUNDED_ARGS.get(kind, ()):
        if not pdef.low <= args[a] <= pdef.high:
            raise loc.child(a).error(
                value[a],
                f"{kind} prior {a} outside the parameter's range",
                range_text(pdef.low, pdef.high, pdef.unit),
            )
    try:
        return Prior(kind, args)
    except ValueError as exc:
        raise loc.error(dict(value), str(exc), args_text) from exc


def calendar(value: Any, loc: Loc) -> Calendar:
    """The ``calendar`` block: ``{start: "1924-01", end: "1941-06"}``, both optional."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", '{start: "YYYY-MM", end: "YYYY-MM"}')
    check_keys(value, loc, ("start", "end"), "calendar key")
    ends = {key: value.get(key, default) for key, default in DEFAULT_CALENDAR.items()}
    months = {}
    for key, text in ends.items():
        if not isinstance(text, str):
            raise loc.child(key).error(text, "not a YYYY-MM string", 'a quoted "YYYY-MM"')
        try:
            months[key] = parse_year_month(text)
        except ValueError:
            raise loc.child(key).error(
                text, "not a YYYY-MM month", '"YYYY-MM", month 01-12'
            ) from None
    (y0, m0), (y1, m1) = months["start"], months["end"]
    n = (y1 - y0) * 12 + (m1 - m0) + 1
    if n < 1:
        raise loc.child("end").error(
            ends["end"], "end is before start", f"at or after {ends['start']}"
        )
    cal = Calendar(y0, m0, n)
    first = f"{REQUIRED_FIRST[0]}-{REQUIRED_FIRST[1]:02d}"
    need = f"{REQUIRED_MONTH[0]}-{REQUIRED_MONTH[1]:02d}"
    span = f"the model must simulate {first} to {need}"
    if cal.index(*REQUIRED_FIRST) < 0:
        raise loc.child("start").error(ends["start"], span, f"at or before {first}")
    if cal.index(*REQUIRED_MONTH) >= cal.n_months:
        raise loc.child("end").error(ends["end"], span, f"at or after {need}")
    return cal


def run_defaults(value: Any, loc: Loc) -> dict[str, int]:
    """The ``run`` block: ``runs``, ``seed``, ``chunk_size``, each optional."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", "{runs: N, seed: N, chunk_size: N}")
    check_keys(value, loc, tuple(RUN_DEFAULTS), "run key")
    out = dict(RUN_DEFAULTS)
    for key, x in value.items():
        low, high = RUN_BOUNDS[key]
        allowed = f"an integer in [{low}, {high}]"
        if isinstance(x, bool) or not isinstance(x, int):
            raise loc.child(key).error(x, f"not an integer ({type(x).__name__})", allowed)
        if not low <= x <= high:
            raise loc.child(key).error(x, "out of range", allowed)
        out[key] = x
    return out
