# Every target bootstraps its own virtual environment; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: pdf draft check test lint clean golden

pdf: $(STAMP)
	$(PY) -m proceedings build sources --out build

check: $(STAMP)
	$(PY) -m proceedings check sources

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check proceedings tests
	$(PY) -m mypy

golden: $(STAMP)
	UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/test_visual.py

clean:
	rm -rf build tests/results

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)
