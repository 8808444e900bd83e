#!/usr/bin/env bash
# The import-linter contract (pyproject.toml [tool.importlinter]) on the installed layout of `metricqa`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-$PWD/.venv/bin}"
bash scripts/pkgtree.sh >/dev/null
cd .pkgtree && PYTHONPATH=. "$BIN/lint-imports" ../pyproject.toml --no-cache
