"""The Documents pane: the corpus with labels, chunk counts and failures; add a folder and ingest it.

Ingesting runs in a thread worker with a progress bar; the rest of the app stays usable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, ProgressBar

from assistant.tui.confirm import ConfirmScreen

if TYPE_CHECKING:  # the models (pydantic) load after the first paint
    from assistant.core.models import IngestReport

CONFIRM_FILES = 300
"""A folder holding more files than this is ingested only after the user confirms, seeing the count."""
COUNT_LIMIT = 100_000
"""Counting stops here (a home folder could hold millions): the question then says "more than"."""


def count_files(folder: Path, limit: int = COUNT_LIMIT) -> int:
    """The files under `folder` as ingest walks it (hidden files and folders left out), up to `limit`."""
    count = 0
    for _dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        count += sum(1 for name in filenames if not name.startswith("."))
        if count >= limit:
            return limit
    return count


class DocumentsPane(Vertical):
    """The indexed documents and the ingest form."""

    class IngestProgress(Message):
        """Files done out of total, and chunks embedded so far."""

        def __init__(self, done: int, total: int, chunks: int) -> None:
            super().__init__()
            self.done, self.total, self.chunks = done, total, chunks

    class IngestFinished(Message):
        """An ingest ended (with a report, or an error)."""

        def __init__(self, report: IngestReport | None, error: str = "") -> None:
            super().__init__()
            self.report, self.error = report, error

    DEFAULT_CSS = """
    DocumentsPane #ingest-row { height: 3; }
    DocumentsPane #folder { width: 1fr; }
    DocumentsPane #documents-table { height: 1fr; }
    DocumentsPane #failures { height: auto; max-height: 8; color: $error; }
    DocumentsPane #ingest-row Button { width: auto; }
    DocumentsPane #progress { display: none; }
    DocumentsPane.-ingesting #progress { display: block; }
    """

    def __init__(self) -> None:
        super().__init__(id="documents-pane")

    def compose(self) -> ComposeResult:
        with Horizontal(id="ingest-row"):
            yield Input(placeholder="Folder to ingest (Enter or Ingest)", id="folder")
            yield Button("Ingest", id="ingest", variant="primary")
            yield Button("Load the sample organisation", id="ingest-sample")
        yield ProgressBar(total=None, id="progress", show_eta=True)  # shown only while an ingest runs
        yield Label("", id="ingest-status")
        table = DataTable(id="documents-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("document", "label", "label from", "chunks", "format", "ingested")
        yield table
        yield Label("", id="failures")

    def on_mount(self) -> None:
        """Show the index as it is, read in a worker (it opens the vector store).

        When the app quits while this pane is being built, Textual never mounts its children: nothing to show.
        """
        if not self.query("#ingest-status"):
            return
        self.query_one("#ingest-status", Label).update("Reading the index…")
        self._load_status()

    @work(thread=True, group="documents", exit_on_error=False)
    def _load_status(self) -> None:
        try:
            status = self.app.service.status()
        except Exception as exc:  # noqa: BLE001 - shown, never fatal
            self.app.call_from_thread(self._show_unreadable, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._show_initial, status)

    def _show_unreadable(self, error: str) -> None:
        self.query_one("#ingest-status", Label).update(f"Cannot read the index: {error}")

    def _show_initial(self, status) -> None:
        if not self.query_one("#ingest", Button).disabled:  # an ingest started meanwhile reports for itself
            self.show_status(status)

    def refresh_documents(self) -> None:
        """Reload the documents table and failures from the service."""
        self.show_status(self.app.service.status())

    def show_status(self, status) -> None:
        """Fill the documents table, failures and the summary line from a status report."""
        table = self.query_one("#documents-table", DataTable)
        table.clear()
        for doc in status.documents:
            table.add_row(doc.source, doc.label.value, doc.label_origin, str(doc.chunk_count), doc.format,
                          doc.ingested_at[:16])
        failures = "\n".join(f"FAILED {f.source}: {f.reason}" for f in status.failures)
        self.query_one("#failures", Label).update(failures)
        self.query_one("#ingest-status", Label).update(
            f"{len(status.documents)} documents, {status.chunks} chunks" if status.documents else
            "The index is empty: load the sample organisation, or name a folder of your own documents.")

    @on(Button.Pressed, "#ingest")
    @on(Input.Submitted, "#folder")
    def ingest_folder(self) -> None:
        """Ingest the folder typed in the input (Ingest or Enter); a very large folder asks first.

        An empty field is an error, never the folder the app was started from.
        """
        if self.query_one("#ingest", Button).disabled:
            return  # an ingest is running
        typed = self.query_one("#folder", Input).value.strip()
        if not typed:
            self._say("Type the folder to ingest first (or press Load the sample organisation).")
            return
        folder = Path(typed).expanduser()
        if not folder.is_dir():
            self._say(f"Not a folder: {folder}")
            return
        self._say(f"Counting the files in {folder}…")
        self._count(folder)

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def _count(self, folder: Path) -> None:
        """Count the folder's files off the UI thread (a large tree takes a while to walk)."""
        try:
            files = count_files(folder)
        except OSError as exc:
            self.app.call_from_thread(self._say, f"Cannot read {folder}: {exc}")
            return
        self.app.call_from_thread(self._confirm_size, folder, files)

    def _confirm_size(self, folder: Path, files: int) -> None:
        """Ingest at once, or ask first when the folder holds more than a few hundred files."""
        if files <= CONFIRM_FILES:
            self.start_ingest(folder)
            return
        count = f"more than {COUNT_LIMIT:,}" if files >= COUNT_LIMIT else f"{files:,}"
        question = (f"{folder} holds {count} files. Ingest them all? Large folders take a while, and "
                    "every document becomes searchable by the roles its label allows.")
        self._say(f"{folder} holds {count} files: waiting for your answer.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_ingest(folder)
            else:
                self._say(f"Not ingested: {folder} ({count} files).")

        self.app.push_screen(ConfirmScreen(question, yes="Ingest", no="Cancel"), answered)

    def _say(self, text: str) -> None:
        """Show a line under the form, as plain text (a path may hold brackets)."""
        self.query_one("#ingest-status", Label).update(Text(text))

    @on(Button.Pressed, "#ingest-sample")
    def ingest_sample(self) -> None:
        """Build the index of the bundled sample organisation."""
        from assistant.resources import sample_corpus

        self.start_ingest(sample_corpus())

    def start_ingest(self, folder: Path) -> None:
        """Run an ingest in a worker; buttons are disabled until it ends (focus stays in the pane)."""
        if isinstance(self.app.focused, Button) and self.app.focused in self.query(Button):
            self.query_one("#documents-table", DataTable).focus()  # a disabled button would drop the keys
        for button in self.query(Button):
            button.disabled = True
        self.add_class("-ingesting")
        self.query_one("#progress", ProgressBar).update(total=None, progress=0)
        self._say(f"Ingesting {folder}…")
        self._ingest(folder)

    @work(thread=True, exclusive=True, group="ingest", exit_on_error=False)
    def _ingest(self, folder: Path) -> None:
        def progress(done: int, total: int, chunks: int, _current: str) -> None:
            self.post_message(self.IngestProgress(done, total, chunks))

        try:
            report = self.app.service.ingest([folder], progress=progress)
        except Exception as exc:  # noqa: BLE001 - shown, never fatal
            self.post_message(self.IngestFinished(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.IngestFinished(report))

    @on(IngestProgress)
    def show_progress(self, message: IngestProgress) -> None:
        """Move the progress bar."""
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(1, message.total), progress=message.done)
        self._say(f"{message.done}/{message.total} files read, {message.chunks} chunks embedded so far")

    @on(IngestFinished)
    def show_finished(self, message: IngestFinished) -> None:
        """Report the outcome and refresh the table."""
        for button in self.query(Button):
            button.disabled = False
        self.remove_class("-ingesting")
        self.refresh_documents()
        if message.report is None:
            self._say(f"Ingest failed: {message.error}")
            return
        r = message.report
        reused = f", {r.chunks_added - r.chunks_embedded} re-used" if r.chunks_added > r.chunks_embedded else ""
        self._say(f"added {len(r.added)}, updated {len(r.updated)}, removed {len(r.removed)}, unchanged "
                  f"{len(r.unchanged)}, failed {len(r.failed)}; {r.chunks_total} chunks in the index "
                  f"({r.chunks_embedded} embedded now{reused})"
                  + (f"; {len(r.withheld)} withheld ({r.withheld[0].reason})" if r.withheld else ""))
        problems = [f"{len(r.failed)} failures"] * bool(r.failed) + [f"{len(r.withheld)} withheld"] * bool(r.withheld)
        self.app.notify("Ingest finished" + (f" with {' and '.join(problems)}" if problems else ""))
