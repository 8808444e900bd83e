"""Dimension members, read from the warehouse so that questions can name them ("华东", "Online")."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from sqlglot import exp

from metricqa.catalog.models import Catalog, Dimension


@dataclass(frozen=True)
class Member:
    """One value of a dimension: its key (what filters use) and its label in each language."""

    key: str
    label_en: str
    label_zh: str


def _table(name: str) -> exp.Table:
    parts = name.split(".")
    return exp.table_(parts[-1], db=parts[-2] if len(parts) > 1 else None, quoted=True)


def members_query(dimension: Dimension) -> str:
    """``SELECT DISTINCT key, en, zh FROM table WHERE key IS NOT NULL ORDER BY key`` with quoted identifiers."""
    key = exp.column(dimension.key, quoted=True)
    en = exp.column(dimension.label.en, quoted=True)
    zh = exp.column(dimension.label.zh or dimension.label.en, quoted=True)
    query = (
        exp.select(key, en, zh)
        .distinct()
        .from_(_table(dimension.table))
        .where(exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())))
        .order_by(key.copy(), en.copy(), zh.copy())
    )
    return query.sql(dialect="duckdb")


def _to_members(rows: list[tuple[object, object, object]]) -> list[Member]:
    seen: dict[str, Member] = {}
    for key, en, zh in rows:
        k = str(key)
        label_en = k if en is None else str(en)
        seen.setdefault(k, Member(key=k, label_en=label_en, label_zh=label_en if zh is None else str(zh)))
    return list(seen.values())


def read_members(catalog: Catalog, con: duckdb.DuckDBPyConnection) -> dict[str, list[Member]]:
    """Every dimension's members, keyed by dimension id; one member per distinct key, ordered by key."""
    return {
        dim_id: _to_members(con.execute(members_query(dim)).fetchall())
        for dim_id, dim in catalog.dimensions.items()
    }
