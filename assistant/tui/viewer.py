"""The source viewer: a document at the cited place, the quoted words highlighted in context.

A modal screen, so Escape returns to where the user was.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

CONTEXT_CHARS = 1500


def highlighted_excerpt(text: str, quote: str, context: int = CONTEXT_CHARS) -> Text:
    """The part of `text` around `quote`, with the quote highlighted (or the opening, if not found)."""
    import re

    words = quote.split()
    match = re.search(r"\s+".join(re.escape(w) for w in words), text) if words else None
    if match is None:
        return Text(text[: 2 * context] + ("…" if len(text) > 2 * context else ""))
    start, end = max(0, match.start() - context), min(len(text), match.end() + context)
    excerpt = Text("…" if start else "")
    excerpt.append(text[start : match.start()])
    excerpt.append(text[match.start() : match.end()], style="bold black on yellow")
    excerpt.append(text[match.end() : end])
    if end < len(text):
        excerpt.append("…")
    return excerpt


class SourceViewer(ModalScreen[None]):
    """Shows one cited source with its quote highlighted."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    SourceViewer { align: center middle; }
    SourceViewer > VerticalScroll {
        width: 90%; height: 90%; border: thick $accent; background: $surface; padding: 1 2;
    }
    SourceViewer #where { text-style: bold; margin-bottom: 1; }
    """

    def __init__(self, source: str, where: str, text: str, quote: str) -> None:
        super().__init__()
        self.source = source
        self.where = where
        self.text = text
        self.quote = quote

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(f"{self.source} — {self.where}", id="where")
            yield Static(highlighted_excerpt(self.text, self.quote), id="excerpt")
        yield Footer()
