"""Benchmark: compiled SQL next to hand-written SQL on the outside fixtures (not the demo).

python benchmarks/bench_fixtures.py --scale 200

Builds the support desk (tests/desk_fixture.py: TIMESTAMP columns, two time dimensions, a daily
snapshot) and the subscription business (tests/subs_fixture.py: a three-hop join, median, cumulative,
conversion and time-spine metrics) at ``--scale``, then runs each question's compiled plan and the
same question written by hand, interleaved, and prints the medians and the compiled ÷ hand ratio per
question and per fixture (the median ratio is the headline; target ≤ 1.2). Each compiled answer is
checked against the hand answer (row count and the sum of a metric column), so a fast wrong query
cannot win. Uses bench_compile's measuring loop.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench_compile import Case, bench_case, p, tr

from metricqa.assistant.semantic.warehouse import open_warehouse
from metricqa.catalog.loader import load_catalog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from desk_fixture import build_desk  # noqa: E402
from subs_fixture import build_subs  # noqa: E402

EXEC = {"role": "exec", "scope": {}}
YEAR_2024 = p("2024-01-01", "2025-01-01")
INVOICES = """FROM invoices i JOIN subscriptions s USING (subscription_id)
  JOIN customers c USING (customer_id) JOIN regions r USING (region_id)"""
MONTHS = "range(DATE '2024-01-01', DATE '2025-01-01', INTERVAL 1 MONTH)"

SUBS: list[Case] = [
    Case(
        "billings_by_region_3_hops",
        {"metrics": ["billings"], "dimensions": ["region"], "time": tr("2024-01-01", "2024-12-31")},
        f"SELECT r.region_code, r.name, sum(i.amount) {INVOICES} "
        "WHERE i.issued_at >= $start AND i.issued_at < $end GROUP BY 1, 2",
        YEAR_2024,
        EXEC,
        "billings",
        2,
    ),
    Case(
        "billings_by_plan_pruned",
        {"metrics": ["billings"], "dimensions": ["plan"], "time": tr("2024-01-01", "2024-12-31")},
        "SELECT s.plan, sum(i.amount) FROM invoices i JOIN subscriptions s USING (subscription_id) "
        "WHERE i.issued_at >= $start AND i.issued_at < $end GROUP BY 1",
        YEAR_2024,
        EXEC,
        "billings",
        1,
    ),
    Case(
        "median_invoice_by_region",
        {"metrics": ["median_invoice"], "dimensions": ["region"], "time": tr("2024-01-01", "2024-12-31")},
        f"SELECT r.region_code, median(i.amount) {INVOICES} "
        "WHERE i.issued_at >= $start AND i.issued_at < $end GROUP BY 1",
        YEAR_2024,
        EXEC,
        "median_invoice",
        1,
    ),
    Case(
        "cumulative_billings_monthly",
        {"metrics": ["cumulative_billings"], "time": tr("2024-01-01", "2024-12-31", "month")},
        f"""SELECT CAST(m.range AS DATE), sum(i.amount) FROM {MONTHS} m
            JOIN invoices i ON i.issued_at < m.range + INTERVAL 1 MONTH GROUP BY 1""",
        YEAR_2024,
        EXEC,
        "cumulative_billings",
        1,
    ),
    Case(
        "ytd_billings_monthly",
        {"metrics": ["ytd_billings"], "time": tr("2024-01-01", "2024-12-31", "month")},
        f"""SELECT CAST(m.range AS DATE), sum(i.amount) FROM {MONTHS} m
            JOIN invoices i ON i.issued_at >= $start AND i.issued_at < m.range + INTERVAL 1 MONTH GROUP BY 1""",
        YEAR_2024,
        EXEC,
        "ytd_billings",
        1,
    ),
    Case(
        "trial_conversion_by_region",
        {"metrics": ["trial_conversion"], "dimensions": ["region"], "time": tr("2024-01-01", "2024-12-31")},
        """SELECT r.region_code, count(DISTINCT t.customer_id) FILTER (WHERE EXISTS (
               SELECT 1 FROM subscriptions s WHERE s.customer_id = t.customer_id
               AND s.started_on >= t.started_on AND s.started_on < t.started_on + INTERVAL 14 DAY))
               / count(DISTINCT t.customer_id)
           FROM trials t JOIN customers c USING (customer_id) JOIN regions r USING (region_id)
           WHERE t.started_on >= $start AND t.started_on < $end GROUP BY 1""",
        YEAR_2024,
        EXEC,
        "trial_conversion",
        1,
    ),
]

YEAR_2019 = p("2019-01-01", "2020-01-01")
DESK: list[Case] = [
    Case(
        "tickets_by_priority",
        {"metrics": ["tickets_opened"], "dimensions": ["priority"], "time": tr("2019-01-01", "2019-12-31")},
        "SELECT priority, count(ticket_id) FROM tickets WHERE opened_at >= $start AND opened_at < $end GROUP BY 1",
        YEAR_2019,
        EXEC,
        "tickets_opened",
        1,
    ),
    Case(
        "solved_monthly_by_closed_date",
        {"metrics": ["solved"], "time": tr("2019-01-01", "2019-12-31", "month")},
        "SELECT date_trunc('month', closed_at), count(ticket_id) FROM tickets "
        "WHERE closed_at >= $start AND closed_at < $end AND closed_at IS NOT NULL GROUP BY 1",  # the measure's where
        YEAR_2019,
        EXEC,
        "solved",
        1,
    ),
    Case(
        "backlog_at_year_end",
        {"metrics": ["backlog"], "dimensions": ["priority"], "time": tr("2019-01-01", "2019-12-31")},
        "SELECT priority, sum(open_count) FROM backlog WHERE day = (SELECT max(day) FROM backlog "
        "WHERE day >= $start AND day < $end) GROUP BY 1",
        YEAR_2019,
        EXEC,
        "backlog",
        1,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=int, default=200, help="rows × this (1 = the tests' fixture)")
    parser.add_argument("--compiles", type=int, default=20, help="compiles per question")
    parser.add_argument(
        "--runs", type=int, default=7, help="executions per question (compiled and hand each)"
    )
    args = parser.parse_args()
    summary: dict[str, float] = {}
    print(f"{'fixture / question':42} {'execute':>9} {'hand':>9} {'ratio':>6} {'rows':>5}  agrees")
    for fixture, build, cases in (("desk", build_desk, DESK), ("subs", build_subs, SUBS)):
        with tempfile.TemporaryDirectory(prefix=f"metricqa-{fixture}-") as tmp:
            catalog_dir, warehouse = build(Path(tmp), args.scale)
            catalog, con = load_catalog(catalog_dir), open_warehouse(warehouse)
            try:
                results = [bench_case(catalog, con, case, args.compiles, args.runs) for case in cases]
            finally:
                con.close()
        for r in results:
            print(f"{fixture + ' / ' + r['case']:42} {r['execute_ms']:7.1f}ms {r['hand_ms']:7.1f}ms "
                  f"{r['ratio']:6.2f} {r['rows']:5}  {r['agrees']}")  # fmt: skip
        summary[fixture] = statistics.median(r["ratio"] for r in results)
        if not all(r["agrees"] for r in results):
            raise SystemExit(f"{fixture}: a compiled answer disagrees with the hand-written SQL")
    print("median compiled ÷ hand-written per fixture:", {k: round(v, 2) for k, v in summary.items()})


if __name__ == "__main__":
    main()
