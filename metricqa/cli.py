"""`metricqa` command line. Thin: parse arguments, call the assistant, print the result.

The top of the layers (docs/architecture.md): each command imports the surface it runs when it
runs, so `metricqa --help` or `catalog list` do not load the HTTP, Slack, eval or chart stacks.
With no warehouse configured, commands that answer build the demo warehouse on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from metricqa import __version__
from metricqa.assistant.presentation.answer import Answer
from metricqa.assistant.presentation.formatting import display_width
from metricqa.core.asker import Asker
from metricqa.core.errors import CatalogError, RefusalReason, UnknownMetricError, UserFacingError
from metricqa.core.language import detect_language
from metricqa.core.messages import DEFAULT_LANGUAGE, Message, render
from metricqa.core.settings import Settings

COMPARE = {
    "mom": "previous_period",
    "qoq": "previous_period",
    "pop": "previous_period",
    "previous": "previous_period",
    "yoy": "same_period_last_year",
    "target": "target",
    "none": "none",
}


def make_settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("warehouse", "catalog", "chart_dir", "planner", "as_of"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return Settings(**overrides)


def make_asker(args: argparse.Namespace, settings: Settings) -> Asker:
    scope = dict(s.split("=", 1) for s in (getattr(args, "scope", None) or []))
    if getattr(args, "region", None):
        scope["region"] = args.region
    if getattr(args, "rep", None):
        scope["rep"] = args.rep
    return Asker(role=getattr(args, "role", None) or settings.default_role, scope=scope, user="cli")


def open_assistant(settings: Settings) -> Any:
    from metricqa.assistant.pipeline import Assistant
    from metricqa.demo import ensure_demo_warehouse

    ensure_demo_warehouse(settings)
    return Assistant.from_settings(settings)


# --- printing (the words: cli.* in the message catalog) ---------------------------------------
def format_table(
    columns: list[str], rows: list[list[Any]], limit: int = 20, language: str = DEFAULT_LANGUAGE
) -> str:
    shown = [[_cell(v) for v in row] for row in rows[:limit]]
    widths = [max([display_width(c), *(display_width(r[i]) for r in shown)]) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)) for r in shown]
    if len(rows) > limit:
        lines.append(render("cli.more_rows", language, n=len(rows) - limit))
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return "" if value is None else str(value)


def print_answer(result: Answer, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(result.to_json_dict(), ensure_ascii=False))
        return
    lang = result.language
    print(result.answer)
    if result.options:
        for i, option in enumerate(result.options, 1):
            print(f"  {i}. {option}")
    if result.assumptions:
        print(render("cli.assumptions", lang, assumptions="; ".join(result.assumptions)))
    if result.rows:
        print()
        listed = result.plan is not None and result.plan.intent.value == "list"  # a list is its table
        limit = len(result.rows) if listed else 20
        table = result.table
        headers, rows = (
            (table.headers, table.rows) if table is not None and table.rows else (result.columns, result.rows)
        )
        print(format_table(headers, rows, limit=limit, language=lang))
    if result.chart:
        print("\n" + render("cli.chart", lang, type=result.chart.type, path=result.chart.path))
    for c in result.citations:
        head = {k: getattr(c, k) for k in ("metric", "version", "name", "owner")}
        head["status"] = render(f"status.{c.status}", lang)
        print("\n" + render("cli.citation", lang, **head))
        print("  " + render("cli.definition", lang, definition=c.definition))
        print("  " + render("cli.formula", lang, formula=c.formula))
        print("  " + render("cli.sources", lang, sources=", ".join(c.sources)))
        print("  " + render("cli.lineage", lang, lineage=" → ".join(c.lineage)))
    if result.data_as_of:
        print("\n" + render("cli.as_of", lang, date=result.data_as_of))


# --- commands -------------------------------------------------------------------------------
def cmd_ask(args: argparse.Namespace) -> int:
    settings = make_settings(args)
    assistant = open_assistant(settings)
    result = assistant.ask(
        args.question,
        make_asker(args, settings),
        session_id=args.session,
        as_of=date.fromisoformat(args.as_of) if args.as_of else None,
        chart_dir=Path(args.chart_dir) if args.chart_dir else None,
        planner=args.planner,
    )
    print_answer(result, args.format)
    return 0


def build_plan(args: argparse.Namespace, as_of: date) -> Any:
    from metricqa.assistant.semantic.plan import Comparison, Filter, Grain, OrderBy, QueryPlan, TimeRange
    from metricqa.assistant.understanding.timeparse import parse_time

    match = parse_time(args.period.replace("_", " "), as_of, "en") if args.period else None
    if match is None:
        raise UserFacingError(
            Message("error.bad_period_argument", {"period": args.period}),
            reason=RefusalReason.INVALID_ARGUMENT,
        )
    time_range: TimeRange = match.range
    if args.grain:
        time_range = time_range.model_copy(update={"grain": Grain(args.grain)})
    filters = []
    for item in args.filter or []:
        dim, _, values = item.partition("=")
        filters.append(Filter(dimension=dim, values=tuple(values.split(","))))
    comparison = Comparison(COMPARE[args.compare]) if args.compare else Comparison.NONE
    order: tuple[OrderBy, ...] = ()
    if args.top or args.bottom:
        order = (OrderBy(by=args.metric[0], direction="desc" if args.top else "asc"),)
    return QueryPlan(
        metrics=tuple(args.metric),
        dimensions=tuple(args.by or ()),
        filters=tuple(filters),
        time=time_range,
        comparison=comparison,
        order=order,
        limit=args.top or args.bottom,
    )


def cmd_query(args: argparse.Namespace) -> int:
    settings = make_settings(args)
    assistant = open_assistant(settings)
    as_of = date.fromisoformat(args.as_of) if args.as_of else assistant.as_of()
    plan = build_plan(args, as_of)
    result = assistant.run_plan(
        plan,
        make_asker(args, settings),
        language=args.language,
        chart_dir=Path(args.chart_dir) if args.chart_dir else None,
    )
    print_answer(result, args.format)
    return 0


def cmd_demo_build(args: argparse.Namespace) -> int:
    from metricqa.demo import build_cli

    settings = Settings()
    path = Path(args.path) if args.path else settings.resolved_warehouse()
    path.parent.mkdir(parents=True, exist_ok=True)
    build_cli(path, args.scale, args.seed)
    return 0


def _load_catalog_for(args: argparse.Namespace) -> Any:
    from metricqa.assistant.semantic.warehouse import warehouse_schema
    from metricqa.catalog.loader import load_catalog
    from metricqa.demo import ensure_demo_warehouse

    settings = make_settings(args)
    schema = (
        None if getattr(args, "no_warehouse", False) else warehouse_schema(ensure_demo_warehouse(settings))
    )
    return load_catalog(settings.resolved_catalog(), schema)


def _check_default_role(cat: Any, settings: Any) -> None:
    """The role an asker who names none gets must be one of the catalog's (else every such question
    is refused at ask time)."""
    from metricqa.core.errors import CatalogError, CatalogIssue

    if settings.default_role not in cat.roles:
        known = ", ".join(cat.roles) or "none"
        message = (
            f"the default role `{settings.default_role}` (setting default_role, METRICQA_DEFAULT_ROLE) is not "
            f"a role of this catalog (roles: {known}): add it to `roles`, or set the setting to one of them"
        )
        raise CatalogError([CatalogIssue("error", message, cat.root, None, "roles")])


def _check_data(cat: Any, args: argparse.Namespace) -> None:
    """``--check-data``: fan-out joins, non-unique dimension keys, empty or constant time columns."""
    from metricqa.assistant.semantic.datachecks import check_data
    from metricqa.assistant.semantic.warehouse import open_warehouse
    from metricqa.core.errors import CatalogError
    from metricqa.demo import ensure_demo_warehouse

    con = open_warehouse(ensure_demo_warehouse(make_settings(args)))
    try:
        issues = list(check_data(cat, con))
    finally:
        con.close()
    for issue in issues:
        if issue.level == "warning":
            print(issue.context_str(), file=sys.stderr)
    if any(i.level == "error" for i in issues):
        raise CatalogError(issues)


def cmd_catalog(args: argparse.Namespace) -> int:
    cat = _load_catalog_for(args)
    lang = args.language
    if args.catalog_cmd == "validate":
        _check_default_role(cat, make_settings(args))
        if getattr(args, "check_data", False):
            _check_data(cat, args)
        sizes = {k: len(getattr(cat, k)) for k in ("metrics", "measures", "dimensions", "models", "roles")}
        print(render("cli.validated", lang, root=cat.root, **sizes))
        return 0
    if args.catalog_cmd == "list":
        for m in cat.metrics.values():
            row = {"id": m.id, "status": m.status.value, "version": m.version, "owner": m.owner}
            print(render("cli.metric_row", lang, name_en=m.name.en, name_zh=m.name.zh or "", **row))
        return 0
    metric_id = args.metric_id
    if metric_id not in cat.metrics:
        raise UnknownMetricError(Message("error.unknown_metric", {"metric": metric_id}))
    if args.catalog_cmd == "show":
        print(
            json.dumps(
                cat.metrics[metric_id].model_dump(mode="json", exclude={"source"}),
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    from metricqa.assistant.presentation.lineage import format_tree, lineage_json, lineage_tree

    if args.format == "json":
        print(json.dumps(lineage_json(cat, metric_id), ensure_ascii=False, indent=2))
    else:
        print(format_tree(lineage_tree(cat, metric_id), args.language))
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    """``catalog import dbt PATH --out DIR``: write a catalog from a dbt semantic layer, print the report."""
    from metricqa.catalog.dbt.write import import_dbt

    result = import_dbt(
        Path(args.path), Path(args.out), approve=args.approve, schema=args.schema, force=args.force
    )
    print(result.report)
    print(render("cli.imported", args.language, out=str(result.out), metrics=len(result.catalog.metrics)))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from metricqa.assistant.audit import AuditLog

    for entry in AuditLog(Settings().resolved_audit_log()).tail(args.n):
        if args.format == "json":
            print(json.dumps(entry, ensure_ascii=False))
        elif entry.get("event") in ("http", "slack"):
            fields = {k: str(entry.get(k, "")) for k in ("ts", "user", "method", "path", "status", "error")}
            print(render("cli.audit_http_row", DEFAULT_LANGUAGE, **fields, ms=str(entry.get("duration_ms"))))
        else:
            fields = {k: str(entry.get(k)) for k in ("ts", "user", "role", "status", "question")}
            fields |= {
                "rows": str(entry.get("row_count")),
                "ms": str(entry.get("timings_ms", {}).get("total")),
            }
            print(render("cli.audit_row", DEFAULT_LANGUAGE, **fields))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 with the entry count when the chain is intact, 1 naming the first bad line and why."""
    from metricqa.assistant.audit import verify_chain

    path = Path(args.path) if args.path else Settings().resolved_audit_log()
    language = args.language
    report = verify_chain(path)
    if not report.files:
        print(render("cli.audit_missing", language, path=str(path)), file=sys.stderr)
        return 1
    for where in report.repaired:
        print(render("cli.audit_repaired", language, where=where))
    if report.problem is None:
        print(
            render(
                "cli.audit_intact",
                language,
                entries=report.entries,
                files=len(report.files),
                last=report.last_hash,
            )
        )
        return 0
    why = render(f"cli.audit_why_{report.problem}", language)
    print(render("cli.audit_broken", language, where=report.where, why=why, entries=report.entries))
    return 1


def cmd_serve(args: argparse.Namespace) -> int:
    from metricqa.demo import ensure_demo_warehouse
    from metricqa.integrations.api.app import serve

    settings = make_settings(args)
    ensure_demo_warehouse(settings)
    if args.demo:
        settings = settings.model_copy(update={"demo_mode": True})
    serve(settings, args.host, args.port)
    return 0


def cmd_slack(args: argparse.Namespace) -> int:
    from metricqa.demo import ensure_demo_warehouse
    from metricqa.integrations.slack_app import run_slack

    settings = make_settings(args)
    ensure_demo_warehouse(settings)
    run_slack(settings, mode=args.mode, port=args.port)
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from metricqa.demo import ensure_demo_warehouse
    from metricqa.integrations.alerts import alerts_cli

    settings = make_settings(args)
    ensure_demo_warehouse(settings)
    return alerts_cli(settings, date.fromisoformat(args.as_of) if args.as_of else None, args.dry_run)


def cmd_eval(args: argparse.Namespace) -> int:
    from metricqa.evals.runner import eval_cli

    return eval_cli(args)


# --- parser ---------------------------------------------------------------------------------
def add_common(p: argparse.ArgumentParser, asker: bool = True) -> None:
    p.add_argument("--warehouse", help="DuckDB file (default: the demo warehouse, built on first use)")
    p.add_argument("--catalog", help="catalog directory of YAML files (default: the demo catalog)")
    p.add_argument("--as-of", help="resolve relative time against this date (YYYY-MM-DD)")
    if asker:
        p.add_argument("--role", help="asker's role (default exec)")
        p.add_argument("--region", help="scope: region id for a regional_manager")
        p.add_argument("--rep", help="scope: rep id for a sales_rep")
        p.add_argument("--scope", action="append", help="scope KEY=VALUE (repeatable)")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p.add_argument("--chart-dir", help="where chart PNGs are written")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metricqa", description="Governed metric Q&A (指标中心).")
    parser.add_argument("--version", action="version", version=f"metricqa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ask", help="ask a question in English or Chinese")
    p.add_argument("question")
    add_common(p)
    p.add_argument("--session", help="conversation id for follow-ups")
    p.add_argument("--planner", choices=["rules", "llm", "hybrid"])
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("query", help="run a structured request (no language understanding)")
    p.add_argument("--metric", action="append", required=True)
    p.add_argument("--by", action="append", help="dimension to group by (repeatable)")
    p.add_argument("--period", default="this_month")
    p.add_argument("--grain", choices=["day", "week", "month", "quarter", "year"])
    p.add_argument("--compare", choices=sorted(COMPARE))
    p.add_argument("--filter", action="append", help="DIM=MEMBER[,MEMBER] (member keys)")
    p.add_argument("--top", type=int)
    p.add_argument("--bottom", type=int)
    p.add_argument("--language", choices=["en", "zh"], default="en")
    add_common(p)
    p.set_defaults(func=cmd_query)

    demo = sub.add_parser("demo", help="the demo warehouse").add_subparsers(dest="demo_cmd", required=True)
    p = demo.add_parser("build", help="generate the demo warehouse")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--path")
    p.set_defaults(func=cmd_demo_build)

    cat = sub.add_parser("catalog", help="inspect and validate the catalog").add_subparsers(
        dest="catalog_cmd", required=True
    )
    for name in ("list", "validate", "show", "lineage"):
        p = cat.add_parser(name)
        if name in ("show", "lineage"):
            p.add_argument("metric_id")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p.add_argument("--language", choices=["en", "zh"], default="en")
        p.add_argument("--no-warehouse", action="store_true", help="skip checks against the warehouse schema")
        if name == "validate":
            p.add_argument(
                "--check-data",
                action="store_true",
                help="also query the data: fan-out joins, non-unique dimension keys, empty or constant dates",
            )
        add_common(p, asker=False)
        p.set_defaults(func=cmd_catalog)
    imports = cat.add_parser("import", help="write a catalog from another semantic layer").add_subparsers(
        dest="import_from", required=True
    )
    p = imports.add_parser("dbt", help="a dbt project's semantic models, metrics and saved queries")
    p.add_argument(
        "path", help="a dbt project directory (dbt_project.yml) or its target/semantic_manifest.json"
    )
    p.add_argument(
        "--out", required=True, help="the catalog directory to write (YAML files + import-report.md)"
    )
    p.add_argument(
        "--approve",
        action="store_true",
        help="write the metrics approved (they answer at once); default draft: refused until reviewed",
    )
    p.add_argument("--schema", help="warehouse schema of the dbt models' tables (tables become SCHEMA.table)")
    p.add_argument("--force", action="store_true", help="overwrite catalog files already in --out")
    p.add_argument("--language", choices=["en", "zh"], default="en")
    p.set_defaults(func=cmd_catalog_import)

    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_cmd", required=True)
    p = audit.add_parser("tail")
    p.add_argument("-n", type=int, default=20)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_audit)
    p = audit.add_parser(
        "verify", help="check the hash chain: exit 1 names the first edited, removed, reordered or torn line"
    )
    p.add_argument(
        "--path",
        help="the audit log (default: METRICQA_AUDIT_LOG or `home`/audit.jsonl); rotated files beside it are included",
    )
    p.add_argument("--language", choices=["en", "zh"], default=DEFAULT_LANGUAGE)
    p.set_defaults(func=cmd_audit_verify)

    p = sub.add_parser("serve", help="HTTP API and web chat widget")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--demo", action="store_true", help="no API keys needed; askers get the default role")
    add_common(p, asker=False)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("slack", help="Slack app (Socket Mode or HTTP)")
    p.add_argument("--mode", choices=["socket", "http"], default="socket")
    p.add_argument("--port", type=int, default=3000)
    add_common(p, asker=False)
    p.set_defaults(func=cmd_slack)

    alerts = sub.add_parser("alerts", help="alert rules").add_subparsers(dest="alerts_cmd", required=True)
    p = alerts.add_parser("run")
    p.add_argument("--dry-run", action="store_true")
    add_common(p, asker=False)
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser(
        "eval", help="run the evaluation suite (or `eval init`: write a starter question file)"
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=["run", "init"],
        default="run",
        help="run (default) or init a question file",
    )
    p.add_argument(
        "--questions", help="a question file or folder (default: the demo questions); init: where to write"
    )
    p.add_argument("--warehouse", help="the DuckDB warehouse to score against (default: the demo warehouse)")
    p.add_argument("--catalog", help="the catalog directory (default: the demo catalog)")
    p.add_argument("--planner", choices=["rules", "llm", "hybrid"], default="rules")
    p.add_argument("--compare-planners", action="store_true", help="run rules, llm and hybrid side by side")
    p.add_argument("--tags", help="comma-separated tags to run")
    p.add_argument("--out", default="out/eval")
    p.add_argument(
        "--floor", type=float, default=0.0, help="exit non-zero when overall accuracy is below this"
    )
    p.add_argument("--scale", type=float, default=0.2, help="demo warehouse scale for the eval")
    p.add_argument(
        "--gates",
        default=None,
        help="YAML of eval gates (floors, wrong-answer ceiling), e.g. evals/gates.yaml",
    )
    p.add_argument("--limit", type=int, help="run only the first N cases")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `metricqa catalog list | head -1`: the reader had enough, no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 0
    except UserFacingError as exc:  # the one place the CLI shows an error, in the asker's language
        print(exc.message_for(error_language(args)), file=sys.stderr)
        return 1 if isinstance(exc, CatalogError | UnknownMetricError) else 2


def error_language(args: argparse.Namespace) -> str:
    """The language errors are shown in: ``--language`` when the command has it, else the question's."""
    language = getattr(args, "language", None)
    question = getattr(args, "question", None)
    return str(language or (detect_language(question) if question else DEFAULT_LANGUAGE))


if __name__ == "__main__":
    sys.exit(main())
