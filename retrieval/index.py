"""The metric index: a persistent Chroma collection (vectors) plus BM25 and exact matching (lexical).

One document per metric, example question, dimension and dimension member (documents.py).
``build`` embeds only documents whose content hash changed and deletes vanished ones; a
corpus hash stored on the collection lets an unchanged catalog skip everything.
``search`` fuses the vector and lexical rankings (fusion.py) and returns ``Entry`` values.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import chromadb
from chromadb.config import Settings as ChromaSettings

from metricqa.catalog.models import Catalog
from metricqa.retrieval.documents import IndexDoc, catalog_documents, corpus_hash
from metricqa.retrieval.embedders import ChromaEmbeddingFunction, Embedder
from metricqa.retrieval.fusion import fuse
from metricqa.retrieval.lexical import LexicalIndex
from metricqa.retrieval.members import Member

CORPUS_HASH_KEY = "metricqa_corpus_hash"
MAX_BATCH = 512
MIN_UNFILTERED_SHARE = 0.25  # below this share of allowed documents, let Chroma filter by kind


@dataclass(frozen=True)
class Entry:
    """One search hit. ``entry_id``: the metric id (metric, example), dimension id, or ``dim:key`` (member).

    ``metadata`` holds the document's metadata plus, when present, ``similarity`` (cosine with
    the question), ``bm25`` (lexical score) and ``exact`` (the name or synonym found verbatim).
    """

    id: str
    kind: str
    entry_id: str
    score: float
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildStats:
    added: int
    updated: int
    deleted: int
    skipped: int
    seconds: float

    @property
    def embedded(self) -> int:
        return self.added + self.updated


class MetricIndex(Protocol):
    def build(self, catalog: Catalog, members: dict[str, list[Member]] | None = None) -> BuildStats: ...

    def search(self, question: str, k: int = 10, kinds: set[str] | None = None) -> list[Entry]: ...

    def entry(self, doc_id: str, score: float = 0.0, extra: dict[str, Any] | None = None) -> Entry | None: ...


@dataclass(frozen=True)
class _Stored:
    """A document as kept in memory for lexical search and for building entries."""

    id: str
    kind: str
    entry_id: str
    text: str
    phrases: tuple[str, ...]
    metadata: dict[str, Any]


def collection_name(embedder_name: str) -> str:
    """A valid Chroma collection name per embedder, so vectors of two models never mix."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", embedder_name).strip("-")[:40] or "embedder"
    return f"metricqa-{slug}-{hashlib.sha1(embedder_name.encode()).hexdigest()[:8]}"


def _chroma_metadata(doc: IndexDoc) -> dict[str, str | int | bool]:
    return {
        **doc.metadata,
        "kind": doc.kind,
        "entry_id": doc.entry_id,
        "hash": doc.content_hash,
        "phrases": json.dumps(doc.phrases, ensure_ascii=False),
    }


def _from_chroma(doc_id: str, text: str | None, meta: dict[str, Any]) -> _Stored:
    public = {k: v for k, v in meta.items() if k != "phrases"}
    phrases = tuple(json.loads(str(meta.get("phrases", "[]"))))
    return _Stored(doc_id, str(meta["kind"]), str(meta["entry_id"]), text or "", phrases, public)


def _batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class ChromaMetricIndex:
    """``MetricIndex`` over a persistent Chroma directory (telemetry off, no network)."""

    def __init__(self, path: Path, embedder: Embedder) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self._client = chromadb.PersistentClient(
            path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self._collection = self._client.get_or_create_collection(
            collection_name(embedder.name),
            embedding_function=ChromaEmbeddingFunction(embedder),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._docs: dict[str, _Stored] | None = None
        self._lexical: LexicalIndex | None = None

    # ---- building ----
    def build(self, catalog: Catalog, members: dict[str, list[Member]] | None = None) -> BuildStats:
        """Bring the collection in line with ``catalog`` and ``members``, embedding only changed documents."""
        start = time.perf_counter()
        docs = catalog_documents(catalog, members)
        digest = corpus_hash(docs, self.embedder.name)
        if (self._collection.metadata or {}).get(CORPUS_HASH_KEY) == digest:
            self._remember(docs)
            return BuildStats(0, 0, 0, len(docs), time.perf_counter() - start)
        existing = self._stored_hashes()
        changed = [d for d in docs if existing.get(d.id) != d.content_hash]
        vanished = sorted(set(existing) - {d.id for d in docs})
        self._delete(vanished)
        self._upsert(changed)
        self._collection.modify(metadata={CORPUS_HASH_KEY: digest})
        self._remember(docs)
        added = sum(d.id not in existing for d in changed)
        skipped = len(docs) - len(changed)
        return BuildStats(added, len(changed) - added, len(vanished), skipped, time.perf_counter() - start)

    def _stored_hashes(self) -> dict[str, str]:
        got = self._collection.get(include=["metadatas"])
        return {
            i: str((m or {}).get("hash", "")) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

    def _batch_size(self) -> int:
        return max(1, min(MAX_BATCH, self._client.get_max_batch_size()))

    def _delete(self, ids: list[str]) -> None:
        for batch in _batches(ids, self._batch_size()):
            self._collection.delete(ids=list(batch))

    def _upsert(self, docs: list[IndexDoc]) -> None:
        for batch in _batches(docs, self._batch_size()):
            self._collection.upsert(
                ids=[d.id for d in batch],
                documents=[d.text for d in batch],
                metadatas=[_chroma_metadata(d) for d in batch],
            )

    def _remember(self, docs: list[IndexDoc]) -> None:
        stored = [_from_chroma(d.id, d.text, _chroma_metadata(d)) for d in docs]
        self._set_docs({s.id: s for s in stored})

    def _set_docs(self, docs: dict[str, _Stored]) -> None:
        self._docs = docs
        self._lexical = LexicalIndex(
            {i: d.text for i, d in docs.items()}, {i: d.phrases for i, d in docs.items()}
        )

    def _state(self) -> tuple[dict[str, _Stored], LexicalIndex]:
        """Documents and lexical index, read back from Chroma when this process did not build them."""
        if self._docs is None or self._lexical is None:
            got = self._collection.get(include=["documents", "metadatas"])
            rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            self._set_docs({i: _from_chroma(i, t, dict(m or {})) for i, t, m in rows})
        assert self._docs is not None and self._lexical is not None
        return self._docs, self._lexical

    def __len__(self) -> int:
        return len(self._state()[0])

    # ---- searching ----
    def entry(self, doc_id: str, score: float = 0.0, extra: dict[str, Any] | None = None) -> Entry | None:
        """The stored document ``doc_id`` as an ``Entry`` (``None`` when absent)."""
        doc = self._state()[0].get(doc_id)
        if doc is None:
            return None
        return Entry(doc.id, doc.kind, doc.entry_id, score, doc.text, {**doc.metadata, **(extra or {})})

    def search(self, question: str, k: int = 10, kinds: set[str] | None = None) -> list[Entry]:
        """The ``k`` documents that best match ``question`` (optionally only of ``kinds``), best first."""
        docs, lexical = self._state()
        allowed = {i for i, d in docs.items() if d.kind in kinds} if kinds is not None else None
        pool = len(allowed) if allowed is not None else len(docs)
        if pool == 0 or not question.strip():
            return []
        depth = min(pool, max(3 * k, 30))
        vector = self._vector(question, depth, allowed, len(docs))
        bm25 = lexical.rank(question, allowed, limit=depth)
        exact = {i: m for i, m in lexical.matcher.best(question).items() if allowed is None or i in allowed}
        scores = fuse([i for i, _ in vector], [i for i, _ in bm25], {i: m.weight for i, m in exact.items()})
        extras: dict[str, dict[str, Any]] = {i: {} for i in scores}
        for i, sim in vector:
            extras[i]["similarity"] = sim
        for i, s in bm25:
            extras[i]["bm25"] = s
        for i, m in exact.items():
            extras[i]["exact"] = m.phrase
        best = sorted(scores, key=lambda i: (-scores[i], i))[:k]
        return [e for i in best if (e := self.entry(i, scores[i], extras[i])) is not None]

    def _vector(
        self, question: str, depth: int, allowed: set[str] | None, total: int
    ) -> list[tuple[str, float]]:
        """Nearest documents by cosine. Chroma's metadata filter is slow, so unless ``allowed`` is a small
        share of the index, over-fetch without a filter and filter here."""
        where: Any = None
        n = depth
        if allowed is not None:
            share = len(allowed) / total
            if share >= MIN_UNFILTERED_SHARE:
                n = min(total, math.ceil(depth / share) + 10)
            else:
                where = {"kind": {"$in": sorted({self._state()[0][i].kind for i in allowed})}}
        got = self._collection.query(query_texts=[question], n_results=n, where=where, include=["distances"])
        pairs = zip(got["ids"][0], (got["distances"] or [[]])[0], strict=True)
        hits = [(i, 1.0 - float(d)) for i, d in pairs if allowed is None or i in allowed]
        return hits[:depth]


def open_index(path: Path, embedder: Embedder) -> ChromaMetricIndex:
    """Open (or create) the index stored under ``path`` for ``embedder``."""
    return ChromaMetricIndex(path, embedder)
