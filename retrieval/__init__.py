"""Retrieval: index the catalog (metrics, examples, dimensions, members) and find what a question names."""

from __future__ import annotations

from metricqa.retrieval.embedders import (
    ChromaEmbeddingFunction,
    Embedder,
    HashEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    USEEmbedder,
    make_embedder,
)
from metricqa.retrieval.index import BuildStats, ChromaMetricIndex, Entry, MetricIndex, open_index
from metricqa.retrieval.members import Member, read_members
from metricqa.retrieval.retrieve import retrieve_metrics

__all__ = [
    "BuildStats",
    "ChromaEmbeddingFunction",
    "ChromaMetricIndex",
    "Embedder",
    "Entry",
    "HashEmbedder",
    "Member",
    "MetricIndex",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "USEEmbedder",
    "make_embedder",
    "open_index",
    "read_members",
    "retrieve_metrics",
]
