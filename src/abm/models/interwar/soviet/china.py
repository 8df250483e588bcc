"""The CCP, the First United Front and the KMT's purge of 1927.

Monthly membership growth ``ccp_growth_inside`` (times ``ccp_growth_apart`` as far as
the party stays apart from the KMT, ``ccp_independence``) times ``1 +
comintern_export_effect * comintern_export``, until the purge; at the purge (month
``kmt_purge_date``, happening with probability ``kmt_purge_prob``; otherwise the front
lasts to the same date and then ends without the killing) the party keeps
``ccp_survival_inside`` of its members inside the KMT, ``ccp_survival_apart`` apart (mixed
by independence); afterwards it grows at ``ccp_growth_after`` a month, or by the growth
factor the China slice publishes where it is composed.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from abm.models.interwar.soviet.types import China


@dataclass(frozen=True)
class ChinaParams:
    """Scalars of the China month (float32, drawn per run)."""

    ccp_growth_inside: jax.Array
    ccp_growth_apart: jax.Array
    kmt_purge_prob: jax.Array
    ccp_survival_inside: jax.Array
    ccp_survival_apart: jax.Array
    ccp_growth_after: jax.Array
    comintern_export_effect: jax.Array


def month(
    ch: China,
    purge_month: jax.Array,
    independence: jax.Array,
    export: jax.Array,
    u_purge: jax.Array,
    record: jax.Array,
    p: ChinaParams,
    t: jax.Array | int = 0,
    after: jax.Array | None = None,
) -> China:
    """One month of the CCP.

    Args:
        ch: state at the start of the month.
        purge_month: bool, the KMT's break comes this month.
        independence: ``ccp_independence`` in force, 0..1.
        export: ``comintern_export`` in force, 0..1.
        u_purge: uniform draw deciding whether the break is a massacre.
        record: bool ``[M - 1]``, which month-end records (after the first, the
            membership just before the purge) this month's end fills.
        p: parameters.
        t: int32, the month's index (recorded as the massacre's month).
        after: the growth factor after the purge (the China slice's), replacing
            ``exp(ccp_growth_after)``; None keeps it.
    """
    boost = 1.0 + p.comintern_export_effect * export
    inside = p.ccp_growth_inside * (1.0 - independence + independence * p.ccp_growth_apart)
    rate = jnp.where(ch.purged, p.ccp_growth_after, inside * boost)
    members = ch.members * jnp.exp(rate)
    if after is not None:
        members = jnp.where(ch.purged, ch.members * after, members)
    survival = (1.0 - independence) * p.ccp_survival_inside + independence * p.ccp_survival_apart
    massacre = purge_month & (u_purge < p.kmt_purge_prob)
    before = jnp.where(purge_month, members, ch.record[0])
    members = jnp.where(massacre, members * survival, members)
    purged = ch.purged | purge_month
    later = jnp.where(record, members, ch.record[1:])
    return China(
        members=members,
        purged=purged,
        record=jnp.concatenate([before[None], later]),
        massacre_month=jnp.where(massacre, jnp.int32(t), ch.massacre_month).astype(jnp.int32),
    )
