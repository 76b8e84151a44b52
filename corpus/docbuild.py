"""Build the binary documents (PDF, DOCX, XLSX) of an evaluation organisation from its text sources.

Usage: python corpus/docbuild.py SRC_DIR OUT_DIR --org NAME --author NAME
(each organisation's `build.py`, such as corpus/kestrelbay-src/build.py, calls it with its own values).
Each *.md source with a `target:` line in its front matter becomes a PDF or DOCX; each *.csv source
becomes an XLSX whose first two lines are the title and subtitle rows (then a blank row, then the header
on row 4). Dates, document ids and zip timestamps are fixed, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab import platypus as rl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

ORG = ""  # the organisation named in every running header and as the PDFs' creator (set by `build`)
AUTHOR = ""  # the workbooks' author (set by `build`)
FIXED_DATE = dt.datetime(2026, 3, 1, 9, 0, 0)
ZIP_DATE = (2026, 3, 1, 9, 0, 0)
BOLD = re.compile(r"\*\*(.+?)\*\*")


# ---------------------------------------------------------------- source parsing

def read_source(path: Path) -> tuple[dict[str, str], list[tuple[str, object]]]:
    """Front matter and a list of blocks: (kind, payload) with kind in h1/h2/h3/p/bullet/number/table."""
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = {}
    for line in front.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip()
    blocks: list[tuple[str, object]] = []
    table: list[list[str]] = []
    for line in body.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells):
                continue
            table.append(cells)
            continue
        if table:
            blocks.append(("table", table))
            table = []
        if not line.strip():
            continue
        if m := re.match(r"^(#{1,3})\s+(.*)$", line):
            blocks.append((f"h{len(m.group(1))}", m.group(2)))
        elif m := re.match(r"^-\s+(.*)$", line):
            blocks.append(("bullet", m.group(1)))
        elif m := re.match(r"^\d+\.\s+(.*)$", line):
            blocks.append(("number", m.group(1)))
        else:
            blocks.append(("p", line))
    if table:
        blocks.append(("table", table))
    return meta, blocks


# ---------------------------------------------------------------- PDF

def pdf_markup(text: str) -> str:
    return BOLD.sub(r"<b>\1</b>", escape(text))


def make_numbered_canvas(header: str):
    class NumberedCanvas(Canvas):
        """Defers page output so that every page can say 'Page n of N'."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved = []

        def showPage(self):
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self.setFont("Helvetica", 8)
                self.setFillColor(colors.HexColor("#444444"))
                self.drawString(20 * mm, A4[1] - 12 * mm, header)
                self.drawRightString(A4[0] - 20 * mm, A4[1] - 12 * mm, f"Page {self._pageNumber} of {total}")
                self.line(20 * mm, A4[1] - 14 * mm, A4[0] - 20 * mm, A4[1] - 14 * mm)
                self.drawString(20 * mm, 10 * mm, f"{header}   Page {self._pageNumber} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(meta: dict[str, str], blocks, out: Path) -> None:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10, leading=13.5, spaceAfter=5)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0)
    head_cell = ParagraphStyle("headcell", parent=cell, fontName="Helvetica-Bold")
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=4, spaceAfter=2)
    story = []
    number = 0
    for kind, payload in blocks:
        if kind in ("h1", "h2", "h3"):
            style = {"h1": styles["Title"], "h2": styles["Heading2"], "h3": styles["Heading3"]}[kind]
            story.append(rl.Paragraph(pdf_markup(payload), style))
            number = 0
        elif kind == "p":
            story.append(rl.Paragraph(pdf_markup(payload), body))
            number = 0
        elif kind == "bullet":
            story.append(rl.Paragraph(pdf_markup(payload), bullet, bulletText="\u2022"))
        elif kind == "number":
            number += 1
            story.append(rl.Paragraph(pdf_markup(payload), bullet, bulletText=f"{number}."))
        elif kind == "table":
            rows = [[rl.Paragraph(pdf_markup(c), head_cell if i == 0 else cell) for c in row]
                    for i, row in enumerate(payload)]
            width = A4[0] - 40 * mm
            t = rl.Table(rows, colWidths=[width / len(payload[0])] * len(payload[0]), repeatRows=1)
            t.setStyle(rl.TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6ee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            story.append(t)
            story.append(rl.Spacer(1, 6))
    header = f"{ORG} | {meta['title']} | Classification: {meta['classification']}"
    doc = rl.SimpleDocTemplate(
        str(out), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm,
        bottomMargin=20 * mm, title=meta["title"], author=meta.get("author", ""), subject=meta["title"],
        creator=ORG, invariant=True,
    )
    doc.build(story, canvasmaker=make_numbered_canvas(header))


# ---------------------------------------------------------------- DOCX

def add_runs(paragraph, text: str) -> None:
    parts = BOLD.split(text)
    for i, part in enumerate(parts):
        if part:
            paragraph.add_run(part).bold = bool(i % 2)


def build_docx(meta: dict[str, str], blocks, out: Path) -> None:
    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    section = doc.sections[0]
    head = section.header.paragraphs[0]
    head.text = f"{ORG} | {meta['title']} | Classification: {meta['classification']}"
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for kind, payload in blocks:
        if kind in ("h1", "h2", "h3"):
            doc.add_heading(payload, level={"h1": 1, "h2": 2, "h3": 3}[kind])
        elif kind == "p":
            add_runs(doc.add_paragraph(), payload)
        elif kind == "bullet":
            add_runs(doc.add_paragraph(style="List Bullet"), payload)
        elif kind == "number":
            add_runs(doc.add_paragraph(style="List Number"), payload)
        elif kind == "table":
            table = doc.add_table(rows=len(payload), cols=len(payload[0]))
            table.style = "Table Grid"
            for r, row in enumerate(payload):
                for c, value in enumerate(row):
                    cell_par = table.cell(r, c).paragraphs[0]
                    add_runs(cell_par, value)
                    if r == 0:
                        for run in cell_par.runs:
                            run.bold = True
            doc.add_paragraph()
    props = doc.core_properties
    props.title = meta["title"]
    props.author = props.last_modified_by = meta.get("author", "")
    props.category = meta["classification"]
    props.keywords = f"Classification: {meta['classification']}"
    props.created = props.modified = FIXED_DATE
    props.revision = 1
    doc.save(out)
    normalise_zip(out)


# ---------------------------------------------------------------- XLSX

def build_xlsx(src: Path, out: Path) -> None:
    with src.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    title, subtitle, header, data = rows[0][0], rows[1][0], rows[2], rows[3:]
    wb = Workbook()
    ws = wb.active
    ws.title = "Register"
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = subtitle
    ws["A2"].font = Font(italic=True)
    for c, name in enumerate(header, start=1):
        cell = ws.cell(row=4, column=c, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6EE")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(data, start=5):
        for c, value in enumerate(row, start=1):
            if re.fullmatch(r"\d+", value):
                value = int(value)
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                value = dt.datetime.strptime(value, "%Y-%m-%d").date()
            elif value == "":
                value = None
            cell = ws.cell(row=r, column=c, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for c, name in enumerate(header, start=1):
        longest = max([len(name)] + [len(row[c - 1]) for row in data if len(row) >= c])
        ws.column_dimensions[get_column_letter(c)].width = min(max(10, longest * 0.9), 48)
    ws.freeze_panes = "A5"
    wb.properties.creator = wb.properties.lastModifiedBy = AUTHOR
    wb.properties.title = title
    wb.properties.created = wb.properties.modified = FIXED_DATE
    wb.save(out)
    normalise_zip(out)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip with fixed timestamps in stable order so rebuilds are byte-identical."""
    with zipfile.ZipFile(path) as source:
        entries = [(name, source.read(name)) for name in source.namelist()]
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    modified = rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)"
    entries = [(name, re.sub(modified, rb"\g<1>" + stamp + rb"\g<2>", data)
                if name == "docProps/core.xml" else data) for name, data in entries]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 0, 0o600 << 16
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def build(sources: Path, out_dir: Path, org: str, author: str) -> None:
    """Build every binary document of one organisation from its sources into `out_dir`."""
    global ORG, AUTHOR
    ORG, AUTHOR = org, author
    out_dir.mkdir(exist_ok=True)
    for src in sorted(sources.glob("*.md")):
        if src.name in ("FACTS.md", "README.md"):
            continue
        meta, blocks = read_source(src)
        out = out_dir / meta["target"]
        if out.suffix == ".pdf":
            build_pdf(meta, blocks, out)
        else:
            build_docx(meta, blocks, out)
        print("built", out.name)
    for src in sorted(sources.glob("*.csv")):
        out = out_dir / (src.stem + ".xlsx")
        build_xlsx(src, out)
        print("built", out.name)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--org", required=True)
    parser.add_argument("--author", required=True)
    args = parser.parse_args()
    build(args.sources, args.out_dir, args.org, args.author)


if __name__ == "__main__":
    main()
