"""Policies: render (jinja2), parse, evaluate and simulate (SCPs, RCPs), lint."""
