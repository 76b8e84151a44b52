"""`aims bench team`: what team mode costs a second machine.

One Chroma server on loopback; client A ingests the sample organisation and reference texts
(replicated `copies` times; vectors from a cache built once, so the model is not the cost);
client B, with an empty data dir, then rebuilds its manifest and BM25 from the server. Prints
A's ingest, B's full rebuild, B's check when nothing changed (the per-command overhead), B's
catch-up after A edits one document, and the server's and B's disk use.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from assistant.bench.common import DEFAULT_PATHS, replicate, start_server
from assistant.config import load_settings
from assistant.core.files import dir_size
from assistant.service import Assistant


def bench_team(copies: int = 1, out=print) -> dict[str, float]:
    """Run the measurement and print it; returns the figures."""
    with tempfile.TemporaryDirectory(prefix="aims-bench-team-") as scratch_dir:
        scratch = Path(scratch_dir)
        seed = Assistant(load_settings(index=scratch / "seed"))
        seed.ingest([p for p in DEFAULT_PATHS if p.exists()])
        corpus = scratch / "corpus"
        replicate([p for p in DEFAULT_PATHS if p.exists()], corpus, copies)
        server, url = start_server(scratch / "server")
        try:
            alpha = Assistant(load_settings(index=scratch / "alpha", chroma_url=url, client_name="alpha"),
                              embedder=seed.embedder)
            model = seed.embedder.model_id
            alpha.manifest.store_vectors(model, seed.manifest.cached_vectors(model, sorted(
                seed.manifest.vector_hashes(model))))
            started = time.perf_counter()
            report = alpha.ingest([corpus])
            ingest_s = time.perf_counter() - started

            bravo = Assistant(load_settings(index=scratch / "bravo", chroma_url=url, client_name="bravo"),
                              embedder=seed.embedder)
            started = time.perf_counter()
            bravo.refresh()
            bravo.lexical()
            rebuild_s = time.perf_counter() - started
            checks = []
            for _ in range(50):
                started = time.perf_counter()
                bravo.refresh()
                checks.append(time.perf_counter() - started)

            edited = next(p for p in sorted(corpus.rglob("*.md")) if "labels" not in p.name)
            edited.write_text(edited.read_text(encoding="utf-8") + "\n\nAdded by the benchmark: one new sentence.\n",
                              encoding="utf-8")
            alpha.ingest([corpus])
            started = time.perf_counter()
            bravo.refresh()
            bravo.lexical()
            catch_up_s = time.perf_counter() - started
            same = [(d.root, d.source, d.doc_hash) for d in alpha.manifest.documents()] == [
                (d.root, d.source, d.doc_hash) for d in bravo.manifest.documents()]
            chunks = bravo.manifest.chunk_count()
            server_bytes = dir_size(scratch / "server")
            replica_bytes = dir_size(scratch / "bravo")
            for assistant in (alpha, bravo, seed):
                assistant.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures = {"documents": float(len(report.added)), "chunks": float(chunks), "ingest_s": ingest_s,
               "rebuild_s": rebuild_s, "check_ms": statistics.median(checks) * 1000,
               "check_p95_ms": sorted(checks)[int(0.95 * len(checks)) - 1] * 1000, "catch_up_s": catch_up_s,
               "server_mib": server_bytes / 1048576, "replica_mib": replica_bytes / 1048576, "same": float(same)}
    out(f"{len(report.added)} documents, {chunks} chunks, vectors cached")
    out(f"A ingests into the server          {ingest_s:8.1f} s")
    out(f"B rebuilds manifest and BM25       {rebuild_s:8.1f} s  ({chunks / rebuild_s:.0f} chunks/s)")
    out(f"B checks when nothing changed      {figures['check_ms']:8.1f} ms median, {figures['check_p95_ms']:.1f} ms p95"
        " (50 checks)")
    out(f"B catches up after A edits one doc {catch_up_s:8.2f} s")
    out(f"server data {figures['server_mib']:.0f} MiB, B's data dir {figures['replica_mib']:.0f} MiB; "
        f"B's manifest {'matches' if same else 'DIFFERS FROM'} A's")
    return figures
