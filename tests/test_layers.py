"""The package layout: one import name, layers that point one way, no import circles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CYCLES = r"""
import sys
import grimp

graph = grimp.build_graph("metricqa")
modules = sorted(graph.modules)
index = {m: i for i, m in enumerate(modules)}
edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
# Tarjan's strongly connected components: any component with two or more modules is an import circle.
counter, stack, on, low, num, out = [0], [], set(), {}, {}, []
def visit(v):
    num[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in num:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], num[w])
    if low[v] == num[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            out.append(sorted(comp))
sys.setrecursionlimit(10000)
for m in modules:
    if m not in num:
        visit(m)
print(len(modules))
for comp in out:
    print(" <-> ".join(comp))
"""


def _pkgtree() -> Path:
    subprocess.run(["bash", str(ROOT / "scripts" / "pkgtree.sh")], check=True, capture_output=True)
    return ROOT / ".pkgtree"


def test_import_linter_contracts_are_kept() -> None:
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check-layers.sh")],
        capture_output=True,
        text=True,
        env={"BIN": str(Path(sys.executable).parent), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_no_import_circles() -> None:
    tree = _pkgtree()
    proc = subprocess.run(
        [sys.executable, "-c", CYCLES], cwd=tree, capture_output=True, text=True, check=True
    )
    count, *circles = proc.stdout.strip().splitlines()
    assert int(count) > 60  # the whole package was walked, not an empty tree
    assert circles == []
