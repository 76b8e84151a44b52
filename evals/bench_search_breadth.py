"""Recall and latency of the vector store's nearest-chunk search at Chroma's default breadth and at ours.

Why: `SEARCH_EF` trades query time for exact candidates; this prints both sides in one run.
Random unit vectors are the worst case for a graph index (real embeddings cluster), so the recall
here is a floor and the latency a ceiling. Usage: python evals/bench_search_breadth.py [CHUNKS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import assistant.retrieval.vectors as vectors
from assistant.core.models import Chunk, Label


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(id=f"c{i:06d}", root="/r", source="d.md", ordinal=i, text="t", embed_text="t", start=0, end=1,
                  chunk_hash=f"h{i}", doc_hash="d", label=Label.INTERNAL, title="t") for i in range(n)]


def main(n: int = 50_000, queries: int = 60, k: int = 50) -> None:
    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((n, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    asked = matrix[rng.choice(n, queries)] + 0.5 * rng.standard_normal((queries, 384)).astype(np.float32)
    chunks = _chunks(n)
    print(f"{n} random chunks, {queries} queries, top {k}")
    print("| ef_search | recall@50 | p50 | p95 |\n|---|---|---|---|")
    for ef in (100, vectors.SEARCH_EF):
        vectors.SEARCH_EF = ef
        with tempfile.TemporaryDirectory() as scratch:
            index = vectors.VectorIndex(Path(scratch) / "chroma")
            index.add(chunks, matrix)
            recall, seconds = [], []
            for query in asked:
                start = time.perf_counter()
                found = {chunk_id for chunk_id, _ in index.query(query, k, ["internal"])}
                seconds.append(time.perf_counter() - start)
                exact = {f"c{i:06d}" for i in np.argsort(-(matrix @ query))[:k]}
                recall.append(len(found & exact) / k)
        p50, p95 = (1000 * np.percentile(seconds, q) for q in (50, 95))
        print(f"| {ef} | {np.mean(recall):.3f} | {p50:.1f} ms | {p95:.1f} ms |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
