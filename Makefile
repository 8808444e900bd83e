# metricqa: the verbs. `make demo` and `make test` are the two commands a fresh machine needs.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PYTHON ?= python3

.PHONY: install demo test lint typecheck layers fix snap eval bench bench-load serve system-deps

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

## ruff check + format, the import-linter layers, mypy --strict on the package: each one fails the target.
lint: install layers typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

layers: install
	BIN=$(abspath $(BIN)) bash scripts/check-layers.sh

typecheck: install
	BIN=$(abspath $(BIN)) bash scripts/typecheck.sh

fix: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

snap: install
	$(BIN)/pytest tests/test_compiler.py --overwrite-snapshots

## The eval with its gates (evals/gates.yaml): overall and per-category floors, a wrong-answer ceiling, no leaks.
eval: install
	$(BIN)/metricqa eval --out out/eval --gates evals/gates.yaml

bench: install
	$(PY) benchmarks/bench_compile.py --scale 10
	$(PY) benchmarks/bench_retrieval.py
	$(PY) benchmarks/bench_ask.py

## 1, 16, 64 and 200 concurrent clients against baseline, default and 2-worker servers (about 6 minutes).
bench-load: install
	$(PY) benchmarks/bench_load.py --seconds 8 --rounds 2

serve: install
	$(BIN)/metricqa serve --demo
