"""Model-agnostic engine: keys, priors, streaming reducers, the chunked runner."""

from abm.engine.keys import run_key
from abm.engine.priors import PRIOR_KINDS, Prior, PriorTable
from abm.engine.reducers import (
    CategoryOutcome,
    EventOutcome,
    OutcomeSpec,
    QuantityOutcome,
)
from abm.engine.runner import Accumulator, Runner

__all__ = [
    "PRIOR_KINDS",
    "Accumulator",
    "CategoryOutcome",
    "EventOutcome",
    "OutcomeSpec",
    "Prior",
    "PriorTable",
    "QuantityOutcome",
    "Runner",
    "run_key",
]
