"""The aims-assistant Textual app: Ask, Documents, Checklist and Draft in tabs over one service.

The app receives its service (the real Assistant, or a scripted fake in tests). First paint does
not wait for the model: it loads in a worker while the app shows "loading model".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Markdown, Select, TabbedContent, TabPane

from assistant.tui.ask import ROLES, AskPane
from assistant.tui.checklist import ChecklistPane
from assistant.tui.documents import DocumentsPane
from assistant.tui.draft import DraftPane
from assistant.tui.viewer import SourceViewer

HELP = """\
# aims-assistant

**Ask** (F2): type a question and press Enter. Every sentence of an answer is a quote from your
documents, marked [n]; select a source on the right to open it with the quote highlighted. The role
(staff, implementer, auditor) decides which documents can be used: staff never see confidential ones.
Ctrl+R switches role, Ctrl+Y copies the last answer, Ctrl+E exports this session as Markdown.

**Documents** (F3): the indexed documents with their classification labels and chunk counts.
Type a folder and press Ingest; the app stays usable while it runs.

**Checklist** (F4): clauses 4-10 and the 38 Annex A controls. Filter, select one to see its intent,
audit questions, typical evidence, crosswalk and linked evidence; set status, applicability and a
justification; ask for suggested evidence; export the Statement of Applicability.

**Draft** (F5): pick a kind of document, fill in its inputs, press Draft. Sections are quoted
evidence with citations, or TO COMPLETE markers where your documents hold nothing.

Ctrl+P opens the command palette; Q or Ctrl+Q quits.
"""


class HelpScreen(ModalScreen[None]):
    """Key bindings and how each screen works."""

    BINDINGS = [Binding("escape,q,f1", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80%; height: 80%; border: thick $accent; background: $surface; padding: 1 2;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)
        yield Footer()


class AimsApp(App[None]):
    """Cited answers, documents, checklist and drafts in one terminal app."""

    TITLE = "aims-assistant"
    AUTO_FOCUS = "#question"
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("f2", "show_tab('ask')", "Ask"),
        Binding("f3", "show_tab('documents')", "Documents"),
        Binding("f4", "show_tab('checklist')", "Checklist"),
        Binding("f5", "show_tab('draft')", "Draft"),
        Binding("ctrl+r", "next_role", "Role"),
        Binding("ctrl+y", "copy_answer", "Copy answer"),
        Binding("ctrl+e", "export_session", "Export session"),
        Binding("ctrl+q", "quit", "Quit", show=False),
    ]

    def __init__(self, service, warm_model: bool = True) -> None:
        super().__init__()
        self.service = service
        self.warm_model = warm_model

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="ask", id="tabs"):
            with TabPane("Ask", id="ask"):
                yield AskPane()
            with TabPane("Documents", id="documents"):
                yield DocumentsPane()
            with TabPane("Checklist", id="checklist"):
                yield ChecklistPane()
            with TabPane("Draft", id="draft"):
                yield DraftPane()
        yield Footer()

    def on_mount(self) -> None:
        """Offer the sample organisation on a fresh install; load the model in the background."""
        if self.warm_model:
            self.sub_title = "loading model…"
            self._load_model()
        if self.service.status().chunks == 0:
            self.query_one(TabbedContent).active = "documents"
            self.notify("No documents yet: press 'Load the sample organisation' to try the assistant.", timeout=10)

    @work(thread=True, group="startup", exit_on_error=False)
    def _load_model(self) -> None:
        self.service.embedder.encode(["warm up"])
        self.call_from_thread(setattr, self, "sub_title", "ready")

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab."""
        self.query_one(TabbedContent).active = tab

    def action_help(self) -> None:
        """Show the help screen."""
        self.push_screen(HelpScreen())

    def action_next_role(self) -> None:
        """Cycle staff -> implementer -> auditor."""
        select = self.query_one("#role", Select)
        roles = [value for _, value in ROLES]
        select.value = roles[(roles.index(str(select.value)) + 1) % len(roles)]
        self.notify(f"Role: {select.value}")

    def action_copy_answer(self) -> None:
        """Copy the last answer with its sources to the clipboard."""
        pane = self.query_one(AskPane)
        if pane.answer is not None:
            sources = "\n".join(f"[{c.n}] {c.source}: \"{' '.join(c.quote.split())}\"" for c in pane.answer.citations)
            self.copy_to_clipboard(f"{pane.answer.answer}\n\n{sources}")
            self.notify("Answer copied")

    def action_export_session(self) -> None:
        """Write the conversation as Markdown into the data dir."""
        folder = self.service.home / "sessions"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"session-{dt.datetime.now():%Y%m%d-%H%M%S}.md"
        path.write_text(self.query_one(AskPane).session_markdown(), encoding="utf-8")
        self.notify(f"Session exported to {path}")

    def open_source(self, source: str, page: int | None, section: str | None, quote: str) -> None:
        """Open a cited document at the quote."""
        texts = self.service.document_texts()
        text = texts.get(source, ("", ""))[1]
        where = ", ".join(x for x in (f"page {page}" if page else "", section or "") if x) or "document"
        self.push_screen(SourceViewer(source, where, text, quote))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action in the command palette."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Ask", "Ask a question of the documents", lambda: self.action_show_tab("ask"))
        yield SystemCommand("Documents", "Indexed documents and ingest", lambda: self.action_show_tab("documents"))
        yield SystemCommand("Checklist", "Annex A checklist and SoA", lambda: self.action_show_tab("checklist"))
        yield SystemCommand("Draft", "Draft an AIMS document", lambda: self.action_show_tab("draft"))
        yield SystemCommand("Switch role", "Cycle staff, implementer, auditor", self.action_next_role)
        yield SystemCommand("Copy answer", "Copy the last answer and its sources", self.action_copy_answer)
        yield SystemCommand("Export session", "Write this conversation as Markdown", self.action_export_session)
        yield SystemCommand("Help", "Keys and how each screen works", self.action_help)


def run(index: str | None = None) -> int:
    """Start the app on the configured data dir."""
    from assistant.config import load_settings
    from assistant.service import Assistant

    AimsApp(Assistant(load_settings(index=index))).run()
    return 0
