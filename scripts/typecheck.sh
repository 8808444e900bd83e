#!/usr/bin/env bash
# mypy --strict on the installed layout of `metricqa` (see scripts/pkgtree.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-$PWD/.venv/bin}"
bash scripts/pkgtree.sh >/dev/null
cd .pkgtree && "$BIN/mypy" --strict --config-file ../pyproject.toml -p metricqa
