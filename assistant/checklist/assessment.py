"""The organisation's position on each clause and control, with evidence links and an audit trail.

SQLite in the data dir, or in team mode an append-only log of changes in the shared store (see
SharedAssessmentStore). An evidence link keeps the source, locator, quoted words and the document's
hash when linked; it goes stale when its quote is no longer in the document. Every change is
recorded with its time and author.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sqlite3
import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Protocol

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

    def get_many(self, item_ids: list[str]) -> dict[str, Assessment]:
        """The assessments of several items."""
        return {item_id: self.get(item_id) for item_id in item_ids}

    def update(self, item_id: str, author: str, **changes: object) -> Assessment:
        """Change fields of an item; a not-applicable item must carry a justification."""
        current = self.get(item_id)
        merged = _merge(current, item_id, changes)
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


class RecordLog(Protocol):
    """An append-only store of small records shared by every client (team mode's Chroma collection)."""

    def append(self, records: list[tuple[str, dict]]) -> None:
        """Add records (unique id, metadata without None values)."""

    def read(self) -> list[tuple[str, dict]]:
        """Every record so far."""


class SharedAssessmentStore:
    """The assessment kept as an append-only log of changes in a store every client reads (team mode).

    The log is the truth and the audit trail at once: an item's state is its changes applied in time
    order (nanoseconds, then id). Two clients editing the same item at once both append; for each
    field the later change wins (last writer wins, by the writers' clocks) and both stay in the audit
    trail, with the value each writer saw as `old`. Nothing is ever overwritten, so no change is lost.
    """

    FIELDS = AssessmentStore.FIELDS

    def __init__(self, log: RecordLog) -> None:
        self.log = log

    def close(self) -> None:
        """Nothing to release (the log belongs to the shared store)."""

    def _events(self) -> list[dict]:
        events = [{**meta, "id": key} for key, meta in self.log.read()]
        events.sort(key=lambda event: (int(event["at_ns"]), event["id"]))
        return events

    def _fold(self, events: list[dict]) -> tuple[dict[str, Assessment], dict[str, EvidenceLink]]:
        """Every assessed item's state, and every link by the id of the record that made it."""
        states: dict[str, dict] = {}
        links: dict[str, EvidenceLink] = {}
        for event in events:
            item = event["item_id"]
            state = states.setdefault(item, {"item_id": item, "links": []})
            if event["kind"] == "link":
                link = EvidenceLink(id=len(links) + 1, item_id=item, source=event["source"], root=event.get("root"),
                                    page=event.get("page"), section=event.get("section"), quote=event["quote"],
                                    doc_hash=event["doc_hash"], created_at=event["at"], created_by=event["author"])
                links[event["id"]] = link
                state["links"].append(link)
                continue
            value = event.get("new")
            if event["field"] == "applicable":
                value = None if value is None else value == "True"
            state[event["field"]] = value if value is not None or event["field"] == "applicable" else ""
            state["updated_at"], state["updated_by"] = event["at"], event["author"]
        return {item: Assessment(**state) for item, state in states.items()}, links

    def get(self, item_id: str) -> Assessment:
        """The assessment of one item (defaults when never assessed), with its links."""
        return self.get_many([item_id])[item_id]

    def get_many(self, item_ids: list[str]) -> dict[str, Assessment]:
        """The assessments of several items, from one read of the log."""
        states, _ = self._fold(self._events())
        return {item: states.get(item) or Assessment(item_id=item) for item in item_ids}

    def update(self, item_id: str, author: str, **changes: object) -> Assessment:
        """Append one record per changed field; a not-applicable item must carry a justification."""
        current = self.get(item_id)
        merged = _merge(current, item_id, changes)
        at, at_ns = _now(), time.time_ns()
        records = []
        for name in self.FIELDS:
            old, new = getattr(current, name), getattr(merged, name)
            if old != new:
                records.append((_event_id(at_ns, len(records)), {
                    "kind": "change", "item_id": item_id, "field": name, "old": _text(old), "new": _text(new),
                    "at": at, "at_ns": at_ns, "author": author}))
        self.log.append(records)
        return self.get(item_id)

    def add_link(self, item_id: str, author: str, *, source: str, root: str | None, page: int | None,
                 section: str | None, quote: str, doc_hash: str) -> EvidenceLink:
        """Pin evidence to an item; the caller has checked that the quote is in the document."""
        at_ns = time.time_ns()
        key = _event_id(at_ns, 0)
        self.log.append([(key, {"kind": "link", "item_id": item_id, "source": source, "root": root, "page": page,
                                "section": section, "quote": quote, "doc_hash": doc_hash, "at": _now(),
                                "at_ns": at_ns, "author": author})])
        return self._fold(self._events())[1][key]

    def links(self, item_id: str | None = None) -> list[EvidenceLink]:
        """Evidence links of one item, or of all items."""
        found = list(self._fold(self._events())[1].values())
        if item_id:
            return [link for link in found if link.item_id == item_id]
        return sorted(found, key=lambda link: (link.item_id, link.id))

    def import_records(self, records: list[tuple[str, dict]]) -> int:
        """Append the records the log does not hold yet (see `import_records`); returns how many."""
        there = {key for key, _ in self.log.read()}
        new = [(key, meta) for key, meta in records if key not in there]
        for start in range(0, len(new), 500):
            self.log.append(new[start : start + 500])
        return len(new)

    def audit_trail(self) -> list[dict]:
        """Every recorded change, oldest first: the log itself."""
        trail = []
        for event in self._events():
            if event["kind"] == "link":
                entry = {"field": "evidence", "old": None, "new": f"{event['source']}: {event['quote'][:200]}"}
            else:
                entry = {"field": event["field"], "old": event.get("old"), "new": event.get("new")}
            trail.append({"at": event["at"], "author": event["author"], "item_id": event["item_id"], **entry})
        return trail


def import_records(local: AssessmentStore, root_for) -> list[tuple[str, dict]]:
    """A local (embedded) assessment as shared-log records: every audited change and every evidence link,
    at its original time and by its original author.

    Ids are derived from the content, so importing the same assessment twice adds nothing; within
    one second (the local trail's resolution) the local order is kept. `root_for(root, source)`
    names the shared corpus's folder for a link's document (team mode files folders per client).
    """
    import hashlib
    import json

    def key(at: str, n: int, record: dict) -> tuple[str, int]:
        at_ns = int(dt.datetime.fromisoformat(at).timestamp()) * 1_000_000_000
        digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
        return _event_id(at_ns, n, digest), at_ns

    records: list[tuple[str, dict]] = []
    changes = [entry for entry in local.audit_trail() if entry["field"] != "evidence"]  # links: from their table
    for n, entry in enumerate(changes):
        record = {"kind": "change", **entry}
        record_id, at_ns = key(entry["at"], n % 10_000, record)
        records.append((record_id, {**record, "at_ns": at_ns}))
    for link in local.links():
        at = link.created_at or _now()
        record = {"kind": "link", "item_id": link.item_id, "source": link.source,
                  "root": root_for(link.root, link.source), "page": link.page, "section": link.section,
                  "quote": link.quote, "doc_hash": link.doc_hash, "at": at, "author": link.created_by or ""}
        record_id, at_ns = key(at, 9_999, record)
        records.append((record_id, {**record, "at_ns": at_ns}))
    return records


def _event_id(at_ns: int, n: int, tail: str | None = None) -> str:
    """A log record id that sorts by time, then by its place within one update, and is unique across clients
    (by a random tail, or an imported record's content digest)."""
    return f"{at_ns:020d}-{n:04d}-{tail or uuid.uuid4().hex[:16]}"


def _merge(current: Assessment, item_id: str, changes: dict) -> Assessment:
    """The item after the changes, checked: known fields only; not applicable needs a justification."""
    unknown = set(changes) - set(AssessmentStore.FIELDS)
    if unknown:
        raise AssessmentError(f"unknown fields: {', '.join(sorted(unknown))}")
    data = current.model_dump()
    data.update({k: v for k, v in changes.items() if v is not None})
    merged = Assessment.model_validate(data)
    if merged.applicable is False and not merged.justification.strip():
        raise AssessmentError(f"{item_id}: a justification is required when it is not applicable")
    return merged


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.value if isinstance(value, StrEnum) else str(value)
