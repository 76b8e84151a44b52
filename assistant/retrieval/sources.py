"""The retrieval parts behind the question pipeline's `Sources`: Chroma, BM25, the manifest, the model.

The answering package states what it reads (a Protocol) and this adapter supplies it, so answering
never imports Chroma, bm25s or sentence-transformers.
"""

from __future__ import annotations

import numpy as np

from assistant.core.models import Chunk
from assistant.retrieval.lexical import tokenize


class IndexSources:
    """Searches and reads one data dir's index for the question pipeline."""

    def __init__(self, manifest, vectors, lexical, embedder) -> None:
        self.manifest = manifest
        self.vector_index = vectors
        self._lexical = lexical  # a callable: the BM25 index is rebuilt when the chunks change
        self.embedder = embedder

    @property
    def lexical_index(self):
        """The current BM25 index."""
        return self._lexical()

    def dense(self, vector: np.ndarray, k: int, labels: list[str]) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the nearest chunks among the labels' collections."""
        return self.vector_index.query(vector, k, labels)

    def lexical(self, query: str, k: int, labels: list[str]) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best chunks among the labels."""
        return self.lexical_index.search(query, k, labels)

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        """Committed chunks by id."""
        return self.manifest.chunks_by_id(ids)

    def section_chunks(self, chunk: Chunk) -> list[Chunk]:
        """Every chunk of the section a chunk belongs to."""
        return self.manifest.section_chunks(chunk.root, chunk.source, chunk.section,
                                           None if chunk.section else chunk.page)

    def vectors(self, chunks: list[Chunk]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """(chunk vector, sentence vectors) cached at ingest, by chunk hash."""
        return self.manifest.cached_vectors(self.embedder.model_id, [c.chunk_hash for c in chunks])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised vectors of texts."""
        return self.embedder.encode(texts)

    def encode_tuned(self, texts: list[str]) -> np.ndarray | None:
        """Questions' vectors from the tuned question model, or None when it is off."""
        return self.embedder.encode_tuned(texts)

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Stemmed, stop-worded tokens, as BM25 indexes them."""
        return tokenize(texts)

    def idf(self, tokens: list[str], labels: list[str] | None = None) -> dict[str, float]:
        """IDF, among the chunks with one of `labels` (every chunk when None), of the stemmed tokens they use.

        A token only documents a role may not see use is left out, as if no document used it, and the
        others are weighed by how rare they are in the role's own documents, so how a role's answer reads
        never depends on what those documents say.
        """
        return self.lexical_index.known_idf(tokens, labels)
