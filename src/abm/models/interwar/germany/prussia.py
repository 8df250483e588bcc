"""Prussia's government and police, and the elites' coup against it (the Preussenschlag).

The SPD-led Prussian government (Otto Braun, with Carl Severing at the interior
ministry) commanded the Prussian police until Papen's decree of 20 July 1932 deposed it.
The Landtag elected in April 1932 left the Weimar coalition without a majority and
elected no successor, so the Braun cabinet stayed in office as a caretaker; that was
Papen's pretext (Winkler 1987; Schulze 1977, *Otto Braun*). Equations in
``docs/ODD.md`` ("Submodels: government").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from abm.models.interwar.germany import constants as K

#: The Prussian Landtag's election month in our timeline (24 April 1932): the end of
#: the term of the Landtag elected in May 1928, before which Braun's coalition held a
#: majority; a constitutional date, not an outcome.
LANDTAG_1932 = "1932-04"
#: Logit weight of a Landtag without a republican majority in the elites' calculation;
#: assumption (the caretaker status was the coup's legal pretext).
NO_MAJORITY_WEIGHT = 4.0


def no_majority(seat_share: jax.Array, landtag_expired: jax.Array) -> jax.Array:
    """The Prussian Landtag has no republican majority (bool).

    The Reichstag shares stand in for Prussia's electorate (three fifths of the Reich's):
    after the 1928 Landtag's term (``landtag_expired``), the SPD, Zentrum and DDP hold
    less than half of the vote.
    """
    weimar = seat_share[K.SPD] + seat_share[K.ZENTRUM] + seat_share[K.DDP]
    return landtag_expired & (weimar < 0.5)


def coup_utility(
    no_majority_now: jax.Array,
    authoritarianism: jax.Array,
    violence: jax.Array,
    left: jax.Array,
    coup_util: jax.Array,
    violence_weight: jax.Array,
    strike_deterrence: jax.Array,
) -> jax.Array:
    """The elites' logit for deposing the Prussian government this month.

    ``U = coup_util + NO_MAJORITY_WEIGHT * no_majority + 4 (authoritarianism - 1/2)
    + violence_weight * violence - strike_deterrence * left``; the monthly probability
    is ``sigmoid(U)`` (street violence was the pretext: Altona, 17 July 1932).
    """
    return (
        coup_util
        + NO_MAJORITY_WEIGHT * no_majority_now.astype(jnp.float32)
        + 4.0 * (authoritarianism - 0.5)
        + violence_weight * violence
        - strike_deterrence * left
    )


def month(
    prussia_left: jax.Array,
    presidential: jax.Array,
    utility: jax.Array,
    u: jax.Array,
) -> jax.Array:
    """Whether the SPD-led Prussian government still commands its police after the month.

    The coup needs a presidential cabinet (the decree under Article 48); once deposed the
    Prussian government does not return (the Reich commissar held Prussia to 1933).
    """
    coup = prussia_left & presidential & (u < jax.nn.sigmoid(utility))
    return prussia_left & ~coup
