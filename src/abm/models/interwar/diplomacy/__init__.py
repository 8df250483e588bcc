"""The diplomacy slice (issue 14).

Sixteen states, their threat perceptions, Munich and the 1939 choice between a
German-Soviet pact, an Anglo-French-Soviet alliance or isolation, and the alignments of
September 1939 (``docs/ODD.md``, sections 2.4 and 7.20).
"""
