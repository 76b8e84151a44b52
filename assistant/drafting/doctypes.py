"""What kind of document each indexed file is (policy, procedure, register, minutes...), and what is
never quotable in a draft (page furniture, `Column N:` blobs of unnamed table columns).

The kind is read from the document's title and file name, then its opening lines; the rules are
ordered (the first that matches wins) and say nothing about any one organisation.
"""

from __future__ import annotations

import re

# (kind, pattern over "title file-name-words"), most specific first.
_RULES: tuple[tuple[str, str], ...] = (
    ("acceptable-use-policy", r"acceptable use"),
    ("impact-assessment", r"impact assessment|\baiia\b|\bdpia\b"),
    ("statement-of-applicability", r"statement of applicability|\bsoa\b"),
    ("risk-register", r"risk register|risk log"),
    ("risk-method", r"risk (?:assessment|management|treatment) (?:procedure|method|methodology|process|framework)"),
    ("audit-report", r"audit report|audit findings|\baudit\b.*\breport\b"),
    ("audit-plan", r"audit (?:plan|programme|program|schedule)"),
    ("minutes", r"\bminutes\b"),
    ("corrective-action-log", r"nonconformit|corrective action"),
    ("terms-of-reference", r"terms of reference|\braci\b|roles and responsibilities|\broles\b|charter"),
    ("scope-statement", r"\bscope\b"),
    ("inventory", r"inventory|register of ai systems|system register"),
    ("training-records", r"training|competence|skills matrix"),
    ("context", r"\bcontext\b|interested parties|stakeholder"),
    ("ai-policy", r"\b(?:ai|artificial intelligence) policy\b"),
    ("technical-file", r"technical (?:file|annex|documentation|specification)|model card|datasheet|system card"),
    ("supplier-notice", r"release notes|product notice|change notice"),
    ("memo", r"\bmemo(?:randum)?\b|\bbriefing note\b"),
    ("public-notice", r"how we use|in your care|privacy notice|transparency notice|for patients|for customers"),
    ("procedure", r"procedure|process|method|standard\b|guideline|governance (?:for|of)|playbook|instruction"),
    ("policy", r"\bpolicy\b"),
    ("plan", r"\bplan\b|programme"),
)
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _RULES)

# Running headers and footers: "Page 3 of 5", "Org | Title | Classification: Internal", page numbers.
_FURNITURE = (
    re.compile(r"\bpage\s+\d+\s+(?:of|/)\s+\d+\b", re.IGNORECASE),
    re.compile(r"\|[^|\n]*\|[^|\n]*\bclassification\s*:", re.IGNORECASE),
    re.compile(r"^\s*(?:-\s*)?\d{1,3}\s*(?:-\s*)?$"),
    re.compile(r"^\s*(?:page|p\.)\s*\d{1,3}\s*$", re.IGNORECASE),
)
_COLUMN_BLOB = re.compile(r"(?:^|[\n;]\s*)Column \d+:")


def document_kind(title: str, source: str, opening: str = "") -> str:
    """The kind of a document, from its title and file name, else from its opening lines; "other" if none."""
    stem = re.sub(r"\.[a-z0-9]{2,5}$", "", source.rsplit("/", 1)[-1], flags=re.IGNORECASE)
    name = f"{title} {re.sub(r'[-_.]+', ' ', stem)}"
    for kind, pattern in _COMPILED:
        if pattern.search(name):
            return kind
    head = " ".join(opening.split()[:40])
    for kind, pattern in _COMPILED:
        if pattern.search(head):
            return kind
    return "other"


def is_furniture(text: str) -> bool:
    """Whether a passage is (or carries) page furniture: a page count, a running header with a classification."""
    return any(pattern.search(text) for pattern in _FURNITURE)


def has_column_blob(text: str) -> bool:
    """Whether a table record names a column only by its position (`Column 2: ...`): no header, no meaning."""
    return _COLUMN_BLOB.search(text) is not None


def quotable(text: str) -> bool:
    """Whether a draft may quote this text at all."""
    return bool(text.strip()) and not is_furniture(text) and not has_column_blob(text)
