# Every target bootstraps its own virtual environment; nothing is installed by hand.
# What PyPI cannot give (the Pango libraries WeasyPrint needs) is installed with apt-get
# when make runs as root, and otherwise named in one line: see proceedings/system.py.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: pdf check test lint clean print proofs golden fuzz bench audit messages

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

# The message catalogues: extract every msg()/msg_n() template and the templates' marked
# words (babel.cfg) into proceedings/locale/proceedings.pot, then update each language's
# .po with the new messages (empty, to be translated; tests/test_messages.py lists them)
# and without the ones gone. The keywords are messages.KEYWORDS.
LOCALE := proceedings/locale
messages: $(STAMP)
	$(VENV)/bin/pybabel -q extract -F babel.cfg --no-default-keywords -k msg -k msg_n:1,2 -k _ -k gettext \
		-k ngettext:1,2 --no-location --sort-output --omit-header --no-wrap -o $(LOCALE)/proceedings.pot .
	for lang in kk ru; do \
		$(VENV)/bin/pybabel -q update -D proceedings -i $(LOCALE)/proceedings.pot -d $(LOCALE) -l $$lang \
			--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --no-wrap || exit 1; \
	done

clean:
	rm -rf build tests/results

$(STAMP): pyproject.toml
	$(PYTHON) -m proceedings.system
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)
