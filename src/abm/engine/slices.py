"""The slice contract: one part of a model (a country, a theatre) that a composition wires.

A model is a list of slices and the wiring between them (:mod:`abm.engine.compose`). A
slice is defined by a :class:`SliceDef` (what the composition needs before building:
its name, parameter catalogue, published signal type and import ports) and built into a
:class:`Slice` over a calendar and the composed parameter order.

Every month each slice publishes typed *signals* from its state at the start of the
month; each slice then advances one month reading, through its import ports, the signals
of the slices wired to it. All read start-of-month values, so the order of slices within
a month does not matter. Each slice draws from its own random stream
(:func:`abm.engine.keys.slice_streams`), derived from its name in one place.

State types are frozen dataclasses registered with ``jax.tree_util``; every array field
is declared with :func:`leaf`, which records its dtype and dimension names, so replay,
traces and contract tests label and check dimensions without guessing. Sizes of the
dimensions come from the built slice's :attr:`Slice.dim_sizes`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jax

from abm.engine.reducers import OutcomeSpec


def leaf(dims: tuple[str, ...], dtype: str, unit: str = "", doc: str = "") -> Any:
    """A state field holding one array, with its metadata.

    Args:
        dims: dimension names of the array for one run (``()`` for a scalar).
        dtype: NumPy dtype name (``float32``, ``int32``, ``bool``).
        unit: physical unit of the values (``""`` for codes, flags and indices).
        doc: one line saying what the field holds.

    Returns:
        A ``dataclasses.field`` carrying the metadata (no default).
    """
    return field(metadata={"dims": tuple(dims), "dtype": dtype, "unit": unit, "doc": doc})


@dataclass(frozen=True)
class LeafSpec:
    """Metadata of one array of a state type.

    Attributes:
        path: dotted path from the state type (``polity.nazi_month``).
        dims: dimension names for one run.
        dtype: NumPy dtype name.
        unit: unit of the values.
        doc: what it holds.
    """

    path: str
    dims: tuple[str, ...]
    dtype: str
    unit: str
    doc: str


def state_leaves(state_type: type, prefix: str = "") -> tuple[LeafSpec, ...]:
    """Every array field of a state dataclass, depth first, in field order.

    Args:
        state_type: a dataclass type whose fields are :func:`leaf` fields or dataclasses.
        prefix: path prefix (used by the recursion).

    Returns:
        The leaves' metadata.

    Raises:
        TypeError: if a field is neither a nested dataclass nor declared with :func:`leaf`.
    """
    hints = typing.get_type_hints(state_type)
    out: list[LeafSpec] = []
    for f in dataclasses.fields(state_type):
        kind = hints.get(f.name)
        path = f"{prefix}{f.name}"
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            out.extend(state_leaves(kind, f"{path}."))
        elif "dims" in f.metadata:
            m = f.metadata
            out.append(LeafSpec(path, m["dims"], m["dtype"], m["unit"], m["doc"]))
        else:
            raise TypeError(
                f"{state_type.__name__}.{f.name}: state fields must be dataclasses or "
                "declared with abm.engine.slices.leaf(dims, dtype)"
            )
    return tuple(out)


def leaf_values(state: Any, prefix: str = "") -> dict[str, Any]:
    """``path -> array`` of a state dataclass instance, in :func:`state_leaves` order."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(state):
        v = getattr(state, f.name)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            out.update(leaf_values(v, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = v
    return out


@dataclass(frozen=True)
class Port:
    """An import port of a slice: the signals it may read from another slice.

    Attributes:
        signal_type: the signal dataclass the port accepts (the source slice's).
        supersedes: base names of the slice's own parameters that the signal replaces
            when the port is wired (dropped from the composed catalogue).
        doc: what the slice does with the signal.
    """

    signal_type: type
    supersedes: tuple[str, ...] = ()
    doc: str = ""


class ParamLike(Protocol):
    """What the composition needs of a catalogue entry."""

    name: str
    base: str


class Slice(Protocol):
    """A built slice: pure functions over one run's slice state (``vmap`` adds runs).

    ``theta`` is the composed model's parameter vector (float32 ``[n_params]``); the
    slice was built knowing the composed order. ``imports`` maps each wired port to the
    source's signals at the start of the month (absent ports are left out: the slice
    falls back on its own parameters).
    """

    name: str
    n_agents: int
    state_type: type
    dim_sizes: Mapping[str, int]
    dim_coords: Mapping[str, tuple[Any, ...]]
    outcome_specs: tuple[OutcomeSpec, ...]

    def init(self, key: jax.Array, theta: jax.Array) -> Any:
        """The slice state at the calendar's first month."""
        ...

    def publish(self, state: Any, theta: jax.Array) -> Any:
        """The signals other slices may read, from the state at the start of a month."""
        ...

    def advance(
        self, key: jax.Array, state: Any, theta: jax.Array, imports: Mapping[str, Any]
    ) -> Any:
        """One month of one run (the month index is in the state)."""
        ...

    def outcomes(
        self, state: Any, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes from the final state (``imports``: final signals)."""
        ...


#: ``advance_batch(keys, states, thetas, imports)``: an optional batched month that a
#: slice may provide to skip work no run of the batch needs (``lax.cond`` on a batch-wide
#: predicate); a run's result must not depend on the other runs of the batch.
AdvanceBatch = Callable[[jax.Array, Any, jax.Array, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class CoverageTarget:
    """A historical figure a slice's outcome answers (for coverage and validation).

    Attributes:
        target: the calibration file's target id.
        historical: the historical figure, in the target's unit.
        outcome: the quantity outcome that answers it.
        index: the cell of the outcome (indices into its own dims).
        scale: outcome value / target value (unit conversion).
        fitted: whether the calibration fits it (else an out-of-sample check).
        kind: ``quantity`` (a quantity outcome's cell), ``event_date`` (an event
            outcome's first month; ``historical`` is the decimal year ``year + (month -
            0.5) / 12`` of the month it happened, and ``index`` is empty), or
            ``category`` (a quantity outcome's cell whose value is a category's code, one
            histogram bin per category; ``historical`` is the code).
        source: where the figure comes from, for a target the calibration file lacks.
    """

    target: str
    historical: float
    outcome: str
    index: tuple[int, ...]
    scale: float = 1.0
    fitted: bool = True
    kind: str = "quantity"
    source: str = ""


def month_decimal_year(label: str) -> float:
    """``"1933-01"`` (or a ``YYYY-MM-DD`` date) -> ``1933.0417``, the month's middle."""
    year, month = (int(x) for x in label.split("-")[:2])
    return year + (month - 0.5) / 12.0


@dataclass(frozen=True)
class PolicyPresets:
    """Leader presets a slice takes (``configs/presets/leaders.yaml``).

    Each preset defines one member's policy vector (every lever of ``levers``, as
    ``NAME.<member>`` parameters) and the start conditions it sets when a scenario names
    it; ``mean_member`` gets the mean of the presets' policies.

    Attributes:
        members: members with a policy of their own (one preset each).
        levers: base names of the per-member policy levers.
        mean_member: the member whose policy is the mean of the others'.
        member_word: what a member is called in messages (``faction``).
    """

    members: tuple[str, ...]
    levers: tuple[str, ...]
    mean_member: str
    member_word: str = "member"


@dataclass(frozen=True)
class SliceDef:
    """What a composition needs to know of a slice before building it.

    Attributes:
        name: the slice's name (``germany``); its random streams derive from it.
        catalogue: returns the slice's own parameters, in its order.
        signal_type: the dataclass its :meth:`Slice.publish` returns.
        ports: import port name -> :class:`Port`.
        build: ``build(calendar, params, **options)`` -> :class:`Slice`, where
            ``params`` is the composed catalogue (the order of ``theta``) and ``options``
            the slice's build options (capacity scaling; none by default).
        catalogue_file: where its parameters are defined (for messages).
        calibrate: optional calibration entry: ``calibrate(base)`` fits and writes the
            slice's calibrated priors, where ``base()`` loads the base scenario with the
            priors written so far; returns report lines. Slices calibrate in model order.
        calibration_file: the file ``calibrate`` writes (absolute), or None: ``abm
            calibrate`` snapshots it first and restores it if the calibration fails.
        targets: optional ``targets(calendar)`` -> the :class:`CoverageTarget` s its
            outcomes answer.
        presets: the leader presets it takes, if any (at most one slice of a model).
        doc: one line.
    """

    name: str
    catalogue: Callable[[], tuple[Any, ...]]
    signal_type: type
    ports: Mapping[str, Port]
    build: Callable[..., Any]
    catalogue_file: str = ""
    calibrate: Callable[[Callable[[], Any]], list[str]] | None = None
    calibration_file: Path | None = None
    targets: Callable[[Any], list[CoverageTarget]] | None = None
    presets: PolicyPresets | None = None
    doc: str = ""


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class NoSignals:
    """Signals of a slice that publishes nothing."""


def mark_headline(specs: Sequence[OutcomeSpec], names: Sequence[str]) -> tuple[OutcomeSpec, ...]:
    """The specs with those named marked as headline outcomes (shown first in reports).

    Raises:
        ValueError: if a name is not among the specs.
    """
    known = {s.name for s in specs}
    missing = [n for n in names if n not in known]
    if missing:
        raise ValueError(f"headline outcomes {missing} are not outcomes of the slice")
    return tuple(
        dataclasses.replace(s, headline=True)
        if s.name in names and "headline" in {f.name for f in dataclasses.fields(s)}
        else s
        for s in specs
    )
