"""The labels files of one ingested folder: the one at its top and any in its sub-folders.

Each governs its own folder and everything below it, so a sub-folder's rules are never dropped, and the
fingerprint a document is stored with changes when any of them changes (its label is then read again).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from assistant.core.labels import LabelRules, LabelsFileError, parse_label_patterns
from assistant.core.models import sha256_bytes


class FolderLabels:
    """The labels rules and fingerprint for each document of one folder, each labels file read once.

    Each labels file is read when a document below it is first asked about; an invalid one is reported for
    every document it governs (ingest then holds them as restricted), never skipped.
    """

    def __init__(self, top: Path, file_name: str) -> None:
        self.top = top
        self.file_name = file_name
        self._read: dict[str, tuple[LabelRules, str] | LabelsFileError | None] = {}

    def for_source(self, source: str) -> tuple[list[LabelRules], str]:
        """The rules of every labels file above `source` (a path within the top folder), and their fingerprint.

        The fingerprint is "" without any, else ":" and a digest for each, top first. Raises
        LabelsFileError, naming the file, when one of them cannot be read.
        """
        parts = PurePosixPath(source).parts[:-1]
        folders = [""] + ["/".join(parts[:depth]) + "/" for depth in range(1, len(parts) + 1)]
        rules, fingerprint = [], ""
        for folder in folders:
            entry = self._entry(folder)
            if entry is not None:
                rules.append(entry[0])
                fingerprint += f":{entry[1]}"
        return rules, fingerprint

    def _entry(self, folder: str) -> tuple[LabelRules, str] | None:
        if folder not in self._read:
            self._read[folder] = self._load(folder)
        entry = self._read[folder]
        if isinstance(entry, LabelsFileError):
            raise entry
        return entry

    def _load(self, folder: str) -> tuple[LabelRules, str] | LabelsFileError | None:
        path = self.top / folder / self.file_name
        if not path.is_file():
            return None
        name = f"{folder}{self.file_name}"
        try:
            data = path.read_bytes()
            patterns = parse_label_patterns(data, name)
        except OSError as exc:
            return LabelsFileError(f"labels file {name} cannot be read: {exc.strerror or exc}", name)
        except LabelsFileError as exc:
            return exc
        # The top file's fingerprint is the one documents were stored with before sub-folders had rules, so an
        # existing index is not read again; a sub-folder's also covers where it sits (its globs are relative).
        digest = sha256_bytes(data if not folder else folder.encode() + b"\0" + data)[:16]
        return LabelRules(folder, tuple(patterns)), digest
