"""Classification of documents: labels file, front matter, metadata, in-text marker, default.

Pure functions over strings so that the rule order is testable without any file format.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from assistant.core.models import Label

DEFAULT_LABEL = Label.INTERNAL

_EXPLICIT_MARKER = re.compile(
    r"\b(?:security\s+)?(?:classification|classified|sensitivity|protective\s+marking)\s*(?:level)?\s*[:\-–]\s*"
    r"(public|internal|confidential|restricted)\b",
    re.IGNORECASE,
)
# A bare shouted word only ever raises sensitivity: "PUBLIC SECTOR" or "INTERNAL AUDIT" in a title
# must not label a document public or internal, so only the two sensitive words count.
_SHOUTED_MARKER = re.compile(r"(?<![A-Za-z])(CONFIDENTIAL|RESTRICTED)(?![A-Za-z])")


class LabelsFileError(ValueError):
    """A labels file cannot be read; ingest holds every file it governs as restricted until it is fixed.

    `file` names the labels file (its path within the ingested folder), so a document can say which one.
    """

    def __init__(self, message: str, file: str = "") -> None:
        super().__init__(message)
        self.file = file


def highest_label(labels) -> Label:
    """The most sensitive of some labels (Label or text), or the default label when there are none.

    An output (a draft, an exported session) is as sensitive as the most sensitive document it quotes.
    """
    found = [Label(str(label)) for label in labels]
    return max(found, key=lambda label: label.rank) if found else DEFAULT_LABEL


def classification_line(label: Label) -> str:
    """The header line an output carries; its wording is a marker `label_from_marker` reads back."""
    return f"Classification: {label.value.capitalize()} (the most sensitive label among the documents it quotes)"


def parse_label(value: str | None) -> Label | None:
    """A Label from free text such as 'Confidential' or 'classification: restricted', else None."""
    if not value:
        return None
    text = value.strip().lower()
    match = _EXPLICIT_MARKER.search(text)
    if match:
        text = match.group(1).lower()
    text = text.removeprefix("strictly ").strip(" .;:")
    try:
        return Label(text)
    except ValueError:
        return None


def load_label_patterns(path: Path) -> list[tuple[str, Label]]:
    """The (glob, label) pairs of a labels file, in file order (the first match wins).

    The file is TOML with a `[labels]` table: `"minutes/*" = "confidential"`.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabelsFileError(f"labels file {path.name} is not valid TOML: {exc}", path.name) from exc
    return parse_label_patterns(data, path.name)


def parse_label_patterns(data: bytes, name: str) -> list[tuple[str, Label]]:
    """The (glob, label) pairs of a labels file's bytes; `name` is how an error names the file."""
    try:
        table_data = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LabelsFileError(f"labels file {name} is not valid TOML: {exc}", name) from exc
    table = table_data.get("labels", {})
    if not isinstance(table, dict):
        raise LabelsFileError(f"labels file {name}: [labels] must be a table of glob = label", name)
    patterns = []
    for glob, value in table.items():
        label = parse_label(str(value))
        if label is None:
            raise LabelsFileError(f"labels file {name}: {glob!r} has unknown label {value!r}", name)
        patterns.append((glob, label))
    return patterns


def label_from_patterns(source: str, patterns: list[tuple[str, Label]]) -> Label | None:
    """The label of the first glob matching the relative path (or the bare file name)."""
    name = source.rsplit("/", 1)[-1]
    for glob, label in patterns:
        if fnmatch.fnmatchcase(source, glob) or fnmatch.fnmatchcase(name, glob):
            return label
    return None


@dataclass(frozen=True)
class LabelRules:
    """The rules of one labels file, and the sub-folder it sits in ("" at the top, "minutes/" below it).

    Its globs match paths relative to that sub-folder, so a labels file moved with its folder still means
    what it said.
    """

    folder: str
    patterns: tuple[tuple[str, Label], ...]

    @property
    def origin(self) -> str:
        """Where a label it gives came from, as `aims status` shows it."""
        return f"labels file in {self.folder}" if self.folder else "labels file"


def top_rules(patterns) -> list[LabelRules]:
    """The rules of a labels file at the top of a corpus (none when there is no such file)."""
    return [LabelRules("", tuple(patterns))] if patterns else []


def label_from_rules(source: str, rules: list[LabelRules]) -> tuple[Label, str] | None:
    """The most sensitive label any labels file above the document gives it, and which file gave it.

    Within one file the first matching glob wins; across files the most sensitive label does, so a labels
    file in a sub-folder can restrict its documents further but never show staff what one above restricts.
    """
    best: tuple[Label, str] | None = None
    for rule in rules:
        if not source.startswith(rule.folder):
            continue
        label = label_from_patterns(source[len(rule.folder):], list(rule.patterns))
        if label is not None and (best is None or label.rank > best[0].rank):
            best = (label, rule.origin)
    return best


def label_from_marker(text: str) -> Label | None:
    """The most sensitive marker in a document's opening text or page headers.

    An explicit 'Classification: X' wins over a shouted word such as CONFIDENTIAL.
    """
    explicit = [Label(m.group(1).lower()) for m in _EXPLICIT_MARKER.finditer(text)]
    if explicit:
        return max(explicit, key=lambda label: label.rank)
    shouted = [parse_label(m.group(1)) for m in _SHOUTED_MARKER.finditer(text)]
    found = [label for label in shouted if label is not None]
    return max(found, key=lambda label: label.rank) if found else None


def resolve_label(
    source: str,
    rules: list[LabelRules],
    metadata_label: str | None,
    metadata_origin: str,
    marker_text: str,
) -> tuple[Label, str]:
    """The document's label and where it came from, applying the rules in order.

    Order: the labels files above it (the most sensitive match), front matter or file metadata, a marker
    in the text, then internal.
    """
    from_file = label_from_rules(source, rules)
    if from_file is not None:
        return from_file
    label = parse_label(metadata_label)
    if label is not None:
        return label, metadata_origin
    label = label_from_marker(marker_text)
    if label is not None:
        return label, "marker in text"
    return DEFAULT_LABEL, "default"
