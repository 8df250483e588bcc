"""A model from slices and their wiring: ``init``, the batched month and ``outcomes``.

:func:`compose` checks the wiring (every wire names a slice, a port of the reader and a
source whose signal type is the port's; no port wired twice), derives each slice's
random streams from its name (:func:`abm.engine.keys.slice_streams`; two slices with
one stream are refused), builds the parameter catalogue (each slice's own, in slice
order, less the parameters a wired port supersedes; a name two slices define is
refused) and builds each slice over the calendar and that catalogue.

Each month of a batch: every slice publishes its signals from the start-of-month
states, then every slice advances with the signals wired to it. A slice's month reads
only start-of-month values, so the order of slices does not change results.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax

from abm.engine import keys
from abm.engine.reducers import OutcomeSpec
from abm.engine.slices import LeafSpec, Slice, SliceDef, state_leaves


class CompositionError(ValueError):
    """Slices and wiring that cannot form a model (the message says which and why)."""


@dataclass(frozen=True)
class Wire:
    """One import: slice ``reader`` reads the signals of ``source`` through ``port``."""

    reader: str
    port: str
    source: str


@jax.tree_util.register_pytree_node_class
class SliceStates(Mapping[str, Any]):
    """The whole state of a run (or batch): slice name -> slice state, in slice order.

    A pytree; slices are reachable by key (``s["soviet"]``) and by attribute
    (``s.soviet``).
    """

    def __init__(self, items: Mapping[str, Any]) -> None:
        self._items = dict(items)

    def __getitem__(self, name: str) -> Any:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getattr__(self, name: str) -> Any:
        items = self.__dict__.get("_items", {})
        if name in items:
            return items[name]
        raise AttributeError(f"no slice {name!r} in this state (slices: {', '.join(items)})")

    def __repr__(self) -> str:
        return f"SliceStates({', '.join(self._items)})"

    def tree_flatten(self) -> tuple[tuple[Any, ...], tuple[str, ...]]:
        """Children in slice order; the names are static."""
        return tuple(self._items.values()), tuple(self._items)

    @classmethod
    def tree_unflatten(cls, names: tuple[str, ...], children: Sequence[Any]) -> SliceStates:
        """Inverse of :meth:`tree_flatten`."""
        return cls(dict(zip(names, children, strict=True)))


def _check_wiring(defs: Sequence[SliceDef], wiring: Sequence[Wire]) -> None:
    by_name = {d.name: d for d in defs}
    if len(by_name) != len(defs):
        names = [d.name for d in defs]
        dup = sorted({n for n in names if names.count(n) > 1})
        raise CompositionError(f"slice names must be unique: {', '.join(dup)} given twice")
    seen: set[tuple[str, str]] = set()
    for w in wiring:
        for role, name in (("reader", w.reader), ("source", w.source)):
            if name not in by_name:
                raise CompositionError(
                    f"wire {w}: no slice {name!r} as {role} (slices: {', '.join(by_name)})"
                )
        if w.reader == w.source:
            raise CompositionError(f"wire {w}: a slice cannot read its own signals")
        ports = by_name[w.reader].ports
        if w.port not in ports:
            raise CompositionError(
                f"wire {w}: slice {w.reader!r} has no port {w.port!r} "
                f"(ports: {', '.join(ports) or 'none'})"
            )
        want, got = ports[w.port].signal_type, by_name[w.source].signal_type
        if want is not got:
            raise CompositionError(
                f"wire {w}: port {w.reader}.{w.port} reads {want.__name__}, but slice "
                f"{w.source!r} publishes {got.__name__}"
            )
        if (w.reader, w.port) in seen:
            raise CompositionError(f"port {w.reader}.{w.port} is wired twice")
        seen.add((w.reader, w.port))
    streams: dict[int, str] = {}
    for d in defs:
        for number in {n for n in keys.slice_streams(d.name) if n is not None}:
            if number in streams and streams[number] != d.name:
                raise CompositionError(
                    f"slices {streams[number]!r} and {d.name!r} share random stream {number}; "
                    "rename one"
                )
            streams[number] = d.name


def composed_catalogue(
    defs: Sequence[SliceDef], wiring: Sequence[Wire]
) -> tuple[tuple[Any, ...], dict[str, str]]:
    """The composed parameters (``theta`` order) and the slice owning each name.

    Raises:
        CompositionError: if two slices define the same parameter name.
    """
    params: list[Any] = []
    owner: dict[str, str] = {}
    for d in defs:
        gone = {base for w in wiring if w.reader == d.name for base in d.ports[w.port].supersedes}
        for p in d.catalogue():
            if p.base in gone:
                continue
            if p.name in owner:
                raise CompositionError(
                    f"parameter {p.name!r} is defined by both slice {owner[p.name]!r} and "
                    f"slice {d.name!r}; parameter names must be unique across slices"
                )
            owner[p.name] = d.name
            params.append(p)
    return tuple(params), owner


class ComposedModel:
    """A model built from slices and wiring (fulfils :class:`abm.engine.model.Model`).

    Args:
        name: the model's name (``interwar``).
        defs: slice definitions, in order (the order of parameters and outcomes).
        wiring: the imports between slices.
        calendar: the simulation calendar (``n_months``, ``label(i)``, ``year_labels``).
        options: slice name -> keyword arguments of its ``build`` (capacity scaling for
            benchmarks, e.g. ``{"germany": {"replicas": 4}}``).
    """

    def __init__(
        self,
        name: str,
        defs: Sequence[SliceDef],
        wiring: Sequence[Wire],
        calendar: Any,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        _check_wiring(defs, wiring)
        self.name = name
        self.calendar = calendar
        self.n_months = int(calendar.n_months)
        self.defs = tuple(defs)
        self.wiring = tuple(wiring)
        self.params, self.param_owner = composed_catalogue(defs, wiring)
        self.param_names = tuple(p.name for p in self.params)
        options = dict(options or {})
        unknown = sorted(set(options) - {d.name for d in defs})
        if unknown:
            raise CompositionError(f"build options for unknown slice(s): {', '.join(unknown)}")
        self.slices: dict[str, Slice] = {
            d.name: d.build(calendar, self.params, **options.get(d.name, {})) for d in defs
        }
        self._imports = {
            d.name: tuple((w.port, w.source) for w in wiring if w.reader == d.name) for d in defs
        }
        specs: list[OutcomeSpec] = []
        owner: dict[str, str] = {}
        for d in defs:
            for s in self.slices[d.name].outcome_specs:
                if s.name in owner:
                    raise CompositionError(
                        f"outcome {s.name!r} is defined by both slice {owner[s.name]!r} and "
                        f"slice {d.name!r}"
                    )
                owner[s.name] = d.name
                specs.append(s)
        self.outcome_specs: tuple[OutcomeSpec, ...] = tuple(specs)
        self.outcome_owner = owner
        self.n_agents = sum(int(s.n_agents) for s in self.slices.values())

    # ------------------------------------------------------------------ metadata
    def leaves(self, slice_name: str) -> tuple[LeafSpec, ...]:
        """Metadata of every array of a slice's state."""
        return state_leaves(self.slices[slice_name].state_type)

    def slice_def(self, slice_name: str) -> SliceDef:
        """The definition of a slice of this model."""
        return next(d for d in self.defs if d.name == slice_name)

    # ------------------------------------------------------------------ simulation
    def init(self, key: jax.Array, theta: jax.Array) -> SliceStates:
        """State at the calendar's first month of one run."""
        return SliceStates(
            {name: s.init(keys.slice_init_key(key, name), theta) for name, s in self.slices.items()}
        )

    def _imports_of(self, name: str, signals: Mapping[str, Any]) -> dict[str, Any]:
        return {port: signals[source] for port, source in self._imports[name]}

    def step_batch(self, keys_: jax.Array, states: SliceStates, thetas: jax.Array) -> SliceStates:
        """One month of a batch of runs (leading axis ``[N]`` on every argument)."""
        signals = {
            name: jax.vmap(s.publish)(states[name], thetas) for name, s in self.slices.items()
        }
        out: dict[str, Any] = {}
        for name, s in self.slices.items():
            imports = self._imports_of(name, signals)
            own = jax.vmap(lambda k, n=name: keys.slice_month_key(k, n))(keys_)
            batch = getattr(s, "advance_batch", None)
            if batch is not None:
                step = partial(batch, own, states[name], thetas, imports)
            else:
                step = partial(jax.vmap(s.advance), own, states[name], thetas, imports)
            active = getattr(s, "active_batch", None)
            idle_month = getattr(s, "idle", None)
            if active is None or idle_month is None:
                out[name] = step()
            else:
                # A slice idle in every run of the batch this month (its calendar phase
                # not begun) is not computed: its ``idle`` is what ``advance`` returns then,
                # bit for bit, so no run's result depends on the others in its batch.
                idle = partial(jax.vmap(idle_month), states[name])
                out[name] = jax.lax.cond(active(states[name], thetas), step, idle)
        return SliceStates(out)

    def step(self, key: jax.Array, state: SliceStates, theta: jax.Array) -> SliceStates:
        """One month of one run (a batch of one through :meth:`step_batch`)."""
        one = jax.tree.map(lambda x: x[None], (key, state, theta))
        return jax.tree.map(lambda x: x[0], self.step_batch(*one))

    def outcomes(self, state: SliceStates, theta: jax.Array) -> dict[str, jax.Array]:
        """Per-run outcomes of every slice, from the final state of one run."""
        signals = {name: s.publish(state[name], theta) for name, s in self.slices.items()}
        out: dict[str, jax.Array] = {}
        for name, s in self.slices.items():
            out.update(s.outcomes(state[name], theta, self._imports_of(name, signals)))
        return out


def compose(
    name: str,
    defs: Sequence[SliceDef],
    wiring: Sequence[Wire],
    calendar: Any,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> ComposedModel:
    """Build a model from slice definitions and their wiring (see :class:`ComposedModel`)."""
    return ComposedModel(name, defs, wiring, calendar, options)
