"""`aims bench scale`: ingest and query at ~10k and ~100k chunks, embedded and against a Chroma server.

Each configuration runs in its own process so its peak memory (VmHWM) is its own. The corpus is
the sample organisation and reference texts replicated in numbered folders; their vectors come
from a cache built once, so the figures measure the index, not the embedding model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant import resources
from assistant.bench.common import DEFAULT_PATHS, REPO, percentiles, replicate, start_server, time_asks
from assistant.config import load_settings
from assistant.service import Assistant


def _peak_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def worker(size: int, seed_home: str, scratch: str, url: str | None) -> dict:
    """One configuration: replicate, ingest with cached vectors, time asks; returns the figures."""
    from assistant.evaluation import load_questions

    seed = Assistant(load_settings(index=seed_home))
    per_copy = seed.manifest.chunk_count()
    copies = max(1, round(size / per_copy))
    corpus = Path(scratch) / "corpus"
    replicate([p for p in DEFAULT_PATHS if p.exists()], corpus, copies)
    overrides = {"chroma_url": url} if url else {}
    target = Assistant(load_settings(index=Path(scratch) / "home", **overrides), embedder=seed.embedder)
    model = seed.embedder.model_id
    hashes = [row[0] for row in seed.manifest.db.execute("SELECT text_hash FROM vectors")]
    target.manifest.store_vectors(model, seed.manifest.cached_vectors(model, hashes))
    started = time.perf_counter()
    target.ingest([corpus])
    ingest_s = time.perf_counter() - started
    chunks = target.manifest.chunk_count()
    questions = [(q.question, q.role) for q in load_questions(resources.eval_questions())]
    p50, p95, worst = percentiles(time_asks(target, questions, 1))
    return {"chunks": chunks, "copies": copies, "ingest_s": ingest_s, "chunks_per_s": chunks / ingest_s,
            "p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "max_ms": worst * 1000, "peak_mib": _peak_kib() / 1024,
            "vector_mib": chunks * 384 * 4 / 1048576}


def bench_scale(sizes: tuple[int, ...] = (10_000, 100_000), modes: tuple[str, ...] = ("embedded", "server"),
                out=print) -> list[dict]:
    """Run every size x mode in a subprocess and print a table with growth from the smallest size."""
    results = []
    with tempfile.TemporaryDirectory(prefix="aims-bench-scale-") as scratch:
        seed_home = Path(scratch) / "seed"
        seed = Assistant(load_settings(index=seed_home))
        seed.ingest([p for p in DEFAULT_PATHS if p.exists()])
        seed.close()
        for mode in modes:
            for size in sizes:
                folder = Path(scratch) / f"{mode}-{size}"
                folder.mkdir()
                server, url = start_server(folder / "server") if mode == "server" else (None, None)
                try:
                    code = ("import json, sys; from assistant.bench.scale import worker; "
                            f"print(json.dumps(worker({size}, {str(seed_home)!r}, {str(folder)!r}, {url!r})))")
                    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
                    if done.returncode != 0:
                        raise RuntimeError(done.stderr[-2000:])
                    figures = json.loads(done.stdout.strip().splitlines()[-1])
                    # what a user's `aims ask` or terminal UI holds: a fresh process serving the built index
                    figures["serving"] = _run_worker(f"steady_worker({str(folder / 'home')!r}, {url!r})")
                    figures["server_peak_mib"] = _peak_kib(server.pid) / 1024 if server else 0.0
                finally:
                    if server:
                        server.terminate()
                        server.wait(timeout=30)
                figures.update(mode=mode, size=size)
                results.append(figures)
                out(f"{mode:8} {figures['chunks']:>7} chunks: ingest {figures['ingest_s']:7.1f} s "
                    f"({figures['chunks_per_s']:6.0f} chunks/s), ask p50 {figures['p50_ms']:5.0f} ms, "
                    f"p95 {figures['p95_ms']:5.0f} ms, peak {figures['peak_mib']:6.0f} MiB client"
                    + (f" + {figures['server_peak_mib']:.0f} MiB server" if server else "")
                    + f"; a fresh process serving it: peak {figures['serving']['peak']:.0f} MiB "
                    f"(vectors alone {figures['vector_mib']:.0f} MiB)")
    for mode in modes:
        rows = [r for r in results if r["mode"] == mode]
        if len(rows) >= 2:
            a, b = rows[0], rows[-1]
            out(f"{mode}: x{b['chunks'] / a['chunks']:.1f} chunks -> p95 x{b['p95_ms'] / a['p95_ms']:.2f}, "
                f"for +{b['vector_mib'] - a['vector_mib']:.0f} MiB of vectors: ingesting process peak "
                f"+{b['peak_mib'] - a['peak_mib']:.0f} MiB, serving process peak "
                f"+{b['serving']['peak'] - a['serving']['peak']:.0f} MiB")
    return results


def _phase_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # restart VmHWM: each phase's peak is its own


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_worker(size: int, seed_home: str, scratch: str) -> dict:
    """One size, embedded: each phase's peak and the resident size after it (MiB), in this process."""
    from assistant.evaluation import load_questions
    from assistant.retrieval.ingest import Ingestor

    phases: list[dict] = []

    def mark(name: str) -> None:
        phases.append({"phase": name, "peak": _peak_kib() / 1024, "rss": _rss_mib()})
        _phase_reset()

    seed = Assistant(load_settings(index=seed_home))
    seed.embedder.encode(["warm up"])
    mark("model loaded")
    copies = max(1, round(size / seed.manifest.chunk_count()))
    corpus = Path(scratch) / "corpus"
    replicate([p for p in DEFAULT_PATHS if p.exists()], corpus, copies)
    target = Assistant(load_settings(index=Path(scratch) / "home"), embedder=seed.embedder)
    model = seed.embedder.model_id
    hashes = sorted(seed.manifest.vector_hashes(model))
    target.manifest.store_vectors(model, seed.manifest.cached_vectors(model, hashes))
    target.vectors.count()
    import bm25s  # noqa: F401  (imports belong to "opened", not to a later phase)
    import llama_index.core.schema  # noqa: F401

    mark("stores opened")
    Ingestor(target.manifest, lambda: target.vectors, target.embedder, chunk_words=target.settings.chunk_words,
             max_file_mb=target.settings.max_file_mb, labels_file=target.settings.labels_file).run([corpus])
    mark("ingest (manifest, Chroma)")
    target.lexical()
    mark("BM25 build")
    for question in load_questions(resources.eval_questions()):
        target.ask(question.question, role=question.role)
    mark("80 asks")
    return {"chunks": target.manifest.chunk_count(), "phases": phases, "vector_mib": target.manifest.chunk_count()
            * 384 * 4 / 1048576, "peak": max(p["peak"] for p in phases)}


def steady_worker(home: str, url: str | None = None) -> dict:
    """A fresh process over a built index: resident size after opening it and after 80 asks (MiB)."""
    from assistant.evaluation import load_questions

    assistant = Assistant(load_settings(index=home, **({"chroma_url": url} if url else {})))
    assistant.embedder.encode(["warm up"])
    assistant.vectors.count()
    assistant.lexical()
    opened = _rss_mib()
    for question in load_questions(resources.eval_questions()):
        assistant.ask(question.question, role=question.role)
    return {"opened": opened, "asked": _rss_mib(), "peak": _peak_kib() / 1024}


def bench_memory(sizes: tuple[int, ...] = (10_000, 40_000), seed_home: Path | None = None, out=print) -> list[dict]:
    """Per-phase memory of the embedded index at each size (each in its own process), then a fresh
    process over each built index; prints growth from the smallest size against the vectors' growth."""
    results = []
    with tempfile.TemporaryDirectory(prefix="aims-bench-memory-") as scratch:
        seed = Path(seed_home) if seed_home else Path(scratch) / "seed"
        seeding = Assistant(load_settings(index=seed))
        seeding.ingest([p for p in DEFAULT_PATHS if p.exists()])
        seeding.close()
        for size in sizes:
            folder = Path(scratch) / f"memory-{size}"
            folder.mkdir()
            figures = _run_worker(f"memory_worker({size}, {str(seed)!r}, {str(folder)!r})")
            figures["steady"] = _run_worker(f"steady_worker({str(folder / 'home')!r})")
            results.append(figures)
            out(f"{figures['chunks']:>7} chunks (vectors alone {figures['vector_mib']:.0f} MiB): "
                + ", ".join(f"{p['phase']} peak {p['peak']:.0f} / after {p['rss']:.0f}" for p in figures["phases"])
                + f"; fresh process over it: {figures['steady']['opened']:.0f} opened, "
                f"{figures['steady']['asked']:.0f} after 80 asks (MiB)")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        grown = b["vector_mib"] - a["vector_mib"]
        out(f"x{b['chunks'] / a['chunks']:.1f} chunks, +{grown:.0f} MiB of vectors: ingest-and-ask process peak "
            f"+{b['peak'] - a['peak']:.0f} MiB; fresh process after 80 asks "
            f"+{b['steady']['asked'] - a['steady']['asked']:.0f} MiB")
    return results


def _run_worker(call: str) -> dict:
    code = f"import json; from assistant.bench.scale import *; print(json.dumps({call}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])
