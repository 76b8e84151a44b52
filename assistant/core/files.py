"""Sizes on disk: what `aims status` and the benchmarks report of a data dir.

Stdlib only, so the façade and the benchmarks share it without importing each other.
"""

from __future__ import annotations

from pathlib import Path


def dir_size(path: Path) -> int:
    """Bytes of the regular files under `path` (symlinks and unreadable files left out); 0 if it is absent."""
    total = 0
    if path.exists():
        for item in path.rglob("*"):
            try:
                if item.is_file() and not item.is_symlink():
                    total += item.stat().st_size
            except OSError:
                continue
    return total
