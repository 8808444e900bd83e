"""Catalog → index documents: one per metric, example question, dimension and dimension member.

Pure functions. Each document carries ``phrases``: the names and synonyms that, found verbatim
in a question, identify it (exact-match boost in lexical.py), and a content hash so that a
rebuild embeds only what changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from metricqa.catalog.models import Catalog, Dimension, Metric
from metricqa.retrieval.members import Member

KINDS = ("metric", "example", "dimension", "member")


@dataclass(frozen=True)
class IndexDoc:
    """One retrievable document. ``metadata`` holds only str/int/bool values (Chroma's rule)."""

    id: str
    kind: str
    entry_id: str
    text: str
    phrases: tuple[str, ...]
    metadata: dict[str, str | int | bool] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        payload = json.dumps(
            [self.id, self.kind, self.entry_id, self.text, self.phrases, self.metadata], sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def metric_docs(metric: Metric) -> list[IndexDoc]:
    names = _unique([metric.name.en, metric.name.zh or "", *metric.synonyms.all()])
    text = _lines(
        " / ".join(names),
        metric.description.en,
        metric.description.zh,
        metric.definition.en,
        metric.definition.zh,
    )
    meta: dict[str, str | int | bool] = {
        "metric_id": metric.id,
        "status": metric.status.value,
        "language": "multi",
    }
    docs = [IndexDoc(f"metric:{metric.id}", "metric", metric.id, text, names, meta)]
    examples = [("en", q) for q in metric.examples.en] + [("zh", q) for q in metric.examples.zh]
    for i, (language, question) in enumerate(examples):
        ex_meta: dict[str, str | int | bool] = {**meta, "language": language}
        docs.append(
            IndexDoc(f"example:{metric.id}:{i}", "example", metric.id, question, (question,), ex_meta)
        )
    return docs


def dimension_doc(dimension: Dimension) -> IndexDoc:
    names = _unique([dimension.name.en, dimension.name.zh or "", *dimension.synonyms.all()])
    description = dimension.description
    text = _lines(
        " / ".join(names), description.en if description else None, description.zh if description else None
    )
    meta: dict[str, str | int | bool] = {"dimension_id": dimension.id, "language": "multi"}
    return IndexDoc(f"dimension:{dimension.id}", "dimension", dimension.id, text, names, meta)


def member_doc(dimension: Dimension, member: Member) -> IndexDoc:
    labels = _unique([member.label_en, member.label_zh, member.key])
    text = _lines(" / ".join(labels), f"{dimension.name.en} {dimension.name.zh or ''}".strip())
    meta: dict[str, str | int | bool] = {
        "dimension_id": dimension.id,
        "member_key": member.key,
        "label_en": member.label_en,
        "label_zh": member.label_zh,
        "language": "multi",
    }
    return IndexDoc(
        f"member:{dimension.id}:{member.key}", "member", f"{dimension.id}:{member.key}", text, labels, meta
    )


def catalog_documents(catalog: Catalog, members: dict[str, list[Member]] | None = None) -> list[IndexDoc]:
    """Every document for a catalog and its members, in a stable order."""
    docs: list[IndexDoc] = []
    for metric in catalog.metrics.values():
        docs.extend(metric_docs(metric))
    for dimension in catalog.dimensions.values():
        docs.append(dimension_doc(dimension))
        docs.extend(member_doc(dimension, m) for m in (members or {}).get(dimension.id, []))
    return docs


def corpus_hash(docs: list[IndexDoc], embedder_name: str) -> str:
    """One hash for the whole corpus: equal hashes mean a rebuild has nothing to do."""
    digest = hashlib.sha256(embedder_name.encode())
    for doc in sorted(docs, key=lambda d: d.id):
        digest.update(f"\n{doc.id}\t{doc.content_hash}".encode())
    return digest.hexdigest()[:32]
