"""Hybrid search: dense (Chroma) and BM25 candidates fused by reciprocal rank, role-filtered inside both.

Returns committed chunks only: ids left in Chroma by an interrupted ingest resolve to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.core.models import Chunk

RRF_K = 60


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the ranks each side gave it."""

    chunk: Chunk
    score: float
    dense: float | None
    dense_rank: int | None
    lexical_rank: int | None


def hybrid_search(manifest, vectors, lexical, query_vector: np.ndarray, query: str, labels: list[str],
                  depth: int = 30) -> list[Hit]:
    """The best chunks for a query among those with an allowed label, best first."""
    dense = vectors.query(query_vector, depth, labels) if vectors is not None else []
    lexical_hits = lexical.search(query, depth, labels) if lexical is not None else []
    fused: dict[str, float] = {}
    dense_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(dense)}
    dense_sim = dict(dense)
    lexical_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(lexical_hits)}
    for ranks in (dense_rank, lexical_rank):
        for chunk_id, rank in ranks.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    order = sorted(fused, key=fused.get, reverse=True)
    chunks = manifest.chunks_by_id(order)
    allowed = set(labels)
    return [
        Hit(chunks[cid], fused[cid], dense_sim.get(cid), dense_rank.get(cid), lexical_rank.get(cid))
        for cid in order
        if cid in chunks and chunks[cid].label.value in allowed
    ]
