"""Condition operators as formulas over the symbolic request.

``encode_condition`` is ``aigov.policy.conditions.Condition.holds`` read line by line:

- ``Null`` tests presence (an empty list is absent);
- an absent key: ``...IfExists`` and ``ForAllValues`` hold, ``ForAnyValue`` does not, a
  plain operator holds only when negated;
- a negated operator with a policy variable that has no value is false;
- ``ForAllValues``: every value passes (the negated test per value for a negated
  operator), ``ForAnyValue``: some value does; no qualifier: some value matches, and a
  negated operator holds when none does.

One value's test (``value_test``) is the evaluator's matcher: string and ARN operators
through ``strings.pattern_matches`` (ARN operators also need the ``arn:`` prefix), and
Numeric, Date, Bool and IP operators evaluated in Python on the key's candidates with the
very ``match_one`` the simulator calls.
"""

from __future__ import annotations

import cvc5.pythonic as smt

from aigov.policy.conditions import ARN_OPS, Condition
from aigov.policy.match import Pattern
from aigov.policy.prove import tokens as tk
from aigov.policy.prove.request import Symbolic, condition_patterns
from aigov.policy.prove.strings import Unsupported, match, pattern_matches


def value_test(cond: Condition, req: Symbolic, patterns: list[Pattern], v: object
               ) -> smt.BoolRef:
    """Does one request value match any of the condition's values?"""
    if cond.base == "BinaryEquals":
        return smt.Or(*[match(v, (tk.literal(x),)) for x in cond.values])
    if not patterns:
        raise Unsupported(f"{cond.operator} on a text key {cond.key!r}")
    hit = smt.Or(*[pattern_matches(p, v, req.single) for p in patterns])
    if cond.base in ARN_OPS:
        return smt.And(match(v, (tk.literal("arn:") + ((True, tk.ANY),),)), hit)
    return hit


def unresolved(cond: Condition, req: Symbolic) -> smt.BoolRef:
    """Some value's policy variable has no value (``conditions._unresolved``)."""
    outs = []
    for text in cond.values:
        p = Pattern(text, variables=True)
        for tok in p.tokens:
            if not isinstance(tok, str):
                single, _, absent = req.single(tok.key)
                ok = single if tok.default is None else smt.Or(single, absent)
                outs.append(smt.Not(ok))
    return smt.Or(*outs) if outs else smt.BoolVal(False)


def encode_condition(cond: Condition, req: Symbolic, variables: bool) -> smt.BoolRef:
    """``cond.holds(ctx)`` for every context the symbolic request stands for."""
    key = req.key(cond.key_lower)
    present = key.present()
    if cond.base == "Null":
        wants = {v.lower() == "true" for v in cond.values}
        return smt.Or(*[smt.Not(present) if absent else present for absent in wants])
    patterns = condition_patterns(cond, variables)
    tests = req.each(key, lambda v: value_test(cond, req, patterns, v),
                     lambda s: cond.match_one(s, {}))
    neg = cond.negated
    if cond.qualifier == "ForAllValues":
        body = smt.And(*[smt.Implies(inside, t if not neg else smt.Not(t)) for inside, t in tests])
    elif cond.qualifier == "ForAnyValue":
        body = smt.Or(*[smt.And(inside, t if not neg else smt.Not(t)) for inside, t in tests])
    else:
        hit = smt.Or(*[smt.And(inside, t) for inside, t in tests])
        body = smt.Not(hit) if neg else hit
    if neg and cond.unresolved is not None:
        body = smt.And(smt.Not(unresolved(cond, req)), body)
    if cond.if_exists or cond.qualifier == "ForAllValues":
        when_absent = True
    elif cond.qualifier == "ForAnyValue":
        when_absent = False
    else:
        when_absent = neg
    return smt.If(present, body, smt.BoolVal(when_absent))
