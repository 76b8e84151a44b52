"""The dense side: chunk vectors in Chroma, written and queried through llama-index's ChromaVectorStore.

Collections are created with `embedding_function=None` and queried only with our own vectors,
so Chroma's default model (which would download) is never touched; telemetry is off.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from assistant.core.models import Chunk

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
COLLECTION = "aims_chunks"


class VectorIndex:
    """A Chroma collection of chunk vectors with the metadata the role filter needs."""

    def __init__(self, path: Path) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.vector_stores.chroma import ChromaVectorStore

        path.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
        self.collection = self.client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        self.store = ChromaVectorStore(chroma_collection=self.collection)

    def add(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Insert chunks with their vectors (ids are unique per document version)."""
        from llama_index.core.schema import TextNode

        nodes = [
            TextNode(
                id_=chunk.id,
                text=chunk.text,
                embedding=vector.tolist(),
                metadata={"source": chunk.source, "label": chunk.label.value, "doc_hash": chunk.doc_hash,
                          "chunk_hash": chunk.chunk_hash},
                excluded_embed_metadata_keys=["source", "label", "doc_hash", "chunk_hash"],
            )
            for chunk, vector in zip(chunks, vectors)
        ]
        for start in range(0, len(nodes), 2000):
            self.store.add(nodes[start : start + 2000])

    def delete(self, ids: list[str]) -> None:
        """Remove chunks by id (ids that are absent are ignored)."""
        for start in range(0, len(ids), 2000):
            part = ids[start : start + 2000]
            if part:
                self.store.delete_nodes(node_ids=part)

    def ids(self) -> set[str]:
        """Every id in the collection (used to sweep orphans after an interrupted ingest)."""
        found: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=5000, offset=offset)
            found.update(page["ids"])
            if len(page["ids"]) < 5000:
                return found
            offset += 5000

    def count(self) -> int:
        """Vectors stored."""
        return int(self.collection.count())

    def query(self, vector: np.ndarray, k: int, labels: list[str]) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks whose label is in `labels`.

        The label filter runs inside Chroma's query, so a hidden chunk can never be a neighbour.
        """
        from llama_index.core.vector_stores.types import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
            VectorStoreQuery,
        )

        filters = MetadataFilters(filters=[MetadataFilter(key="label", value=list(labels), operator=FilterOperator.IN)])
        result = self.store.query(
            VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=k, filters=filters)
        )
        # ChromaVectorStore reports exp(-distance); with cosine space, similarity = 1 - distance.
        return [(node_id, 1.0 + float(np.log(max(sim, 1e-12))))
                for node_id, sim in zip(result.ids or [], result.similarities or [])]
