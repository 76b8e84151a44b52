"""Reading one file for ingest: checked, parsed, labelled and chunked, or the plain reason it cannot be.

Kept apart from the `Ingestor`, which decides what is read and commits it: nothing here writes to the
index, so a file that fails here has changed nothing (its last good version stays as it was).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.core.chunks import make_chunks
from assistant.core.models import Chunk, DocumentRecord, Label, ParsedDocument, sha256_bytes
from assistant.retrieval.manifest import now_iso
from assistant.retrieval.parsing import ParseError, parse_bytes

LabelFor = Callable[[ParsedDocument], tuple[Label, str]]
"""The label of a parsed document and where it came from (its folder's rules, its metadata, or withheld)."""


@dataclass
class Unchanged:
    """The file is as indexed; `touch` holds its new (size, mtime) when only those changed (same bytes)."""

    touch: tuple[int, int] | None = None


@dataclass
class Read:
    """A file read afresh: its document record, extracted text and chunks, ready to embed and commit."""

    record: DocumentRecord
    text: str
    chunks: list[Chunk]


def read_file(root: str, source: str, path: Path, label_for: LabelFor, labels_fp: str, known, *,
              max_bytes: int, chunk_words: int) -> Read | Unchanged | str:
    """Read one file unless it is as indexed (`known`: the manifest's hash, size, mtime and labels
    fingerprint, or None); a string is the reason it could not be read."""
    try:
        st = path.stat()
    except OSError as exc:
        return os_reason(exc)
    if not path.is_file():
        return "not a regular file"
    limit = f"{max_bytes / 1048576:g}"
    if st.st_size > max_bytes:
        return (f"file too large ({st.st_size / 1048576:.1f} MB; the limit is {limit} MB, "
                "AIMS_MAX_FILE_MB); not read")
    if known and known[1] == st.st_size and known[2] == st.st_mtime_ns and known[3] == labels_fp:
        return Unchanged()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return os_reason(exc)
    doc_hash = sha256_bytes(data)
    if known and known[0] == doc_hash and known[3] == labels_fp:
        return Unchanged(touch=(st.st_size, st.st_mtime_ns))
    try:
        parsed = parse_bytes(data, source)
    except ParseError as exc:
        return str(exc)
    if len(parsed.text) > max_bytes:  # a small file can hold much text (a DOCX is compressed)
        extracted = len(parsed.text) / 1048576
        return f"too much text ({extracted:.1f} MB extracted; the limit is {limit} MB, AIMS_MAX_FILE_MB)"
    label, label_origin = label_for(parsed)
    chunks = make_chunks(parsed, root=root, source=source, doc_hash=doc_hash, label=label, target_words=chunk_words)
    record = DocumentRecord(root=root, source=source, doc_hash=doc_hash, size=st.st_size, mtime_ns=st.st_mtime_ns,
                            format=parsed.format, title=parsed.title, label=label, label_origin=label_origin,
                            chunk_count=len(chunks), ingested_at=now_iso())
    return Read(record, parsed.text, chunks)


def os_reason(exc: OSError) -> str:
    """A plain reason for an OS error on a file."""
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "broken symlink or file vanished"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return f"cannot read the file: {exc.strerror or exc}"
