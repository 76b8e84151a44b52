"""Where a quote sits: a chunk's locator, and the page-and-section line a reader sees.

Stdlib only (no pydantic), so the command line and the UI format a citation's place before the
models load, and every front end formats it the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.core.models import Chunk


def locator(chunk: Chunk) -> str | None:
    """The section trail, with the sheet and row of a table record."""
    if chunk.row is None:
        return chunk.section
    where = f"{chunk.sheet} row {chunk.row}" if chunk.sheet else f"row {chunk.row}"
    if chunk.section and chunk.section != chunk.sheet:
        return f"{chunk.section} > {where}" if chunk.sheet else f"{chunk.section}, {where}"
    return where


def place(page: int | None, section: str | None) -> str:
    """Where a quote sits, for a reader: "page 3, 4.2 Scope", either part alone, or "" with neither.

    The one formatting of a citation's page and section, shared by every front end and export.
    """
    return ", ".join(x for x in (f"page {page}" if page else "", section or "") if x)
