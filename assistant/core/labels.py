"""Classification of documents: labels file, front matter, metadata, in-text marker, default.

Pure functions over strings so that the rule order is testable without any file format.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
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
    """The labels file at a corpus root cannot be read; ingest reports it and stops that root."""


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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LabelsFileError(f"labels file {path.name} is not valid TOML: {exc}") from exc
    table = data.get("labels", {})
    if not isinstance(table, dict):
        raise LabelsFileError(f"labels file {path.name}: [labels] must be a table of glob = label")
    patterns = []
    for glob, value in table.items():
        label = parse_label(str(value))
        if label is None:
            raise LabelsFileError(f"labels file {path.name}: {glob!r} has unknown label {value!r}")
        patterns.append((glob, label))
    return patterns


def label_from_patterns(source: str, patterns: list[tuple[str, Label]]) -> Label | None:
    """The label of the first glob matching the relative path (or the bare file name)."""
    name = source.rsplit("/", 1)[-1]
    for glob, label in patterns:
        if fnmatch.fnmatchcase(source, glob) or fnmatch.fnmatchcase(name, glob):
            return label
    return None


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
    patterns: list[tuple[str, Label]],
    metadata_label: str | None,
    metadata_origin: str,
    marker_text: str,
) -> tuple[Label, str]:
    """The document's label and where it came from, applying the rules in order.

    Order: labels file, front matter or file metadata, a marker in the text, then internal.
    """
    label = label_from_patterns(source, patterns)
    if label is not None:
        return label, "labels file"
    label = parse_label(metadata_label)
    if label is not None:
        return label, metadata_origin
    label = label_from_marker(marker_text)
    if label is not None:
        return label, "marker in text"
    return DEFAULT_LABEL, "default"
