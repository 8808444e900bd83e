"""Write an outside fixture (a catalog file and a DuckDB warehouse built by SQL) under a directory."""

from __future__ import annotations

from pathlib import Path

import duckdb


def write_fixture(root: Path, catalog_yaml: str, warehouse_sql: str, name: str) -> tuple[Path, Path]:
    """``root``/catalog/catalog.yaml and ``root``/``name``.duckdb; returns (catalog dir, warehouse file)."""
    catalog = root / "catalog"
    catalog.mkdir()
    (catalog / "catalog.yaml").write_text(catalog_yaml, encoding="utf-8")
    warehouse = root / f"{name}.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute(warehouse_sql)
    con.close()
    return catalog, warehouse
