"""Domain models shared by ingestion, retrieval and every front end.

Plain pydantic models so that the CLI's JSON, the TUI and the evals render the same objects.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Label(StrEnum):
    """A document's classification, from least to most sensitive."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        """0 for public up to 3 for restricted, so the most sensitive of several markers wins."""
        return list(Label).index(self)


class Block(BaseModel):
    """A structural unit of a parsed document: a section's text on one page, or one table row.

    Blocks never cross a heading or a page, so every chunk cut from a block has one locator.
    """

    model_config = ConfigDict(frozen=True)

    start: int = Field(description="Offset of the block in the document's extracted text.")
    end: int
    trail: tuple[str, ...] = ()
    page: int | None = None
    sheet: str | None = None
    row: int | None = None
    record: bool = Field(default=False, description="A table row: one chunk, never split or merged.")


class ParsedDocument(BaseModel):
    """What a parser extracts from one file: its text, its structure and its label hints.

    `text` is the canonical text every span and quote refers to.
    """

    title: str
    text: str
    blocks: list[Block]
    format: str
    metadata_label: str | None = Field(default=None, description="Label from the file's own metadata.")
    header_text: str = Field(default="", description="Page headers and opening text searched for a marker.")


class Chunk(BaseModel):
    """One retrievable passage with every locator a citation needs.

    `text` is a verbatim slice `document text[start:end]`; `embed_text` adds the title and
    heading trail (or the column names of a row) for the embedding model and BM25 only.
    """

    id: str
    root: str
    source: str
    ordinal: int
    text: str
    embed_text: str
    start: int
    end: int
    page: int | None = None
    section: str | None = None
    sheet: str | None = None
    row: int | None = None
    chunk_hash: str
    doc_hash: str
    label: Label
    title: str


class DocumentRecord(BaseModel):
    """One ingested file as the manifest remembers it."""

    root: str
    source: str
    doc_hash: str
    size: int
    mtime_ns: int
    format: str
    title: str
    label: Label
    label_origin: str
    chunk_count: int
    ingested_at: str


class TeamModeError(RuntimeError):
    """The shared store cannot be used as configured (e.g. its vectors come from another model)."""


class LLMUnavailable(RuntimeError):
    """The configured LLM cannot be built or reached; the caller falls back to the extractive answer."""


class FileFailure(BaseModel):
    """A file that could not be ingested, with a reason a person can act on."""

    source: str
    reason: str


class Rename(BaseModel):
    """A file that moved: its content (and its vectors) were re-used under the new name."""

    old: str = Field(alias="from")
    new: str = Field(alias="to")

    model_config = ConfigDict(populate_by_name=True)


class StatusReport(BaseModel):
    """What `aims status` shows: the documents, their labels, failures, the model and the size."""

    home: str
    documents: list[DocumentRecord]
    failures: list[FileFailure]
    chunks: int
    vectors: int | None
    model: str
    model_id: str | None
    index_bytes: int
    labels: dict[str, int]
    chroma_url: str | None = None
    client_name: str | None = None


class IngestReport(BaseModel):
    """The outcome of one `aims ingest`: what changed, what failed and what it cost."""

    roots: list[str] = []
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    renamed: list[Rename] = []
    unchanged: list[str] = []
    failed: list[FileFailure] = []
    skipped: list[FileFailure] = Field(default=[], description="Files of a kind the assistant does not read.")
    withheld: list[FileFailure] = Field(
        default=[], description="Files held as restricted because a labels file that governs them is invalid.")
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    chunks_embedded: int = Field(default=0, description="Chunks sent to the model (the rest re-used vectors).")
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every file went in as labelled, 3 when some failed or were withheld (the CLI's contract)."""
        return 3 if self.failed or self.withheld else 0


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text; the stable content key of chunks and cached vectors."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of a file's bytes; a document's identity across renames."""
    return hashlib.sha256(data).hexdigest()


class Citation(BaseModel):
    """Evidence for one answer sentence: where it is and the exact words quoted."""

    n: int
    source: str
    page: int | None = None
    section: str | None = None
    quote: str = Field(description="A verbatim substring of the source's extracted text.")
    score: float
    focus: str | None = Field(default=None, description="When the quote joins several sentences of one passage, "
                              "the best-ranked of them (verbatim, inside the quote); None for a single sentence.")


class Answer(BaseModel):
    """A question's answer: every sentence marked [n] and backed by citation n, or a refusal.

    The field names and types are the `aims ask --json` contract.
    """

    question: str
    role: str
    answer: str
    grounded: bool = Field(description="True only when the quotes state what was asked (status answered).")
    status: str = Field(default="answered", description="answered: the quotes state it; partial: related "
                        "evidence that does not state what was asked; none: no evidence.")
    citations: list[Citation] = []
    controls: list[str] = []
    notes: list[str] = Field(default=[], exclude=True,
                             description="What the verifier dropped or why the LLM was not used; not in the JSON.")

    @model_validator(mode="after")
    def _grounded_means_answered(self) -> Answer:
        """`grounded` and `status` say one thing: an ungrounded answer is partial or none, never answered."""
        if self.status not in ("answered", "partial", "none"):
            raise ValueError(f"unknown answer status {self.status!r}")
        if not self.grounded and self.status == "answered":
            self.status = "none"
        if self.grounded and self.status != "answered":
            self.grounded = False
        return self
