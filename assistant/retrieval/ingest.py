"""Incremental, crash-safe ingestion of corpus folders into the manifest, Chroma and BM25.

Per document: parse, chunk, embed what is not cached, add the new vectors to Chroma, then swap
the document's rows in one SQLite transaction, then delete the old vectors. Chroma entries not
in the manifest are invisible to queries and swept by the next run, so a SIGKILL at any point
leaves an index that answers for what it held and a next run that completes without duplicates.

In team mode (a TeamStore), the server's document record is the commit point instead: chunks,
sentence vectors and text go in first, then the record, then the local replica's rows, then the
old version is retired and the generation marker replaced. Documents are filed under the root
"CLIENT:/folder", so a client adds, updates and removes only documents it ingested itself; a
crashed run's leftovers are swept by the same client's next run (or by anyone after a day).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.core.chunks import embed_spans
from assistant.core.labels import LabelsFileError, resolve_label
from assistant.core.models import Chunk, DocumentRecord, FileFailure, IngestReport, Label, Rename
from assistant.retrieval.embedder import Embedder
from assistant.retrieval.folder_labels import FolderLabels
from assistant.retrieval.ingest_plan import Plan, Planner
from assistant.retrieval.ingest_read import LabelFor, Unchanged, read_file
from assistant.retrieval.manifest import Manifest
from assistant.retrieval.memory import release_free_memory
from assistant.retrieval.parsing import READING
from assistant.retrieval.team import TeamStore
from assistant.retrieval.vectors import VectorIndex

ProgressFn = Callable[[int, int, int, str], None]
"""Called with (files done, files total, chunks embedded so far, current file).

A progress object may also have a `chunks_queued(n)` method: it is told how many chunks this run
has sent to the model so far (embedded or about to be), so its ETA can count chunks, not files.
"""

EMBED_BATCH_CHUNKS = 512
LARGE_FILE_BYTES = 1024 * 1024  # files this large are ingested after the rest of their folder
_WITHHELD = ":withheld"  # the labels part of the fingerprint of a file held as restricted: no labels file gives it


@dataclass
class _Pending:
    """A parsed document waiting for its vectors."""

    record: DocumentRecord
    labels_fp: str
    text: str
    chunks: list[Chunk]
    old_ids: list[str]
    kind: str
    old_label: str | None = None
    old_hash: str | None = None


class Ingestor:
    """Brings the index up to date with one or more corpus folders (or single files)."""

    def __init__(self, manifest: Manifest, vectors: Callable[[], VectorIndex], embedder: Embedder, *,
                 chunk_words: int, max_file_mb: float, labels_file: str, progress: ProgressFn | None = None,
                 team: TeamStore | None = None, root_prefix: str = "") -> None:
        self.manifest = manifest
        self.team = team
        self.root_prefix = root_prefix
        self.run_id = uuid.uuid4().hex
        self._vector_factory = vectors
        self.embedder = embedder
        self.chunk_words = chunk_words
        self.max_bytes = int(max_file_mb * 1024 * 1024)
        self.labels_file = labels_file
        self.progress = progress or (lambda *args: None)
        self.report = IngestReport()
        self._pending: list[_Pending] = []
        self._files_done = 0
        self._files_total = 0
        self._chunks_queued = 0
        self._removed_by_hash: dict[str, str] = {}
        self.planner = Planner(manifest, root_prefix, labels_file)
        self._writing = False  # team mode: whether this run has recorded its intent to write

    def run(self, paths: list[Path]) -> IngestReport:
        """Ingest every path; returns what was added, updated, removed, renamed and failed."""
        started = time.perf_counter()
        with self.manifest.lock("ingest"):
            self._prepare()
            try:
                plans = [self.planner.plan(Path(p)) for p in paths]
                self._files_total = sum(len(plan.walk.files) for plan in plans)
                for plan in plans:
                    self._ingest_root(plan)
                self._flush()
                self._detect_renames()
            finally:  # an error ends the run too: what it committed is whole, and replicas must see it
                if self._writing:
                    self.team.end_write(self.run_id)
            self.manifest.set_meta("ingest_state", "idle")
        self.report.chunks_total = self.manifest.chunk_count()
        self.report.seconds = round(time.perf_counter() - started, 3)
        return self.report

    @property
    def vectors(self) -> VectorIndex:
        """The Chroma side, opened only when something must be written (an unchanged run never does)."""
        return self._vector_factory()

    # --- set-up and recovery -------------------------------------------------------------------
    def _prepare(self) -> None:
        """Reset the index if the model changed; sweep orphans a killed run left in Chroma.

        In team mode the server is never reset: a client with another model is refused, and only its
        own crashed run's leftovers (or anyone's older than a day) are swept.
        """
        model_id = self.embedder.model_id
        if self.team is not None:
            self.team.check_compatible(model_id, self.chunk_words)
            if self.manifest.get_meta("ingest_state") == "running":
                self.team.sweep(self.manifest.get_meta("ingest_run"))
                self.team.bump()  # it may have died between a commit and the marker
                from assistant.retrieval.team_sync import sync

                sync(self.manifest, self.team, model_id)  # so what it committed is not taken for new files
            self.manifest.set_meta("model_id", model_id)
            self.manifest.set_meta("ingest_run", self.run_id)
            self.manifest.set_meta("ingest_state", "running")
            return
        stored = self.manifest.get_meta("model_id")
        legacy_bf16 = stored == model_id and self._built_in_bf16_as_float32()
        if stored is not None and (stored != model_id or legacy_bf16):
            self.vectors.delete(sorted(self.vectors.ids()))
            for doc in self.manifest.documents():
                self.manifest.remove_document(doc.root, doc.source)
            if legacy_bf16:
                self.manifest.drop_vectors(model_id)
        self.manifest.set_meta("model_id", model_id)
        self.manifest.set_meta("embed_precision", self.embedder.precision)
        if self.manifest.get_meta("ingest_state") == "running":
            orphans = self.vectors.ids() - self.manifest.all_chunk_ids()
            self.vectors.delete(sorted(orphans))
        self.manifest.set_meta("ingest_state", "running")

    def _built_in_bf16_as_float32(self) -> bool:
        """Whether this index's vectors are bfloat16 under the float32 model id: built before the precision was
        part of the id, when the default (`auto`) embedded in bfloat16 on a CPU that has it natively.

        Such an index is embedded again once, so that its vectors are the ones every other machine computes.
        """
        from assistant.retrieval.embedder import native_bf16

        return (self.manifest.get_meta("embed_precision") is None and self.embedder.precision == "float32"
                and bool(self.manifest.documents()) and native_bf16())

    # --- one root ----------------------------------------------------------------------------------
    def _ingest_root(self, plan: Plan) -> None:
        folder, walk, single = plan.folder, plan.walk, plan.single
        root = self.root_prefix + folder  # what the documents are filed under
        self.report.roots.append(root)
        self.report.failed.extend(walk.failed)
        self.report.skipped.extend(walk.skipped)
        labels = FolderLabels(Path(folder), self.labels_file)
        known = {source: state for source, state in self.manifest.document_state(root).items()
                 if source.startswith(plan.scope)}
        inner_folders = [] if single or plan.scope else [f for f in self.planner.indexed_folders()
                                                          if f != folder and Path(f).is_relative_to(folder)]
        present: set[str] = set()
        failed_now: set[str] = set()
        for source, path in _small_first(walk.files):
            if _size(path) >= LARGE_FILE_BYTES:
                self._flush()  # what is queued goes in before a large file's long embedding starts
            present.add(source)
            reason = self._ingest_file(root, source, path, labels, known.get(source))
            if reason:
                failed_now.add(source)
                self.report.failed.append(FileFailure(source=source, reason=reason))
                self.manifest.record_failure(root, source, reason)
            self._files_done += 1
            self.progress(self._files_done, self._files_total, self.report.chunks_embedded, source)
        if not single:
            self._flush()
            gone = sorted(set(known) - present)
            for source in gone:
                self._removed_by_hash[known[source][0]] = source
                self.report.removed.append(source)
                self.report.chunks_removed += len(self._remove_document(root, source))
            for inner in inner_folders:  # its files are now filed under this folder: the inner copies go
                gone.extend(self._retire_inner_copies(inner, folder, present - failed_now))
            if self.team is not None and gone:
                self.team.bump()
            self.manifest.clear_failures(root, keep=failed_now, scope=plan.scope)

    def _retire_inner_copies(self, inner: str, folder: str, filed: set[str]) -> list[str]:
        """Remove the documents of an indexed folder inside `folder` that are now filed under `folder`.

        A copy just added under `folder` is reported as renamed (inner path to its new name); one that was
        already there as removed, by its inner path. A file the walk did not reach (a hidden folder) stays.
        """
        sub = Path(inner).relative_to(folder).as_posix()
        retired = []
        for source in sorted(self.manifest.document_state(self.root_prefix + inner)):
            refiled = f"{sub}/{source}"
            if refiled not in filed:
                continue
            self.report.chunks_removed += len(self._remove_document(self.root_prefix + inner, source))
            old_path = f"{inner}/{source}"
            if refiled in self.report.added:
                self.report.added.remove(refiled)
                self.report.renamed.append(Rename(old=old_path, new=refiled))
            else:
                self.report.removed.append(old_path)
            retired.append(old_path)
        return retired

    def _remove_document(self, root: str, source: str) -> list[str]:
        """Take one document out of the index (the team's server first, in team mode); its chunk ids."""
        if self.team is not None:
            self._begin_write()
            self.team.remove(root, source, self.manifest.chunk_ids(root, source))
            with self.manifest.lock("sync"):
                return self.manifest.remove_document(root, source)
        ids = self.manifest.remove_document(root, source)
        if ids:
            self.vectors.delete(ids)
        return ids

    def _ingest_file(self, root: str, source: str, path: Path, labels: FolderLabels, known) -> str | None:
        """Queue one file if new or changed; returns a failure reason, or None."""
        try:
            rules, labels_digests = labels.for_source(source)
        except LabelsFileError as exc:
            # Fail closed: without all its rules a confidential file could be shown to staff, and keeping its
            # old label would keep showing what the edited file may restrict. It is held as restricted (no rule
            # is more sensitive) under a fingerprint no valid file gives, so the fix reads it again.
            held = FileFailure(source=source, reason=f"{exc}; held as restricted until it is fixed")
            self.report.withheld.append(held)
            withheld = f"withheld: labels file {exc.file or self.labels_file} is invalid"
            labels_fp = f"r{READING}{_WITHHELD}"
            reason = self._read_file(root, source, path, lambda parsed: (Label.RESTRICTED, withheld), labels_fp, known)
            if reason and known:  # its last good version stays, and is held as restricted too
                self._withhold_stored(root, source, labels_fp, withheld)
            return reason

        def label_for(parsed) -> tuple[Label, str]:
            origin = "front matter" if parsed.format == "markdown" else "document metadata"
            return resolve_label(source, rules, parsed.metadata_label, origin, parsed.header_text)

        # how it is read is part of its fingerprint: a parser or labels change reads it again
        return self._read_file(root, source, path, label_for, f"r{READING}{labels_digests}", known)

    def _withhold_stored(self, root: str, source: str, labels_fp: str, origin: str) -> None:
        """Queue the stored version of a document as restricted, its vectors moved, nothing read or embedded."""
        record = self.manifest.document(root, source)
        if record is None or record.label is Label.RESTRICTED:
            return
        old_ids = self.manifest.chunk_ids(root, source)
        stored = sorted(self.manifest.chunks_by_id(old_ids).values(), key=lambda c: c.ordinal)
        chunks = [c.model_copy(update={"label": Label.RESTRICTED}) for c in stored]
        self._pending.append(_Pending(
            record.model_copy(update={"label": Label.RESTRICTED, "label_origin": origin}), labels_fp,
            self.manifest.document_text(root, source) or "", chunks, old_ids, "", record.label.value, record.doc_hash))

    def _read_file(self, root: str, source: str, path: Path, label_for: LabelFor, labels_fp: str,
                   known) -> str | None:
        """Read one file (`ingest_read.read_file`) and queue it when it changed; returns a failure reason, or None."""
        result = read_file(root, source, path, label_for, labels_fp, known, max_bytes=self.max_bytes,
                           chunk_words=self.chunk_words)
        if isinstance(result, str):
            return result
        if isinstance(result, Unchanged):
            if result.touch is not None:
                self.manifest.touch_document(root, source, *result.touch)
            self.report.unchanged.append(source)
            return None
        old_ids = self.manifest.chunk_ids(root, source) if known else []
        old_label = self.manifest.document_label(root, source) if known else None
        kind = "updated" if known else "added"
        self._pending.append(_Pending(result.record, labels_fp, result.text, result.chunks, old_ids, kind, old_label,
                                      known[0] if known else None))
        if sum(len(p.chunks) for p in self._pending) >= EMBED_BATCH_CHUNKS:
            self._flush()
        return None

    # --- embedding and committing ------------------------------------------------------------------
    def _flush(self) -> None:
        """Embed the pending documents' uncached chunks in one batch, then commit each document."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        vectors = self._vectors_for([chunk for item in pending for chunk in item.chunks])
        if self.team is not None:
            self._flush_shared(pending, vectors)
        else:
            self._flush_embedded(pending, vectors)
        release_free_memory()  # a batch's texts, nodes and payloads are garbage now

    def _flush_embedded(self, pending: list[_Pending], vectors: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Per document: new vectors into Chroma, then the manifest rows swapped, then the old vectors deleted."""
        for item in pending:
            chunk_vectors = np.stack([vectors[c.chunk_hash][0] for c in item.chunks]) if item.chunks else None
            if item.old_label not in (None, item.record.label.value):
                # Relabelled: its vectors move collection, and must never sit in the old one as well.
                self.vectors.delete(item.old_ids)
            if item.chunks:  # ids it keeps (the same bytes read again) get the new vectors: add replaces
                self.vectors.add(item.chunks, chunk_vectors)
            self.manifest.replace_document(item.record, item.labels_fp, item.text, item.chunks)
            stale = sorted(set(item.old_ids) - {c.id for c in item.chunks})
            if stale:
                self.vectors.delete(stale)
            self._count(item, len(stale))

    def _flush_shared(self, pending: list[_Pending], vectors: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Team mode, for a batch of documents: chunks and sentence vectors, then texts and records (each
        record commits its document), then the replica's rows, then the old versions retired and the
        generation marker replaced once. Batching keeps the server round trips per batch, not per document."""
        team = self.team
        self._begin_write()
        relabelled = [cid for item in pending if item.old_label not in (None, item.record.label.value)
                      for cid in item.old_ids]
        self.vectors.delete(relabelled)  # a relabelled document's vectors must never sit in two collections
        chunks = [chunk for item in pending for chunk in item.chunks]
        if chunks:
            self.vectors.add(chunks, np.stack([vectors[c.chunk_hash][0] for c in chunks]), run=self.run_id)
            team.put_sentences({c.chunk_hash: vectors[c.chunk_hash] for c in chunks})
        team.commit([(item.record, item.labels_fp, item.text) for item in pending], self.run_id)
        with self.manifest.lock("sync"):
            for item in pending:
                self.manifest.replace_document(item.record, item.labels_fp, item.text, item.chunks)
        for item in pending:
            if item.old_hash is not None:
                team.retire(item.record.root, item.record.source, item.old_hash, item.old_ids)
            self._count(item, len(set(item.old_ids) - {c.id for c in item.chunks}))
        team.bump()

    def _begin_write(self) -> None:
        """Team mode: record this run's intent on the server before its first change (once per run)."""
        if not self._writing:
            self.team.begin_write(self.run_id)
            self._writing = True

    def _count(self, item: _Pending, stale: int) -> None:
        if item.kind:  # a stored version only relabelled (withheld) is not listed: its file is reported failed
            getattr(self.report, item.kind).append(item.record.source)
        self.report.chunks_added += len(item.chunks)
        self.report.chunks_removed += stale

    def _vectors_for(self, chunks: list[Chunk]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """(chunk vector, sentence vectors) by chunk hash: cached ones re-used, the rest embedded and cached."""
        model = self.embedder.model_id
        found = self.manifest.cached_vectors(model, [c.chunk_hash for c in chunks])
        # a cached entry whose sentence vectors no longer match the chunk's quotable spans (the sentence
        # rules changed since it was embedded) is embedded again, so every quote keeps its own vector
        missing = {c.chunk_hash: c for c in chunks
                   if c.chunk_hash not in found or not _sentences_fit(found[c.chunk_hash][1], c)}
        if missing:
            self._chunks_queued += len(missing)
            queued = getattr(self.progress, "chunks_queued", None)
            if queued is not None:
                queued(self._chunks_queued)
            new = self._embed(list(missing.values()))
            self.manifest.store_vectors(model, new)
            found.update(new)
            self.report.chunks_embedded += len(new)
        return found

    def _embed(self, chunks: list[Chunk]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Embed in length-sorted slices: padding stays small and the progress bar moves."""
        ordered = sorted(chunks, key=lambda c: len(c.embed_text))
        result: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        step = max(self.embedder.batch_size * 16, 512)
        for start in range(0, len(ordered), step):
            part = ordered[start : start + step]
            vectors, sentences = self.embedder.encode_with_spans(
                [c.embed_text for c in part], [embed_spans(c) for c in part]
            )
            for chunk, vector, rows in zip(part, vectors, sentences):
                result[chunk.chunk_hash] = (vector, rows)
            done = self.report.chunks_embedded + min(start + step, len(ordered))
            self.progress(self._files_done, self._files_total, done, "")
        return result

    def _detect_renames(self) -> None:
        """Report an added file whose content equals a removed one as a rename (its vectors were re-used)."""
        if not self._removed_by_hash or not self.report.added:
            return
        added = {doc.source: doc.doc_hash for doc in self.manifest.documents() if doc.source in self.report.added}
        for new_source, doc_hash in added.items():
            old_source = self._removed_by_hash.get(doc_hash)
            if old_source and old_source in self.report.removed and new_source in self.report.added:
                self.report.removed.remove(old_source)
                self.report.added.remove(new_source)
                self.report.renamed.append(Rename(old=old_source, new=new_source))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _small_first(files: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The files in walk order, with large ones moved to the end: one big file never holds the rest back."""
    return sorted(files, key=lambda item: _size(item[1]) >= LARGE_FILE_BYTES)


def _sentences_fit(rows: np.ndarray, chunk: Chunk) -> bool:
    """Whether cached sentence vectors are one per quotable span of the chunk (table rows need none)."""
    spans = embed_spans(chunk)
    return spans is None or len(rows) == len(spans)
