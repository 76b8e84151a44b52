"""`aims bench ingest|query|ui`: measured figures, printed.

ingest: from one run on the same chunks, the full ingest time, the raw `encode` time of those
chunks' texts (model warm, same batch size), their ratio, and an unchanged re-ingest's time.
query: p50/p95 of `ask` at two index sizes, and one cold `aims ask`.
ui: the terminal UI's time to first paint in fresh processes, beside a bare Textual app's.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from assistant import resources
from assistant.config import load_settings
from assistant.service import Assistant

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = [resources.sample_corpus(), REPO.parent / "shared" / "reference-texts"]


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


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return pick(0.5), pick(0.95), ordered[-1]


def _time_asks(assistant: Assistant, questions: list[tuple[str, str]], rounds: int) -> list[float]:
    """Seconds per `ask` (extractive, model warm), over every question and role, `rounds` times."""
    assistant.ask("warm up: who approves AI systems?", role="auditor")
    samples = []
    for _ in range(rounds):
        for question, role in questions:
            started = time.perf_counter()
            assistant.ask(question, role=role)
            samples.append(time.perf_counter() - started)
    return samples


def _replicate(sources: list[Path], target: Path, copies: int) -> None:
    """Copies of the corpus in numbered folders: identical texts, so cached vectors are re-used."""
    import shutil

    for number in range(copies):
        folder = target / f"copy-{number:04d}"
        folder.mkdir(parents=True)
        for source in sources:
            for path in sorted(source.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    shutil.copy2(path, folder / path.name)


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
        chunks_small = small.catalog.chunk_count()
        p50, p95, worst = _percentiles(_time_asks(small, questions, rounds))
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
        _replicate(sources, corpus, copies)
        large = Assistant(load_settings(index=Path(scratch) / "large"), embedder=small.embedder)
        # Same texts as the small index: its vector cache spares the model, as a real re-ingest would.
        large.catalog.store_vectors(small.embedder.model_id, small.catalog.cached_vectors(
            small.embedder.model_id, [row[0] for row in small.catalog.db.execute("SELECT text_hash FROM vectors")]))
        started = time.perf_counter()
        large.ingest([corpus])
        figures["large_ingest_s"] = time.perf_counter() - started
        chunks_large = large.catalog.chunk_count()
        p50, p95, worst = _percentiles(_time_asks(large, questions, rounds))
        figures.update(large_chunks=chunks_large, large_p50_ms=p50 * 1000, large_p95_ms=p95 * 1000)
        out(f"large: {chunks_large} chunks ({copies} copies, ingest {figures['large_ingest_s']:.0f} s with cached "
            f"vectors), {len(questions) * rounds} asks: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms; target p95 <= 150 ms")
        small.close()
        large.close()
    return figures


HEAVY_BEFORE_PAINT = ("torch", "sentence_transformers", "transformers", "chromadb", "llama_index", "pydantic")


def first_paint(index: Path | None, size: tuple[int, int] = (120, 36), timeout: float = 120.0) -> dict:
    """Start `python -m assistant tui` in a fresh process on a pseudo-terminal and time its first frame.

    The app (with `--first-paint-report`) quits as soon as its first frame is painted and writes
    when that was and which modules were loaded by then; the time counts from just before the
    process is spawned, so interpreter start-up and every import are in it. With `index` None,
    the bare Textual app of `assistant.tui.bare` is timed instead: the floor.
    """
    import fcntl
    import json
    import pty
    import select
    import struct
    import subprocess
    import sys
    import termios

    with tempfile.TemporaryDirectory(prefix="aims-bench-ui-") as scratch:
        report = Path(scratch) / "first-paint.json"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = {**os.environ, "TERM": "xterm-256color"}
        if index is None:
            command = [sys.executable, "-m", "assistant.tui.bare", "--first-paint-report", str(report)]
        else:
            command = [sys.executable, "-m", "assistant", "tui", "--index", str(index),
                       "--first-paint-report", str(report)]
        started = time.time()
        proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=env,
                                start_new_session=True)
        os.close(slave)
        output = bytearray()
        try:
            while True:  # the terminal must be read, or the app blocks writing its frame
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:  # EIO: the process closed the terminal
                        chunk = b""
                    output += chunk
                    if chunk:
                        continue
                if proc.poll() is not None:
                    break
                if time.time() - started > timeout:
                    proc.kill()
                    raise RuntimeError(f"no first paint within {timeout:.0f} s")
        finally:
            os.close(master)
            proc.wait()
        if proc.returncode != 0 or not report.exists():
            tail = output[-2000:].decode("utf-8", "replace")
            raise RuntimeError(f"the app exited {proc.returncode} without a report: {tail}")
        data = json.loads(report.read_text())
    data["first_paint_s"] = data["painted_at"] - started
    if "ready_at" in data:  # the settings and service built, every tab mounted
        data["ready_s"] = data["ready_at"] - started
    data["terminal_bytes"] = len(output)
    return data


def bench_ui(index: Path | None = None, runs: int = 5, out=print) -> dict[str, float]:
    """Time to first paint of the terminal UI, `runs` fresh processes each on an empty data dir and an index.

    Beside it, the same measure of a bare Textual app (header, one line, footer): the floor that
    no Textual app on this machine, at this moment, goes under. Without `index`, the sample
    organisation is ingested into a temporary data dir first (that needs the model, a minute or
    two here; it is not part of any timing).
    """
    import statistics

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="aims-bench-ui-home-") as scratch:
        empty = Path(scratch) / "empty"
        if index is None:
            index = Path(scratch) / "sample"
            out("ingesting the sample organisation for the populated case (not timed)...")
            sample = Assistant(load_settings(index=index))
            sample.ingest([resources.sample_corpus()])
            sample.close()
        holder = Assistant(load_settings(index=index))
        documents = len(holder.catalog.documents())
        holder.close()
        out(f"time to first paint: a fresh process on a 120x36 pseudo-terminal, from spawn to the first frame "
            f"painted, {runs} runs each (interleaved)")
        cases = [("bare Textual app (the floor)", "bare", None), ("aims tui, empty data dir", "empty", empty),
                 (f"aims tui, index of {documents} documents", "index", index)]
        results: dict[str, list[dict]] = {key: [] for _, key, _ in cases}
        for _ in range(runs):  # interleaved, so a change in the machine's load touches every case alike
            for _, key, home in cases:
                results[key].append(first_paint(home))
        for name, key, _ in cases:
            times = [r["first_paint_s"] for r in results[key]]
            heavy = sorted({m for r in results[key] for m in r["heavy_modules_loaded"] if m in HEAVY_BEFORE_PAINT})
            median = statistics.median(times)
            figures.update({f"{key}_median_s": median, f"{key}_min_s": min(times), f"{key}_max_s": max(times),
                            f"{key}_heavy_loaded": float(len(heavy))})
            out(f"{name:40} median {median:5.2f} s  (min {min(times):.2f}, max {max(times):.2f})")
            if key != "bare":
                ready = [r["ready_s"] for r in results[key]]
                figures[f"{key}_ready_median_s"] = statistics.median(ready)
                out(f"{'':40} then ready (settings, service, every tab) at median {statistics.median(ready):.2f} s "
                    f"(min {min(ready):.2f}, max {max(ready):.2f})")
                titles = " / ".join(sorted({r["sub_title"] for r in results[key]}))
                loaded = ", ".join(heavy) if heavy else "none of " + ", ".join(HEAVY_BEFORE_PAINT)
                out(f"{'':40} title at first paint: {titles!r}; loaded before it: {loaded}")
        driver = "headless" if results["index"][0]["headless"] else "the real terminal driver"
        out(f"(drawn with {driver}; load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    return figures
