"""The presidential regime's agents: the elites, the President and the Reichswehr.

Three agents, each a few scalars of preference (parameters) and one decision rule, read
the month's information (:class:`Observed`). The conservative elites and cabinets
(Papen, Hugenberg's DNVP, the agrarian and industrial interests) choose among the
options of :data:`OPTIONS` by a logit choice over utilities; the President (Hindenburg)
and the Reichswehr leadership (Schleicher) each accept or refuse the proposal by a
binary logit. Nothing changes unless both accept. Equations in ``docs/ODD.md``
("Submodels: government").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from abm.engine.exact import fixed_cumsum, fixed_softmax

#: The elites' options under a presidential cabinet.
OPTIONS = ("keep", "parliament", "dissolve", "military", "hitler")
KEEP, PARLIAMENT, DISSOLVE, MILITARY, HITLER = range(5)
#: Logit of an acceptance that is not in doubt (the President and the army agree to
#: keeping the cabinet, a return to a parliamentary cabinet, a dissolution).
SURE = 30.0
#: Unemployment rate below which a parliamentary cabinet becomes attractive to the
#: elites, and the logistic width; assumption, placed between the 1928 rate (0.08) and
#: the March 1930 rate (0.17).
SLUMP_RETURN = 0.12
SLUMP_WIDTH = 0.02
#: NSDAP seat share at which the elites' utility of a Hitler cabinet is ``hitler_util``
#: (the July 1932 peak, 37.3 %, rounded down); a reference point, not a threshold.
NSDAP_REFERENCE = 0.3
#: Share of a cabinet of the right (NSDAP + DNVP) at which Hindenburg's wish for a
#: parliamentary base is neutral: short of a majority, as in January 1933 (41.4 %,
#: November 1932), when a majority was hoped for from new elections.
RIGHT_REFERENCE = 0.45


@dataclass(frozen=True)
class Observed:
    """What the agents see this month (float32 or bool scalars)."""

    nsdap: jax.Array  # NSDAP share at the last election
    nsdap_decline: jax.Array  # fall of the NSDAP share since the election before (>= 0)
    right_base: jax.Array  # NSDAP + DNVP share: a cabinet of the right's base
    crisis: jax.Array  # crisis index
    violence: jax.Array  # street-violence index, 0..1
    slump: jax.Array  # unemployment rate
    sa: jax.Array  # the SA in Reichswehr units, 0..1
    left: jax.Array  # the left's force: general strike and Prussian police
    negative_majority: jax.Array  # bool: no parliamentary majority possible
    can_dissolve: jax.Array  # bool: four months since the last election, none called
    window_open: jax.Array  # bool: a Nazi appointment is still possible
    years_presidential: jax.Array  # years of government by emergency decree


def elite_utilities(o: Observed, g: Any) -> jax.Array:
    """The elites' utilities of the options, float32 ``[5]`` (masked options -inf).

    keep ``= decision_inertia``; parliament ``= parliament_return_util + (SLUMP_RETURN -
    slump) / SLUMP_WIDTH``; dissolve ``= dissolution_util``; military ``= military_util +
    4 (elite_authoritarianism - 1/2) + (crisis - 0.2) / 0.1 + elite_violence_weight *
    violence - strike_deterrence * left``;
    hitler ``= hitler_util + elite_framing (n - NSDAP_REFERENCE) / 0.1 +
    elite_decline_weight * decline / 0.05 - strike_deterrence * left``.
    """
    fear = g.strike_deterrence * o.left
    u = jnp.stack(
        [
            g.decision_inertia,
            g.parliament_return_util + (SLUMP_RETURN - o.slump) / SLUMP_WIDTH,
            g.dissolution_util,
            g.military_util
            + 4.0 * (g.elite_authoritarianism - 0.5)
            + (o.crisis - 0.2) / 0.1
            + g.elite_violence_weight * o.violence
            - fear,
            g.hitler_util
            + g.elite_framing * (o.nsdap - NSDAP_REFERENCE) / 0.1
            + g.elite_decline_weight * o.nsdap_decline / 0.05
            - fear,
        ]
    )
    allowed = jnp.stack(
        [
            jnp.asarray(True),
            ~o.negative_majority,
            o.can_dissolve,
            jnp.asarray(True),
            o.window_open,
        ]
    )
    return jnp.where(allowed, u, -jnp.inf)


def president_logits(o: Observed, g: Any) -> jax.Array:
    """Hindenburg's acceptance logits of each option, float32 ``[5]``.

    military ``= president_military_util + president_fatigue * years``; hitler ``=
    -hitler_aversion + president_fatigue * years + president_base_wish (right -
    RIGHT_REFERENCE) / 0.1``; the others :data:`SURE`.
    """
    tired = g.president_fatigue * o.years_presidential
    sure = jnp.float32(SURE)
    return jnp.stack(
        [
            sure,
            sure,
            sure,
            g.president_military_util + tired,
            -g.hitler_aversion
            + tired
            + g.president_base_wish * (o.right_base - RIGHT_REFERENCE) / 0.1,
        ]
    )


def army_logits(o: Observed, g: Any) -> jax.Array:
    """The Reichswehr leadership's acceptance logits, float32 ``[5]``.

    military ``= army_autonomy - army_two_front_fear (sa + left)`` (it must hold down
    both); hitler ``= army_hitler_util + army_two_front_fear (sa - left)`` (a Nazi
    cabinet spares it a fight with the SA, but a strike against it is a fight with the
    left); the others :data:`SURE`.
    """
    sure = jnp.float32(SURE)
    return jnp.stack(
        [
            sure,
            sure,
            sure,
            g.army_autonomy - g.army_two_front_fear * (o.sa + o.left),
            g.army_hitler_util + g.army_two_front_fear * (o.sa - o.left),
        ]
    )


def choose(utilities: jax.Array, u: jax.Array) -> jax.Array:
    """Logit choice: the option whose softmax cumulative first exceeds ``u`` (int32).

    A masked option (utility -inf) has probability 0 and is never chosen; where rounding
    leaves the total under ``u``, the choice is :data:`KEEP`.
    """
    above = fixed_cumsum(fixed_softmax(utilities)) > u
    return jnp.argmax(above).astype(jnp.int32)


def decide(
    o: Observed, g: Any, u_proposal: jax.Array, u_president: jax.Array, u_army: jax.Array
) -> jax.Array:
    """The month's decision under a presidential cabinet (an :data:`OPTIONS` index).

    The elites propose by :func:`choose`; the proposal is carried out if the President
    (``u_president < sigmoid(president_logit)``) and the army (likewise) accept it,
    otherwise the cabinet stays.
    """
    proposal = choose(elite_utilities(o, g), u_proposal)
    ok_p = u_president < jax.nn.sigmoid(president_logits(o, g)[proposal])
    ok_a = u_army < jax.nn.sigmoid(army_logits(o, g)[proposal])
    return jnp.where(ok_p & ok_a, proposal, KEEP).astype(jnp.int32)


def p_hitler(o: Observed, g: Any) -> jax.Array:
    """Probability that this month's decision is the Nazi appointment (float32)."""
    p = fixed_softmax(elite_utilities(o, g))[HITLER]
    return (
        p
        * jax.nn.sigmoid(president_logits(o, g)[HITLER])
        * jax.nn.sigmoid(army_logits(o, g)[HITLER])
    )
