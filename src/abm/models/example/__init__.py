"""The example slice: emigres leaving Germany (the smallest complete slice; copy it).

Files: ``data/example_parameters.yaml`` (its parameters), :mod:`.types` (state and
signals, declared with :func:`abm.engine.slices.leaf`), :mod:`.month` (one month, pure
JAX), :mod:`.slice` (outcomes and ``SLICE``). See ``docs/adding_a_slice.md``.
"""
