"""Build Chunks from a parsed document: verbatim text, contextual embed text, stable ids.

The embedded text carries the document title and heading trail (or a row's column names),
because MiniLM sees only 256 word pieces and a bare paragraph loses its context.
"""

from __future__ import annotations

import re

from assistant.core.models import Chunk, Label, ParsedDocument, sha256_text
from assistant.core.text import chunk_spans, is_instruction, sentence_spans

ROW_QUOTE_CHARS = 600  # a table row longer than this is quoted in parts of about this length


def split_pipe_row(line: str) -> list[str]:
    """The cells of a Markdown pipe-table row."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip() for cell in inner.split("|")]


def record_line(text: str) -> str:
    """A table record's `Header: value` lines on one line, pairs separated by semicolons."""
    return "; ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def display_quote(quote: str, section: str | None) -> str:
    """A citation's quote on one line for a reader: a table record's pairs separated by semicolons
    (its locator ends in `row N`), other text with its line breaks as spaces."""
    if section and re.search(r"\brow \d+$", section):
        return record_line(quote)
    return " ".join(quote.split())


def chunk_id(root: str, source: str, doc_hash: str, ordinal: int) -> str:
    """A stable id for the ordinal-th chunk of one version of one document."""
    return sha256_text(f"{root}\x00{source}\x00{doc_hash}\x00{ordinal}")[:32]


def make_chunks(
    doc: ParsedDocument, *, root: str, source: str, doc_hash: str, label: Label, target_words: int
) -> list[Chunk]:
    """Cut a parsed document into Chunks with locators, hashes and embed texts."""
    chunks: list[Chunk] = []
    for start, end, block in chunk_spans(doc, target_words):
        text = doc.text[start:end]
        if not text.strip():
            continue
        section = " > ".join(block.trail) if block.trail else None
        embed_text = _embed_text(doc.title, block.trail, text, block.sheet, block.row)
        ordinal = len(chunks)
        chunks.append(
            Chunk(
                id=chunk_id(root, source, doc_hash, ordinal),
                root=root,
                source=source,
                ordinal=ordinal,
                text=text,
                embed_text=embed_text,
                start=start,
                end=end,
                page=block.page,
                section=section,
                sheet=block.sheet,
                row=block.row,
                chunk_hash=sha256_text(embed_text),
                doc_hash=doc_hash,
                label=label,
                title=doc.title,
            )
        )
    return chunks


def _embed_text(title: str, trail: tuple[str, ...], text: str, sheet: str | None, row: int | None) -> str:
    """Title and heading trail, then the text; a table record's `Header: value` lines joined by semicolons."""
    context = " > ".join([title, *[t for t in trail if t != sheet]]) if trail else title
    if sheet:
        context += f" > {sheet}"
    if row is not None:
        text = re.sub(r"\n", "; ", text)
    return f"{context}\n{text}"


def quote_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """The quotable units of a chunk, as spans of its text: a table row whole, a long row in parts of
    whole `Header: value` lines (`_row_parts`), none for a row that instructs its reader, else each
    sentence of at least four words. A long row was quoted by its first lines only, so a register's
    later columns (residual rating, owner, review dates) were never quotable.

    Ingest embeds exactly these spans and the answerer quotes exactly these, so both agree.
    """
    if chunk.row is not None:
        text = chunk.text
        if is_instruction(text):
            return []  # a row that reads as an instruction (even past the quoted first lines) is never quoted
        return _row_parts(text)
    return [(start, end) for start, end in sentence_spans(chunk.text) if len(chunk.text[start:end].split()) >= 4]


def _row_parts(text: str) -> list[tuple[int, int]]:
    """A record's text in parts of about equal length, each cut at the line break nearest its share (a
    part is whole `Header: value` lines, never a cell cut in two); one part when it is short enough."""
    count = -(-len(text) // ROW_QUOTE_CHARS)
    breaks = [i for i, ch in enumerate(text) if ch == "\n"]
    cuts: list[int] = []
    for k in range(1, count):
        later = [i for i in breaks if not cuts or i > cuts[-1]]
        if later:
            cuts.append(min(later, key=lambda i: abs(i - k * len(text) / count)))
    starts = [0, *(cut + 1 for cut in cuts)]
    ends = [*cuts, len(text)]
    return list(zip(starts, ends))


def embed_spans(chunk: Chunk) -> list[tuple[int, int]] | None:
    """quote_spans in the coordinates of the chunk's embed text, or None where the embedded text
    is not the quoted text (table rows), whose single quote takes the chunk's own vector."""
    if chunk.row is not None:
        return None
    offset = len(chunk.embed_text) - len(chunk.text)
    if chunk.embed_text[offset:] != chunk.text:
        return None
    return [(offset + start, offset + end) for start, end in quote_spans(chunk)]
