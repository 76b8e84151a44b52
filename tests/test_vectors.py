"""The embedded vector store returns the exact nearest chunks, whatever order they were added in.

Why: Chroma's default HNSW search breadth lost some of the 50 nearest chunks on a 1,094-chunk
collection, and which ones depended on insertion order (so on the corpus's path).
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.models import Chunk, Label
from assistant.retrieval.vectors import SEARCH_EF, VectorIndex


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(id=f"c{i:05d}", root="/r", source=f"doc{i % 7}.md", ordinal=i, text=f"text {i}",
                  embed_text=f"text {i}", start=0, end=6, chunk_hash=f"h{i}", doc_hash="d",
                  label=Label.INTERNAL, title="t") for i in range(n)]


def test_nearest_chunks_are_exact_on_a_hard_collection(tmp_path):
    # Random directions in 384 dimensions are the hardest case for a graph index: no clusters to follow.
    rng = np.random.default_rng(7)
    n, dim = 1500, 384
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    order = rng.permutation(n)
    chunks = _chunks(n)
    index = VectorIndex(tmp_path / "chroma")
    index.add([chunks[i] for i in order], vectors[order])
    queries = rng.standard_normal((25, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    for query in queries:
        exact = {f"c{i:05d}" for i in np.argsort(-(vectors @ query))[:50]}
        found = {chunk_id for chunk_id, _ in index.query(query, 50, ["internal"])}
        assert found == exact


def test_an_existing_store_is_widened_when_opened(tmp_path):
    index = VectorIndex(tmp_path / "chroma")
    collection = index.collections["internal"]
    collection.modify(configuration={"hnsw": {"ef_search": 100}})
    reopened = VectorIndex(tmp_path / "chroma")
    assert reopened.collections["internal"].configuration["hnsw"]["ef_search"] == SEARCH_EF


def test_adding_an_id_again_replaces_its_vector_and_text(tmp_path):
    """A file read again with the same bytes keeps its chunk ids; the store must then hold the new reading.

    Chroma's own `add` keeps an existing id's record, which left stale vectors after a parser change.
    """
    rng = np.random.default_rng(3)
    old, new = rng.standard_normal((2, 384)).astype(np.float32)
    old, new = old / np.linalg.norm(old), new / np.linalg.norm(new)
    chunk = _chunks(1)[0]
    index = VectorIndex(tmp_path / "chroma")
    index.add([chunk], old[None, :])
    index.add([chunk.model_copy(update={"text": "read again"})], new[None, :])
    [(stored, vector)] = index.chunks("internal", [chunk.id])
    assert stored.text == "read again" and np.allclose(vector, new, atol=1e-6)
    [(found, similarity)] = index.query(new, 5, ["internal"])
    assert found == chunk.id and similarity > 0.999 and index.count() == 1


def test_a_write_is_tried_again_while_the_store_is_locked_and_other_errors_pass():
    from assistant.retrieval.vectors import when_unlocked

    calls = []

    def locked_twice():
        calls.append(1)
        if len(calls) <= 2:
            raise RuntimeError("Database error: error returned from database: (code: 5) database is locked")
        return "written"

    assert when_unlocked(locked_twice, waits=(0.0,) * 5) == "written" and len(calls) == 3

    def broken():
        raise ValueError("no such collection")

    with pytest.raises(ValueError):
        when_unlocked(broken, waits=(0.0,) * 5)

    def always_locked():
        raise RuntimeError("database is locked")

    with pytest.raises(RuntimeError):  # a lock that outlasts the waits is reported, not hidden
        when_unlocked(always_locked, waits=(0.0,) * 3)
