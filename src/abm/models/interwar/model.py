"""The whole interwar model: the Soviet slice and the Weimar Germany slice, wired.

The model is composed from its registry entry (:data:`abm.models.registry.MODELS`):
each month the Soviet leadership in power (at the start of the month) sets the KPD's
Comintern line and the support Comintern money and cadres give the KPD (Germany's port
``comintern``), and the Soviet slice reads when the NSDAP took power (its port
``germany``). Each slice draws from its own random stream
(:func:`abm.engine.keys.slice_streams`).
"""

from __future__ import annotations

from abm.engine.compose import ComposedModel
from abm.models.interwar.calendar import Calendar

#: Default calendar: Lenin's death to the eve of the German invasion of the USSR.
DEFAULT_CALENDAR = Calendar.from_strings("1924-01", "1941-06")


def InterwarModel(calendar: Calendar | None = None) -> ComposedModel:
    """The interwar model over ``calendar`` (default :data:`DEFAULT_CALENDAR`)."""
    from abm.models.registry import build_model

    return build_model("interwar", calendar or DEFAULT_CALENDAR)
