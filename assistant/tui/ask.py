"""The Ask pane: a prompt, the answer with [n] markers (streamed when an LLM is configured), sources.

Questions form a thread: each is asked with the thread's earlier questions, so a follow-up ("and who
approves it?") is searched in context; a new thread (Ctrl+N) forgets them, and so does a role switch,
which also clears the transcript (an auditor's answer must not stay on a staff screen). Answering
runs in a thread worker; the worker never touches widgets, it posts messages back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Markdown, Select

from assistant import settings_file
from assistant.tui.forms import chosen

if TYPE_CHECKING:  # the models (pydantic) load after the first paint
    from assistant.core.models import Answer

ROLES = [(role, role) for role in settings_file.ROLES]


class AskPane(Vertical):
    """Questions and cited answers, with the role always visible and switchable."""

    class AnswerChunk(Message):
        """A piece of a streamed reply."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class AnswerReady(Message):
        """A finished, verified answer."""

        def __init__(self, answer: Answer) -> None:
            super().__init__()
            self.answer = answer

    class AnswerFailed(Message):
        """Answering raised; the question is restored to the prompt."""

        def __init__(self, question: str, error: str) -> None:
            super().__init__()
            self.question = question
            self.error = error

    DEFAULT_CSS = """
    AskPane #ask-top { height: 3; }
    AskPane #role { width: 24; }
    AskPane #role-label { padding: 1 1 0 0; }
    AskPane #ask-body { height: 1fr; }
    AskPane #transcript { width: 3fr; border: round $primary; padding: 0 1; }
    AskPane #transcript Markdown { margin: 0; }
    AskPane #sources { width: 2fr; height: 1fr; border: round $secondary; }
    AskPane #question { dock: bottom; }
    """

    def __init__(self) -> None:
        super().__init__(id="ask-pane")
        self.transcript: list[str] = []
        self.thread: list[str] = []  # the current thread's questions, most recent last
        self.answer: Answer | None = None
        self.streamed = ""
        self.shown_role = "staff"  # the role the transcript on screen was asked as
        self.cited: set[str] = set()  # the documents the transcript quotes (an export takes their highest label)
        self.question_entry: Markdown | None = None  # the question being answered, in the transcript
        self.dropping = False  # True when the role changed while answering: that answer is not shown
        self.pending_entry: Markdown | None = None  # its answer, streamed then final

    def compose(self) -> ComposeResult:
        with Horizontal(id="ask-top"):
            yield Label("Role:", id="role-label")
            yield Select(ROLES, value="staff", allow_blank=False, id="role")
            yield Label("", id="ask-status")
        with Horizontal(id="ask-body"):
            with VerticalScroll(id="transcript"):
                yield Markdown("Ask a question about your AIMS documents. Every sentence of an answer is a quote "
                               "with its source; select a source to open it.", id="answer")
            table = DataTable(id="sources", cursor_type="row", zebra_stripes=True)
            table.add_column("#", key="n")
            table.add_column("source, and where in it", key="source")
            yield table
        yield Input(placeholder="Ask, e.g. May I make a marketing flyer with an AI image generator?", id="question")

    @property
    def role(self) -> str:
        """The role answers are filtered for."""
        return chosen(self.query_one("#role", Select)) or "staff"

    @on(Select.Changed, "#role")
    def switch_role(self) -> None:
        """A new role clears the transcript and the sources and starts a new thread, with a note.

        What one role was shown (an auditor's confidential quotes) must not stay on screen for another.
        """
        role = self.role
        if role == self.shown_role:
            return
        before, self.shown_role = self.shown_role, role
        if not self.transcript and not self.thread:
            return
        self.dropping = self.query_one("#question", Input).disabled  # an answer under way is for the old role
        self.transcript = [f"_Role switched from {before} to {role}: the earlier answers were cleared (the audit "
                           "log keeps them) and a new thread starts._"]
        self.thread = []
        self.answer = None
        self.cited = set()
        self.query_one("#sources", DataTable).clear()
        self._clear_entries()
        self._add_entry(self.transcript[0])
        self.query_one("#ask-status", Label).update(f"Role: {role}; new thread.")

    @on(Input.Submitted, "#question")
    def submit(self, event: Input.Submitted) -> None:
        """Start answering; a second question waits until this one is done."""
        question = event.value.strip()
        if not question or self.query_one("#question", Input).disabled:
            return
        if self.app.service is None:  # built just after the first paint; the question stays typed
            self.query_one("#ask-status", Label).update("Starting up: press Enter again in a moment.")
            return
        event.input.value = ""
        event.input.disabled = True
        self.query_one("#transcript").focus()  # the keys stay in the pane (arrows scroll) while it answers
        self.streamed = ""
        warming = getattr(self.app, "model_ready", True) is False
        self.query_one("#ask-status", Label).update(
            "Starting up: the model is still loading; your question is answered as soon as it is ready."
            if warming else f"Answering as {self.role}…")
        self.transcript.append(f"**You ({self.role}):** {question}")
        self.shown_role = self.role
        self.question_entry = self._add_entry(self.transcript[-1])
        self.pending_entry = self._add_entry("_starting up: loading the model…_" if warming
                                             else "_searching the documents…_")
        self._scroll_to(self.question_entry)
        history = list(self.thread)
        self.thread.append(question)
        self._answer(question, self.role, history)

    @work(thread=True, exclusive=True, group="answer", exit_on_error=False)
    def _answer(self, question: str, role: str, history: list[str]) -> None:
        try:
            stream = lambda piece: self.post_message(self.AnswerChunk(piece))  # noqa: E731
            answer = self.app.service.ask(question, role=role, on_token=stream, history=history or None)
            self.app.service.log_exchange(answer)
        except Exception as exc:  # noqa: BLE001 - shown to the user, the app keeps running
            self.post_message(self.AnswerFailed(question, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.AnswerReady(answer))

    @on(AnswerChunk)
    def show_chunk(self, message: AnswerChunk) -> None:
        """Show the reply as it streams in (verified and replaced when complete)."""
        if self.dropping:
            return
        self.streamed += message.text
        self.pending_entry.update(self.streamed + " ▌")

    @on(AnswerReady)
    async def show_answer(self, message: AnswerReady) -> None:
        """Render the verified answer and its sources; re-enable the prompt."""
        from assistant.core.chunks import display_quote

        if self.dropping:  # asked as the role before the switch: not shown to this one
            self.dropping = False
            self._release_prompt()
            return
        answer = message.answer
        self.answer = answer
        self.cited |= {c.source for c in answer.citations}
        lead = {"answered": "", "partial": "**Related evidence only.** ", "none": "**No evidence.** "}[answer.status]
        body = lead + emphasised(answer).replace("\n", "\n\n")
        sources = "\n".join(f"- [{c.n}] {c.source}{f' (p. {c.page})' if c.page else ''}: "
                             f"\"{display_quote(c.quote, c.section)}\"" for c in answer.citations)
        self.transcript.append(f"**Answer:**\n\n{body}" + (f"\n\n**Sources**\n\n{sources}" if sources else ""))
        await self.pending_entry.update(self.transcript[-1])
        self._scroll_to(self.question_entry)  # the new question at the top, its answer under it
        table = self.query_one("#sources", DataTable)
        width = max(20, table.scrollable_content_region.width - 8)  # the pane's width: names and places fit it
        table.clear(columns=True)
        table.add_column("#", key="n")
        table.add_column("source, and where in it", key="source", width=width)
        for c in answer.citations:
            where = ", ".join(x for x in (f"p. {c.page}" if c.page else "", c.section or "") if x) or "document"
            cell = Text(_cut(c.source, width), style="bold")
            cell.append("\n" + _cut(where, width), style="dim")
            table.add_row(str(c.n), cell, key=str(c.n), height=2)  # the name, then where: neither cut short
        status = {"answered": "grounded", "partial": "partial: related evidence, not an answer",
                  "none": "refused: no evidence"}[answer.status]
        controls = f"; related: {', '.join(answer.controls)}" if answer.controls else ""
        earlier = len(self.thread) - 1
        thread = f"; thread of {earlier + 1} questions (Ctrl+N: new thread)" if earlier else ""
        self.query_one("#ask-status", Label).update(f"{status}{controls}{thread}")
        self._release_prompt()

    @on(AnswerFailed)
    def show_failure(self, message: AnswerFailed) -> None:
        """Restore the question so nothing typed is lost."""
        if self.dropping:
            self.dropping = False
            self._release_prompt()
            self.query_one("#question", Input).value = message.question
            return
        self.transcript.pop()
        if self.thread and self.thread[-1] == message.question:
            self.thread.pop()
        self.question_entry.remove()
        self.pending_entry.remove()
        self.query_one("#ask-status", Label).update(f"error: {message.error}")
        self._release_prompt()
        self.query_one("#question", Input).value = message.question

    def new_thread(self) -> None:
        """Forget the thread: the next question is asked on its own (the transcript is kept)."""
        if self.thread:
            self.transcript.append("_New thread: earlier questions are no longer used as context._")
            self._scroll_to(self._add_entry(self.transcript[-1]))
        self.thread = []
        self.query_one("#ask-status", Label).update("New thread: the next question is asked on its own.")

    def _release_prompt(self) -> None:
        prompt = self.query_one("#question", Input)
        prompt.disabled = False
        prompt.focus()

    def _add_entry(self, text: str) -> Markdown:
        """Append one part of the conversation (a question, an answer, a note) to the transcript."""
        entry = Markdown(text, classes="entry")
        self.query_one("#transcript", VerticalScroll).mount(entry)
        return entry

    def _clear_entries(self) -> None:
        """Take every part of the conversation off the screen (the intro line stays)."""
        self.query("#transcript > .entry").remove()

    def _scroll_to(self, entry: Markdown) -> None:
        """Bring an entry to the top of the transcript once it is laid out (else the view stays put)."""
        transcript = self.query_one("#transcript", VerticalScroll)
        self.call_after_refresh(lambda: transcript.scroll_to_widget(entry, top=True, animate=False))

    @on(DataTable.RowSelected, "#sources")
    def open_source(self, event: DataTable.RowSelected) -> None:
        """Open the cited document at the quote."""
        if self.answer is None:
            return
        citation = next(c for c in self.answer.citations if str(c.n) == event.row_key.value)
        self.app.open_source(citation.source, citation.page, citation.section, citation.quote)

    def session_markdown(self, classification: str = "") -> str:
        """The conversation so far, for export, under its classification line (see `classification_line`)."""
        header = "# aims-assistant session\n\n" + (f"{classification}\n\n" if classification else "")
        return header + "\n\n---\n\n".join(self.transcript) + "\n"


def emphasised(answer) -> str:
    """The answer's text with, in each quote that joins several sentences, the best-ranked one in bold.

    Why: the first quote carries the sentences around the best one so it reads in context; the
    reader should still see at a glance which sentence the answer rests on.
    """
    lines = answer.answer.split("\n")
    for citation in answer.citations:
        if not citation.focus:
            continue
        focus = " ".join(citation.focus.split())
        for i, line in enumerate(lines):
            if line.endswith(f"[{citation.n}]") and focus in line:
                lines[i] = line.replace(focus, f"**{focus}**", 1)
                break
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    """Text cut to `width` cells with an ellipsis (a long section trail), whole when it fits."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
