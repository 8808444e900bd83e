"""Member names the catalog gives (``Dimension.member_labels``) put into a result's label columns, in the
asker's language; the member key column (``<dim>_id``) keeps the key."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from metricqa.assistant.semantic.columns import ColumnRole, ResultColumn, find
from metricqa.assistant.semantic.executor import ResultSet
from metricqa.catalog.models import Catalog


def label_of(catalog: Catalog, dimension: str, key: Any, shown: Any, language: str) -> Any:
    """The member's catalog label in ``language``, else what the warehouse gave."""
    dim = catalog.dimensions.get(dimension)
    text = dim.member_labels.get(str(key)) if dim is not None and key is not None else None
    return text.get(language) if text is not None else shown


def relabelled(result: ResultSet, catalog: Catalog, language: str) -> ResultSet:
    """``result`` with every label cell the catalog names a member for written in ``language``."""
    pairs = label_pairs(result.fields, catalog)
    if not pairs:
        return result
    rows = []
    for row in result.rows:
        cells = list(row)
        for dimension, key_at, label_at in pairs:
            cells[label_at] = label_of(catalog, dimension, row[key_at], row[label_at], language)
        rows.append(tuple(cells))
    return replace(result, rows=tuple(rows))


def label_pairs(fields: tuple[ResultColumn, ...], catalog: Catalog) -> list[tuple[str, int, int]]:
    """(dimension, key index, label index) for each dimension of the result that has member labels."""
    index = {c.name: i for i, c in enumerate(fields)}
    out = []
    for c in fields:
        if c.role is not ColumnRole.LABEL or c.dimension is None:
            continue
        dim = catalog.dimensions.get(c.dimension)
        key = find(fields, ColumnRole.DIMENSION, dimension=c.dimension)
        if dim is not None and dim.member_labels and key is not None:
            out.append((c.dimension, index[key.name], index[c.name]))
    return out
