"""`aims bench ingest|query`: the index's measured figures, printed.

ingest: from one run on the same chunks, the full ingest time, the raw `encode` time of those
chunks' texts (model warm, same batch size), their ratio, and an unchanged re-ingest's time.
query: p50/p95 of `ask` at two index sizes, and one cold `aims ask`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from assistant import resources
from assistant.bench.common import DEFAULT_PATHS, REPO, percentiles, replicate, time_asks
from assistant.config import load_settings
from assistant.service import Assistant


def bench_ingest(paths: list[Path], index: Path | None = None, out=print) -> dict[str, float]:
    """Run the benchmark and print its figures; returns them for callers and tests."""
    paths = [p for p in (paths or DEFAULT_PATHS) if p.exists()]
    with tempfile.TemporaryDirectory(prefix="aims-bench-") as scratch:
        home = index or Path(scratch)
        assistant = Assistant(load_settings(index=home))
        assistant.clear()
        started = time.perf_counter()
        assistant.embedder.encode(["warm up the model"])  # load outside both timings
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        report = assistant.ingest(paths)
        full = time.perf_counter() - started
        texts = [row[1] for row in assistant.manifest.iter_chunk_texts()]
        started = time.perf_counter()
        assistant.embedder.encode(texts)
        raw = time.perf_counter() - started
        started = time.perf_counter()
        again = assistant.ingest(paths)
        unchanged = time.perf_counter() - started
        assistant.close()
    figures = {
        "documents": float(len(report.added)),
        "chunks": float(len(texts)),
        "failed": float(len(report.failed)),
        "model_load_s": load_seconds,
        "full_ingest_s": full,
        "raw_encode_s": raw,
        "ratio": full / raw if raw else float("nan"),
        "unchanged_reingest_s": unchanged,
        "unchanged_share": unchanged / full if full else float("nan"),
        "chunks_per_s": len(texts) / full if full else float("nan"),
        "reembedded_on_reingest": float(again.chunks_embedded),
    }
    out(f"paths: {', '.join(str(p) for p in paths)}")
    out(f"documents {len(report.added)}, chunks {len(texts)}, failed {len(report.failed)}; "
        f"model load {load_seconds:.1f}s (excluded)")
    out(f"full ingest          {full:8.2f} s  ({figures['chunks_per_s']:.1f} chunks/s)")
    out(f"raw encode (floor)   {raw:8.2f} s  (SentenceTransformer.encode on the same {len(texts)} texts)")
    out(f"ratio                {figures['ratio']:8.2f}    target <= 1.25")
    out(f"unchanged re-ingest  {unchanged:8.3f} s  ({100 * figures['unchanged_share']:.1f} % of full; target <= 5 %)")
    return figures


def bench_query(target_chunks: int = 50_000, rounds: int = 2, out=print) -> dict[str, float]:
    """p50/p95 of `ask` at the sample size and at about `target_chunks` chunks, and one cold `aims ask`."""
    import subprocess
    import sys

    from assistant.evaluation import load_questions

    questions = [(q.question, q.role) for q in load_questions(resources.eval_questions())]
    sources = [p for p in DEFAULT_PATHS if p.exists()]
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="aims-bench-query-") as scratch:
        small = Assistant(load_settings(index=Path(scratch) / "small"))
        small.ingest(sources)
        chunks_small = small.manifest.chunk_count()
        p50, p95, worst = percentiles(time_asks(small, questions, rounds))
        figures.update(small_chunks=chunks_small, small_p50_ms=p50 * 1000, small_p95_ms=p95 * 1000)
        out(f"sample size: {chunks_small} chunks, {len(questions) * rounds} asks: "
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {worst * 1000:.0f} ms")
        started = time.perf_counter()
        cold = subprocess.run([sys.executable, "-m", "assistant", "ask", "Who chairs the AI Governance Committee?",
                               "--index", str(Path(scratch) / "small"), "--json"], capture_output=True, cwd=REPO)
        figures["cold_ask_s"] = time.perf_counter() - started
        out(f"cold `aims ask` process: {figures['cold_ask_s']:.2f} s (exit {cold.returncode}; imports and model load)")
        copies = max(1, round(target_chunks / max(1, chunks_small)))
        corpus = Path(scratch) / "replicated"
        replicate(sources, corpus, copies)
        large = Assistant(load_settings(index=Path(scratch) / "large"), embedder=small.embedder)
        # Same texts as the small index: its vector cache spares the model, as a real re-ingest would.
        large.manifest.store_vectors(small.embedder.model_id, small.manifest.cached_vectors(
            small.embedder.model_id, [row[0] for row in small.manifest.db.execute("SELECT text_hash FROM vectors")]))
        started = time.perf_counter()
        large.ingest([corpus])
        figures["large_ingest_s"] = time.perf_counter() - started
        chunks_large = large.manifest.chunk_count()
        p50, p95, worst = percentiles(time_asks(large, questions, rounds))
        figures.update(large_chunks=chunks_large, large_p50_ms=p50 * 1000, large_p95_ms=p95 * 1000)
        out(f"large: {chunks_large} chunks ({copies} copies, ingest {figures['large_ingest_s']:.0f} s with cached "
            f"vectors), {len(questions) * rounds} asks: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms; target p95 <= 150 ms")
        small.close()
        large.close()
    return figures
