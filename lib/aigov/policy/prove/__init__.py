"""``aigov prove``: properties of the guardrails proven over every possible request.

Simulation answers for the requests someone thought of; a proof answers for all of them.
The SCPs and RCPs of a chain are encoded as one SMT formula with the evaluator's semantics
(``encode.py``), a property as constraints on a symbolic request (``request.py``), and
the solver either finds no request that breaks the property (proven), or finds one
(refuted) that the evaluator then confirms, or gives up (unknown, with the reason).
Contract: docs/contracts/properties.md.
"""
