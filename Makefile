# Two commands do all the set-up on a fresh machine with python3 (README.md):
#   make run    create .venv, install, run the whole runbook on the embedded emulator
#   make test   install the dev extras and run every test (what CI runs)
#   make test-fast  the quick loop: ruff and every test not marked slow, on 2 workers
# docs/testing.md says which test goes where, and the figures.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install bytecode run test test-fast lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# lib/ is installed in place (pip install -e), so pip compiles none of it, and where the
# environment says PYTHONDONTWRITEBYTECODE every aigov process, notebook kernel and the
# emulator compiled every module it imports again, from source (about 0.3 s of CPU for
# all of lib/; 0.05 s of the 0.18 s one simulated case takes). compileall writes the
# bytecode next to the sources, and only for what changed since it last ran.
bytecode: install
	$(PY) -m compileall -q lib >/dev/null

run: bytecode
	$(VENV)/bin/aigov run $(ARGS)

# The fast loop keeps compiled and assertion-rewritten modules under the venv even where
# the environment says PYTHONDONTWRITEBYTECODE: without them every pytest start compiles
# them again (about 4 s of CPU). PYTEST_ARGS="-n 2" runs it on two workers (pytest-xdist).
PYCACHE := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache

test: bytecode
	$(PY) -m ruff check lib tests
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m ruff check lib tests
	$(PYCACHE) $(PY) -m pytest -m "not slow" -q -n 2 --dist loadscope $(PYTEST_ARGS)

bench: bytecode
	$(PY) tests/benchmarks/bench_simulate.py --large 200000
	$(PY) tests/benchmarks/bench_pulumi_graph.py
	$(PY) tests/benchmarks/bench_redact.py
	$(PY) tests/benchmarks/bench_runbook.py

# Never the Pulumi state (outputs/pulumi/state) or the passphrase that opens it
# (outputs/pulumi/passphrase): the passphrase may be its only copy. Remove both together,
# by hand, to forget the stacks.
clean:
	rm -rf $(VENV) outputs/runs outputs/pulumi/work
