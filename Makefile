# metricqa: the verbs. `make demo` and `make test` are the two commands a fresh machine needs.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PYTHON ?= python3

.PHONY: install demo test lint fix snap eval bench serve system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Build the demo warehouse, index the catalog and answer example questions (English and Chinese).
demo: install
	$(BIN)/metricqa demo build --scale 1
	$(BIN)/metricqa ask "which region lagged this month?"
	$(BIN)/metricqa ask "本月华东的回款率环比怎么样?"
	$(BIN)/metricqa query --metric revenue --by region --period this_month --compare mom

## Headless Chromium for the widget's browser test (Debian packages; needs root or sudo).
system-deps:
	@bash scripts/system-deps.sh

## Install, then run the whole test suite (pytest exits non-zero on failures and on "no tests").
test: install system-deps
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

fix: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

snap: install
	$(BIN)/pytest tests/test_compiler.py --overwrite-snapshots

eval: install
	$(BIN)/metricqa eval --out out/eval --floor 0.75

bench: install
	$(PY) benchmarks/bench_compile.py --scale 10
	$(PY) benchmarks/bench_retrieval.py
	$(PY) benchmarks/bench_ask.py

serve: install
	$(BIN)/metricqa serve --demo
