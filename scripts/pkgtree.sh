#!/usr/bin/env bash
# The installed layout of the `metricqa` package as a tree of hard links (.pkgtree/metricqa/…), for tools
# that walk a package's folders instead of importing it: import-linter (grimp) and mypy. The repo keeps
# its top-level folders; setuptools' package-dir maps them into one import name (pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .pkgtree
mkdir -p .pkgtree/metricqa
# Hard links, not symlinks: grimp does not follow symlinked folders. Rebuilt on every run.
cp -rl metricqa/. .pkgtree/metricqa/
for d in catalog assistant retrieval charts integrations evals prompts; do cp -rl "$d" ".pkgtree/metricqa/$d"; done
find .pkgtree -name __pycache__ -prune -exec rm -rf {} +
echo .pkgtree
