"""Seconds the run-record redactor spends per megabyte of notebook HTML and JSON.
Prints figures, asserts nothing (what it masks is tested in tests/test_redact.py and
tests/test_leak_probe.py).

Builds an nbconvert-like HTML page and an nbformat-like JSON notebook of the given
sizes (styles, ANSI-coloured stream output, base64 images), none holding a secret
(the common case), then one holding each secret once, and times ``Redactor.text`` with
six secrets of run-record shapes. Goal: about a second per MB on a loaded 2-core
machine, so sealing a full run adds seconds, not minutes.

    .venv/bin/python tests/benchmarks/bench_redact.py [--sizes 0.25,1,4]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import time

from aigov.runbook.redact import Redactor

SECRETS = {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYLEAKTESTKEY", "AKIAZ7BENCHKEY000001",
           "IQoJb3JpZ2luX2VjEBENCH//////////wEaCXVzLWVhc3QtMSJHMEUCIQBENCHTOKEN==",
           "bench-listed-value-4242", "internal-host-7731.corp.example", "x-passphrase-99"}


def html_page(mb: float) -> str:
    unit = ('<div class="jp-OutputArea-output"><pre><span class="ansi-red-fg">ERROR</span> '
            'policy deny-leave-organization at Root decided\n  statement 0, Action '
            'organizations:LeaveOrganization</pre></div>\n<style>.jp-Cell { margin: 0 }</style>\n')
    img = '<img src="data:image/png;base64,' + base64.b64encode(os.urandom(3000)).decode() + '">\n'
    block = unit * 20 + img
    return block * max(1, int(mb * 2**20 / len(block)))


def notebook_json(mb: float) -> str:
    cell = {"cell_type": "code", "outputs": [{"name": "stdout", "output_type": "stream",
            "text": ["\u001b[32mok\u001b[0m ou-root-abcd1234 Workloads\n"] * 30}],
            "source": ["ctx = start('04_simulate', globals())\n"] * 5}
    one = json.dumps(cell, indent=1)
    n = max(1, int(mb * 2**20 / len(one)))
    return json.dumps({"cells": [cell] * n}, indent=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="0.25,1,4")
    sizes = [float(s) for s in ap.parse_args().sizes.split(",")]
    r = Redactor(set(SECRETS))
    r.text("<warm up>")
    print(f"{'kind':<10} {'MB':>6} {'clean s':>8} {'planted s':>10} {'s/MB':>6}")
    for mb in sizes:
        for kind, text in (("html", html_page(mb)), ("ipynb", notebook_json(mb))):
            real_mb = len(text) / 2**20
            t0 = time.perf_counter()
            r.text(text)
            clean = time.perf_counter() - t0
            planted = text[: len(text) // 2] + " ".join(SECRETS) + text[len(text) // 2:]
            t0 = time.perf_counter()
            out = r.text(planted)
            dirty = time.perf_counter() - t0
            assert not any(s in out for s in SECRETS)
            print(f"{kind:<10} {real_mb:>6.2f} {clean:>8.2f} {dirty:>10.2f} "
                  f"{clean / real_mb:>6.2f}")


if __name__ == "__main__":
    main()
