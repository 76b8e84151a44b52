"""A scripted stand-in for the service façade, for UI tests where the real index is not the point.

Answers come from a queue; the checklist and draft kinds are the real (model-free) ones. It
implements `assistant.contract.Service`, as `Assistant` does (tests/test_layers.py checks both).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from assistant.checklist.assessment import Assessment
from assistant.checklist.catalogue import load_catalogue
from assistant.checklist.rows import build_rows
from assistant.config import load_settings
from assistant.core.models import Answer, Citation, DocumentRecord, Label, StatusReport
from assistant.drafting.kinds import load_kinds


class FakeEmbedder:
    """Encodes nothing real; the app only warms it up. A test may hold the warm-up with `gate`."""

    def __init__(self) -> None:
        self.gate: threading.Event | None = None
        self.calls = 0

    def encode(self, texts):
        if self.gate is not None:
            self.gate.wait(timeout=30)
        self.calls += 1
        return np.zeros((len(texts), 4), dtype=np.float32)


class FakeService:
    """The front ends' contract (`Service`) with scripted answers; what no UI test exercises refuses plainly."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.settings = load_settings(index=home)
        self.embedder = FakeEmbedder()
        self.catalogue = load_catalogue()
        self.draft_kinds = load_kinds()
        self.answers: list[Answer] = []
        self.asked: list[tuple[str, str]] = []
        self.histories: list[list[str] | None] = []  # the `history` each question came with
        self.empty = False  # True: an index with no documents (a fresh install)
        self.status_gate: threading.Event | None = None  # a test may hold status() with it

    def status(self) -> StatusReport:
        if self.status_gate is not None:
            self.status_gate.wait(timeout=30)
        if self.empty:
            return StatusReport(home=str(self.home), documents=[], failures=[], chunks=0, vectors=None, model="fake",
                                model_id=None, index_bytes=0, labels={})
        docs = [DocumentRecord(root="/corpus", source=name, doc_hash="0" * 64, size=100, mtime_ns=0, format=fmt,
                               title=name, label=Label(label), label_origin="front matter", chunk_count=chunks,
                               ingested_at="2026-11-28T10:00:00+00:00")
                for name, fmt, label, chunks in (("ai-policy.md", "markdown", "public", 12),
                                                 ("audit-report.pdf", "pdf", "confidential", 30))]
        return StatusReport(home=str(self.home), documents=docs, failures=[], chunks=42, vectors=42, model="fake",
                            model_id="fake", index_bytes=1024, labels={"public": 1, "confidential": 1})

    def ask(self, question: str, role: str = "staff", k=None, on_token=None, history=None) -> Answer:
        self.asked.append((question, role))
        self.histories.append(None if history is None else list(history))
        return self.answers.pop(0)

    def log_exchange(self, answer: Answer) -> Path:
        return self.home / "audit-log.jsonl"

    def document_texts(self) -> dict[str, tuple[str, str]]:
        return {"ai-policy.md": ("public", "# AI Policy\n\nThe Board approves this policy every year in March.")}

    def classification_line(self, sources) -> str:
        from assistant.core.labels import classification_line, highest_label

        labels = {d.source: d.label for d in self.status().documents} | {"ai-policy.md": "public"}
        return classification_line(highest_label(labels[s] for s in sources if s in labels))

    def checklist_rows(self):
        return build_rows(self.catalogue, {i: Assessment(item_id=i) for i in self.catalogue.by_id}, lambda r, s: None)

    def checklist_row(self, item_id: str):
        return next(row for row in self.checklist_rows() if row.id == item_id)

    def item(self, item_id: str):
        return self.catalogue.by_id[item_id]

    def crosswalk(self, item_id: str):
        return self.catalogue.crosswalk_for(item_id)

    def warm_up(self) -> None:
        self.embedder.encode(["warm up"])

    def ingest(self, paths, progress=None):
        raise NotImplementedError("the fake service ingests nothing")

    def chunk_count(self) -> int:
        return self.status().chunks

    def controls(self) -> list[str]:
        return [c.id for c in self.catalogue.controls]

    def checklist_set(self, item_id: str, author=None, **changes):
        raise NotImplementedError("the fake service records no assessment")

    def checklist_link(self, item_id: str, source: str, quote: str, author=None, root=None):
        raise NotImplementedError("the fake service records no evidence")

    def suggest_evidence(self, item_id: str, limit: int = 3, role: str = "auditor"):
        return []

    def checklist_gaps(self):
        from assistant.checklist.rows import gaps

        return gaps(self.checklist_rows())

    def audit_trail(self) -> list[dict]:
        return []

    def draft(self, kind_name: str, values: dict[str, str], role: str = "implementer"):
        raise NotImplementedError("the fake service drafts nothing")

    def draft_review(self, kind_name: str, values: dict[str, str], role: str = "implementer"):
        raise NotImplementedError("the fake service reviews nothing")

    def draft_defaults(self, kind_name: str, role: str = "implementer") -> dict:
        return {}  # nothing found in the documents: the form is not prefilled

    def team_overview(self):
        raise NotImplementedError("the fake service has no team")

    def team_filed_by(self, client: str):
        raise NotImplementedError("the fake service has no team")

    def team_forget(self, client: str):
        raise NotImplementedError("the fake service has no team")

    def import_assessment(self, source: Path) -> dict:
        raise NotImplementedError("the fake service has no team")

    def close(self) -> None:
        return None


def scripted_answer(question: str = "Who approves the policy?") -> Answer:
    """A grounded answer citing the fake policy."""
    quote = "The Board approves this policy every year in March."
    return Answer(question=question, role="staff", answer=f"{quote} [1]", grounded=True,
                  citations=[Citation(n=1, source="ai-policy.md", page=None, section="AI Policy", quote=quote,
                                      score=0.9)], controls=["A.2.4"])
