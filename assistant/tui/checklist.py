"""The Checklist pane: clauses and the 38 controls as a filterable table, a detail pane, and edits.

Rows come from the same `checklist_rows` the CLI and the exports render.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Markdown, Select

STATUSES = [(s, s) for s in ("not assessed", "not started", "partial", "implemented")]
APPLICABLE = [("applicable", "yes"), ("not applicable", "no")]


class ChecklistPane(Vertical):
    """Filter, inspect and assess clauses and controls; export the Statement of Applicability."""

    DEFAULT_CSS = """
    ChecklistPane #checklist-top { height: 3; }
    ChecklistPane #filter { width: 1fr; }
    ChecklistPane #checklist-body { height: 1fr; }
    ChecklistPane #checklist-table { width: 3fr; }
    ChecklistPane #detail-pane { width: 2fr; border: round $primary; padding: 0 1; }
    ChecklistPane #edit-row { height: 3; }
    ChecklistPane #status { width: 22; }
    ChecklistPane #applicable { width: 22; }
    ChecklistPane #justification { width: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(id="checklist-pane")
        self.selected: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="checklist-top"):
            yield Input(placeholder="Filter by ID, title or status", id="filter")
            yield Button("Export SoA (Markdown)", id="export-md")
            yield Button("Export SoA (XLSX)", id="export-xlsx")
        with Horizontal(id="checklist-body"):
            table = DataTable(id="checklist-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("ID", "applicable", "status", "evidence", "stale", "title")
            yield table
            with VerticalScroll(id="detail-pane"):
                yield Markdown("Select a clause or control.", id="detail")
        with Horizontal(id="edit-row"):
            yield Select(STATUSES, prompt="status", id="status")
            yield Select(APPLICABLE, prompt="applicability", id="applicable")
            yield Input(placeholder="Justification (required when not applicable)", id="justification")
            yield Button("Save", id="save", variant="primary")
            yield Button("Suggest evidence", id="suggest")
        yield Label("", id="checklist-status")

    def on_mount(self) -> None:
        """Fill the table."""
        self.reload()

    def reload(self) -> None:
        """Rebuild the table from the service, applying the filter."""
        needle = self.query_one("#filter", Input).value.strip().lower()
        table = self.query_one("#checklist-table", DataTable)
        table.clear()
        for row in self.app.service.checklist_rows():
            applicable = "-" if row.applicable is None else "yes" if row.applicable else "no"
            cells = (row.id, applicable, row.status, str(row.evidence), "STALE" if row.stale else "", row.title)
            if needle and not any(needle in cell.lower() for cell in cells):
                continue
            table.add_row(*cells, key=row.id)

    @on(Input.Changed, "#filter")
    def filter_rows(self) -> None:
        """Filter as the user types."""
        self.reload()

    @on(DataTable.RowHighlighted, "#checklist-table")
    def show_detail(self, event: DataTable.RowHighlighted) -> None:
        """Intent, audit questions, evidence, crosswalk and links of the highlighted item."""
        if event.row_key is None:
            return
        self.selected = event.row_key.value
        self.query_one("#detail", Markdown).update(self.detail_markdown(self.selected))

    def detail_markdown(self, item_id: str) -> str:
        """The item rendered as Markdown (the same facts `aims checklist show ID` prints)."""
        service = self.app.service
        item = service.item(item_id)
        row = next(r for r in service.checklist_rows() if r.id == item_id)
        lines = [f"## {item.id} {item.title}", "", item.intent, "", "**Audit questions**", ""]
        lines += [f"- {q}" for q in item.audit_questions]
        lines += ["", "**Typical evidence**", ""] + [f"- {e}" for e in item.typical_evidence]
        pairs = service.catalogue.crosswalk_for(item.id)
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
        """Save status, applicability and justification for the selected item."""
        if self.selected is None:
            return
        changes: dict = {}
        status = self.query_one("#status", Select).value
        applicable = self.query_one("#applicable", Select).value
        justification = self.query_one("#justification", Input).value.strip()
        if status is not Select.BLANK:
            changes["status"] = status
        if applicable is not Select.BLANK:
            changes["applicable"] = applicable == "yes"
        if justification:
            changes["justification"] = justification
        try:
            self.app.service.checklist_set(self.selected, **changes)
        except ValueError as exc:
            self.query_one("#checklist-status", Label).update(f"Not saved: {exc}")
            return
        self.query_one("#checklist-status", Label).update(f"Saved {self.selected}")
        keep = self.selected
        self.reload()
        self.query_one("#detail", Markdown).update(self.detail_markdown(keep))
        self.selected = keep

    @on(Button.Pressed, "#export-md")
    def export_markdown(self) -> None:
        """Write the Statement of Applicability as Markdown into the data dir."""
        self._export("md")

    @on(Button.Pressed, "#export-xlsx")
    def export_xlsx(self) -> None:
        """Write the Statement of Applicability as XLSX into the data dir."""
        self._export("xlsx")

    def _export(self, fmt: str) -> None:
        import datetime as dt

        from assistant.checklist.export import export

        folder = self.app.service.home / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"statement-of-applicability-{dt.datetime.now():%Y%m%d-%H%M%S}.{fmt}"
        export(self.app.service.checklist_rows(), "soa", fmt, path)
        self.query_one("#checklist-status", Label).update(f"Exported {path}")
        self.app.notify(f"Exported {path.name}")

    @on(Button.Pressed, "#suggest")
    def suggest(self) -> None:
        """Propose evidence for the selected item (a proposal until linked)."""
        if self.selected:
            self.query_one("#checklist-status", Label).update(f"Searching evidence for {self.selected}…")
            self._suggest(self.selected)

    @work(thread=True, exclusive=True, group="suggest", exit_on_error=False)
    def _suggest(self, item_id: str) -> None:
        suggestions = self.app.service.suggest_evidence(item_id)
        text = "\n".join(f"- [{s.confidence}] {s.source}: \"{' '.join(s.quote.split())[:200]}\"" for s in suggestions)
        self.app.call_from_thread(self._show_suggestions, item_id, text or "- nothing found")

    def _show_suggestions(self, item_id: str, text: str) -> None:
        heading = "**Suggested evidence** (link with `aims checklist link`)"
        detail = f"{self.detail_markdown(item_id)}\n\n{heading}\n\n{text}"
        self.query_one("#detail", Markdown).update(detail)
        self.query_one("#checklist-status", Label).update(f"Suggestions for {item_id}")
