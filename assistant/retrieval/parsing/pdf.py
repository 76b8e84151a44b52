"""PDF: text per page with pypdf, page furniture removed, numbered headings tracked across pages.

Blocks never cross a page, so a quote's page is exact; repeated headers and footers (such as
"CONFIDENTIAL" or "Page 3") are kept out of chunks but searched for a classification marker.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from assistant.core.models import ParsedDocument
from assistant.core.text import heading_level, trail_titles, update_trail
from assistant.retrieval.parsing import ParseError, TextBuilder

_LIST_ITEM = re.compile(r"^\s*(?:[-•–*]|\(?[a-z0-9]{1,3}[.)])\s")


def parse(data: bytes, stem: str) -> ParsedDocument:
    """Parse a PDF into page-bounded blocks under numbered headings."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ParseError("not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        _unlock(reader)
        pages = [_page_text(page) for page in reader.pages]
    except PdfReadError as exc:
        raise ParseError(f"damaged or truncated PDF: {exc}") from exc
    if not any(pages):
        raise ParseError("no extractable text (a scanned or image-only PDF?)")
    meta = reader.metadata or {}
    furniture = _furniture(pages)
    builder = TextBuilder()
    trail: list[tuple[int, str]] = []
    title = str(meta.get("/Title") or "").strip()
    for number, page_text in enumerate(pages, start=1):
        body: list[str] = []
        for line in page_text.splitlines():
            if _normalise(line) in furniture or not line.strip():
                continue
            level = heading_level(line)
            if level is None and not title and number == 1:
                title = line.strip()
                builder.add_plain(line)
                continue
            if level is not None:
                _flush(builder, body, trail, number)
                update_trail(trail, level, line.strip())
                builder.add_plain(line)
                continue
            body.append(line.strip())
        _flush(builder, body, trail, number)
    header_lines = " \n".join(sorted(furniture)) + "\n" + (pages[0][:600] if pages else "")
    return ParsedDocument(
        title=title or stem,
        text=builder.text,
        blocks=builder.blocks,
        format="pdf",
        metadata_label=_metadata_label(meta),
        header_text=header_lines,
    )


def _unlock(reader) -> None:
    """Open an encrypted PDF that needs no user password; refuse one that does."""
    if not reader.is_encrypted:
        return
    try:
        result = reader.decrypt("")
    except Exception as exc:  # noqa: BLE001 - e.g. a missing crypto backend
        raise ParseError(f"encrypted PDF that cannot be opened: {exc}") from exc
    if not result:
        raise ParseError("encrypted PDF: a password is required to read it")


def _page_text(page) -> str:
    try:
        return page.extract_text() or ""
    except Exception:  # noqa: BLE001 - one damaged page must not lose the others
        return ""


def _flush(builder: TextBuilder, body: list[str], trail: list[tuple[int, str]], page: int) -> None:
    """Add the pending body lines as one block: wrapped lines joined, list items kept apart."""
    if not body:
        return
    joined = body[0]
    for line in body[1:]:
        joined += ("\n" if _LIST_ITEM.match(line) else " ") + line
    builder.add(joined, trail=trail_titles(trail), page=page)
    body.clear()


def _normalise(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def _furniture(pages: list[str]) -> set[str]:
    """Lines that open or close most pages (headers, footers, page numbers)."""
    if len(pages) < 2:
        single = pages[0].splitlines() if pages else []
        return {_normalise(line) for line in single[-1:] if re.fullmatch(r"\s*(page\s*)?\d+\s*", line, re.I)}
    counts: Counter[str] = Counter()
    for text in pages:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) <= 4:  # a page this short has no room for furniture and body both
            continue
        counts.update({_normalise(line) for line in lines[:2] + lines[-2:]})
    threshold = max(2, (len(pages) + 1) // 2)
    return {line for line, count in counts.items() if count >= threshold and len(line) < 80}


def _metadata_label(meta) -> str | None:
    for key in ("/Classification", "/Keywords", "/Subject"):
        value = meta.get(key)
        if value and "classif" in str(value).lower() or key == "/Classification" and value:
            return str(value)
    return None
