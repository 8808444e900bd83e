"""Shared session fixtures: the demo catalog, a small demo warehouse and a read-only connection to it.

Options: ``--overwrite-snapshots`` rewrites golden files (tests/snapshots/...) instead of comparing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from metricqa.catalog.models import Catalog

ROOT = Path(__file__).resolve().parent.parent
DEMO_SCALE = 0.05
DEMO_SEED = 42


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--overwrite-snapshots",
        action="store_true",
        default=False,
        help="Rewrite golden snapshot files instead of comparing against them.",
    )


@pytest.fixture(scope="session")
def overwrite_snapshots(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--overwrite-snapshots"))


@pytest.fixture(scope="session")
def demo_catalog() -> Catalog:
    from metricqa.catalog.loader import load_catalog

    return load_catalog(ROOT / "catalog" / "demo")


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo warehouse at scale 0.05 (seed 42), built once per session."""
    from metricqa.demo import build_demo_warehouse

    path = tmp_path_factory.mktemp("demo_warehouse") / "demo.duckdb"
    return build_demo_warehouse(path, scale=DEMO_SCALE, seed=DEMO_SEED, progress=False)


@pytest.fixture(scope="session")
def demo_con(demo_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to ``demo_warehouse`` (opened like the assistant opens it)."""
    from metricqa.assistant.semantic.warehouse import open_warehouse

    con = open_warehouse(demo_warehouse)
    yield con
    con.close()
