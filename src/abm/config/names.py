"""Parameter names as configs give them, and the ``levers`` and ``parameters`` blocks.

The catalogue is the active model's (:func:`active_model`, default ``interwar``): its
slices' catalogues composed by the model registry (:mod:`abm.models.registry`). An entry with
``per: faction`` or ``per: party`` expands to ``NAME.MEMBER`` parameters
(``purge_severity.trotsky``). Wherever a config names a parameter it may give:

* a full name (``purge_severity.trotsky``): sets that parameter;
* a base name (``purge_severity``): sets every member's parameter, except the reference
  party of the Germany slice's party logits (the SPD's terms stay pinned at 0);
* a base name with a mapping of member to value (``initial_power: {stalin: 0.25}``):
  sets those members' parameters, like their full names. In a ``parameters`` block a
  mapping with a ``kind`` key is a prior for every member instead.

Within one block a full name (or member mapping) beats a base name, whatever the order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

from abm.config.errors import Loc, did_you_mean, names_text
from abm.config.values import number, prior
from abm.engine.priors import Prior
from abm.models import registry
from abm.models.catalogue import ParamDef

T = TypeVar("T")

#: The model whose catalogue config files are checked against (see :func:`active_model`).
_MODEL: ContextVar[str] = ContextVar("abm_config_model", default=registry.DEFAULT_MODEL)


@contextmanager
def active_model(name: str) -> Iterator[None]:
    """Check names against model ``name``'s catalogue inside the ``with`` block."""
    token = _MODEL.set(name)
    try:
        yield
    finally:
        _MODEL.reset(token)


def model_name() -> str:
    """The model whose catalogue names are checked against now."""
    return _MODEL.get()


def catalogue() -> tuple[ParamDef, ...]:
    """The active model's parameters, in the engine's ``theta`` order."""
    return registry.catalogue(_MODEL.get())


def catalogue_files() -> str:
    """How messages name the active model's catalogue files."""
    return ", ".join(d.catalogue_file for d in registry.slice_defs(_MODEL.get()))


def catalogue_file(name: str) -> str:
    """The catalogue file that defines a parameter (full or base name)."""
    return registry.param_owner(_MODEL.get())[name].catalogue_file


def is_reference(p: ParamDef) -> bool:
    """Whether ``p`` is pinned by its slice as a reference term (the SPD's party logits).

    A base name does not set it, and only 0 is accepted for it.
    """
    return p.reference


@dataclass(frozen=True)
class Names:
    """The catalogue's parameters of one kind, by full and by base name.

    Attributes:
        kind: ``lever`` or ``mechanism``.
        full: full name -> parameter, in catalogue order.
        bases: base name of an expanded entry -> its members' parameters.
    """

    kind: str
    full: dict[str, ParamDef]
    bases: dict[str, tuple[ParamDef, ...]]

    def __contains__(self, name: object) -> bool:
        return name in self.full or name in self.bases

    def targets(self, name: str) -> tuple[ParamDef, ...]:
        """What a name sets: the parameter itself, or every member but a reference one."""
        if name in self.full:
            return (self.full[name],)
        return tuple(p for p in self.bases[name] if not is_reference(p))

    def member_names(self, base: str) -> list[str]:
        """The member suffixes of an expanded entry (``stalin``, ``trotsky``, ...)."""
        return [p.member or "" for p in self.bases[base]]

    def candidates(self) -> list[str]:
        """Every name a config may give: base names first, then full names."""
        return [*self.bases, *self.full]

    def entries(self) -> list[str]:
        """The catalogue entries' names (base names of expanded entries), in order."""
        return list(dict.fromkeys(p.base or p.name for p in self.full.values()))

    def allowed(self, what: str) -> str:
        """What a block accepts: the entries' names, and the ``NAME.MEMBER`` form."""
        return allowed_names(self.entries(), what, bool(self.bases))


#: How a list of allowed names mentions the expanded entries' forms.
MEMBER_FORMS = "or NAME.MEMBER for one member of a per-faction or per-party entry"


def allowed_names(entries: list[str], what: str, expanded: bool = True) -> str:
    """Allowed catalogue names for a message, with the ``NAME.MEMBER`` form if any."""
    text = names_text(entries, what, catalogue_files())
    return f"{text}, {MEMBER_FORMS}" if expanded else text


def reload() -> None:
    """Forget the cached names (after a calibration rewrote a catalogue's priors)."""
    _names.cache_clear()


def names(kind: str) -> Names:
    """The active model's levers (``kind='lever'``) or mechanism parameters."""
    return _names(_MODEL.get(), kind)


@cache
def _names(model: str, kind: str) -> Names:
    full = {p.name: p for p in registry.catalogue(model) if p.kind == kind}
    bases: dict[str, list[ParamDef]] = {}
    for p in full.values():
        if p.member is not None:
            bases.setdefault(p.base, []).append(p)
    return Names(kind, full, {b: tuple(ps) for b, ps in bases.items()})


def levers() -> Names:
    """The catalogue's levers."""
    return names("lever")


def mechanisms() -> Names:
    """The catalogue's mechanism parameters."""
    return names("mechanism")


@dataclass
class Layer(Generic[T]):
    """What one block (a preset, a scenario, a stance, ``--set``) sets, by full name.

    Attributes:
        values: full name -> value, in the order set.
        locs: full name -> where the value was given.
    """

    values: dict[str, T] = field(default_factory=dict)
    locs: dict[str, Loc] = field(default_factory=dict)


@dataclass(frozen=True)
class Given(Generic[T]):
    """One checked entry of a block, before base names are expanded.

    Attributes:
        params: the parameters it sets.
        value: the value (a number or a prior).
        loc: where it was given.
        specific: whether it named its parameters one by one (full name, member mapping).
    """

    params: tuple[ParamDef, ...]
    value: T
    loc: Loc
    specific: bool


def layer(given: list[Given[T]]) -> Layer[T]:
    """Expand a block's entries: base names first, then full names over them.

    Raises:
        ConfigError: if a full name is set twice in the block (a ``NAME.MEMBER`` key and
            the same member under ``NAME: {MEMBER: ...}``).
    """
    out: Layer[T] = Layer()
    named: set[str] = set()
    for specific in (False, True):
        for g in given:
            if g.specific != specific:
                continue
            for p in g.params:
                if specific and p.name in named:
                    raise g.loc.error(
                        g.value,
                        f"{p.name} is set twice in this block (also at {out.locs[p.name].field})",
                        "each parameter at most once",
                    )
                if specific:
                    named.add(p.name)
                out.values[p.name] = g.value
                out.locs[p.name] = g.loc
    return out


def check_reference(p: ParamDef, pinned: Prior, value: Any, loc: Loc) -> None:
    """Refuse anything but 0 for a reference term of the party logits."""
    if is_reference(p) and pinned != Prior.fixed(0.0):
        raise loc.error(
            value,
            f"{p.name} is the reference of the party logits ({p.member}), pinned at 0",
            "0, or leave it out",
        )


def _member_entries(
    base: str,
    value: Mapping[Any, Any],
    loc: Loc,
    table: Names,
    parse: Callable[[Any, Loc, ParamDef], T],
) -> list[Given[T]]:
    members = dict(zip(table.member_names(base), table.bases[base], strict=True))
    out: list[Given[T]] = []
    for member, x in value.items():
        where = loc.child(member)
        if member not in members:
            raise where.error(
                member,
                f"unknown member of {base}",
                ", ".join(members),
                did_you_mean(member, members),
            )
        out.append(Given((members[member],), parse(x, where, members[member]), where, True))
    return out


def parse_levers(
    value: Any, loc: Loc, *, refuse: Mapping[str, str] | None = None, hint: str = ""
) -> Layer[float]:
    """A ``levers`` block: lever name -> value inside the lever's range.

    Args:
        value: the block as read (None for an empty block).
        loc: where the block sits (``levers`` or ``stalin.levers``).
        refuse: base names this block may not set -> why not (a preset's policy levers).
        hint: where levers of the other kind belong, for a mechanism given here.

    Returns:
        The levers it sets, by full name.
    """
    if value is None:
        return Layer()
    table, other = levers(), mechanisms()
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", "a mapping of lever name to number")
    given: list[Given[float]] = []
    for name, x in value.items():
        where = loc.child(name)
        if name in other:
            raise where.error(
                name,
                "is a mechanism parameter, not a lever",
                table.allowed("levers"),
                hint or "set it under 'parameters:' in a scenario",
            )
        if name not in table:
            raise where.error(
                name,
                "unknown lever",
                table.allowed("levers"),
                did_you_mean(name, table.candidates(), other.candidates()),
            )
        base = table.full[name].base if name in table.full else name
        if refuse and base in refuse:
            raise where.error(name, refuse[base], table.allowed("levers"))
        if name in table.bases and isinstance(x, Mapping):
            given += _member_entries(name, x, where, table, number)
        else:
            params = table.targets(name)
            given.append(Given(params, number(x, where, params[0]), where, name in table.full))
    return layer(given)


def parse_parameters(value: Any, loc: Loc, *, lever_hint: str = "") -> Layer[Prior]:
    """A ``parameters`` block: mechanism name -> number (pins it) or prior mapping.

    Args:
        value: the block as read (None for an empty block).
        loc: where the block sits.
        lever_hint: what to say of a lever given here (default: set it under ``levers:``).

    Returns:
        The priors it sets, by full name.
    """
    if value is None:
        return Layer()
    table, other = mechanisms(), levers()
    allowed = table.allowed("mechanism parameters")
    if not isinstance(value, Mapping):
        raise loc.error(value, "not a mapping", "a mapping of parameter name to prior")
    given: list[Given[Prior]] = []
    for name, spec in value.items():
        where = loc.child(name)
        if name in other:
            raise where.error(
                name,
                "is a lever, not a mechanism parameter",
                allowed,
                lever_hint or "set it under 'levers:'",
            )
        if name not in table:
            raise where.error(
                name,
                "unknown parameter",
                allowed,
                did_you_mean(name, table.candidates(), other.candidates()),
            )
        per_member = (
            name in table.bases
            and isinstance(spec, Mapping)
            and "kind" not in spec
            and any(k in table.member_names(name) for k in spec)
        )
        if per_member:
            given += _member_entries(name, spec, where, table, _checked_prior)
        else:
            params = table.targets(name)
            pinned = _checked_prior(spec, where, params[0])
            given.append(Given(params, pinned, where, name in table.full))
    return layer(given)


def _checked_prior(value: Any, loc: Loc, p: ParamDef) -> Prior:
    out = prior(value, loc, p)
    check_reference(p, out, value, loc)
    return out
