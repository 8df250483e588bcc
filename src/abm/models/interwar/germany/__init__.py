"""Weimar Germany 1924-1936: voter blocs, parties, economy, cabinets, elites, the left.

Modules: :mod:`.constants` (parties, milieux, constituencies, election slots),
:mod:`.types` (agent state), :mod:`.economy`, :mod:`.voters`, :mod:`.government`,
:mod:`.model` (init, step, outcomes). The model document is ``docs/ODD.md``.
"""

from abm.models.interwar.germany.model import GermanyModel

__all__ = ["GermanyModel"]
