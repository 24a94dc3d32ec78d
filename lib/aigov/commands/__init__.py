"""The command line's command bodies: one library call, rendering, an exit code.

``cli.py`` parses arguments and dispatches here; this package (the CLI layer, the top of
the package graph, docs/architecture.md) is the only place besides ``cli.py`` that
prints. The library below returns data.
"""
