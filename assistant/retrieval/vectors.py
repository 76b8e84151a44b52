"""The dense side: chunk vectors in Chroma, written and queried through llama-index's ChromaVectorStore.

Collections are created with `embedding_function=None` and queried only with our own vectors,
so Chroma's default model (which would download) is never touched; telemetry is off.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from assistant.core.models import Chunk, Label

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
COLLECTION_PREFIX = "aims_chunks_"
LABELS = ("public", "internal", "confidential", "restricted")
_LOCATORS = ("root", "source", "ordinal", "start", "end", "page", "section", "sheet", "row", "chunk_hash",
             "doc_hash", "title")


def chunk_metadata(chunk: Chunk) -> dict:
    """Everything a chunk record needs besides its text and vector, so another machine can rebuild it.

    The embedded text is stored as the prefix it adds to the quoted text (title and heading trail),
    or whole where it is not the text plus a prefix (table rows).
    """
    meta = {name: getattr(chunk, name) for name in _LOCATORS if getattr(chunk, name) is not None}
    meta["label"] = chunk.label.value
    if chunk.embed_text.endswith(chunk.text):
        meta["embed_prefix"] = chunk.embed_text[: len(chunk.embed_text) - len(chunk.text)]
    else:
        meta["embed_text"] = chunk.embed_text
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    """The Chunk a stored record describes (the inverse of chunk_metadata)."""
    data = {name: meta[name] for name in _LOCATORS if name in meta}
    embed_text = meta["embed_text"] if "embed_text" in meta else meta.get("embed_prefix", "") + text
    return Chunk(id=chunk_id, text=text, embed_text=embed_text, label=Label(meta["label"]), **data)


def _embedded_client(path: Path):
    """Chroma's embedded PersistentClient in the data dir, telemetry off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False,
                                                                             allow_reset=False))


SEARCH_EF = 1000  # HNSW candidates explored per query: near-exact up to ~50k chunks a label


def _search_exhaustively(collection) -> None:
    """Raise the collection's HNSW search breadth to SEARCH_EF (a query-time setting Chroma lets us change).

    Why: with Chroma's default (100), a 1,094-chunk collection lost 1 to 5 of the exact 50 nearest chunks
    for 38 of 80 reference questions, and which ones depended on insertion order, so the same documents
    under another path answered differently. At 1,000 none were lost (see README, Retrieval).
    """
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    if hnsw and hnsw.get("ef_search", SEARCH_EF) < SEARCH_EF:
        when_unlocked(lambda: collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}}))


LOCK_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)  # seconds between tries while SQLite says "database is locked"


def when_unlocked(write, waits: tuple[float, ...] = LOCK_WAITS):
    """Run a write to the embedded store, trying again while SQLite reports the database locked.

    Why: another client of the same store (a second process, or Chroma's own background work just after a
    write) can hold SQLite's write lock for a moment, and Chroma reports that at once instead of waiting.
    Any other error, or a lock that outlasts the waits (about 6 s), is raised as it is.
    """
    for wait in waits:
        try:
            return write()
        except Exception as exc:  # noqa: BLE001 - Chroma raises its InternalError; only the lock is retried
            if "database is locked" not in str(exc):
                raise
            time.sleep(wait)
    return write()


def _server_client(url: str, token: str):
    """An HTTP client for a running Chroma server (`chroma run`), with a bearer token when one is set."""
    from urllib.parse import urlparse

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.core.models import TeamModeError

    parsed = urlparse(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        raise TeamModeError(f"not a Chroma server URL: {url!r} (e.g. http://aims-host:8000)")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        return chromadb.HttpClient(host=parsed.hostname,
                                   port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                                   ssl=parsed.scheme == "https", headers=headers,
                                   settings=ChromaSettings(anonymized_telemetry=False))
    except Exception as exc:  # refused, unreachable, TLS or auth: one clear line for the user, not a traceback
        raise TeamModeError(f"cannot use the Chroma server at {url}: {exc} (is `chroma run` up there, and are "
                            "AIMS_CHROMA_URL and AIMS_CHROMA_TOKEN right?)") from exc


def scan_collection(collection, page_size: int = 1000) -> Iterator[tuple[str, dict]]:
    """(id, metadata) of every record in a Chroma collection, read a page at a time."""
    offset = 0
    while True:
        page = collection.get(include=["metadatas"], limit=page_size, offset=offset)
        yield from zip(page["ids"], page["metadatas"])
        if len(page["ids"]) < page_size:
            break
        offset += page_size


def _upsert(collection, nodes: list) -> None:
    """Write llama-index nodes to a Chroma collection as its vector store's `add` does, but as an upsert.

    The stored form (metadata with the node's content, the text as the document) is the store's own,
    so its queries read these records back exactly as they read added ones.
    """
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    metadatas = []
    for node in nodes:
        metadata = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
        metadatas.append({key: "" if value is None else value for key, value in metadata.items()})
    collection.upsert(ids=[node.node_id for node in nodes], embeddings=[node.get_embedding() for node in nodes],
                      metadatas=metadatas,
                      documents=[node.get_content(metadata_mode=MetadataMode.NONE) for node in nodes])


class VectorIndex:
    """One Chroma collection per classification label, each behind a llama-index ChromaVectorStore.

    A role's query searches only the collections of the labels it may see, so a hidden chunk is
    never a candidate neighbour, and no metadata filter is needed: Chroma's filtered queries cost
    ~100 ms at 20k chunks where an unfiltered one costs ~2 ms (measured, see README).
    """

    def __init__(self, path: Path, url: str | None = None, token: str = "") -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.client = _server_client(url, token) if url else _embedded_client(path)
        self.collections = {
            label: when_unlocked(lambda name=COLLECTION_PREFIX + label: self.client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"}))
            for label in LABELS
        }
        for collection in self.collections.values():
            _search_exhaustively(collection)
        self.stores = {label: ChromaVectorStore(chroma_collection=c) for label, c in self.collections.items()}

    def add(self, chunks: list[Chunk], vectors: np.ndarray, run: str = "") -> None:
        """Insert chunks with their vectors into their label's collection, replacing any they already hold.

        An id already stored gets the new vector and text: a file read again with the same bytes keeps
        its chunk ids, and Chroma's plain `add` would keep the old ones. `run` names the ingest run that
        wrote them (team mode), so a crashed run's leftovers are known.
        """
        from llama_index.core.schema import TextNode

        by_label: dict[str, list] = {}
        written = time.time_ns()
        for chunk, vector in zip(chunks, vectors):
            metadata = chunk_metadata(chunk)
            if run:
                metadata.update(run=run, written_ns=written)
            node = TextNode(
                id_=chunk.id,
                text=chunk.text,
                embedding=vector.tolist(),
                metadata=metadata,
                excluded_embed_metadata_keys=list(metadata),
                excluded_llm_metadata_keys=list(metadata),
            )
            by_label.setdefault(chunk.label.value, []).append(node)
        for label, nodes in by_label.items():
            for start in range(0, len(nodes), 2000):
                _upsert(self.collections[label], nodes[start : start + 2000])

    def delete(self, ids: list[str]) -> None:
        """Remove chunks by id from every collection (ids that are absent are ignored)."""
        for start in range(0, len(ids), 2000):
            part = ids[start : start + 2000]
            if part:
                for store in self.stores.values():
                    store.delete_nodes(node_ids=part)

    def ids(self) -> set[str]:
        """Every id in the collections (used to sweep orphans after an interrupted ingest)."""
        found: set[str] = set()
        for collection in self.collections.values():
            offset = 0
            while True:
                page = collection.get(include=[], limit=5000, offset=offset)
                found.update(page["ids"])
                if len(page["ids"]) < 5000:
                    break
                offset += 5000
        return found

    def chunks(self, label: str, ids: list[str]) -> list[tuple[Chunk, np.ndarray]]:
        """The stored chunks among ids in one label's collection, with their vectors (absent ids are skipped)."""
        found: list[tuple[Chunk, np.ndarray]] = []
        collection = self.collections[label]
        for start in range(0, len(ids), 1000):
            page = collection.get(ids=ids[start : start + 1000], include=["metadatas", "documents", "embeddings"])
            for chunk_id, text, meta, vector in zip(page["ids"], page["documents"], page["metadatas"],
                                                    page["embeddings"]):
                found.append((chunk_from_record(chunk_id, text, meta), np.asarray(vector, dtype=np.float32)))
        return found

    def scan(self) -> Iterator[tuple[str, dict]]:
        """(id, metadata) of every stored chunk, page by page (for sweeping a crashed run's leftovers)."""
        for collection in self.collections.values():
            yield from scan_collection(collection, page_size=2000)

    def count(self) -> int:
        """Vectors stored, over all collections."""
        return sum(int(c.count()) for c in self.collections.values())

    def query(self, vector: np.ndarray, k: int, labels: list[str]) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks among the collections of `labels`.

        Asked of Chroma for ids and distances only: through llama-index's store it also fetched each hit's
        text and metadata and built a node of it, 10 of the 12 ms of a search at 1,082 chunks, for ids the
        caller reads from the manifest anyway. An empty collection is queried as it is (it finds nothing).
        """
        found: list[tuple[str, float]] = []
        embedding = [vector.tolist()]
        for label in labels:
            collection = self.collections.get(label)
            if collection is None:
                continue
            result = collection.query(query_embeddings=embedding, n_results=k, include=["distances"])
            # cosine space: similarity = 1 - distance
            found += [(chunk_id, 1.0 - float(distance))
                      for chunk_id, distance in zip(result["ids"][0], result["distances"][0])]
        found.sort(key=lambda item: item[1], reverse=True)
        return found[:k]
