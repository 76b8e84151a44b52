"""`aims bench ui`: the terminal UI's time to first paint in fresh processes, beside a bare Textual app's.

Timed on a pseudo-terminal, so the real driver draws; the app reports which modules it had loaded by then.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from assistant import resources
from assistant.bench.common import REPO
from assistant.config import load_settings
from assistant.service import Assistant

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
        documents = len(holder.manifest.documents())
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
