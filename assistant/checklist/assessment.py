"""The organisation's position on each clause and control, with evidence links and an audit trail.

SQLite in the data dir. An evidence link keeps the source, locator, quoted words and the document's
hash when linked; it goes stale when its quote is no longer in the document. Every change is
recorded with its time and author.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sqlite3
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assessments(
    item_id TEXT PRIMARY KEY, applicable INTEGER, justification TEXT, status TEXT, owner TEXT, due TEXT,
    review TEXT, notes TEXT, updated_at TEXT, updated_by TEXT);
CREATE TABLE IF NOT EXISTS links(
    id INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL, root TEXT, source TEXT NOT NULL, page INTEGER,
    section TEXT, quote TEXT NOT NULL, doc_hash TEXT NOT NULL, created_at TEXT, created_by TEXT);
CREATE TABLE IF NOT EXISTS audit(
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, author TEXT NOT NULL, item_id TEXT NOT NULL,
    field TEXT NOT NULL, old TEXT, new TEXT);
"""


class Status(StrEnum):
    """Implementation status of a control or clause."""

    NOT_ASSESSED = "not assessed"
    NOT_STARTED = "not started"
    PARTIAL = "partial"
    IMPLEMENTED = "implemented"


class AssessmentError(ValueError):
    """A change that would leave the assessment invalid (e.g. not applicable without a justification)."""


class EvidenceLink(BaseModel):
    """Evidence pinned to the exact words in the exact version of a document."""

    id: int
    item_id: str
    source: str
    root: str | None = None
    page: int | None = None
    section: str | None = None
    quote: str
    doc_hash: str
    created_at: str
    created_by: str
    stale: bool = False
    stale_reason: str | None = None


class Assessment(BaseModel):
    """The organisation's position on one item."""

    item_id: str
    applicable: bool | None = None
    justification: str = ""
    status: Status = Status.NOT_ASSESSED
    owner: str = ""
    due: str = ""
    review: str = ""
    notes: str = ""
    updated_at: str = ""
    updated_by: str = ""
    links: list[EvidenceLink] = Field(default_factory=list)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def default_author() -> str:
    """Who is making a change: the AIMS_AUTHOR env var, else the login name."""
    import os

    return os.environ.get("AIMS_AUTHOR") or getpass.getuser()


class AssessmentStore:
    """Reads and changes assessments; every change lands in the audit trail in the same transaction."""

    FIELDS = ("applicable", "justification", "status", "owner", "due", "review", "notes")

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def get(self, item_id: str) -> Assessment:
        """The assessment of one item (defaults when never assessed), with its links."""
        row = self.db.execute(f"SELECT {', '.join(self.FIELDS)}, updated_at, updated_by FROM assessments "
                              "WHERE item_id=?", (item_id,)).fetchone()
        data: dict = {"item_id": item_id}
        if row:
            data.update({k: v for k, v in zip((*self.FIELDS, "updated_at", "updated_by"), row) if v is not None})
            if row[0] is not None:
                data["applicable"] = bool(row[0])
        data["links"] = self.links(item_id)
        return Assessment(**data)

    def update(self, item_id: str, author: str, **changes: object) -> Assessment:
        """Change fields of an item; a not-applicable item must carry a justification."""
        unknown = set(changes) - set(self.FIELDS)
        if unknown:
            raise AssessmentError(f"unknown fields: {', '.join(sorted(unknown))}")
        current = self.get(item_id)
        data = current.model_dump()
        data.update({k: v for k, v in changes.items() if v is not None})
        merged = Assessment.model_validate(data)
        if merged.applicable is False and not merged.justification.strip():
            raise AssessmentError(f"{item_id}: a justification is required when it is not applicable")
        now = _now()
        with self.db:
            for name in self.FIELDS:
                old, new = getattr(current, name), getattr(merged, name)
                if old != new:
                    self.db.execute("INSERT INTO audit(at, author, item_id, field, old, new) VALUES(?,?,?,?,?,?)",
                                    (now, author, item_id, name, _text(old), _text(new)))
            self.db.execute(
                "INSERT OR REPLACE INTO assessments VALUES(?,?,?,?,?,?,?,?,?,?)",
                (item_id, None if merged.applicable is None else int(merged.applicable), merged.justification,
                 merged.status.value, merged.owner, merged.due, merged.review, merged.notes, now, author),
            )
        return self.get(item_id)

    def add_link(self, item_id: str, author: str, *, source: str, root: str | None, page: int | None,
                 section: str | None, quote: str, doc_hash: str) -> EvidenceLink:
        """Pin evidence to an item; the caller has checked that the quote is in the document."""
        now = _now()
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO links(item_id, root, source, page, section, quote, doc_hash, created_at, created_by) "
                "VALUES(?,?,?,?,?,?,?,?,?)", (item_id, root, source, page, section, quote, doc_hash, now, author))
            self.db.execute("INSERT INTO audit(at, author, item_id, field, old, new) VALUES(?,?,?,?,?,?)",
                            (now, author, item_id, "evidence", None, f"{source}: {quote[:200]}"))
        return next(link for link in self.links(item_id) if link.id == cursor.lastrowid)

    def links(self, item_id: str | None = None) -> list[EvidenceLink]:
        """Evidence links of one item, or of all items."""
        query = "SELECT id, item_id, root, source, page, section, quote, doc_hash, created_at, created_by FROM links"
        rows = self.db.execute(query + (" WHERE item_id=? ORDER BY id" if item_id else " ORDER BY item_id, id"),
                               (item_id,) if item_id else ()).fetchall()
        keys = ("id", "item_id", "root", "source", "page", "section", "quote", "doc_hash", "created_at", "created_by")
        return [EvidenceLink(**dict(zip(keys, row))) for row in rows]

    def audit_trail(self) -> list[dict]:
        """Every recorded change, oldest first (exportable)."""
        rows = self.db.execute("SELECT at, author, item_id, field, old, new FROM audit ORDER BY id").fetchall()
        return [dict(zip(("at", "author", "item_id", "field", "old", "new"), row)) for row in rows]


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.value if isinstance(value, StrEnum) else str(value)
