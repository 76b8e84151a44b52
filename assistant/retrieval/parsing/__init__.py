"""Turn a file's bytes into a ParsedDocument: canonical text, structural blocks, label hints.

One parser per format; `parse_bytes` picks it by suffix and turns every library error into a
ParseError whose message says plainly why the file was refused.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.models import ParsedDocument
from assistant.retrieval.parsing.base import ParseError, TextBuilder, decode_text
from assistant.retrieval.parsing.structure import labelled_items, statute_sections

__all__ = ["PARSERS", "READING", "SUPPORTED_SUFFIXES", "ParseError", "TextBuilder", "decode_text", "parse_bytes",
           "parser_for"]


# How the parsers read files. Bump it when a parser reads a file differently (for example, running
# headers it now keeps out), so an index built before re-reads every file on its next ingest;
# chunks whose text did not change keep their cached vectors, so only changed text is embedded.
READING = 21

# The one table of formats: suffix -> "module:function" of this package. The parser modules load
# on first use (pdfplumber, python-docx and openpyxl are slow to import); a new format is one
# module here plus one line below.
PARSERS: dict[str, str] = {
    ".md": "markdown:parse",
    ".markdown": "markdown:parse",
    ".txt": "plain:parse",
    ".text": "plain:parse",
    ".html": "html:parse",
    ".htm": "html:parse",
    ".xhtml": "html:parse",
    ".pdf": "pdf:parse",
    ".docx": "docx:parse",
    ".csv": "tabular:parse_csv",
    ".xlsx": "tabular:parse_xlsx",
}
SUPPORTED_SUFFIXES = frozenset(PARSERS)


def parser_for(suffix: str) -> Callable[[bytes, str], ParsedDocument] | None:
    """The parse function for a suffix (".pdf"), or None for an unsupported one."""
    from importlib import import_module

    target = PARSERS.get(suffix)
    if target is None:
        return None
    module, function = target.split(":")
    return getattr(import_module(f"{__name__}.{module}"), function)


def parse_bytes(data: bytes, name: str) -> ParsedDocument:
    """Parse a file's bytes by the suffix of `name`; every failure is a ParseError with a reason."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    parser = parser_for(suffix)
    if parser is None:
        raise ParseError(f"unsupported file type {suffix or '(none)'}")
    if not data:
        raise ParseError("empty file (0 bytes)")
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    try:
        doc = parser(data, stem)
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("the document is nested too deeply to read") from exc
    except Exception as exc:  # noqa: BLE001 - any library failure becomes a reported reason
        raise ParseError(f"could not read as {suffix[1:].upper()}: {type(exc).__name__}: {exc}") from exc
    if not doc.blocks:
        raise ParseError("no extractable text (a scanned image or an empty document?)")
    return statute_sections(labelled_items(doc))
