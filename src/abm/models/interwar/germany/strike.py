"""The left's extra-parliamentary force: the unions' general strike and Prussia's police.

The ADGB's general strike of March 1920 (about 12 million strikers) defeated the Kapp
Putsch in four days; mass unemployment made workers fear for their jobs, and the unions
called no strike against the Preussenschlag of 20 July 1932 (Winkler 1987, *Der Weg in
die Katastrophe*). Equations in ``docs/ODD.md`` ("Submodels: government").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

#: The Prussian police (about 80,000 men, Schutzpolizei and Landjaeger) relative to the
#: 100,000-man Reichswehr, the unit of the forces below (Bessel 1993, *Germany after
#: the First World War*; Reichswehr ceiling: Treaty of Versailles, art. 160).
PRUSSIAN_POLICE = 0.8
#: The SA at the size the model's paramilitary capacity allows (450,000 men) relative to
#: the force the army reckoned with (4.5 Reichswehr units); the Planspiel Ott of
#: December 1932 concluded the army and police could not hold down both the SA and a
#: general strike at once (Vogelsang 1962, *Reichswehr, Staat und NSDAP*).
SA_AT_FULL = 450.0


def strike_capacity(
    slump: jax.Array,
    uf_strength: jax.Array,
    base: jax.Array,
    unemployment_sensitivity: jax.Array,
    united_front_gain: jax.Array,
) -> jax.Array:
    """Credible general-strike capacity, 0..1 (1: a strike of the Kapp Putsch's scale).

    ``S = clip(base * exp(-sensitivity * slump) * (1 + gain * uf_strength), 0, 1)``.

    Args:
        slump: unemployment rate (registered unemployed / dependent labour force).
        uf_strength: how far the KPD's and SPD's rank and file act together, 0..1.
        base: capacity at zero unemployment without a united front.
        unemployment_sensitivity: fall of log capacity per unit unemployment rate.
        united_front_gain: relative gain at a full united front.
    """
    s = base * jnp.exp(-unemployment_sensitivity * slump) * (1.0 + united_front_gain * uf_strength)
    return jnp.clip(s, 0.0, 1.0)


def left_force(strike: jax.Array, prussia_left: jax.Array, uf_strength: jax.Array) -> jax.Array:
    """What the left can put against a coup, in Reichswehr units (float32 scalar).

    The strike, plus the Prussian police while the SPD-led Prussian government commands
    it and a united front would use it: ``L = S + PRUSSIAN_POLICE * prussia_left * uf``
    (alone, the Braun-Severing government did not use it on 20 July 1932).
    """
    return strike + PRUSSIAN_POLICE * prussia_left.astype(jnp.float32) * uf_strength


def sa_threat(paramilitary_nsdap: jax.Array) -> jax.Array:
    """The SA as the army saw it, in Reichswehr units at full strength = 1 (0..1)."""
    return jnp.clip(paramilitary_nsdap / SA_AT_FULL, 0.0, 1.0)
