"""The wheel: one top-level import name, `metricqa`, with its data files, importable outside the repo."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("metricqa-*.whl")
    return found


def test_wheel_installs_exactly_one_top_level_name(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"metricqa"}
    (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["metricqa"]


def test_wheel_ships_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (
        "metricqa/catalog/demo/metrics_sales.yaml",
        "metricqa/assistant/understanding/lexicon.yaml",
        "metricqa/prompts/plan_system.md",
        "metricqa/integrations/static/widget.js",
        "metricqa/evals/data/questions.yaml",
        "metricqa/core/messages/en.yaml",
        "metricqa/core/messages/zh.yaml",
    ):
        assert path in names, path


def test_installed_wheel_works_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import metricqa, metricqa.cli; from metricqa.core.settings import DEMO_CATALOG;"
        "from metricqa.catalog.loader import load_catalog; c = load_catalog(DEMO_CATALOG);"
        "print(metricqa.__file__); print(DEMO_CATALOG); print(len(c.metrics))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    module, catalog_dir, count = proc.stdout.split()
    assert module.startswith(str(target)) and catalog_dir.startswith(str(target))
    assert int(count) > 0
