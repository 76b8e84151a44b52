"""`aims bench ingest`: the cost of ingesting against the floor set by the embedding model alone.

Prints, from one run on the same chunks: the full ingest time, the raw `encode` time of those
chunks' texts (model warm, same batch size), their ratio, and an unchanged re-ingest's time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from assistant.config import load_settings
from assistant.service import Assistant

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = [REPO / "corpus" / "sample", REPO.parent / "shared" / "reference-texts"]


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
        texts = [row[1] for row in assistant.catalog.iter_chunk_texts()]
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
