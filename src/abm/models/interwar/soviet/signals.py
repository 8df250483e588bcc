"""What the Soviet slice publishes to other slices (the Comintern's line, the Red Army)."""

from __future__ import annotations

from dataclasses import dataclass

import jax

from abm.engine.slices import leaf


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Influence:
    """What the Soviet slice publishes each month (float32 scalars).

    The line and support the leadership sends the KPD, the Red Army's size and command
    quality (for a later war slice), the Comintern's activism abroad and the factions'
    weights in the policy (for the diplomacy slice).
    """

    comintern_line: jax.Array = leaf(
        (), "float32", doc="the KPD's line, 0 social fascism .. 1 united front"
    )
    kpd_support: jax.Array = leaf(
        (), "float32", doc="multiplier on the KPD's paramilitary strength"
    )
    army: jax.Array = leaf(
        (), "float32", doc="Red Army personnel, thousands (for a later war slice)"
    )
    army_quality: jax.Array = leaf(
        (), "float32", doc="Red Army command quality index, 0..1 (for a later war slice)"
    )
    comintern_export: jax.Array = leaf(
        (), "float32", doc="the Comintern's activism abroad in force, 0..1 (diplomacy)"
    )
    ccp_members: jax.Array = leaf((), "float32", doc="the CCP's members (the China slice)")
    ccp_purged: jax.Array = leaf(
        (), "float32", doc="1 once the KMT has purged the CCP (the China slice's soviets)"
    )
    policy_weights: jax.Array = leaf(
        ("faction",),
        "float32",
        doc="each faction's weight in the policy in force (the ruler's alone under personal"
        " rule), summing to 1 (diplomacy's per-faction levers)",
    )
