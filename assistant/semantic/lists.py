"""Lists and lookups (issue 15): a list plan's row cap, and how many rows a capped list has in all.

A list (``Intent.LIST``) shows a dimension's members one row each, with their attributes and metric
values. It is never unbounded: ``cap_list`` gives a list asked without a number (or with one above the
cap) the ``list_row_limit`` setting as its limit, and says so in the plan's notes. When the rows come
back exactly at the limit, ``count_rows`` runs the compiler's ``count_sql`` (the same query without its
ORDER BY and LIMIT, same parameters) so the answer can say "first 100 of N".
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from metricqa.assistant.semantic.compiler import CompiledQuery
from metricqa.assistant.semantic.executor import execute
from metricqa.assistant.semantic.plan import Intent, QueryPlan
from metricqa.core.messages import Message, render


def cap_list(plan: QueryPlan, row_limit: int) -> QueryPlan:
    """``plan`` with its limit at most ``row_limit`` when it is a list (a note says the list was cut)."""
    if plan.intent is not Intent.LIST or (plan.limit is not None and plan.limit <= row_limit):
        return plan
    note = Message(CAPPED, {"limit": row_limit})
    return plan.model_copy(
        update={
            "limit": row_limit,
            "notes": (*plan.notes, note),
            "assumptions": (*plan.assumptions, render(note, "en")),
            "assumptions_zh": (*plan.assumptions_zh, render(note, "zh")),
        }
    )


CAPPED = "lists.note.capped"


def capped(plan: QueryPlan, rows: int) -> bool:
    """Whether a list was cut by the row cap (not by a number asked: "top 20"): it came back at the cap."""
    cut = any(note.id == CAPPED for note in plan.notes)
    return plan.intent is Intent.LIST and cut and plan.limit is not None and rows >= plan.limit


def count_rows(compiled: CompiledQuery, con: duckdb.DuckDBPyConnection, *, timeout_s: float) -> int | None:
    """How many rows the capped list has without its limit (None when the plan is no capped list)."""
    count_sql = compiled.count_sql
    if count_sql is None:
        return None
    counting = replace(compiled, sql=count_sql, columns=(), count_query=None)
    result = execute(counting, con, row_cap=1, timeout_s=timeout_s)
    return int(result.rows[0][0])
