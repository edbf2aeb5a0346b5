# Two commands for a newcomer:  `make run`  opens the window,  `make test`  runs the tests.
# Each creates .venv and installs what it needs the first time.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test bench lint lock clean

run: $(VENV)/.installed
	$(PY) main.py $(ARGS)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed
	$(PY) bench/bench_trainer.py
	$(PY) bench/bench_window.py

# Exactly the versions CI tested (requirements.lock), then this project itself without re-resolving.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.lock
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	touch $@

# Refresh requirements.lock after changing pyproject.toml's dependencies (see the README).
lock: $(VENV)/.installed
	$(PY) -m pip install pip-tools
	$(VENV)/bin/pip-compile --allow-unsafe --extra=test --extra=cluster --strip-extras --no-emit-find-links \
		--no-emit-index-url --output-file=requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
