"""Scenario configs: loading, validation and resolution of levers and priors.

A scenario YAML file (``configs/scenarios/*.yaml``) names a leader preset
(``configs/presets/leaders.yaml``, which also holds every faction's policy), may name a
stance (``configs/stances/*.yaml``: a set of mechanism priors), set levers and mechanism
priors, a calendar and run defaults; ``--set NAME=VALUE`` overrides come last.
:func:`load_scenario` checks everything and returns a resolved :class:`Scenario`; every
problem raises :class:`ConfigError` naming the file, the field, the value and what is
allowed.
"""

from abm.config.errors import ConfigError
from abm.config.scenario import Scenario, load_scenario, parse_overrides

__all__ = ["ConfigError", "Scenario", "load_scenario", "parse_overrides"]
