"""``abm worlds`` in the API: a nested design, world against luck (:mod:`abm.engine.nested`).

Re-exported as :func:`abm.api.worlds`.
"""

from __future__ import annotations

from typing import Any

from abm.engine.runner import Progress
from abm.errors import InputError


def worlds(
    config_a: Any,
    config_b: Any = None,
    worlds: int = 64,
    replicates: int = 16,
    seed: int | None = None,
    chunk_size: int | None = None,
    overrides: Any = (),
    stance: Any = None,
    posterior: Any = None,
    progress: Progress | None = None,
) -> Any:
    """Separate world from luck: a nested run and its tables (:mod:`abm.engine.nested`).

    ``worlds`` parameter vectors of the mechanisms (drawn from A's effective priors) x
    ``replicates`` runs each, for A and (with the same keys) for B; the variance of each
    headline outcome split into world and chance, and with B the difference per world
    and its first-order Sobol indices over the mechanism parameters
    (:mod:`abm.analysis.worlds`).

    Args:
        config_a: scenario A (the worlds are drawn from its priors).
        config_b: scenario B, or None.
        worlds: ``K >= 2``.
        replicates: ``R >= 2``, runs per world.
        seed: the seed (default: A's config).
        chunk_size: runs per compiled chunk (default: A's config).
        overrides: ``NAME=VALUE`` pins for both scenarios.
        stance: stance for both scenarios (None: each one's own).
        posterior: a posterior file, ``default`` or ``none`` for both (None: each one's).
        progress: callback (runs done, total, seconds), per scenario.

    Returns:
        A :class:`abm.analysis.worlds_tables.WorldsReport`.
    """
    from abm.analysis.worlds_tables import analyze
    from abm.api import _scenario, _settings
    from abm.engine.nested import run_nested

    if worlds < 2 or replicates < 2:
        raise InputError(f"worlds {worlds}, replicates {replicates}; allowed: each at least 2")
    sa = _scenario(config_a, overrides, stance, posterior)
    sb = None if config_b is None else _scenario(config_b, overrides, stance, posterior)
    same = ("model_name", "calendar", "exogenous")  # one model runs both scenarios
    if sb is not None and any(getattr(sa, f, None) != getattr(sb, f, None) for f in same):
        raise InputError(
            f"{sa.path} and {sb.path} differ in model, calendar or exogenous streams; "
            "allowed: two scenarios of one model"
        )
    _, s, c = _settings(sa, worlds * replicates, seed, chunk_size)
    nested = run_nested(sa, sb, worlds, replicates, s, c, progress)
    return analyze(nested, seed=s)


__all__ = ["worlds"]
