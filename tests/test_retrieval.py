"""Retrieval: embedders, lexical matching, the Chroma index (incremental builds) and retrieve_metrics."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from metricqa.catalog.models import Catalog, Dimension, Metric, MetricType, Status, Synonyms, Text
from metricqa.retrieval.documents import catalog_documents, corpus_hash
from metricqa.retrieval.embedders import (
    ChromaEmbeddingFunction,
    Embedder,
    HashEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    USEEmbedder,
    make_embedder,
)
from metricqa.retrieval.fusion import exact_boost, fuse, reciprocal_rank_fusion
from metricqa.retrieval.index import ChromaMetricIndex, Entry, collection_name, open_index
from metricqa.retrieval.lexical import PhraseMatcher, stem, tokenize
from metricqa.retrieval.members import Member, members_query, read_members
from metricqa.retrieval.retrieve import retrieve_metrics


def _metric(mid: str, en: str, zh: str, syn_en: list[str], syn_zh: list[str], desc: str, **kw: Any) -> Metric:
    return Metric(
        id=mid,
        type=MetricType.SIMPLE,
        measure=f"{mid}_measure",
        name=Text(en=en, zh=zh),
        synonyms=Synonyms(en=syn_en, zh=syn_zh),
        description=Text(en=desc),
        definition=Text(en=f"{en}, as defined by finance."),
        owner="Test Owner",
        department="Test",
        **kw,
    )


def make_catalog(drop: str | None = None, revenue_description: str | None = None) -> Catalog:
    metrics = [
        _metric(
            "revenue",
            "Revenue",
            "销售额",
            ["turnover", "net sales"],
            ["营收", "收入"],
            revenue_description or "Net sales of completed orders after discounts.",
            examples=Synonyms(en=["What were total sales last month?"], zh=["上个月销售额是多少"]),
        ),
        _metric(
            "gross_profit",
            "Gross profit",
            "毛利",
            ["profit"],
            ["毛利额"],
            "Revenue minus cost of goods sold.",
        ),
        _metric(
            "gross_margin",
            "Gross margin",
            "毛利率",
            ["margin %", "gross margin rate"],
            ["毛利润率"],
            "Gross profit as a share of revenue.",
        ),
        _metric(
            "collection_rate",
            "Collection rate",
            "回款率",
            ["cash collection rate"],
            ["收款率"],
            "Payments received divided by revenue.",
        ),
        _metric(
            "mrr",
            "Monthly recurring revenue",
            "月经常性收入",
            ["MRR", "recurring revenue"],
            ["月度订阅收入"],
            "Subscription revenue billed every month.",
            examples=Synonyms(en=["How much recurring revenue do subscriptions bring each month?"]),
        ),
        _metric(
            "churn_rate",
            "Churn rate",
            "流失率",
            ["attrition", "customer churn"],
            ["客户流失率"],
            "Share of subscribers who cancelled in the period.",
            status=Status.DRAFT,
        ),
    ]
    dimensions = [
        Dimension(
            id="region",
            name=Text(en="Region", zh="区域"),
            synonyms=Synonyms(en=["area"], zh=["地区"]),
            table="dim_region",
            key="region_id",
            label=Text(en="region_name", zh="region_name_zh"),
        ),
        Dimension(
            id="channel",
            name=Text(en="Channel", zh="渠道"),
            table="dim_channel",
            key="channel_id",
            label=Text(en="channel_name", zh="channel_name_zh"),
        ),
    ]
    return Catalog(
        root="test",
        models={},
        measures={},
        metrics={m.id: m for m in metrics if m.id != drop},
        dimensions={d.id: d for d in dimensions},
        roles={},
    )


MEMBERS = {
    "region": [
        Member("EAST", "East", "华东"),
        Member("NORTH", "North", "华北"),
        Member("SOUTH", "South", "华南"),
        Member("WEST", "West", "西部"),
    ],
    "channel": [Member("ONLINE", "Online", "线上"), Member("DIRECT", "Direct Sales", "直销")],
}


@pytest.fixture(scope="session")
def use_embedder() -> USEEmbedder:
    embedder = USEEmbedder()
    embedder.embed(["warm up"])  # load the model once for the session
    return embedder


@pytest.fixture(scope="session")
def index(use_embedder: USEEmbedder, tmp_path_factory: pytest.TempPathFactory) -> ChromaMetricIndex:
    idx = open_index(tmp_path_factory.mktemp("chroma"), use_embedder)
    idx.build(make_catalog(), MEMBERS)
    return idx


def _top_metric(question: str, index: ChromaMetricIndex, k: int = 5) -> list[str]:
    return [e.entry_id for e in retrieve_metrics(question, index, k)]


# ---- retrieval quality ----


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("销售额", "revenue"),
        ("上个月华东的回款率是多少", "collection_rate"),
        ("本月流失率", "churn_rate"),
        ("月经常性收入趋势", "mrr"),
        ("毛利", "gross_profit"),
    ],
)
def test_exact_chinese_name_is_top1(index: ChromaMetricIndex, question: str, metric: str) -> None:
    assert _top_metric(question, index)[0] == metric


@pytest.mark.parametrize(
    ("question", "metric"),
    [("turnover last quarter", "revenue"), ("MRR by region", "mrr"), ("customer attrition", "churn_rate")],
)
def test_english_synonym_is_top1(index: ChromaMetricIndex, question: str, metric: str) -> None:
    top = retrieve_metrics(question, index, 3)
    assert top[0].entry_id == metric
    assert top[0].metadata["exact"]


def test_paraphrase_in_top3(index: ChromaMetricIndex) -> None:
    assert "revenue" in _top_metric("how much did we sell", index, 3)


def test_longer_name_beats_its_prefix(index: ChromaMetricIndex) -> None:
    ranked = _top_metric("毛利率", index)
    assert ranked.index("gross_margin") < ranked.index("gross_profit")
    assert ranked[0] == "gross_margin"


def test_member_lookup(index: ChromaMetricIndex) -> None:
    hits = index.search("华东", k=3)
    assert hits[0].id == "member:region:EAST"
    assert hits[0].kind == "member"
    assert hits[0].entry_id == "region:EAST"
    assert hits[0].metadata["dimension_id"] == "region"
    assert hits[0].metadata["member_key"] == "EAST"


def test_kinds_filter(index: ChromaMetricIndex) -> None:
    hits = index.search("East region revenue", k=10, kinds={"dimension"})
    assert hits and {h.kind for h in hits} == {"dimension"}
    assert hits[0].entry_id == "region"


def test_retrieve_metrics_collapses_examples(index: ChromaMetricIndex) -> None:
    entries = retrieve_metrics("What were total sales last month?", index, 5)
    ids = [e.entry_id for e in entries]
    assert len(ids) == len(set(ids))
    assert all(e.kind == "metric" and e.id == f"metric:{e.entry_id}" for e in entries)
    assert entries[0].entry_id == "revenue"
    assert entries[0].metadata["via"].startswith("example:revenue:")  # the exact example question scored it
    assert [e.score for e in entries] == sorted((e.score for e in entries), reverse=True)


def test_search_returns_entries_with_metadata(index: ChromaMetricIndex) -> None:
    hits = index.search("流失率", k=3)
    top = hits[0]
    assert isinstance(top, Entry) and top.id == "metric:churn_rate"
    assert top.metadata["status"] == "draft" and top.metadata["kind"] == "metric"
    assert len(top.metadata["hash"]) == 16 and "phrases" not in top.metadata
    assert -1.0 <= top.metadata["similarity"] <= 1.0
    assert index.search("   ") == []


def test_reopened_index_searches_without_build(index: ChromaMetricIndex, use_embedder: USEEmbedder) -> None:
    again = open_index(index.path, use_embedder)
    assert len(again) == len(index)
    assert again.search("回款率", k=1)[0].entry_id == "collection_rate"


# ---- incremental builds ----


def test_rebuild_without_change_embeds_nothing(index: ChromaMetricIndex) -> None:
    stats = index.build(make_catalog(), MEMBERS)
    assert stats.embedded == 0 and stats.deleted == 0
    assert stats.skipped == len(catalog_documents(make_catalog(), MEMBERS))


def test_changed_description_updates_one_doc(use_embedder: USEEmbedder, tmp_path: Path) -> None:
    idx = open_index(tmp_path, use_embedder)
    first = idx.build(make_catalog(), MEMBERS)
    assert first.added == len(catalog_documents(make_catalog(), MEMBERS)) and first.updated == 0
    stats = idx.build(
        make_catalog(revenue_description="Recognised revenue, net of discounts and returns."), MEMBERS
    )
    assert (stats.added, stats.updated, stats.deleted) == (0, 1, 0)
    assert idx.search("recognised revenue net of returns", k=1)[0].id == "metric:revenue"
    assert "Recognised revenue" in (idx.entry("metric:revenue") or Entry("", "", "", 0, "")).text


def test_removed_metric_is_deleted(use_embedder: USEEmbedder, tmp_path: Path) -> None:
    idx = open_index(tmp_path, use_embedder)
    idx.build(make_catalog(), MEMBERS)
    stats = idx.build(make_catalog(drop="mrr"), MEMBERS)
    assert (stats.added, stats.updated, stats.deleted) == (0, 0, 2)  # the metric and its one example
    assert "mrr" not in _top_metric("MRR", idx)
    assert idx.entry("metric:mrr") is None
    members = {**MEMBERS, "region": MEMBERS["region"][:3]}
    assert idx.build(make_catalog(drop="mrr"), members).deleted == 1


def test_members_of_the_hash_change_the_corpus_hash() -> None:
    docs = catalog_documents(make_catalog(), MEMBERS)
    fewer = catalog_documents(make_catalog(), {"region": MEMBERS["region"]})
    assert corpus_hash(docs, "usem3") != corpus_hash(fewer, "usem3")
    assert corpus_hash(docs, "usem3") != corpus_hash(docs, "hash:256")
    assert corpus_hash(docs, "usem3") == corpus_hash(list(reversed(docs)), "usem3")


def test_document_ids_and_metadata() -> None:
    docs = {d.id: d for d in catalog_documents(make_catalog(), MEMBERS)}
    assert (
        docs["example:revenue:1"].entry_id == "revenue"
        and docs["example:revenue:1"].metadata["language"] == "zh"
    )
    assert docs["member:region:EAST"].entry_id == "region:EAST"
    assert docs["member:region:EAST"].phrases == ("East", "华东", "EAST")
    assert docs["dimension:region"].phrases == ("Region", "区域", "area", "地区")
    assert (
        "毛利率" in docs["metric:gross_margin"].text
        and "share of revenue" in docs["metric:gross_margin"].text
    )


# ---- lexical and fusion ----


def test_tokenize_mixes_jieba_bigrams_and_stems() -> None:
    tokens = tokenize("华东区域的Orders")
    assert {"华东", "区域", "东区"} <= set(tokens)
    assert "order" in tokens
    assert stem("rates") == "rate" and stem("categories") == "category" and stem("business") == "business"
    assert "the" not in tokenize("the revenue")


def test_phrase_matcher_prefers_longest_span() -> None:
    matcher = PhraseMatcher({"gp": ("毛利", "gross profit"), "gm": ("毛利率", "gross profit margin")})
    assert set(matcher.best("本月毛利率")) == {"gm"}
    assert set(matcher.best("毛利和毛利率")) == {"gp", "gm"}
    assert set(matcher.best("Gross Profit Margins")) == {"gm"}
    assert matcher.best("grossprofit") == {}


def test_fusion_orders_exact_matches_by_length() -> None:
    rrf = reciprocal_rank_fusion([["a", "b"], ["b", "c"]])
    assert rrf["b"] > rrf["a"] > rrf["c"]
    scores = fuse(["x", "short", "long"], ["x"], {"short": 2, "long": 3})
    assert scores["long"] > scores["short"] > scores["x"]
    assert exact_boost(1) > max(rrf.values())


# ---- embedders ----


def test_use_embedder_is_multilingual(use_embedder: USEEmbedder) -> None:
    import numpy as np

    a, b, c = (np.array(v) for v in use_embedder.embed(["revenue", "营收", "华东"]))
    assert len(a) == use_embedder.dim == 512
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-3
    assert float(a @ b) > float(a @ c)
    assert use_embedder.embed([]) == []


def test_hash_embedder_is_deterministic() -> None:
    e = HashEmbedder(64)
    v1, v2, v3 = e.embed(["gross margin", "gross margin", "回款率"])
    assert v1 == v2 and v1 != v3 and len(v1) == e.dim == 64
    assert isinstance(e, Embedder)


def test_make_embedder_specs(tmp_path: Path) -> None:
    assert isinstance(make_embedder("usem3"), USEEmbedder)
    assert make_embedder("hash:32").dim == 32
    st = make_embedder(f"st:{tmp_path}")
    assert isinstance(st, SentenceTransformerEmbedder) and st.name == f"st:{tmp_path}"
    oa = make_embedder("openai:text-embedding-3-small", base_url="http://127.0.0.1:9/v1")
    assert isinstance(oa, OpenAIEmbedder) and oa.name == "openai:text-embedding-3-small"
    with pytest.raises(ValueError, match="Unknown embedder"):
        make_embedder("word2vec")


def test_openai_embedder_orders_by_index() -> None:
    data = [SimpleNamespace(index=1, embedding=[0.0, 1.0]), SimpleNamespace(index=0, embedding=[1.0, 0.0])]
    calls: list[dict[str, Any]] = []

    def create(**kw: Any) -> SimpleNamespace:
        calls.append(kw)
        return SimpleNamespace(data=data)

    e = OpenAIEmbedder("m")
    e._client = SimpleNamespace(embeddings=SimpleNamespace(create=create))
    assert e.embed(["a", "b"]) == [[1.0, 0.0], [0.0, 1.0]]
    assert e.dim == 2 and calls == [{"model": "m", "input": ["a", "b"]}]


def test_chroma_embedding_function_is_not_legacy() -> None:
    ef = ChromaEmbeddingFunction(HashEmbedder(16))
    assert not ef.is_legacy()
    assert ef.get_config() == {"spec": "hash:16"}
    rebuilt = ChromaEmbeddingFunction.build_from_config(ef.get_config())
    assert rebuilt.embedder.name == "hash:16"
    assert len(ef(["abc"])[0]) == 16


def test_collection_names_are_valid_and_distinct() -> None:
    a, b = collection_name("st:/models/bge-m3"), collection_name("st:/models/bge_m3")
    assert a != b and a.startswith("metricqa-st-models-bge-m3-")
    assert all(c.isalnum() or c in "-_." for c in a)


def test_hash_embedder_index_and_telemetry_off(tmp_path: Path) -> None:
    idx = open_index(tmp_path, HashEmbedder())
    assert idx._client.get_settings().anonymized_telemetry is False
    stats = idx.build(make_catalog(), MEMBERS)
    assert stats.added > 0
    assert idx.search("毛利率", k=1)[0].id == "metric:gross_margin"


# ---- members ----


def test_read_members_distinct_ordered_quoted() -> None:
    con = duckdb.connect()
    con.execute(
        'CREATE TABLE dim_region ("region_id" VARCHAR, "region_name" VARCHAR, "region_name_zh" VARCHAR)'
    )
    con.execute(
        "INSERT INTO dim_region VALUES ('WEST','West','西部'), ('EAST','East','华东'), ('EAST','East','华东'),"
        " (NULL,'Nowhere','无'), ('NORTH', NULL, NULL)"
    )
    con.execute('CREATE TABLE "order" ("select" INTEGER)')
    con.execute('INSERT INTO "order" VALUES (2), (1), (2)')
    catalog = make_catalog().model_copy(
        update={
            "dimensions": {
                "region": make_catalog().dimensions["region"],
                "odd": Dimension(
                    id="odd", name=Text(en="Odd"), table="order", key="select", label=Text(en="select")
                ),
            }
        }
    )
    members = read_members(catalog, con)
    assert members["region"] == [
        Member("EAST", "East", "华东"),
        Member("NORTH", "NORTH", "NORTH"),
        Member("WEST", "West", "西部"),
    ]
    assert members["odd"] == [Member("1", "1", "1"), Member("2", "2", "2")]
    assert '"order"' in members_query(catalog.dimensions["odd"])
