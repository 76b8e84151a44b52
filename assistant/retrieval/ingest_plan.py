"""What an ingest run does with each path it is given: the folder its documents are filed under, and its files.

A path inside a folder already indexed is filed under that folder, so one file is never indexed twice
(the copy not re-ingested would go stale and still be quoted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.files import folder_of
from assistant.core.models import FileFailure
from assistant.retrieval.manifest import Manifest
from assistant.retrieval.parsing import SUPPORTED_SUFFIXES


@dataclass
class Walk:
    """The files found under a root, and what could not even be looked at."""

    files: list[tuple[str, Path]] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    skipped: list[FileFailure] = field(default_factory=list)

    def under(self, sub: str) -> Walk:
        """The same walk with every source named from the folder `sub` levels above ("policies/x.pdf")."""
        return Walk(files=[(f"{sub}/{rel}", path) for rel, path in self.files], failed=self.failed,
                    skipped=[f.model_copy(update={"source": f"{sub}/{f.source}"}) for f in self.skipped])


@dataclass
class Plan:
    """One path to ingest: the folder its documents are filed under, its files, and how far it reaches.

    `scope` is "" when the whole folder was walked (a document it no longer holds is removed), or the
    sub-folder prefix ("policies/") when a folder inside an already indexed one was asked for: only that
    part is brought up to date. `single` is a lone file: nothing is removed.
    """

    folder: str
    walk: Walk
    single: bool
    scope: str = ""


class Planner:
    """Plans the paths of one ingest run against the folders the index (and the run itself) already holds."""

    def __init__(self, manifest: Manifest, root_prefix: str, labels_file: str) -> None:
        self.manifest = manifest
        self.root_prefix = root_prefix
        self.labels_file = labels_file
        self.planned_folders: list[str] = []  # whole folders this run will ingest, in the order asked

    def plan(self, path: Path) -> Plan:
        """What one path asks for; a path inside a folder already indexed is filed under that folder.

        Otherwise the same file would be indexed twice (as "policies/ai-policy.pdf" of the corpus and as
        "ai-policy.pdf" of its sub-folder), and the copy not re-ingested would go stale and still be quoted.
        """
        path = path.expanduser()
        single = not path.is_dir()
        if not single or path.exists() or path.is_symlink():
            folder = folder_of(path)
        else:
            missing = FileFailure(source=str(path), reason="no such file or folder")
            return Plan(str(path.absolute().parent), Walk(failed=[missing]), True)
        outer = self.indexed_folder_above(folder)
        walk = Walk(files=[(path.name, path)]) if single else walk_folder(Path(folder), self.labels_file)
        if outer is None:
            if not single:
                self.planned_folders.append(folder)
            return Plan(folder, walk, single)
        sub = Path(folder).relative_to(outer).as_posix()
        return Plan(outer, walk.under(sub), single, scope="" if single else f"{sub}/")

    def indexed_folders(self) -> list[str]:
        """The folders this client has documents filed under (without the team prefix), outermost first."""
        roots = self.manifest.roots()
        folders = {root[len(self.root_prefix):] for root in roots if root.startswith(self.root_prefix)}
        folders |= set(self.planned_folders)  # `aims ingest corpus corpus/policies` files policies once too
        return sorted((f for f in folders if os.path.isabs(f)), key=lambda f: (len(Path(f).parts), f))

    def indexed_folder_above(self, folder: str) -> str | None:
        """The outermost indexed folder that holds this folder (not the folder itself), or None."""
        for known in self.indexed_folders():
            if known != folder and Path(folder).is_relative_to(known):
                return known
        return None


def walk_folder(root: Path, labels_file: str) -> Walk:
    """Every candidate file under root; symlinked folders are followed once, loops are refused."""
    walk = Walk()
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=None):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen_dirs:
            dirnames[:] = []
            rel = Path(dirpath).relative_to(root).as_posix()
            walk.skipped.append(FileFailure(source=rel, reason="folder already visited (symlink loop)"))
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if name == labels_file:  # read by FolderLabels for the files it governs
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                reason = f"unsupported file type {path.suffix or '(none)'}"
                walk.skipped.append(FileFailure(source=rel, reason=reason))
                continue
            walk.files.append((rel, path))
    return walk
