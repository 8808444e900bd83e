"""Result shapes in the compiler's column convention, shared by the narrative and chart tests.

Each case is (id, plan, columns, rows_en, rows_zh): rows name members in the asker's language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from metricqa.assistant.semantic.columns import ResultColumn, ValueKind, describe
from metricqa.assistant.semantic.compiler import plan_columns
from metricqa.assistant.semantic.plan import (
    Comparison,
    Filter,
    Grain,
    Intent,
    OrderBy,
    QueryPlan,
    Threshold,
    ThresholdOp,
    TimeRange,
)

NOV = TimeRange(
    start=date(2026, 11, 1),
    end=date(2026, 11, 20),
    label="November 2026 so far (to Nov 20)",
    label_zh="2026年11月(截至11月20日)",
    partial=True,
)
OCT = TimeRange(start=date(2026, 10, 1), end=date(2026, 10, 31), label="October 2026", label_zh="2026年10月")
TREND = TimeRange(
    start=date(2025, 11, 1),
    end=date(2026, 11, 20),
    grain=Grain.MONTH,
    label="last 12 months and this month so far",
    label_zh="过去12个月及本月至今",
    partial=True,
)
REGIONS = [
    ("EAST", "East", "华东"),
    ("NORTH", "North", "华北"),
    ("WEST", "West", "西部"),
    ("SOUTH", "South", "华南"),
]
REVENUE = {"EAST": 5_210_000.0, "NORTH": 3_104_500.0, "WEST": 808_512.3, "SOUTH": 2_450_000.0}
TARGET = {"EAST": 5_000_000.0, "NORTH": 3_300_000.0, "WEST": 2_100_000.0, "SOUTH": 2_600_000.0}
MARGIN = {"EAST": 0.312, "NORTH": 0.455, "WEST": 0.401, "SOUTH": 0.287}
MONTHS = [f"{y}-{m:02d}-01" for y, m in [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 12)]]
Case = tuple[str, QueryPlan, list[str], list[list[Any]], list[list[Any]]]


def _by_region(values: dict[str, list[Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    en = [[key, name, *values[key]] for key, name, _ in REGIONS]
    zh = [[key, name_zh, *values[key]] for key, _, name_zh in REGIONS]
    return en, zh


def _same(rows: list[list[Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    return rows, rows


def _cmp(value: float, base: float | None) -> list[Any]:
    if base is None:
        return [value, None, None, None]
    return [value, base, value - base, value / base if base else None]


def cases() -> list[Case]:
    out: list[Case] = []

    def add(
        name: str, plan: QueryPlan, columns: list[str], rows: tuple[list[list[Any]], list[list[Any]]]
    ) -> None:
        out.append((name, plan, columns, rows[0], rows[1]))

    cmp_cols = ["revenue", "revenue__baseline", "revenue__delta", "revenue__ratio"]
    add("value", QueryPlan(metrics=("revenue",), time=OCT), ["revenue"], _same([[12_345_678.9]]))
    add(
        "value_mom",
        QueryPlan(metrics=("revenue",), time=NOV, comparison=Comparison.PREVIOUS_PERIOD),
        cmp_cols,
        _same([_cmp(12_345_678.9, 13_450_000.0)]),
    )
    add(
        "value_yoy_rate",
        QueryPlan(metrics=("gross_margin",), time=OCT, comparison=Comparison.SAME_PERIOD_LAST_YEAR),
        ["gross_margin", "gross_margin__baseline", "gross_margin__delta", "gross_margin__ratio"],
        _same([[0.423, 0.411, 0.423 - 0.411, 0.423 / 0.411]]),
    )
    add(
        "value_target",
        QueryPlan(metrics=("revenue",), time=NOV, comparison=Comparison.TARGET),
        cmp_cols,
        _same([_cmp(12_361_000.0, 19_500_000.0)]),
    )
    add(
        "value_no_baseline",
        QueryPlan(metrics=("revenue",), time=NOV, comparison=Comparison.PREVIOUS_PERIOD),
        cmp_cols,
        _same([_cmp(1_000.0, None)]),
    )
    add(
        "several",
        QueryPlan(metrics=("revenue", "order_count", "avg_order_value"), time=NOV),
        ["revenue", "order_count", "avg_order_value"],
        _same([[12_345_678.9, 1234, 12_345_678.9 / 1234]]),
    )
    add(
        "funnel",
        QueryPlan(metrics=("lead_count", "order_count", "new_customers"), time=OCT),
        ["lead_count", "order_count", "new_customers"],
        _same([[4_000, 1_200, 300]]),
    )
    add(
        "breakdown",
        QueryPlan(metrics=("revenue",), dimensions=("region",), time=NOV, intent=Intent.BREAKDOWN),
        ["region_id", "region", "revenue"],
        _by_region({k: [v] for k, v in REVENUE.items()}),
    )
    add(
        "breakdown_mom",
        QueryPlan(
            metrics=("revenue",), dimensions=("region",), time=OCT, comparison=Comparison.PREVIOUS_PERIOD
        ),
        ["region_id", "region", *cmp_cols],
        _by_region({k: _cmp(v, v * 1.1) for k, v in REVENUE.items()}),
    )
    add(
        "two_units",
        QueryPlan(
            metrics=("revenue", "gross_margin"), dimensions=("region",), time=OCT, intent=Intent.BREAKDOWN
        ),
        ["region_id", "region", "revenue", "gross_margin"],
        _by_region({k: [v, MARGIN[k]] for k, v in REVENUE.items()}),
    )
    add(
        "two_currency",
        QueryPlan(
            metrics=("revenue", "gross_profit"), dimensions=("region",), time=OCT, intent=Intent.BREAKDOWN
        ),
        ["region_id", "region", "revenue", "gross_profit"],
        _by_region({k: [v, v * MARGIN[k]] for k, v in REVENUE.items()}),
    )
    add(
        "lagged_target",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=NOV,
            comparison=Comparison.TARGET,
            order=(OrderBy(by="revenue__ratio", direction="asc"),),
            intent=Intent.LAGGED,
        ),
        ["region_id", "region", *cmp_cols],
        _by_region({k: _cmp(v, TARGET[k]) for k, v in REVENUE.items()}),
    )
    add(
        "rank_top3",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=OCT,
            order=(OrderBy(by="revenue", direction="desc"),),
            limit=3,
            intent=Intent.RANK,
        ),
        ["region_id", "region", "revenue"],
        _by_region({k: [v] for k, v in REVENUE.items()}),
    )
    add(
        "lagged_rate_mom",
        QueryPlan(
            metrics=("return_rate",),
            dimensions=("region",),
            time=OCT,
            comparison=Comparison.PREVIOUS_PERIOD,
            order=(OrderBy(by="return_rate__delta", direction="desc"),),
            intent=Intent.LAGGED,
        ),
        [
            "region_id",
            "region",
            "return_rate",
            "return_rate__baseline",
            "return_rate__delta",
            "return_rate__ratio",
        ],
        _by_region({k: _cmp(m / 10, m / 10 - 0.004 * i) for i, (k, m) in enumerate(MARGIN.items())}),
    )
    trend_rows = [
        [p, 1_000_000.0 + 50_000.0 * i + (800_000.0 if i == 5 else 0.0)] for i, p in enumerate(MONTHS)
    ]
    add(
        "trend",
        QueryPlan(metrics=("revenue",), time=TREND, intent=Intent.TREND),
        ["period", "revenue"],
        _same(trend_rows),
    )
    add(
        "trend_rate",
        QueryPlan(metrics=("gross_margin",), time=TREND, intent=Intent.TREND),
        ["period", "gross_margin"],
        _same([[p, 0.40 + 0.002 * i] for i, p in enumerate(MONTHS)]),
    )
    add(
        "trend_yoy",
        QueryPlan(
            metrics=("revenue",), time=TREND, intent=Intent.TREND, comparison=Comparison.SAME_PERIOD_LAST_YEAR
        ),
        ["period", *cmp_cols],
        _same([[p, *_cmp(v, v * 0.9)] for p, v in trend_rows]),
    )
    member_rows = {
        "en": [
            [p, key, name, 100_000.0 * (j + 1) + 1_000.0 * i]
            for i, p in enumerate(MONTHS)
            for j, (key, name, _) in enumerate(REGIONS)
        ],
        "zh": [
            [p, key, zh, 100_000.0 * (j + 1) + 1_000.0 * i]
            for i, p in enumerate(MONTHS)
            for j, (key, _, zh) in enumerate(REGIONS)
        ],
    }
    add(
        "trend_by_region",
        QueryPlan(metrics=("revenue",), dimensions=("region",), time=TREND, intent=Intent.TREND),
        ["period", "region_id", "region", "revenue"],
        (member_rows["en"], member_rows["zh"]),
    )
    add_shapes(add, cmp_cols)
    return out


def _kept(
    rows: tuple[list[list[Any]], list[list[Any]]], keys: set[str]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The rows of the members in ``keys`` only (what a threshold leaves), in both languages."""
    return [r for r in rows[0] if r[0] in keys], [r for r in rows[1] if r[0] in keys]


def add_shapes(add: Any, cmp_cols: list[str]) -> None:
    """The shapes of issue 10: two periods, shares, thresholds, rank by change, several metrics."""
    sep = TimeRange(
        start=date(2026, 9, 1), end=date(2026, 9, 30), label="September 2026", label_zh="2026年9月"
    )
    orders = ["order_count", "order_count__baseline", "order_count__delta", "order_count__ratio"]
    add(
        "two_periods",
        QueryPlan(metrics=("order_count",), time=OCT, comparison=Comparison.OTHER_PERIOD, baseline_time=sep),
        orders,
        _same([[278, 266, 12, 278 / 266]]),
    )
    add(
        "two_periods_breakdown",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=OCT,
            comparison=Comparison.OTHER_PERIOD,
            baseline_time=sep,
        ),
        ["region_id", "region", *cmp_cols],
        _by_region({k: _cmp(v, v * 0.95) for k, v in REVENUE.items()}),
    )
    total = sum(REVENUE.values())
    add(
        "share_breakdown",
        QueryPlan(metrics=("revenue",), dimensions=("region",), time=OCT, intent=Intent.SHARE),
        ["region_id", "region", "revenue", "revenue__total", "revenue__share"],
        _by_region({k: [v, total, v / total] for k, v in REVENUE.items()}),
    )
    add(
        "share_member",
        QueryPlan(
            metrics=("revenue",),
            filters=(Filter(dimension="channel", values=("ONLINE",)),),
            time=OCT,
            intent=Intent.SHARE,
        ),
        ["revenue", "revenue__total", "revenue__share"],
        _same([[1_310_000.0, 4_612_000.0, 1_310_000.0 / 4_612_000.0]]),
    )
    over_200 = {"EAST": [312], "NORTH": [250]}
    add(
        "threshold",
        QueryPlan(
            metrics=("order_count",),
            dimensions=("region",),
            time=OCT,
            having=(Threshold(metric="order_count", op=ThresholdOp.GT, number=200),),
        ),
        ["region_id", "region", "order_count"],
        _kept(_by_region({**over_200, "WEST": [90], "SOUTH": [150]}), set(over_200)),
    )
    add(
        "threshold_none",
        QueryPlan(
            metrics=("order_count",),
            dimensions=("region",),
            time=OCT,
            having=(Threshold(metric="order_count", op=ThresholdOp.GT, number=2000),),
        ),
        ["region_id", "region", "order_count"],
        _same([]),
    )
    add(
        "missed_target",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=NOV,
            comparison=Comparison.TARGET,
            having=(Threshold(metric="revenue", value=ValueKind.RATIO, op=ThresholdOp.LT, number=1),),
        ),
        ["region_id", "region", *cmp_cols],
        _kept(
            _by_region({k: _cmp(v, TARGET[k]) for k, v in REVENUE.items()}),
            {k for k in TARGET if REVENUE[k] < TARGET[k]},
        ),
    )
    add(
        "rank_by_change",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=OCT,
            comparison=Comparison.PREVIOUS_PERIOD,
            order=(OrderBy(metric="revenue", value=ValueKind.DELTA, direction="desc"),),
            limit=1,
            intent=Intent.RANK,
        ),
        ["region_id", "region", *cmp_cols],
        _by_region({k: _cmp(v, v * (0.8 + 0.1 * i)) for i, (k, v) in enumerate(REVENUE.items())}),
    )
    add(
        "rank_by_change_list",
        QueryPlan(
            metrics=("revenue",),
            dimensions=("region",),
            time=OCT,
            comparison=Comparison.SAME_PERIOD_LAST_YEAR,
            order=(OrderBy(metric="revenue", value=ValueKind.DELTA, direction="asc"),),
            limit=3,
            intent=Intent.RANK,
        ),
        ["region_id", "region", *cmp_cols],
        _by_region({k: _cmp(v, v * (0.8 + 0.1 * i)) for i, (k, v) in enumerate(REVENUE.items())}),
    )
    add(
        "rank_two_metrics",
        QueryPlan(
            metrics=("revenue", "order_count"),
            dimensions=("region",),
            time=OCT,
            order=(OrderBy(metric="revenue"),),
            limit=1,
            intent=Intent.RANK,
        ),
        ["region_id", "region", "revenue", "order_count"],
        _by_region({k: [v, int(v / 10_000)] for k, v in REVENUE.items()}),
    )


def rows_for(case: Case, language: str) -> list[list[Any]]:
    return case[3] if language == "en" else case[4]


def opaque_fields(case: Case) -> list[ResultColumn]:
    """The case's columns as the compiler describes them, renamed ``c0``, ``c1``, …: a reader that
    goes by role (not by spelling a name) reads them as it reads the named ones."""
    fields = describe(case[2], plan_columns(case[1]))
    return [f.model_copy(update={"name": f"c{i}"}) for i, f in enumerate(fields)]
