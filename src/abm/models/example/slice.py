"""The example slice under the slice contract (:mod:`abm.engine.slices`): emigres.

Publishes :class:`~abm.models.example.types.EmigreSignals`; imports, through the port
``germany``, when the NSDAP took power (:class:`GermanySignals`), which supersedes the
slice's own ``emigre_nazi_year`` lever when wired. Its parameters are illustrative, not
historical (``data/example_parameters.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from abm.engine.exact import fixed_sum
from abm.engine.slices import Port, SliceDef, mark_headline
from abm.models.calendar import Calendar
from abm.models.catalogue import ParamDef, load_catalogue
from abm.models.example.month import advance, draw_month
from abm.models.example.types import N_GROUPS, EmigreSignals, EmigreState
from abm.models.interwar.germany.signals import GermanySignals
from abm.outcomes import EventOutcome, OutcomeSpec, QuantityOutcome

NAME = "example"
FILE = "example_parameters.yaml"
#: Headline outcomes of the slice (shown first in reports).
HEADLINE = ("emigre_wave",)


def catalogue() -> tuple[ParamDef, ...]:
    """The slice's parameters, in file order (no calibration file: none is written)."""
    return load_catalogue(
        FILE, "example_calibration.yaml", {}, package="abm.models.example", slice_name=NAME
    )


OUTCOMES: tuple[OutcomeSpec, ...] = (
    EventOutcome("emigre_wave", "a tenth of the people at risk have emigrated"),
    QuantityOutcome(
        "emigres",
        dims=(),
        coords=(),
        unit="thousand persons",
        edges=tuple(float(x) for x in np.linspace(0.0, 128.0, 513)),
        scale=1000.0,
        description="people at risk who emigrated by the end of the calendar",
    ),
)


class ExampleSlice:
    """The emigres slice over a calendar, indexing ``theta`` in the composed order.

    Args:
        calendar: the simulation calendar.
        params: the composed catalogue (the order of ``theta``).
    """

    name = NAME
    state_type = EmigreState
    n_agents = N_GROUPS

    def __init__(self, calendar: Calendar, params: tuple[Any, ...]) -> None:
        self.calendar = calendar
        self.index = {p.name: i for i, p in enumerate(params)}
        self.outcome_specs = mark_headline(OUTCOMES, HEADLINE)
        self.dim_sizes: dict[str, int] = {"group": N_GROUPS}
        self.dim_coords: dict[str, tuple[Any, ...]] = {}

    def p(self, theta: jax.Array, name: str) -> jax.Array:
        """Parameter ``name`` of this run (float32 scalar)."""
        return theta[self.index[name]]

    def init(self, key: jax.Array, theta: jax.Array) -> EmigreState:
        """State at the calendar's first month: groups of about a thousand persons."""
        size = jnp.exp(0.5 * jax.random.normal(key, (N_GROUPS,), jnp.float32))
        return EmigreState(
            month=jnp.int32(0),
            stayed=size,
            emigrated=jnp.zeros(N_GROUPS, jnp.float32),
            wave_month=jnp.int32(-1),
        )

    def publish(self, state: EmigreState, theta: jax.Array) -> EmigreSignals:
        """The share of the people at risk gone, at the start of the month."""
        gone = fixed_sum(state.emigrated)
        return EmigreSignals(emigrated_share=gone / (gone + fixed_sum(state.stayed)))

    def nazi_month(self, theta: jax.Array, imports: Mapping[str, Any]) -> jax.Array:
        """First month of a Nazi government: the port's, else the lever's (int32)."""
        signals = imports.get("germany")
        if signals is not None:
            return signals.nazi_month
        month = self.calendar.index_of_decimal_year(self.p(theta, "emigre_nazi_year"))
        return jnp.ceil(month).astype(jnp.int32)

    def advance(
        self, key: jax.Array, state: EmigreState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> EmigreState:
        """One month of one run (draws from ``key``, the slice's month key)."""
        u = draw_month(key, N_GROUPS)
        base, nazi = self.p(theta, "emigre_hazard_base"), self.p(theta, "emigre_hazard_nazi")
        return advance(state, base, nazi, self.nazi_month(theta, imports), u)

    def outcomes(
        self, state: EmigreState, theta: jax.Array, imports: Mapping[str, Any]
    ) -> dict[str, jax.Array]:
        """Per-run outcomes: the month of the wave (-1 never) and the emigres."""
        del theta, imports
        return {"emigre_wave": state.wave_month, "emigres": fixed_sum(state.emigrated)}


def _build(calendar: Calendar, params: tuple[Any, ...]) -> ExampleSlice:
    return ExampleSlice(calendar, params)


SLICE = SliceDef(
    name=NAME,
    catalogue=catalogue,
    signal_type=EmigreSignals,
    ports={
        "germany": Port(
            GermanySignals,
            supersedes=("emigre_nazi_year",),
            doc="when the NSDAP took power: the emigration hazard jumps",
        )
    },
    build=_build,
    catalogue_file=FILE,
    doc="example: emigres leaving Germany, faster under a Nazi government (illustrative)",
)

__all__ = ["HEADLINE", "SLICE", "ExampleSlice"]
