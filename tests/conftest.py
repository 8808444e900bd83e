"""Shared session fixtures: the demo catalog, a small demo warehouse and a read-only connection to it.

Options: ``--overwrite-snapshots`` rewrites golden files (tests/snapshots/...) instead of comparing.

A skipped test fails the run unless its file is in ``ALLOWED_SKIPS`` (with the reason it may skip):
a check that skips itself to stay green is not a check.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from planner_table import SUBSCRIPTION_CATALOG, subscription_members

from metricqa.assistant.understanding.context import PlanningContext
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog

ROOT = Path(__file__).resolve().parent.parent
DEMO_SCALE = 0.05
DEMO_SEED = 42


# file → why a skip there is legitimate. Everything else that skips turns the run red.
ALLOWED_SKIPS: dict[str, str] = {
    "tests/test_widget_browser.py": "needs Debian chromium + chromedriver; CI sets METRICQA_REQUIRE_BROWSER, "
    "which turns a missing browser into an error instead of a skip",
}


def unexpected_skips(nodeids: list[str]) -> list[str]:
    return [n for n in nodeids if n.split("::")[0] not in ALLOWED_SKIPS]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [r.nodeid for r in (reporter.stats.get("skipped", []) if reporter else [])]
    bad = unexpected_skips(skipped)
    if bad:
        if reporter:
            reporter.write_line(
                f"FAILED: {len(bad)} test(s) skipped outside tests/conftest.py ALLOWED_SKIPS:", red=True
            )
            for nodeid in bad:
                reporter.write_line(f"  {nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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


@pytest.fixture(scope="session")
def sub_ctx(tmp_path_factory: pytest.TempPathFactory) -> PlanningContext:
    """The subscription-business catalog of tests/planner_table.py (a second domain) as of 2026-11-20."""
    root = tmp_path_factory.mktemp("subscription_catalog")
    (root / "catalog.yaml").write_text(SUBSCRIPTION_CATALOG, encoding="utf-8")
    return PlanningContext(
        catalog=load_catalog(root), members=subscription_members(), as_of=date(2026, 11, 20)
    )
