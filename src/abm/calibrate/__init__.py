"""Calibration of the whole stochastic model against history (``abm calibrate``).

Tempered sequential Monte Carlo with a synthetic likelihood (:mod:`.smc`,
:mod:`.likelihood`) over every parameter with a prior (:mod:`.space`), on simulations
of the full model (:mod:`.simulator`), checkpointed after every step (:mod:`.store`);
the result is a sample of whole parameter vectors (:mod:`abm.posterior`). The targets
and the held-out split come from :mod:`.targets` and the calibration config
(:mod:`.config`); :mod:`.sbc` checks the method on a synthetic model with known
parameters. ``docs/calibration.md`` explains and justifies the procedure.
"""
