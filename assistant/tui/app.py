"""The aims-assistant Textual app: Ask, Documents, Checklist and Draft in tabs over one service.

The app receives its service (the real Assistant, or a scripted fake in tests), or, as `aims`
starts it, a function that builds the service once the first frame is on screen. First paint waits
for nothing slow: only the Ask tab is built for it, in the theme the settings file names; the
settings and the service (pydantic), the hidden tabs, the model load and the index check all come
after it, while the title says "loading model". `aims bench ui` measures it with
`run(first_paint_report=...)`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Markdown, Select, TabbedContent, TabPane

from assistant.tui.ask import ROLES, AskPane
from assistant.tui.checklist import ChecklistPane
from assistant.tui.documents import DocumentsPane
from assistant.tui.draft import DraftPane
from assistant.tui.viewer import SourceViewer

if TYPE_CHECKING:  # the contract the app calls; `Assistant` and the tests' fake implement it
    from assistant.contract import Service

HELP = """\
# aims-assistant

**Ask** (F2): type a question and press Enter. Every sentence of an answer is a quote from your
documents, marked [n]; select a source on the right to open it at the quote. The role decides which
documents can be used (staff never see confidential ones); Ctrl+R switches it. A follow-up such as
"and who approves it?" is searched with the questions before it; Ctrl+N starts a new thread, and so
does a role switch, which also clears the screen. Ctrl+Y copies the last answer, Ctrl+E exports this
session as Markdown (classified at the most sensitive document it quotes).

**Documents** (F3): the indexed documents with their labels and chunk counts. Type a folder and
press Enter or Ingest (a folder of more than 300 files asks first); the app stays usable while it runs.

**Checklist** (F4): clauses 4-10 and the 38 Annex A controls. Filter, see an item's intent, audit
questions, evidence and crosswalk; set status, applicability and justification; suggest evidence;
export the Statement of Applicability or the whole checklist as Markdown, CSV, XLSX or DOCX.

**Draft** (F5): pick a kind of document, fill in its inputs, press Draft (or Enter): quoted, cited
sections, or TO COMPLETE markers where your documents hold nothing.

F2-F5 work from anywhere and put the cursor in the tab's first field. F1 or Escape closes this
help. Ctrl+T: next theme (it is saved). Ctrl+P: command palette. Ctrl+Q: quit.
"""


TAB_FIELDS = {"ask": "#question", "documents": "#folder", "checklist": "#filter", "draft": "#kind"}
"""The field each tab puts the cursor in when it is shown (F2-F5, the palette, Ctrl+N)."""


MAIN_SCREEN_ACTIONS = {"next_role", "new_thread", "copy_answer", "export_session"}
"""Actions on the Ask tab's widgets, which are not there while a modal screen is on top."""


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
    # Every key works from any focus (priority): no field, button or table may swallow a tab key.
    # The descriptions are short so that the footer shows them all at 100 columns.
    BINDINGS = [
        Binding("f1", "help", "Help", priority=True),
        Binding("f2", "show_tab('ask')", "Ask", priority=True),
        Binding("f3", "show_tab('documents')", "Docs", priority=True),
        Binding("f4", "show_tab('checklist')", "Checklist", priority=True),
        Binding("f5", "show_tab('draft')", "Draft", priority=True),
        Binding("ctrl+r", "next_role", "Role", priority=True),
        Binding("ctrl+n", "new_thread", "New", priority=True),
        Binding("ctrl+y", "copy_answer", "Copy", show=False, priority=True),  # in the help and the palette
        Binding("ctrl+e", "export_session", "Export", priority=True),  # also while typing in the prompt
        Binding("ctrl+t", "next_theme", "Theme", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, service: Service | None = None, warm_model: bool = True,
                 first_paint_report: Path | None = None, make_service=None) -> None:
        """Give `service`, or `make_service` to build it (in a thread) once the first frame is painted."""
        super().__init__()
        if (service is None) == (make_service is None):
            raise ValueError("give either a service or make_service")
        self.service = service
        self.make_service = make_service
        self.warm_model = warm_model
        self.first_paint_report = first_paint_report
        self.saved_theme: str | None = None
        self.model_ready = not warm_model
        """False while the embedding model loads: a question asked meanwhile says it is starting up."""

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="ask", id="tabs"):
            with TabPane("Ask", id="ask"):
                yield AskPane()
            # The hidden tabs' panes read the catalogue, the assessment and the draft kinds: mounted
            # just after the first paint (see _after_first_paint).
            yield TabPane("Documents", id="documents")
            yield TabPane("Checklist", id="checklist")
            yield TabPane("Draft", id="draft")
        yield Footer(compact=True)  # compact, so every key (F1 to Ctrl+T) fits in 120 columns

    def on_mount(self) -> None:
        """Draw in the saved theme and show "loading model"; everything slow starts after the first paint."""
        if self.service is not None:
            self._use_theme(getattr(getattr(self.service, "settings", None), "theme", None))
        else:
            from assistant.settings_file import first_frame_theme

            self._use_theme(first_frame_theme())
        if self.warm_model:
            self.sub_title = "loading model…"
        self.call_after_refresh(self._after_first_paint)

    async def _after_first_paint(self) -> None:
        """Runs once the first frame has been painted: the service, the hidden tabs, then the slow work."""
        report = self._first_paint_report() if self.first_paint_report is not None else None
        if self.service is None:
            self._build_service(report)
        else:
            await self._finish_start(report)

    @work(thread=True, group="startup", exit_on_error=False)
    def _build_service(self, report: dict | None) -> None:
        """Load the settings and build the service (pydantic and friends: imports) off the UI thread."""
        try:
            service = self.make_service()
        except Exception as exc:  # noqa: BLE001 - e.g. invalid settings: said plainly, then quit
            self.call_from_thread(self.exit, None, 2, f"aims: cannot start: {exc}")
            return
        self.call_from_thread(self._service_built, service, report)

    async def _service_built(self, service, report: dict | None) -> None:
        self.service = service
        await self._finish_start(report)

    async def _finish_start(self, report: dict | None) -> None:
        self._remember_theme()
        for tab, pane in (("documents", DocumentsPane()), ("checklist", ChecklistPane()), ("draft", DraftPane())):
            holder = next(self.query(f"#{tab}").results(TabPane), None)
            if holder is None:  # the app is quitting and its tabs are gone: nothing left to start
                return
            await holder.mount(pane)
        if report is not None:
            report["ready_at"] = time.time()
            self.first_paint_report.write_text(json.dumps(report), encoding="utf-8")
            self.exit()
            return
        if self.warm_model:
            self._load_model()
        self._check_index()

    def _first_paint_report(self) -> dict:
        """When the first frame was painted and which heavy libraries were loaded by then."""
        heavy = ("torch", "sentence_transformers", "transformers", "chromadb", "llama_index", "numpy", "pydantic")
        return {
            "painted_at": time.time(),
            "headless": self.is_headless,
            "sub_title": self.sub_title,
            "heavy_modules_loaded": [m for m in heavy if m in sys.modules],
            "modules_loaded": len(sys.modules),
        }

    @work(thread=True, group="startup", exit_on_error=False)
    def _load_model(self) -> None:
        try:
            self.service.warm_up()
        except Exception as exc:  # noqa: BLE001 - the first question will say what is wrong
            self.call_from_thread(self._model_loaded, f"model not loaded: {type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._model_loaded, "ready")

    def _model_loaded(self, sub_title: str) -> None:
        self.model_ready = True
        self.sub_title = sub_title

    @work(thread=True, group="startup", exit_on_error=False)
    def _check_index(self) -> None:
        """Offer the sample organisation on a fresh install (reading the index opens the store: a worker)."""
        if self.service.status().chunks == 0:
            self.call_from_thread(self._offer_sample)

    def _offer_sample(self) -> None:
        """Point a fresh install at the sample; never move someone who already went to another tab or typed."""
        tabs = self.query_one(TabbedContent)
        if tabs.active == "ask" and not self.query_one("#question", Input).value and not self.query_one(AskPane).thread:
            tabs.active = "documents"
        self.notify("No documents yet: press 'Load the sample organisation' (Documents, F3) to try the assistant.",
                    timeout=10)

    # --- themes ----------------------------------------------------------------------------------
    def _use_theme(self, name: str | None) -> None:
        if name and name in self.available_themes:
            self.theme = name

    def _remember_theme(self) -> None:
        """Apply the settings' theme (the authority) and from now on save every theme chosen."""
        wanted = getattr(getattr(self.service, "settings", None), "theme", None) or self.theme
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.notify(f"Unknown theme {wanted!r} in the settings; using {self.theme}.", severity="warning")
        self.saved_theme = wanted
        self.theme_changed_signal.subscribe(self, self._save_theme)

    def _save_theme(self, theme) -> None:
        """Remember a theme chosen in any way (Ctrl+T, the palette's theme picker) in the settings file."""
        if theme.name == self.saved_theme:
            return
        from assistant.config import save_user_setting

        try:
            path = save_user_setting("theme", theme.name)
        except (OSError, ValueError) as exc:
            self.notify(f"Theme not saved: {exc}", severity="warning")
            return
        self.saved_theme = theme.name
        settings = getattr(self.service, "settings", None)
        if settings is not None:
            settings.theme = theme.name
        self.log(f"theme {theme.name} saved in {path}")

    def action_next_theme(self) -> None:
        """Switch to the next of Textual's themes (saved for the next start)."""
        names = list(self.available_themes)
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
        self.notify(f"Theme: {self.theme}")

    def action_new_thread(self) -> None:
        """Start a new thread: earlier questions are no longer used to search follow-ups."""
        self.action_show_tab("ask")
        self.query_one(AskPane).new_thread()

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab and put the cursor in its first field, from wherever focus was.

        Focus is dropped first: a focused widget left in the hidden pane would make Textual's
        TabbedContent switch straight back to it (and the keys would seem to do nothing).
        """
        if len(self.screen_stack) > 1:  # a help screen, source viewer or question: close it, then switch
            self.screen.dismiss(None)
            self.call_after_refresh(self.action_show_tab, tab)
            return
        self.screen.set_focus(None)
        self.query_one(TabbedContent).active = tab
        self.call_after_refresh(self._focus_first_field, tab)

    def _focus_first_field(self, tab: str) -> None:
        """Focus the tab's main field (the question, the folder, the filter, the kind of draft)."""
        if self.query_one(TabbedContent).active != tab:
            return  # another key moved on meanwhile
        for widget in self.query(TAB_FIELDS[tab]):
            if widget.focusable:
                widget.focus()
                return

    def action_help(self) -> None:
        """Show the help screen (F1 again closes it)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The Ask tab's keys act on the main screen only: over a help screen or a source viewer they wait."""
        if action in MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1:
            return False
        return True

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
        if self.service is None:
            return
        folder = self.service.home / "sessions"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"session-{dt.datetime.now():%Y%m%d-%H%M%S}.md"
        pane = self.query_one(AskPane)
        classification = self.service.classification_line(sorted(pane.cited))
        path.write_text(pane.session_markdown(classification), encoding="utf-8")
        self.notify(f"Session exported to {path}")

    def open_source(self, source: str, page: int | None, section: str | None, quote: str) -> None:
        """Open a cited document at the quote."""
        texts = self.service.document_texts()
        text = texts.get(source, ("", ""))[1]
        from assistant.core.where import place

        where = place(page, section) or "document"
        self.push_screen(SourceViewer(source, where, text, quote))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action in the command palette."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Ask", "Ask a question of the documents", lambda: self.action_show_tab("ask"))
        yield SystemCommand("Documents", "Indexed documents and ingest", lambda: self.action_show_tab("documents"))
        yield SystemCommand("Checklist", "Annex A checklist and SoA", lambda: self.action_show_tab("checklist"))
        yield SystemCommand("Draft", "Draft an AIMS document", lambda: self.action_show_tab("draft"))
        yield SystemCommand("Switch role", "Cycle staff, implementer, auditor", self.action_next_role)
        yield SystemCommand("New thread", "Ask the next question on its own, without the earlier ones",
                            self.action_new_thread)
        yield SystemCommand("Next theme", f"Switch to the next theme (now {self.theme}); the choice is saved",
                            self.action_next_theme)
        yield SystemCommand("Copy answer", "Copy the last answer and its sources", self.action_copy_answer)
        yield SystemCommand("Export session", "Write this conversation as Markdown", self.action_export_session)
        yield SystemCommand("Help", "Keys and how each screen works", self.action_help)


def run(index: str | None = None, first_paint_report: str | Path | None = None) -> int:
    """Start the app on the configured data dir.

    The settings and the service are built once the first frame is painted. With
    `first_paint_report`, write when that frame was painted (and when the app was ready: service
    built, tabs mounted) as JSON there and quit (see `aims bench ui`); headless without a terminal.
    """
    def make_service():
        from assistant.config import load_settings
        from assistant.service import Assistant

        return Assistant(load_settings(index=index))

    report = Path(first_paint_report) if first_paint_report else None
    app = AimsApp(make_service=make_service, first_paint_report=report)
    app.run(headless=report is not None and not sys.__stderr__.isatty())
    return app.return_code or 0
