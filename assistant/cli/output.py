"""What every `aims` command module prints with: exit codes, one JSON object, the progress line, a citation's place.

The command modules import this module and never the reverse, so the command line has no import circle.
"""

from __future__ import annotations

import json
import sys
import time

from assistant import resources
from assistant.core.where import place

__all__ = ["EXIT_EMPTY_INDEX", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "SAMPLE_CORPUS", "Progress", "UsageError",
           "emit_json", "place"]

EXIT_OK, EXIT_USAGE, EXIT_PARTIAL, EXIT_EMPTY_INDEX = 0, 2, 3, 4
SAMPLE_CORPUS = resources.sample_corpus()


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""


class Progress:
    """A one-line progress bar on stderr (files, chunks, ETA); silent when disabled.

    The ETA counts chunks: the chunks still to embed (those already queued, plus the files not yet
    read at the average so far) at the rate chunks have been embedded, so one large file shows its
    real remaining time rather than `0/1 files, ETA 0s`.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()
        self.last = 0.0
        self.tty = sys.stderr.isatty()
        self.queued = 0
        self.first_embed: tuple[float, int] | None = None  # (time, chunks embedded) when embedding began

    def chunks_queued(self, queued: int) -> None:
        """The ingestor's count of chunks sent to the model so far (embedded or about to be)."""
        self.queued = queued

    def eta(self, done: int, total: int, chunks: int, now: float) -> float | None:
        """Seconds left, from the embedding rate over the chunks left; None before there is a rate."""
        if self.first_embed is None:
            if not self.queued:
                return None
            self.first_embed = (now, chunks)
        since, base = self.first_embed
        if chunks <= base or now <= since:
            return None
        rate = (chunks - base) / (now - since)
        per_file = self.queued / done if done else self.queued
        left = max(self.queued - chunks, 0) + per_file * max(total - done - (0 if done else 1), 0)
        return left / rate

    def __call__(self, done: int, total: int, chunks: int, current: str) -> None:
        """Redraw at most 10 times a second on a terminal, every 2 s otherwise."""
        if not self.enabled:
            return
        now = time.perf_counter()
        eta = self.eta(done, total, chunks, now)
        if now - self.last < (0.1 if self.tty else 2.0) and done < total:
            return
        self.last = now
        width = 24
        filled = int(width * done / total) if total else width
        embedded = f"{chunks}/{self.queued}" if self.queued else f"{chunks}"
        eta_text = f"{eta:4.0f}s" if eta is not None else "   ?"
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files, {embedded} chunks embedded, "
                f"ETA {eta_text} {current[-30:]}")
        sys.stderr.write(("\r" + line.ljust(110)) if self.tty else line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        """End the progress line."""
        if self.enabled and self.tty:
            sys.stderr.write("\n")


def emit_json(payload: object) -> None:
    """Print one JSON object on stdout."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
