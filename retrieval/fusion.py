"""Combine the vector and lexical rankings into one score per document.

Reciprocal-rank fusion (Cormack et al. 2009) over the two rankings, plus a boost for exact
name/synonym matches that puts them above every fused-only score (an RRF sum is < 0.1);
among exact matches the longer phrase wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 20
EXACT_BOOST = 1.0
EXACT_PER_UNIT = 0.05  # per CJK character (an English word counts as two)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> dict[str, float]:
    """``Σ weight / (k + rank)`` over the rankings each id appears in (rank starts at 1)."""
    scores: dict[str, float] = {}
    for n, ranking in enumerate(rankings):
        weight = weights[n] if weights is not None else 1.0
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    return scores


def exact_boost(weight: int) -> float:
    """Boost for an exact match of ``weight`` units: always above any RRF sum, longer is higher."""
    return EXACT_BOOST + EXACT_PER_UNIT * weight


def fuse(
    vector: Sequence[str],
    lexical: Sequence[str],
    exact: Mapping[str, int],
    weights: tuple[float, float] = (1.0, 1.0),
) -> dict[str, float]:
    """Final scores: RRF of the vector and lexical rankings, plus ``exact_boost`` for exact matches."""
    scores = reciprocal_rank_fusion([vector, lexical], weights)
    for doc_id, weight in exact.items():
        scores[doc_id] = scores.get(doc_id, 0.0) + exact_boost(weight)
    return scores
