"""The manifest: documents, chunks, cached vectors and failures in one SQLite file.

SQLite is the source of truth for what is indexed: a chunk counts only once its document's
transaction here has committed, so a killed ingest never exposes half a document.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.core.models import Chunk, DocumentRecord, FileFailure, Label

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents(
    root TEXT NOT NULL, source TEXT NOT NULL, doc_hash TEXT NOT NULL, size INTEGER, mtime_ns INTEGER,
    format TEXT, title TEXT, label TEXT, label_origin TEXT, labels_fp TEXT, chunk_count INTEGER,
    ingested_at TEXT, text TEXT, PRIMARY KEY(root, source));
CREATE TABLE IF NOT EXISTS chunks(
    id TEXT PRIMARY KEY, root TEXT NOT NULL, source TEXT NOT NULL, ordinal INTEGER, text TEXT,
    embed_text TEXT, start INTEGER, "end" INTEGER, page INTEGER, section TEXT, sheet TEXT, row INTEGER,
    chunk_hash TEXT, doc_hash TEXT, label TEXT, title TEXT);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(root, source);
CREATE TABLE IF NOT EXISTS vectors(model TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL,
    sentences BLOB, PRIMARY KEY(model, text_hash));
CREATE TABLE IF NOT EXISTS failures(root TEXT NOT NULL, source TEXT NOT NULL, reason TEXT, at TEXT,
    PRIMARY KEY(root, source));
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
"""

_DOCUMENT_KEYS = ("root", "source", "doc_hash", "size", "mtime_ns", "format", "title", "label", "label_origin",
                  "chunk_count", "ingested_at")
_CHUNK_COLUMNS = ("id", "root", "source", "ordinal", "text", "embed_text", "start", "end", "page", "section",
                  "sheet", "row", "chunk_hash", "doc_hash", "label", "title")


def now_iso() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class Manifest:
    """Typed access to the manifest database; one connection per instance."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An exclusive lock on `name.lock` beside the database, across threads and processes.

        "ingest" serialises ingests into one data dir (so a crashed run's leftovers are told from a
        running one's); "sync" serialises replica updates and BM25 rebuilds.
        """
        with open(self.path.parent / f"{name}.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A value from the meta table (model id, ingest state, BM25 fingerprint)."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with None, delete) a meta value, committed at once."""
        with self.db:
            if value is None:
                self.db.execute("DELETE FROM meta WHERE key=?", (key,))
            else:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, value))

    # --- documents ----------------------------------------------------------------------------
    def documents(self, root: str | None = None) -> list[DocumentRecord]:
        """Every indexed document (of one root, if given), ordered by root and source."""
        query = f"SELECT {', '.join(_DOCUMENT_KEYS)} FROM documents"
        params: tuple = ()
        if root is not None:
            query += " WHERE root=?"
            params = (root,)
        rows = self.db.execute(query + " ORDER BY root, source", params).fetchall()
        return [DocumentRecord(**dict(zip(_DOCUMENT_KEYS, row))) for row in rows]

    def document(self, root: str, source: str) -> DocumentRecord | None:
        """One indexed document's record, or None.

        Why: a lookup by key, where scanning `documents` for each of many files (every file held back by
        an invalid labels file) would read the whole table once a file.
        """
        row = self.db.execute(f"SELECT {', '.join(_DOCUMENT_KEYS)} FROM documents WHERE root=? AND source=?",
                              (root, source)).fetchone()
        return DocumentRecord(**dict(zip(_DOCUMENT_KEYS, row))) if row else None

    def roots(self) -> set[str]:
        """The roots (folders, or "CLIENT:/folder" in team mode) that documents are filed under."""
        return {row[0] for row in self.db.execute("SELECT DISTINCT root FROM documents")}

    def document_state(self, root: str) -> dict[str, tuple[str, int, int, str]]:
        """source -> (doc_hash, size, mtime_ns, labels fingerprint) for one root: the change detector."""
        rows = self.db.execute(
            "SELECT source, doc_hash, size, mtime_ns, labels_fp FROM documents WHERE root=?", (root,)
        ).fetchall()
        return {row[0]: (row[1], row[2], row[3], row[4] or "") for row in rows}

    def document_text(self, root: str, source: str) -> str | None:
        """The canonical text of an indexed document (what quotes are checked against)."""
        row = self.db.execute("SELECT text FROM documents WHERE root=? AND source=?", (root, source)).fetchone()
        return row[0] if row else None

    def document_label(self, root: str, source: str) -> str | None:
        """The label an indexed document was stored under."""
        row = self.db.execute("SELECT label FROM documents WHERE root=? AND source=?", (root, source)).fetchone()
        return row[0] if row else None

    def chunk_ids(self, root: str, source: str) -> list[str]:
        """Ids of the chunks of one document."""
        rows = self.db.execute("SELECT id FROM chunks WHERE root=? AND source=?", (root, source)).fetchall()
        return [row[0] for row in rows]

    def replace_document(self, record: DocumentRecord, labels_fp: str, text: str, chunks: list[Chunk]) -> None:
        """Atomically swap a document's row and chunks for a new version (or add it)."""
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE root=? AND source=?", (record.root, record.source))
            self.db.execute(
                "INSERT OR REPLACE INTO documents VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.root, record.source, record.doc_hash, record.size, record.mtime_ns, record.format,
                 record.title, record.label.value, record.label_origin, labels_fp, record.chunk_count,
                 record.ingested_at, text),
            )
            self.db.executemany(
                f"INSERT OR REPLACE INTO chunks VALUES({','.join('?' * len(_CHUNK_COLUMNS))})",
                [tuple(_chunk_value(chunk, name) for name in _CHUNK_COLUMNS) for chunk in chunks],
            )
            self.db.execute("DELETE FROM failures WHERE root=? AND source=?", (record.root, record.source))

    def reset_documents(self) -> None:
        """Forget every document, chunk and failure (the vector cache stays): a replica of another store."""
        with self.db:
            for table in ("chunks", "documents", "failures"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE key='chunks_fp'")

    def touch_document(self, root: str, source: str, size: int, mtime_ns: int) -> None:
        """Record a new mtime for a file whose content did not change, so the next run skips hashing."""
        with self.db:
            self.db.execute("UPDATE documents SET size=?, mtime_ns=? WHERE root=? AND source=?",
                            (size, mtime_ns, root, source))

    def remove_document(self, root: str, source: str) -> list[str]:
        """Delete a document and its chunks; returns the removed chunk ids."""
        ids = self.chunk_ids(root, source)
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE root=? AND source=?", (root, source))
            self.db.execute("DELETE FROM documents WHERE root=? AND source=?", (root, source))
            self.db.execute("DELETE FROM failures WHERE root=? AND source=?", (root, source))
        return ids

    # --- chunks -------------------------------------------------------------------------------
    def all_chunk_ids(self) -> set[str]:
        """Every committed chunk id."""
        return {row[0] for row in self.db.execute("SELECT id FROM chunks")}

    def chunk_count(self) -> int:
        """How many chunks are committed."""
        return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def iter_chunk_texts(self) -> Iterable[tuple[str, str, str]]:
        """(id, embed_text, label) of every chunk in a stable order, for building BM25."""
        yield from self.db.execute("SELECT id, embed_text, label FROM chunks ORDER BY id")

    def chunks_by_id(self, ids: list[str]) -> dict[str, Chunk]:
        """The committed chunks among ids (orphans of a killed ingest are simply absent)."""
        found: dict[str, Chunk] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            cols = ",".join(f'"{c}"' for c in _CHUNK_COLUMNS)
            for row in self.db.execute(f"SELECT {cols} FROM chunks WHERE id IN ({marks})", part):
                data = dict(zip(_CHUNK_COLUMNS, row))
                data["label"] = Label(data["label"])
                found[data["id"]] = Chunk(**data)
        return found

    def section_chunks(self, root: str, source: str, section: str | None, page: int | None) -> list[Chunk]:
        """The chunks of one section of one document (its heading trail; a page where it has none), in order."""
        cols = ",".join(f'"{c}"' for c in _CHUNK_COLUMNS)
        if section is not None:
            rows = self.db.execute(f"SELECT {cols} FROM chunks WHERE root=? AND source=? AND section=? "
                                   "ORDER BY ordinal", (root, source, section))
        else:
            rows = self.db.execute(f"SELECT {cols} FROM chunks WHERE root=? AND source=? AND section IS NULL "
                                   "AND page IS ? ORDER BY ordinal", (root, source, page))
        found = []
        for row in rows:
            data = dict(zip(_CHUNK_COLUMNS, row))
            data["label"] = Label(data["label"])
            found.append(Chunk(**data))
        return found

    # --- vectors ------------------------------------------------------------------------------
    def cached_vectors(self, model: str, text_hashes: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """(chunk vector, sentence vectors) already computed for these embedded texts by this model."""
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        unique = list(dict.fromkeys(text_hashes))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT text_hash, vector, sentences FROM vectors WHERE model=? AND text_hash IN ({marks})"
            for text_hash, blob, sentences in self.db.execute(query, [model, *part]):
                vector = np.frombuffer(blob, dtype=np.float32)
                rows = np.frombuffer(sentences or b"", dtype=np.float16).astype(np.float32)
                found[text_hash] = (vector, rows.reshape(-1, vector.shape[0]))
        return found

    def vector_hashes(self, model: str) -> set[str]:
        """The text hashes whose vectors this model has cached."""
        return {row[0] for row in self.db.execute("SELECT text_hash FROM vectors WHERE model=?", (model,))}

    def has_vectors(self, model: str, text_hashes: list[str]) -> set[str]:
        """Which of these text hashes have vectors cached for this model."""
        found: set[str] = set()
        unique = list(dict.fromkeys(text_hashes))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            query = f"SELECT text_hash FROM vectors WHERE model=? AND text_hash IN ({','.join('?' * len(part))})"
            found.update(row[0] for row in self.db.execute(query, [model, *part]))
        return found

    def drop_vectors(self, model: str) -> None:
        """Forget every vector cached under this model id (they were computed some other way than it says)."""
        with self.db:
            self.db.execute("DELETE FROM vectors WHERE model=?", (model,))

    def store_vectors(self, model: str, vectors: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Cache a text's vector and its sentences' vectors (float16) by the text's hash.

        Renames, copies and edits that keep a section's text re-use them instead of embedding again.
        """
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES(?,?,?,?)",
                [(model, key, np.asarray(vec, dtype=np.float32).tobytes(), np.asarray(sent, dtype=np.float16).tobytes())
                 for key, (vec, sent) in vectors.items()],
            )

    # --- failures -----------------------------------------------------------------------------
    def record_failure(self, root: str, source: str, reason: str) -> None:
        """Remember why a file failed, for `aims status`."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO failures VALUES(?,?,?,?)", (root, source, reason, now_iso()))

    def clear_failures(self, root: str, keep: set[str], scope: str = "") -> None:
        """Forget failures of a root's files (under `scope`, a sub-folder prefix) that no longer fail."""
        rows = self.db.execute("SELECT source FROM failures WHERE root=?", (root,)).fetchall()
        with self.db:
            for (source,) in rows:
                if source not in keep and source.startswith(scope):
                    self.db.execute("DELETE FROM failures WHERE root=? AND source=?", (root, source))

    def failures(self) -> list[FileFailure]:
        """Every file whose last ingest failed, with its reason."""
        rows = self.db.execute("SELECT source, reason FROM failures ORDER BY root, source").fetchall()
        return [FileFailure(source=source, reason=reason) for source, reason in rows]


def _chunk_value(chunk: Chunk, name: str) -> object:
    value = getattr(chunk, name)
    return value.value if isinstance(value, Label) else value
