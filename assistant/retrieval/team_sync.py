"""Team mode, the replica side: bring a client's local manifest up to the server's committed documents.

Kept apart from `team` (the server's store) because it is the one place that writes the local
replica from the server: a client's catalog.sqlite and BM25 follow the server through it alone.
"""

from __future__ import annotations

from assistant.core.models import DocumentRecord, TeamModeError
from assistant.retrieval.lexical import fingerprint
from assistant.retrieval.manifest import Manifest
from assistant.retrieval.memory import release_free_memory
from assistant.retrieval.team import SyncResult, TeamStore


def sync(manifest: Manifest, team: TeamStore, model_id: str) -> SyncResult:
    """Bring the local manifest up to the server's committed documents (BM25 follows its fingerprint).

    Holds the data dir's sync lock, so replicas sharing a data dir apply syncs one at a time, each
    reading the server inside the lock: the replica never moves back to an older version. A document
    is applied whole (its rows swapped in one transaction) or, if it is being replaced on the server
    right now, left as it was and retried at the next sync (the generation is then not recorded).
    """
    result = SyncResult()
    with manifest.lock("sync"):
        heads = team.heads()
        corpus, generation = heads.corpus, heads.generation
        mine = manifest.get_meta("team_corpus")
        if mine is None and manifest.documents():
            raise TeamModeError(f"{manifest.path.parent} holds an embedded index; give team mode its own data dir "
                                "(--index DIR or AIMS_HOME)")
        if mine != corpus:  # a replica of another server's corpus: rebuilt (the vector cache stays)
            manifest.reset_documents()
            manifest.set_meta("team_corpus", corpus)
            manifest.set_meta("team_generation", None)
        if generation == manifest.get_meta("team_generation") and not heads.writing:
            result.current = True
            return result
        remote = team.documents()
        local = {(doc.root, doc.source): doc for doc in manifest.documents()}
        for root, source in sorted(set(local) - set(remote)):
            manifest.remove_document(root, source)
            result.removed.append(source)
        def have(hashes: list[str]) -> set[str]:
            return manifest.has_vectors(model_id, hashes)

        for key, item in sorted(remote.items()):
            mine = local.get(key)
            if mine is not None and _same_version(mine, item.record):
                continue
            fetched = team.fetch(item, have)
            if fetched is None:
                result.pending.append(item.record.source)
                continue
            text, chunks, vectors = fetched
            manifest.store_vectors(model_id, vectors)
            manifest.replace_document(item.record, item.labels_fp, text, chunks)
            (result.updated if mine is not None else result.added).append(item.record.source)
        if result.added or result.updated or result.removed:
            manifest.set_meta("chunks_fp", fingerprint(sorted(manifest.all_chunk_ids())))
            release_free_memory()  # the fetched payloads are garbage now
        # While anyone is writing, documents may be committed under this same marker: never rest on it.
        manifest.set_meta("team_generation", None if result.pending or heads.writing else generation)
    return result


def _same_version(local: DocumentRecord, remote: DocumentRecord) -> bool:
    return (local.doc_hash, local.label, local.chunk_count, local.ingested_at) == (
        remote.doc_hash, remote.label, remote.chunk_count, remote.ingested_at)
