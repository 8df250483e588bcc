"""Model-agnostic engine: keys, priors, streaming reducers, the chunked runner.

The names below load lazily, so that JAX-free submodules (:mod:`abm.engine.lanes`) can
be imported without JAX.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from abm.engine.keys import run_key
    from abm.engine.priors import PRIOR_KINDS, Prior, PriorTable
    from abm.engine.runner import Runner
    from abm.outcomes import CategoryOutcome, EventOutcome, OutcomeSpec, QuantityOutcome
    from abm.tallies import Accumulator

_WHERE = {
    "PRIOR_KINDS": "abm.engine.priors",
    "Accumulator": "abm.tallies",
    "CategoryOutcome": "abm.outcomes",
    "EventOutcome": "abm.outcomes",
    "OutcomeSpec": "abm.outcomes",
    "Prior": "abm.engine.priors",
    "PriorTable": "abm.engine.priors",
    "QuantityOutcome": "abm.outcomes",
    "Runner": "abm.engine.runner",
    "run_key": "abm.engine.keys",
}

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
