"""Paths on disk: the folder a path is filed under, and what `aims status` and the benchmarks report of a data dir.

Stdlib only, so the façade, the ingest planner, the eval and the benchmarks share it without importing each other.
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


def folder_of(path: Path) -> str:
    """The folder a path's documents are filed under: the folder itself, or a file's parent (links resolved).

    One definition for the ingest planner (where a path's documents are stored) and `aims eval` (which
    stored folders belong to a set), so the two cannot drift apart.
    """
    resolved = path.resolve()
    return str(resolved if resolved.is_dir() else resolved.parent)
