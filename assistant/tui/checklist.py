"""The Checklist pane: clauses and the 38 controls as a filterable table, a detail pane, and edits.

Rows come from the same `checklist_rows` the CLI and the exports render.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Markdown, Select

from assistant.tui.forms import chosen, option_label

STATUSES = [(s, s) for s in ("not assessed", "not started", "partial", "implemented")]
APPLICABLE = [("applicable", "yes"), ("not applicable", "no")]
COLUMNS = ("ID", "appl.", "status", "evid.", "stale", "title")
NARROW = 130
"""Below this width the detail pane goes under the table, so titles keep room to be read."""
# The same kinds and formats as `aims checklist export` (assistant/checklist/export.py).
EXPORT_KINDS = [("Statement of Applicability", "soa"), ("Audit checklist", "checklist")]
EXPORT_FORMATS = [("Markdown", "md"), ("CSV", "csv"), ("XLSX", "xlsx"), ("DOCX", "docx")]
EXPORT_NAMES = {"soa": "statement-of-applicability", "checklist": "audit-checklist"}


class ChecklistTable(DataTable):
    """The checklist's table, which says when its width changes so the titles can be fitted to it."""

    class Resized(Message):
        """The table was laid out at a new size (also when its tab is first shown)."""

    def on_resize(self) -> None:
        """Tell the pane."""
        self.post_message(self.Resized())


class ChecklistPane(Vertical):
    """Filter, inspect and assess clauses and controls; export the SoA or the checklist in any format."""

    DEFAULT_CSS = """
    ChecklistPane #checklist-top { height: 3; }
    ChecklistPane #filter { width: 1fr; }
    ChecklistPane #checklist-body { height: 1fr; }
    ChecklistPane #checklist-table { width: 3fr; }
    ChecklistPane #detail-pane { width: 2fr; border: round $primary; padding: 0 1; }
    ChecklistPane #edit-row { height: 3; }
    ChecklistPane #evidence-row { height: 3; }
    ChecklistPane Button { width: auto; min-width: 8; }
    ChecklistPane.-narrow #checklist-body { layout: vertical; }
    ChecklistPane.-narrow #checklist-table { width: 1fr; height: 3fr; }
    ChecklistPane.-narrow #detail-pane { width: 1fr; height: 2fr; }
    ChecklistPane #suggestions { width: 3fr; }
    ChecklistPane #linked { width: 2fr; }
    ChecklistPane #status { width: 20; }
    ChecklistPane #applicable { width: 22; }
    ChecklistPane #justification { width: 1fr; }
    ChecklistPane #export-kind { width: 34; }
    ChecklistPane #export-format { width: 16; }
    """

    def __init__(self) -> None:
        super().__init__(id="checklist-pane")
        self.selected: str | None = None
        self.suggestions: list = []
        self.sort_reverse = False
        self.titles: dict[str, str] = {}  # full titles (the table shows them cut to its width, with "…")
        self.titles_width = 0  # the width the titles in the table are cut to

    def compose(self) -> ComposeResult:
        with Horizontal(id="checklist-top"):
            yield Input(placeholder="Filter by ID, title or status", id="filter")
            yield Select(EXPORT_KINDS, value="soa", allow_blank=False, id="export-kind")
            yield Select(EXPORT_FORMATS, value="md", allow_blank=False, id="export-format")
            yield Button("Export", id="export")
        with Horizontal(id="checklist-body"):
            table = ChecklistTable(id="checklist-table", cursor_type="row", zebra_stripes=True)
            self.column_keys = dict(zip(COLUMNS, table.add_columns(*COLUMNS)))
            yield table
            with VerticalScroll(id="detail-pane"):
                yield Markdown("Select a clause or control.", id="detail")
        with Horizontal(id="edit-row"):
            yield Select(STATUSES, prompt="status", id="status")
            yield Select(APPLICABLE, prompt="applicability", id="applicable")
            yield Input(placeholder="Justification (if not applicable)", id="justification")
            yield Button("Save", id="save", variant="primary")
            yield Button("Suggest evidence", id="suggest")
        with Horizontal(id="evidence-row"):
            yield Select([], prompt="suggested evidence", id="suggestions")
            yield Button("Link it", id="accept")
            yield Select([], prompt="linked evidence", id="linked")
            yield Button("Open", id="open-link")
        yield Label("", id="checklist-status")

    def on_mount(self) -> None:
        """Fill the table.

        When the app quits while this pane is being built, Textual never mounts its children: no table to fill.
        """
        if self.query("#checklist-table"):
            self.reload()

    def reload(self) -> None:
        """Rebuild the table from the service, applying the filter."""
        needle = self.query_one("#filter", Input).value.strip().lower()
        table = self.query_one("#checklist-table", DataTable)
        table.clear()
        width = self.titles_width = self._title_width()
        for row in self.app.service.checklist_rows():
            applicable = "-" if row.applicable is None else "yes" if row.applicable else "no"
            cells = (row.id, applicable, row.status, str(row.evidence), "STALE" if row.stale else "", row.title)
            if needle and not any(needle in cell.lower() for cell in cells):
                continue
            self.titles[row.id] = row.title
            table.add_row(*cells[:-1], _cut(row.title, width), key=row.id)
        if self.selected is not None and self.selected in table.rows:
            table.move_cursor(row=table.get_row_index(self.selected))  # keep the user's place

    def refresh_row(self, item_id: str) -> None:
        """Update one item's cells in place (after a save or a link): the cursor and the form stay as they are."""
        table = self.query_one("#checklist-table", DataTable)
        if item_id not in table.rows:
            return
        row = self.app.service.checklist_row(item_id)
        applicable = "-" if row.applicable is None else "yes" if row.applicable else "no"
        cells = dict(zip(COLUMNS, (row.id, applicable, row.status, str(row.evidence), "STALE" if row.stale else "",
                                   _cut(row.title, self._title_width()))))
        for name, value in cells.items():
            table.update_cell(item_id, self.column_keys[name], value, update_width=True)

    def on_resize(self) -> None:
        """Stack the detail pane under the table when narrow (the table's own resize then fits the titles)."""
        self.set_class(self.size.width < NARROW, "-narrow")

    @on(ChecklistTable.Resized)
    def fit_titles(self) -> None:
        """Fit the titles to the table's new width (laid out by now: the table is resized after layout)."""
        self._fit_titles()

    def _title_width(self) -> int:
        """Room for the title column: the table's width less the other columns (at least 12 cells).

        Before the table is laid out (its tab hidden) there is no width yet: titles are kept whole.
        """
        table = self.query_one("#checklist-table", DataTable)
        if not table.size.width:
            return 10_000
        others = sum(column.get_render_width(table) for column in table.ordered_columns[:-1])
        return max(12, table.scrollable_content_region.width - others - 2 * table.cell_padding - 1)

    def _fit_titles(self) -> None:
        """Cut every title to the table's width, in place (the cursor and the form stay as they are)."""
        table = self.query_one("#checklist-table", DataTable)
        if not table.size.width:
            return  # not laid out yet (a hidden tab)
        width = self._title_width()
        if width == self.titles_width:
            return  # already cut to this width (showing the tab again does no work)
        self.titles_width = width
        for key in list(table.rows):
            table.update_cell(key, self.column_keys["title"], _cut(self.titles.get(key.value, ""), width),
                              update_width=True)

    @on(DataTable.HeaderSelected, "#checklist-table")
    def sort_by_column(self, event: DataTable.HeaderSelected) -> None:
        """Sort by the clicked column; clicking again reverses the order."""
        self.sort_reverse = not self.sort_reverse
        self.query_one("#checklist-table", DataTable).sort(event.column_key, reverse=self.sort_reverse)

    @on(Input.Changed, "#filter")
    def filter_rows(self) -> None:
        """Filter as the user types."""
        self.reload()

    @on(DataTable.RowHighlighted, "#checklist-table")
    def show_detail(self, event: DataTable.RowHighlighted) -> None:
        """Intent, audit questions, evidence, crosswalk and links of the highlighted item."""
        if event.row_key is None or event.row_key.value == self.selected:
            return  # the same item again (a rebuilt table): keep what the user has typed in the form
        self.selected = event.row_key.value
        self.query_one("#detail", Markdown).update(self.detail_markdown(self.selected))
        self._fill_form(self.selected)
        self._fill_linked(self.selected)

    def _fill_form(self, item_id: str) -> None:
        """Start the status, applicability and justification from the item's saved values."""
        row = self.app.service.checklist_row(item_id)
        status = self.query_one("#status", Select)
        status.value = row.status if row.status in {v for _, v in STATUSES} else Select.NULL
        applicable = self.query_one("#applicable", Select)
        applicable.value = Select.NULL if row.applicable is None else "yes" if row.applicable else "no"
        self.query_one("#justification", Input).value = row.justification or ""

    def _fill_linked(self, item_id: str, keep_suggestions: bool = False) -> None:
        """List the item's linked evidence; the suggestions go with another item, and stay after a link."""
        row = self.app.service.checklist_row(item_id)
        width = max(30, self.query_one("#linked", Select).size.width - 8)
        options = [(option_label(f"{'STALE ' if link.stale else ''}{link.source}: {link.quote}", width), link.id)
                   for link in row.links]
        self.query_one("#linked", Select).set_options(options)
        if not keep_suggestions:
            self.query_one("#suggestions", Select).set_options([])
            self.suggestions = []

    def detail_markdown(self, item_id: str) -> str:
        """The item rendered as Markdown (the same facts `aims checklist show ID` prints)."""
        service = self.app.service
        item = service.item(item_id)
        row = service.checklist_row(item_id)
        lines = [f"## {item.id} {item.title}", "", item.intent, "", "**Audit questions**", ""]
        lines += [f"- {q}" for q in item.audit_questions]
        lines += ["", "**Typical evidence**", ""] + [f"- {e}" for e in item.typical_evidence]
        pairs = service.crosswalk(item.id)
        if pairs:
            names = sorted({p.external_id + (" (indicative)" if p.indicative else "") for p in pairs})
            lines += ["", "**Crosswalk**: " + ", ".join(names)]
        lines += ["", f"**Status**: {row.status}; applicable: {row.applicable}; owner: {row.owner or '-'}"]
        if row.justification:
            lines.append(f"**Justification**: {row.justification}")
        for link in row.links:
            flag = f" **STALE** ({link.stale_reason})" if link.stale else ""
            lines.append(f"- evidence: {link.source}: \"{' '.join(link.quote.split())}\"{flag}")
        return "\n".join(lines)

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        """Save status, applicability and justification for the selected item.

        A select left blank changes nothing (as `aims checklist set` without that option).
        """
        if self.selected is None:
            self._say("Choose a clause or control in the table first.")
            return
        changes: dict = {}
        status = chosen(self.query_one("#status", Select))
        applicable = chosen(self.query_one("#applicable", Select))
        justification = self.query_one("#justification", Input).value.strip()
        if status is not None:
            changes["status"] = status
        if applicable is not None:
            changes["applicable"] = applicable == "yes"
        if justification:
            changes["justification"] = justification
        if not changes:
            self._say("Nothing to save: choose a status or applicability, or type a justification.")
            return
        try:
            self.app.service.checklist_set(self.selected, **changes)
        except ValueError as exc:
            self._say(f"Not saved: {exc}")
            return
        self._say(f"Saved {self.selected}")
        self.refresh_row(self.selected)
        self.query_one("#detail", Markdown).update(self.detail_markdown(self.selected))

    def _say(self, text: str) -> None:
        """Show a line in the pane's status label, as plain text (an error or a path may hold brackets)."""
        self.query_one("#checklist-status", Label).update(Text(text))

    @on(Button.Pressed, "#export")
    def export_chosen(self) -> None:
        """Export the chosen kind (SoA or full checklist) in the chosen format, in a worker."""
        kind = chosen(self.query_one("#export-kind", Select)) or "soa"
        fmt = chosen(self.query_one("#export-format", Select)) or "md"
        self._say(f"Exporting {EXPORT_NAMES[kind]}.{fmt}…")
        self._export(kind, fmt)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, kind: str, fmt: str) -> None:
        try:
            path = self.export_file(kind, fmt)
        except (ValueError, OSError) as exc:  # ExportError is a ValueError
            self.app.call_from_thread(self._exported, None, str(exc))
            return
        self.app.call_from_thread(self._exported, path, "")

    def export_file(self, kind: str, fmt: str):
        """Write `kind` ("soa" or "checklist") as md, csv, xlsx or docx into exports/ in the data dir."""
        import datetime as dt

        from assistant.checklist.export import export

        folder = self.app.service.home / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{EXPORT_NAMES[kind]}-{dt.datetime.now():%Y%m%d-%H%M%S}"
        path = folder / f"{stem}.{fmt}"
        number = 1
        while path.exists():  # two exports in the same second keep both files
            number += 1
            path = folder / f"{stem}-{number}.{fmt}"
        return export(self.app.service.checklist_rows(), kind, fmt, path)

    def _exported(self, path, error: str) -> None:
        if path is None:
            self._say(f"Not exported: {error}")
            return
        self._say(f"Exported {path}")
        self.app.notify(f"Exported {path.name}")

    @on(Button.Pressed, "#suggest")
    def suggest(self) -> None:
        """Propose evidence for the selected item (a proposal until linked)."""
        if not self.selected:
            self._say("Choose a clause or control in the table first.")
            return
        self._say(f"Searching evidence for {self.selected}…")
        self._suggest(self.selected)

    @work(thread=True, exclusive=True, group="suggest", exit_on_error=False)
    def _suggest(self, item_id: str) -> None:
        suggestions = self.app.service.suggest_evidence(item_id)
        self.app.call_from_thread(self._offer, suggestions)
        text = "\n".join(f"- [{s.confidence}] {s.source}: \"{' '.join(s.quote.split())[:200]}\"" for s in suggestions)
        self.app.call_from_thread(self._show_suggestions, item_id, text or "- nothing found")

    def _offer(self, suggestions: list) -> None:
        self.suggestions = suggestions
        select = self.query_one("#suggestions", Select)
        width = max(30, select.size.width - 8)  # the label fits the closed select, with "…" when cut
        options = [(option_label(f"[{s.confidence}] {s.source}: {s.quote}", width), str(i))
                   for i, s in enumerate(suggestions)]
        self.query_one("#suggestions", Select).set_options(options)

    @on(Button.Pressed, "#accept")
    def accept_suggestion(self) -> None:
        """Link the chosen suggestion: a proposal becomes evidence only when a person accepts it."""
        choice = chosen(self.query_one("#suggestions", Select))
        if self.selected is None or choice is None:
            self._say("Press Suggest evidence, then choose a suggestion to link." if not self.suggestions
                      else "Choose a suggestion in the list first.")
            return
        suggestion = self.suggestions[int(choice)]
        try:
            link = self.app.service.checklist_link(self.selected, suggestion.source, suggestion.quote)
        except ValueError as exc:
            self._say(f"Not linked: {exc}")
            return
        self._say(f"Linked evidence #{link.id} to {self.selected}")
        self.refresh_row(self.selected)  # the status, applicability and justification typed stay as they are
        self.query_one("#detail", Markdown).update(self.detail_markdown(self.selected))
        self._fill_linked(self.selected, keep_suggestions=True)  # another suggestion may be linked next

    @on(Button.Pressed, "#open-link")
    def open_link(self) -> None:
        """Open linked evidence in the source viewer at its quote."""
        choice = chosen(self.query_one("#linked", Select))
        if self.selected is None or choice is None:
            self._say("Choose linked evidence in the list first." if self.selected else
                      "Choose a clause or control in the table first.")
            return
        row = self.app.service.checklist_row(self.selected)
        link = next((link for link in row.links if str(link.id) == choice), None)
        if link is None:
            self._say("That evidence is no longer linked.")
            return
        self.app.open_source(link.source, link.page, link.section, link.quote)

    def _show_suggestions(self, item_id: str, text: str) -> None:
        heading = "**Suggested evidence** (link with `aims checklist link`)"
        detail = f"{self.detail_markdown(item_id)}\n\n{heading}\n\n{text}"
        self.query_one("#detail", Markdown).update(detail)
        self._say(f"Suggestions for {item_id}")


def _cut(text: str, width: int) -> str:
    """Text cut to `width` cells with an ellipsis, so a cut title shows that it goes on."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
