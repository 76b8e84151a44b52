"""Team mode: the corpus and the assessment live in the Chroma server; each client keeps replicas.

Besides the chunk collections (vectors, chunk texts and every locator), the server holds:

- `aims_state`: the corpus id, the model and chunk size every client must share, the
  generation marker (a token replaced after every commit) and one intent record per ingest under
  way, so a client tells whether its copy is current with one read;
- `aims_documents`: one record per document, the manifest row; upserting it is the document's
  commit point, after its chunks, text and sentence vectors are stored;
- `aims_texts`: each committed version's extracted text, in parts (source viewer, quote checks);
- `aims_sentences`: the answerer's sentence vectors (float16) by chunk hash;
- `aims_assessment`: the checklist's append-only log of changes and evidence links.

A client's catalog.sqlite and BM25 are replicas of these, rebuilt or brought up to date by
`team_sync.sync` whenever the generation changed. Records that are never searched by vector carry a 2-number
placeholder embedding, since Chroma stores nothing without one (and never an embedding function).
"""

from __future__ import annotations

import base64
import hashlib
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.core.chunks import chunk_id
from assistant.core.models import DocumentRecord, Label, TeamModeError, sha256_text
from assistant.retrieval.vectors import VectorIndex
from assistant.retrieval.vectors import scan_collection as _scan

STATE, DOCUMENTS, TEXTS, SENTENCES, ASSESSMENT = (
    "aims_state", "aims_documents", "aims_texts", "aims_sentences", "aims_assessment")
TEXT_PART_CHARS = 50_000
PAGE = 1000
ORPHAN_GRACE_S = 24 * 3600
"""Leftovers of another client's interrupted run are swept only after this long (it may still be running)."""
INTENT = "writing:"
"""State ids of ingests under way: INTENT + the run's id."""

_RECORD_FIELDS = ("root", "source", "doc_hash", "size", "mtime_ns", "format", "title", "label", "label_origin",
                  "chunk_count", "ingested_at")


def placeholder(key: str) -> list[float]:
    """A point on the unit circle chosen by the key's hash: the embedding of a record never searched."""
    angle = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF * 2 * math.pi
    return [math.cos(angle), math.sin(angle)]


def doc_key(root: str, source: str) -> str:
    """The server-side id of a document (its root and path)."""
    return sha256_text(f"{root}\x00{source}")[:32]


def _clean(meta: dict) -> dict:
    """Chroma metadata cannot hold None: absent keys stand for it."""
    return {k: v for k, v in meta.items() if v is not None}


@dataclass
class RemoteDocument:
    """A committed document as the server records it."""

    record: DocumentRecord
    labels_fp: str
    text_parts: int
    writer: str
    committed_ns: int

    @property
    def chunk_ids(self) -> list[str]:
        """Ids of this version's chunks (they embed the root, path and document hash)."""
        rec = self.record
        return [chunk_id(rec.root, rec.source, rec.doc_hash, n) for n in range(rec.chunk_count)]


@dataclass
class Heads:
    """What one read of the server's state says: whose corpus, which generation, who is writing now."""

    corpus: str
    generation: str
    writing: list[str] = field(default_factory=list)


@dataclass
class ClientShare:
    """What one client has filed on the server."""

    documents: int = 0
    chunks: int = 0
    last_commit_ns: int = 0


@dataclass
class Intent:
    """An ingest under way (or one that died before it ended): live while younger than ORPHAN_GRACE_S."""

    run: str
    by: str
    at_ns: int
    live: bool


@dataclass
class TeamOverview:
    """The server's corpus at a glance: the marker, the clients and their documents, writers now."""

    corpus: str
    generation: str
    generation_by: str
    generation_at_ns: int
    model_id: str
    chunk_words: int
    clients: dict[str, ClientShare]
    writing: list[Intent]
    sentence_records: int
    text_records: int


def owner(root: str) -> str:
    """The client a document's folder is filed under (`CLIENT:/path`)."""
    return root.split(":", 1)[0] if ":" in root else ""


@dataclass
class SyncResult:
    """What one sync changed in the local replica."""

    current: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


class TeamStore:
    """The shared records in one Chroma server, for one client (named in records it writes)."""

    def __init__(self, vectors: VectorIndex, client_name: str) -> None:
        self.vectors = vectors
        self.client_name = client_name
        client = vectors.client
        self.state, self.documents_, self.texts, self.sentences_ = (
            client.get_or_create_collection(name, embedding_function=None) for name in (STATE, DOCUMENTS, TEXTS,
                                                                                      SENTENCES))
        self._client = client

    # --- shared settings and the generation marker ------------------------------------------------
    def _first_write_wins(self, key: str, meta: dict) -> dict:
        """What is stored under key; if nothing, meta is stored first (Chroma's add keeps the first of a race)."""
        found = self.state.get(ids=[key], include=["metadatas"])["metadatas"]
        if not found:
            self.state.add(ids=[key], embeddings=[placeholder(key)], metadatas=[meta])
            found = self.state.get(ids=[key], include=["metadatas"])["metadatas"]
        return found[0]

    def heads(self) -> Heads:
        """The corpus id, the generation marker and the ingests under way, in one read of the small state
        collection: what a replica compares to tell whether it is current.

        The corpus id is fixed by the first client, so a replica of another server (or of a server
        wiped and started again) is told apart; the marker is "none" before the first commit. An
        intent younger than ORPHAN_GRACE_S counts as an ingest under way, even if its writer died.
        """
        return self._heads(self._state())

    def _state(self) -> dict[str, dict]:
        """Every record of the small state collection, by id (one request)."""
        found = self.state.get(include=["metadatas"])
        return dict(zip(found["ids"], found["metadatas"]))

    def _heads(self, state: dict[str, dict]) -> Heads:
        if "corpus" not in state:
            state["corpus"] = self._first_write_wins("corpus", {"id": uuid.uuid4().hex, "by": self.client_name})
        generation = state.get("generation")
        writing = sorted(intent.by for intent in _intents(state) if intent.live)
        return Heads(str(state["corpus"]["id"]), str(generation["token"]) if generation else "none", writing)

    def begin_write(self, run: str) -> None:
        """Record that this client's ingest `run` may commit documents from now on.

        Replicas never take a generation as current while an intent is recorded: a writer that dies
        between committing documents and replacing the marker would otherwise hide those documents
        from every replica that had synced before, until someone wrote again.
        """
        self.state.upsert(ids=[INTENT + run], embeddings=[placeholder(INTENT + run)],
                          metadatas=[{"run": run, "by": self.client_name, "at_ns": time.time_ns()}])

    def end_write(self, run: str) -> None:
        """Replace the marker, then drop the run's intent: replicas sync once more and may then rest."""
        self.bump()
        self.state.delete(ids=[INTENT + run])

    def check_compatible(self, model_id: str, chunk_words: int) -> None:
        """Every client must embed with the same model and cut the same chunks; the first client fixes both."""
        fixed = self._first_write_wins("index", {"model_id": model_id, "chunk_words": chunk_words,
                                                 "by": self.client_name})
        if fixed["model_id"] != model_id or int(fixed["chunk_words"]) != chunk_words:
            raise TeamModeError(
                f"the Chroma server's index was built with model {fixed['model_id']} and {fixed['chunk_words']}-word "
                f"chunks (by {fixed.get('by', '?')}); this client has {model_id} and {chunk_words}-word chunks. "
                "Use the same AIMS_MODEL_PATH, AIMS_EMBED_DTYPE and AIMS_CHUNK_WORDS as the team, or another server.")

    def bump(self) -> None:
        """Replace the generation marker: every replica is stale until it syncs."""
        self.state.upsert(ids=["generation"], embeddings=[placeholder("generation")],
                          metadatas=[{"token": uuid.uuid4().hex, "at_ns": time.time_ns(), "by": self.client_name}])

    # --- documents ---------------------------------------------------------------------------------
    def documents(self) -> dict[tuple[str, str], RemoteDocument]:
        """Every committed document, by (root, source)."""
        found = {}
        for _, meta in _scan(self.documents_):
            remote = _remote(meta)
            found[(remote.record.root, remote.record.source)] = remote
        return found

    def document(self, root: str, source: str) -> RemoteDocument | None:
        """One committed document, or None."""
        metas = self.documents_.get(ids=[doc_key(root, source)], include=["metadatas"])["metadatas"]
        return _remote(metas[0]) if metas else None

    def put_sentences(self, vectors: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Share sentence vectors by chunk hash (content-addressed: hashes the server has are not sent again)."""
        items = list(vectors.items())
        for start in range(0, len(items), PAGE):
            part = items[start : start + PAGE]
            there = set(self.sentences_.get(ids=[key for key, _ in part], include=[])["ids"])
            part = [(key, value) for key, value in part if key not in there]
            if not part:
                continue
            metas = [{"v": base64.b64encode(np.asarray(sent, dtype=np.float16).tobytes()).decode(),
                      "dim": int(np.asarray(vec).shape[0])} for _, (vec, sent) in part]
            self.sentences_.add(ids=[key for key, _ in part], embeddings=[placeholder(key) for key, _ in part],
                                metadatas=metas)

    def commit(self, documents: list[tuple[DocumentRecord, str, str]], run: str) -> None:
        """Store (record, labels fingerprint, text) versions: all texts, then the records, each of which is
        its document's commit point (the chunks and sentence vectors are in already)."""
        texts: list[tuple[str, dict]] = []
        records: list[tuple[str, dict]] = []
        now = time.time_ns()
        for record, labels_fp, text in documents:
            key = doc_key(record.root, record.source)
            parts = [text[i : i + TEXT_PART_CHARS] for i in range(0, len(text), TEXT_PART_CHARS)]
            texts += [(_text_id(key, record.doc_hash, n), {"doc_key": key, "doc_hash": record.doc_hash, "part": n,
                                                            "text": piece, "run": run, "written_ns": now})
                      for n, piece in enumerate(parts)]
            records.append((key, _clean({**record.model_dump(mode="json"), "labels_fp": labels_fp,
                                         "text_parts": len(parts), "writer": self.client_name,
                                         "committed_ns": time.time_ns()})))
        for collection, items, size in ((self.texts, texts, 40), (self.documents_, records, PAGE)):
            for start in range(0, len(items), size):
                part = items[start : start + size]
                collection.upsert(ids=[k for k, _ in part], embeddings=[placeholder(k) for k, _ in part],
                                  metadatas=[m for _, m in part])

    def retire(self, root: str, source: str, doc_hash: str, chunk_ids: list[str]) -> None:
        """Delete an old version's chunks and text, except what the version committed now still uses.

        Re-reads the record first, so a version that another client has just committed again is kept.
        """
        current = self.document(root, source)
        keep = set(current.chunk_ids) if current else set()
        self.vectors.delete(sorted(set(chunk_ids) - keep))
        if current is None or current.record.doc_hash != doc_hash:
            key = doc_key(root, source)
            self.texts.delete(where={"$and": [{"doc_key": key}, {"doc_hash": doc_hash}]})

    def remove(self, root: str, source: str, local_ids: list[str]) -> None:
        """Withdraw a document: its record first (so nobody syncs it again), then its chunks and text."""
        current = self.document(root, source)
        self.documents_.delete(ids=[doc_key(root, source)])
        ids = set(local_ids) | (set(current.chunk_ids) if current else set())
        self.vectors.delete(sorted(ids))
        self.texts.delete(where={"doc_key": doc_key(root, source)})

    def fetch(self, remote: RemoteDocument, have: Callable[[list[str]], set[str]]):
        """(text, chunks, vectors by chunk hash) of a committed version, or None when it is not all there yet.

        `have` tells which chunk hashes the replica has vectors for already; only the others are fetched.
        A version being replaced while it is read comes back short and is left for the next sync.
        """
        rec = remote.record
        rows = self.vectors.chunks(rec.label.value, remote.chunk_ids)
        if len(rows) != rec.chunk_count:
            return None
        key = doc_key(rec.root, rec.source)
        ids = [_text_id(key, rec.doc_hash, n) for n in range(remote.text_parts)]
        parts = self.texts.get(ids=ids, include=["metadatas"])["metadatas"] if ids else []
        if len(parts) != remote.text_parts:
            return None
        text = "".join(str(meta["text"]) for meta in sorted(parts, key=lambda meta: int(meta["part"])))
        hashes = sorted({chunk.chunk_hash for chunk, _ in rows})
        wanted = sorted(set(hashes) - have(hashes))
        sentences = self.sentence_vectors(wanted)
        if len(sentences) != len(wanted):
            return None
        vectors = {chunk.chunk_hash: (vector, sentences.get(chunk.chunk_hash)) for chunk, vector in rows
                   if chunk.chunk_hash in sentences}
        chunks = sorted((chunk for chunk, _ in rows), key=lambda c: c.ordinal)
        return text, chunks, vectors

    def sentence_vectors(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """Sentence vectors (float32 rows) by chunk hash, for the hashes the server has."""
        found = {}
        for start in range(0, len(hashes), PAGE):
            page = self.sentences_.get(ids=hashes[start : start + PAGE], include=["metadatas"])
            for key, meta in zip(page["ids"], page["metadatas"]):
                rows = np.frombuffer(base64.b64decode(meta["v"]), dtype=np.float16).astype(np.float32)
                found[key] = rows.reshape(-1, int(meta["dim"]))
        return found

    def sweep(self, failed_run: str | None) -> int:
        """Delete chunks and texts no committed record uses: all of `failed_run` (this client's interrupted
        run), and anyone's older than ORPHAN_GRACE_S. Returns how many chunks went."""
        committed: set[str] = set()
        versions: set[tuple[str, str]] = set()
        for remote in self.documents().values():
            committed.update(remote.chunk_ids)
            versions.add((doc_key(remote.record.root, remote.record.source), remote.record.doc_hash))
        cutoff = time.time_ns() - ORPHAN_GRACE_S * 1_000_000_000

        def leftover(meta: dict) -> bool:
            return (bool(failed_run) and meta.get("run") == failed_run) or int(meta.get("written_ns", 0)) < cutoff

        orphans = [cid for cid, meta in self.vectors.scan() if cid not in committed and leftover(meta)]
        self.vectors.delete(orphans)
        texts = [tid for tid, meta in _scan(self.texts)
                 if (meta.get("doc_key"), meta.get("doc_hash")) not in versions and leftover(meta)]
        if texts:
            self.texts.delete(ids=texts)
        dead = [INTENT + intent.run for intent in _intents(self._state())
                if intent.run == failed_run or not intent.live]
        if dead:  # intents of runs that died: the marker is replaced so replicas rest again
            self.bump()
            self.state.delete(ids=dead)
        return len(orphans)

    # --- administration ----------------------------------------------------------------------------
    def overview(self) -> TeamOverview:
        """Who has filed what on the server, who is writing now, and the marker: `aims team status`."""
        state = self._state()
        heads = self._heads(state)
        clients: dict[str, ClientShare] = {}
        for remote in self.documents().values():
            share = clients.setdefault(owner(remote.record.root), ClientShare())
            share.documents += 1
            share.chunks += remote.record.chunk_count
            share.last_commit_ns = max(share.last_commit_ns, remote.committed_ns)
        generation = state.get("generation") or {}
        index = state.get("index") or {}
        return TeamOverview(corpus=heads.corpus, generation=heads.generation,
                            generation_by=str(generation.get("by", "")),
                            generation_at_ns=int(generation.get("at_ns", 0)),
                            model_id=str(index.get("model_id", "")), chunk_words=int(index.get("chunk_words", 0)),
                            clients=dict(sorted(clients.items())), writing=_intents(state),
                            sentence_records=self.sentences_.count(), text_records=self.texts.count())

    def filed_by(self, client: str) -> list[RemoteDocument]:
        """Every committed document in folders filed under `client`, by path."""
        return sorted((remote for remote in self.documents().values() if owner(remote.record.root) == client),
                      key=lambda remote: (remote.record.root, remote.record.source))

    def forget(self, client: str, run: str) -> list[RemoteDocument]:
        """Withdraw every document filed under `client` (a machine that is gone), as one recorded write.

        Refused while that client has an ingest under way younger than ORPHAN_GRACE_S: it would
        commit again what is being withdrawn.
        """
        busy = [intent for intent in _intents(self._state()) if intent.by == client and intent.live]
        if busy:
            raise TeamModeError(f"{client} has an ingest under way (run {busy[0].run}); forget it once that run "
                                "has ended, or a day after it died")
        gone = self.filed_by(client)
        if not gone:
            return []
        self.begin_write(run)
        try:
            for remote in gone:
                self.remove(remote.record.root, remote.record.source, [])
        finally:
            self.end_write(run)
        return gone

    def assessment_log(self) -> ChromaLog:
        """The shared checklist log."""
        return ChromaLog(self._client.get_or_create_collection(ASSESSMENT, embedding_function=None))


class ChromaLog:
    """An append-only log of small records in a Chroma collection: ids never reused, records never changed."""

    def __init__(self, collection) -> None:
        self.collection = collection

    def append(self, records: list[tuple[str, dict]]) -> None:
        """Add records (id, metadata); None values are dropped (read back as absent)."""
        if records:
            self.collection.add(ids=[key for key, _ in records], embeddings=[placeholder(key) for key, _ in records],
                                metadatas=[_clean(meta) for _, meta in records])

    def read(self) -> list[tuple[str, dict]]:
        """Every record, in no particular order."""
        return list(_scan(self.collection))


def _intents(state: dict[str, dict]) -> list[Intent]:
    """The intents recorded in the state collection, by run id."""
    cutoff = time.time_ns() - ORPHAN_GRACE_S * 1_000_000_000
    return [Intent(run=key[len(INTENT):], by=str(meta.get("by", "?")), at_ns=int(meta.get("at_ns", 0)),
                   live=int(meta.get("at_ns", 0)) >= cutoff)
            for key, meta in sorted(state.items()) if key.startswith(INTENT)]


def _remote(meta: dict) -> RemoteDocument:
    data = {name: meta[name] for name in _RECORD_FIELDS}
    data["label"] = Label(data["label"])
    return RemoteDocument(record=DocumentRecord(**data), labels_fp=str(meta.get("labels_fp", "")),
                          text_parts=int(meta.get("text_parts", 0)), writer=str(meta.get("writer", "")),
                          committed_ns=int(meta.get("committed_ns", 0)))


def _text_id(key: str, doc_hash: str, part: int) -> str:
    return f"{key}-{doc_hash[:16]}-{part}"

