"""The Draft pane: pick a kind, fill its inputs, preview the cited draft with coverage, export it.

The form is built from the kind's declared inputs; drafting runs in a thread worker.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Markdown, Select

from assistant.tui.forms import chosen


class DraftPane(Vertical):
    """Draft AIMS documents from evidence."""

    DEFAULT_CSS = """
    DraftPane #draft-top { height: 3; }
    DraftPane #kind { width: 34; }
    DraftPane #draft-top Button { width: auto; }
    DraftPane #draft-inputs { height: auto; }
    DraftPane .draft-field { width: 1fr; height: auto; }
    DraftPane .draft-field Label { width: 1fr; height: 1; padding: 0 1; text-style: bold; }
    DraftPane .draft-input { width: 1fr; }
    DraftPane #draft-preview { height: 1fr; border: round $primary; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="draft-pane")
        self.draft = None

    def compose(self) -> ComposeResult:
        kinds = sorted(self.app.service.draft_kinds)
        with Horizontal(id="draft-top"):
            first = "impact-assessment" if "impact-assessment" in kinds else kinds[0]
            yield Select([(k, k) for k in kinds], value=first, allow_blank=False, id="kind")
            yield Button("Draft", id="make-draft", variant="primary")
            yield Button("Export Markdown", id="export-draft-md", disabled=True)
            yield Button("Export DOCX", id="export-draft-docx", disabled=True)
        yield Horizontal(id="draft-inputs")
        yield Label("", id="draft-status")
        with VerticalScroll(id="draft-preview"):
            yield Markdown("Pick a kind, fill in its inputs and press Draft.", id="draft-markdown")

    async def on_mount(self) -> None:
        """Build the form for the initial kind.

        When the app quits while this pane is being built, Textual never mounts its children: no form then.
        """
        if self.query("#kind"):
            await self._build_form()

    @on(Select.Changed, "#kind")
    async def _build_form(self) -> None:
        """Build the chosen kind's form, each field under its label, and drop the previous kind's draft.

        A draft of another kind must not stay in the preview, nor be exported by mistake.
        """
        name = chosen(self.query_one("#kind", Select))
        if name is None:
            return
        kind = self.app.service.draft_kinds[name]
        if self.draft is not None and self.draft.kind != name:
            self.draft = None
            self.query_one("#draft-markdown", Markdown).update(f"Fill in the inputs of {name} and press Draft.")
            self.query_one("#draft-status", Label).update(Text(""))
            for ident in ("#export-draft-md", "#export-draft-docx"):
                self.query_one(ident, Button).disabled = True
        row = self.query_one("#draft-inputs", Horizontal)
        await row.remove_children()
        found = self._found_inputs(name)
        await row.mount_all([
            Vertical(Label(f"{i.name}{' (required)' if i.required else ''}", markup=False),
                     Input(value=found[i.name].value if i.name in found else "", placeholder=i.description,
                           name=i.name, classes="draft-input",
                           tooltip=(f"Found in {found[i.name].source}: {found[i.name].quote}" if i.name in found
                                    else i.description)),
                     classes="draft-field")
            for i in kind.inputs])
        if found:
            self.query_one("#draft-status", Label).update(Text("Found in your documents: " + "; ".join(
                f"{item.name} {item.value!r} ({item.source})" for item in found.values())))

    def _found_inputs(self, name: str) -> dict:
        """Inputs the documents state (the organisation's name), to prefill the form; none if they cannot tell."""
        finder = getattr(self.app.service, "draft_defaults", None)
        if finder is None:
            return {}
        try:
            return finder(name)
        except (OSError, ValueError):
            return {}

    @on(Button.Pressed, "#make-draft")
    @on(Input.Submitted, ".draft-input")
    def make_draft(self) -> None:
        """Draft in a worker with the form's values (the Draft button, or Enter in a field)."""
        button = self.query_one("#make-draft", Button)
        kind = chosen(self.query_one("#kind", Select))
        if button.disabled or kind is None:
            return
        values = {inp.name: inp.value.strip() for inp in self.query(".draft-input").results(Input) if inp.name}
        self.query_one("#draft-status", Label).update(Text(f"Drafting {kind}…"))
        if self.app.focused is button:
            self.query_one("#draft-preview").focus()  # a disabled button would drop the keys typed next
        button.disabled = True
        self._draft(kind, values)

    @work(thread=True, exclusive=True, group="draft", exit_on_error=False)
    def _draft(self, kind: str, values: dict[str, str]) -> None:
        try:
            draft = self.app.service.draft(kind, values)
        except ValueError as exc:
            self.app.call_from_thread(self._show_error, str(exc))
            return
        self.app.call_from_thread(self._show_draft, draft)

    def _show_error(self, error: str) -> None:
        self.query_one("#make-draft", Button).disabled = False
        self.query_one("#draft-status", Label).update(Text(f"Not drafted: {error}"))

    def _show_draft(self, draft) -> None:
        if draft.kind != chosen(self.query_one("#kind", Select)):  # the kind changed while drafting
            self.query_one("#make-draft", Button).disabled = False
            return
        self.draft = draft
        cov = draft.coverage
        self.query_one("#draft-markdown", Markdown).update(draft.markdown)
        self.query_one("#draft-status", Label).update(
            f"{len(cov.filled)} sections from evidence, {len(cov.to_complete)} to complete, "
            f"{len(draft.citations)} citations; supports {', '.join(cov.controls) or 'no controls yet'}")
        for ident in ("#make-draft", "#export-draft-md", "#export-draft-docx"):
            self.query_one(ident, Button).disabled = False

    @on(Button.Pressed, "#export-draft-md")
    def export_markdown(self) -> None:
        """Write the draft as Markdown into the data dir."""
        self._export("md")

    @on(Button.Pressed, "#export-draft-docx")
    def export_docx(self) -> None:
        """Write the draft as DOCX into the data dir."""
        self._export("docx")

    def _export(self, fmt: str) -> None:
        import datetime as dt

        from assistant.drafting.draft import write

        if self.draft is None:
            return
        folder = self.app.service.home / "drafts"
        folder.mkdir(parents=True, exist_ok=True)
        path = write(self.draft, folder / f"{self.draft.kind}-{dt.datetime.now():%Y%m%d-%H%M%S}.{fmt}", fmt)
        self.query_one("#draft-status", Label).update(Text(f"Exported {path}"))
        self.app.notify(f"Exported {path.name}")
