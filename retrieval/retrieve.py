"""The retrieve stage: question → candidate metrics, best first."""

from __future__ import annotations

from metricqa.retrieval.index import Entry, MetricIndex

METRIC_KINDS = frozenset({"metric", "example"})


def retrieve_metrics(question: str, index: MetricIndex, k: int = 5) -> list[Entry]:
    """One entry per metric (a hit on an example question counts for its metric), best first.

    Each entry is the metric's own document with the best score among its hits;
    ``metadata["via"]`` names the document that scored it.
    """
    hits = index.search(question, k=max(5 * k, 30), kinds=set(METRIC_KINDS))
    best: dict[str, Entry] = {}
    for hit in hits:
        if hit.entry_id not in best or hit.score > best[hit.entry_id].score:
            best[hit.entry_id] = hit
    ranked = sorted(best.values(), key=lambda e: (-e.score, e.entry_id))[:k]
    out: list[Entry] = []
    for hit in ranked:
        extra = {**_signals(hit), "via": hit.id}
        entry = index.entry(f"metric:{hit.entry_id}", hit.score, extra)
        out.append(entry if entry is not None else hit)
    return out


def _signals(hit: Entry) -> dict[str, object]:
    return {key: hit.metadata[key] for key in ("similarity", "bm25", "exact") if key in hit.metadata}
