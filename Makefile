# Every target bootstraps its own virtual environment; nothing is installed by hand.
# What PyPI cannot give (the Pango libraries WeasyPrint needs) is installed with apt-get
# when make runs as root, and otherwise named in one line: see proceedings/system.py.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: pdf check test lint clean print proofs golden fuzz bench audit

pdf: $(STAMP)
	$(PY) -m proceedings build sources --out build

# make print OVERRIDE="why the warnings may be printed" records the reason in the PDF.
print: $(STAMP)
	$(PY) -m proceedings print sources --out build $(if $(OVERRIDE),--override-findings "$(OVERRIDE)")

proofs: $(STAMP)
	$(PY) -m proceedings proofs sources --out build

# make audit PDF=other.pdf: the paragraph figures of any PDF (default: the built book).
PDF ?= build/proceedings.pdf
audit: $(STAMP)
	$(PY) -m proceedings audit $(PDF)

check: $(STAMP)
	$(PY) -m proceedings check sources

test: $(STAMP)
	$(PY) -m pytest -q

# make fuzz FUZZ_EXAMPLES=100000: the property-based tests with many more examples.
FUZZ_EXAMPLES ?= 20000
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q tests/test_fuzz.py --hypothesis-profile=fuzz

lint: $(STAMP)
	$(PY) -m ruff check proceedings tests bench
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/run.py

golden: $(STAMP)
	UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/test_visual.py

clean:
	rm -rf build tests/results

$(STAMP): pyproject.toml
	$(PYTHON) -m proceedings.system
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)
