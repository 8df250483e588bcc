"""The diplomacy slice (issue 14): sixteen states, their threat perceptions, Munich and
the 1939 choice between a German-Soviet pact, an Anglo-French-Soviet alliance or
isolation, and the alignments of September 1939 (``docs/ODD.md``, section 2.4)."""
