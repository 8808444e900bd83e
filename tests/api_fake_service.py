"""A small fake ``AskService`` for the HTTP API, widget and benchmark: realistic Answers, no warehouse.

- a question with "boom" raises RuntimeError (an unexpected failure);
- "删除"/"delete"/"drop" is refused with a reason;
- "销售" alone (no metric picked) or "sales" asks to clarify between two metrics;
- anything else is answered: revenue by region, rows, a chart PNG in ``chart_dir``, one citation.
A follow-up in the same session says so in its narrative ("follow-up #n").
"""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import date
from pathlib import Path
from typing import Any

from metricqa.assistant.pipeline import Assistant
from metricqa.assistant.presentation.answer import Answer, Chart, Citation
from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.core.errors import AccessDeniedError, UnknownMetricError
from metricqa.core.messages import Message
from metricqa.core.settings import DEMO_CATALOG, Settings
from metricqa.demo import build_demo_warehouse

CJK = re.compile(r"[\u3400-\u9fff]")
REGIONS = [
    ("EAST", "East", "华东", 1250000.5),
    ("NORTH", "North", "华北", 980000.0),
    ("SOUTH", "South", "华南", 760500.25),
]
CLARIFY_OPTIONS = {
    "zh": ["上月销售额 (revenue)", "上月订单数 (order_count)"],
    "en": ["revenue last month", "order count last month"],
}


def write_png(path: Path, width: int = 400, height: int = 220) -> None:
    """A small bar chart PNG drawn with matplotlib (ASCII labels: no font warnings)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / 80, height / 80), dpi=80, layout="tight")
    ax = fig.add_subplot()
    ax.bar([r[1] for r in REGIONS], [r[3] for r in REGIONS], color="#3b6fd6")
    ax.set_title("Revenue by region")
    fig.savefig(path, format="png")
    fig.savefig(path.with_suffix(".svg"), format="svg")  # the SVG surfaces that show one use


class FakeAskService:
    def __init__(self, catalog: Catalog | None = None, chart_template: Path | None = None) -> None:
        self._catalog = catalog
        self.chart_template = chart_template
        self.calls: list[dict[str, Any]] = []
        self.sessions: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog(DEMO_CATALOG)
        return self._catalog

    def as_of(self) -> date:
        return date(2024, 6, 15)

    def ask(
        self,
        question: str,
        asker: Asker,
        *,
        session_id: str | None = None,
        as_of: date | None = None,
        chart_dir: Path | None = None,
        planner: str | None = None,
    ) -> Answer:
        with self._lock:
            self.calls.append(
                {"question": question, "asker": asker, "session_id": session_id, "chart_dir": chart_dir}
            )
            turn = self.sessions.get(session_id or "", 0) + 1
            if session_id:
                self.sessions[session_id] = turn
        lang: Any = "zh" if CJK.search(question) else "en"
        base: dict[str, Any] = {
            "question": question,
            "language": lang,
            "session_id": session_id,
            "role": asker.role,
        }
        base["data_as_of"] = self.as_of().isoformat()
        lowered = question.lower()
        if "boom" in lowered:
            raise RuntimeError("fake engine exploded: secret connection string duckdb:///x")
        if any(w in lowered for w in ("删除", "delete", "drop")):
            return self._refused(base, lang)
        if question.strip(" ?？") in ("销售", "sales"):
            return Answer(
                **base,
                status="clarify",
                answer=_t(lang, "您指的是哪个指标?", "Which metric do you mean?"),
                options=CLARIFY_OPTIONS[lang],
            )
        return self._answered(base, lang, turn, chart_dir)

    def _refused(self, base: dict[str, Any], lang: str) -> Answer:
        reason = _t(
            lang, "只能回答指标问题,不能修改数据。", "I only answer metric questions; I cannot change data."
        )
        return Answer(
            **base, status="refused", answer=reason, reason=reason, suggestions=["revenue", "order_count"]
        )

    def _answered(self, base: dict[str, Any], lang: str, turn: int, chart_dir: Path | None) -> Answer:
        label = 2 if lang == "zh" else 1
        rows = [[r[0], r[label], r[3]] for r in REGIONS]
        narrative = _t(
            lang, "上月销售额:华东 1,250,000.50 元,最高。", "Revenue last month: East led with 1,250,000.50."
        )
        if turn > 1:
            narrative += f" (follow-up #{turn})"
        chart = self._chart(chart_dir, base["question"]) if chart_dir else None
        plan = _plan()
        return Answer(
            **base,
            status="answered",
            answer=narrative,
            plan=plan,
            sql="SELECT region, SUM(amount) FROM orders GROUP BY 1",
            columns=["region_id", "region", "revenue"],
            rows=rows,
            chart=chart,
            citations=[_citation(lang)],
            assumptions=[_t(lang, "时间默认为上月", "period defaulted to last month")],
            timings_ms={
                "retrieve": 1.0,
                "plan": 0.5,
                "compile": 0.4,
                "execute": 2.0,
                "chart": 5.0,
                "total": 9.0,
            },
        )

    def _chart(self, chart_dir: Path, question: str) -> Chart:
        chart_dir.mkdir(parents=True, exist_ok=True)
        path = chart_dir / f"chart-{hashlib.sha256(question.encode()).hexdigest()[:12]}.png"
        if not path.exists():
            if self.chart_template is not None:
                path.write_bytes(self.chart_template.read_bytes())
            else:
                write_png(path)
        svg = path.with_suffix(".svg")
        return Chart(
            type="bar", path=str(path.resolve()), svg_path=str(svg.resolve()) if svg.is_file() else None
        )

    def run_plan(self, plan: QueryPlan, asker: Asker, **kw: Any) -> Answer:
        raise NotImplementedError

    def list_metrics(self, asker: Asker, language: str = "en") -> list[dict[str, Any]]:
        metrics = [m for m in self.catalog.approved_metrics() if self.catalog.roles[asker.role].may_see(m.id)]
        return [
            {
                "id": m.id,
                "name": getattr(m.name, language),
                "unit": m.unit.value,
                "owner": m.owner,
                "status": m.status.value,
                "version": m.version,
            }
            for m in metrics
        ]

    def describe_metric(self, metric_id: str, asker: Asker, language: str = "en") -> dict[str, Any]:
        if metric_id not in self.catalog.metrics:
            raise UnknownMetricError(
                Message("error.unknown_metric_near", {"metric": metric_id, "hint": None}),
                suggestions=["revenue"],
            )
        if not self.catalog.roles[asker.role].may_see(metric_id):
            raise AccessDeniedError(
                Message("error.access_denied_metric", {"role": asker.role, "metric": metric_id})
            )
        m = self.catalog.metrics[metric_id]
        return {
            "id": m.id,
            "name": getattr(m.name, language),
            "definition": getattr(m.definition, language),
            "version": m.version,
            "owner": m.owner,
        }


def _citation(lang: str) -> Citation:
    return Citation(
        metric="revenue",
        name=_t(lang, "销售额", "Revenue"),
        version=2,
        status="approved",
        owner="finance-data@example.com",
        department="Finance",
        definition=_t(
            lang, "已完成订单的含税金额之和 <b>不含退款</b>", "Sum of completed order amounts <b>net</b>"
        ),
        formula="SUM(orders.amount)",
        sources=["orders.amount", "orders.status"],
        lineage=["ERP", "ods.orders", "dw.orders"],
    )


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _plan() -> QueryPlan:
    time = {
        "start": "2024-05-01",
        "end": "2024-05-31",
        "grain": "none",
        "label": "last month",
        "label_zh": "上月",
    }
    return QueryPlan.model_validate({"metrics": ["revenue"], "dimensions": ["region"], "time": time})


def real_assistant(base: Path) -> tuple[Assistant, Settings]:
    """The real ``Assistant`` over a scale-0.05 demo warehouse under ``base`` (built once per test session)."""
    warehouse = base / "api-real-demo.duckdb"
    with _BUILD_LOCK:
        if not warehouse.exists():
            build_demo_warehouse(warehouse, scale=0.05, seed=42, progress=False)
    home = base / f"api-real-home-{threading.get_ident()}-{len(_BUILT)}"
    home.mkdir(parents=True, exist_ok=True)
    settings = Settings(home=home, warehouse=warehouse, chart_dir=home / "charts", default_role="exec")
    service = Assistant.from_settings(settings)
    _BUILT.append(service)
    return service, settings


_BUILD_LOCK = threading.Lock()
_BUILT: list[Any] = []
