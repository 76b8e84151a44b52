"""Turn a file's bytes into a ParsedDocument: canonical text, structural blocks, label hints.

One parser per format; `parse_bytes` picks it by suffix and turns every library error into a
ParseError whose message says plainly why the file was refused.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.models import Block, ParsedDocument


class ParseError(ValueError):
    """A file that cannot be read as its suffix claims; the message is shown to the user."""


class TextBuilder:
    """Accumulates extracted text and records each block's span in it.

    Parsers of binary formats build their canonical text through it, so spans are exact.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []

    def add(self, text: str, separator: str = "\n\n", **locator: object) -> None:
        """Append a block of text (stripped) with its locator; empty text is ignored."""
        text = text.strip()
        if not text:
            return
        start = self._append(text, separator)
        self.blocks.append(Block(start=start, end=self._length, **locator))

    def add_plain(self, text: str, separator: str = "\n\n") -> None:
        """Append text that is not a block of its own, such as a heading line."""
        text = text.strip()
        if text:
            self._append(text, separator)

    def _append(self, text: str, separator: str) -> int:
        if self._length:
            self._parts.append(separator)
            self._length += len(separator)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start

    @property
    def text(self) -> str:
        """The canonical text built so far."""
        return "".join(self._parts)


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else the detected encoding.

    A Latin-1 or Windows-1252 file keeps its accents; binary content is refused.
    """
    if not data.strip():
        raise ParseError("the file holds no text")
    if b"\x00" in data[:65536]:
        raise ParseError("binary content (NUL bytes) in a file named as text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_detected(data)
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:65536]) // 100):
        raise ParseError("binary content (control characters) in a file named as text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_detected(data: bytes) -> str:
    """Decode with charset-normalizer's guess; on a tie, Windows-1252 (Western European) wins.

    Many single-byte code pages decode English text equally well, and the detector's first pick
    among equals is arbitrary (it may read a Latin-1 '£' as cp1250's 'Ł').
    """
    from charset_normalizer import from_bytes

    results = list(from_bytes(data[:1_000_000]))
    encoding = "cp1252"
    if results:
        best = results[0]
        encoding = best.encoding
        for result in results:
            if result.chaos <= best.chaos + 0.01 and "cp1252" in result.could_be_from_charset:
                encoding = "cp1252"
                break
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


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
    return doc
