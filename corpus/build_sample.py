"""Build the binary sample documents (PDF, DOCX, XLSX) of corpus/sample/ from corpus/sample-src/.

Binary formats cannot be reviewed in diffs, so they are generated reproducibly from text sources.
Usage: python corpus/build_sample.py [--check] [--src DIR] [--out DIR]"""

import argparse
import csv
import datetime as dt
import filecmp
import io
import re
import sys
import tempfile
import tomllib
import unicodedata
import zipfile
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter
from reportlab import platypus as rl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

HERE = Path(__file__).resolve().parent
SRC_DIR = HERE / "sample-src"
OUT_DIR = HERE / "sample"
FIXED_DATE = dt.datetime(2026, 1, 1, 0, 0, 0)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
BULLET_RE = re.compile(r"^[-*]\s+(.*)$")
NUMBERED_RE = re.compile(r"^(\d+)\.\s+(.*)$")
TABLE_RE = re.compile(r"^\|")
SEPARATOR_RE = re.compile(r"^:?-+:?$")
INLINE_RE = re.compile(
    r"\*\*(?P<b>.+?)\*\*|\*(?=\S)(?P<i>.+?)(?<=\S)\*|(?<!\w)_(?=\S)(?P<u>.+?)(?<=\S)_(?!\w)"
)
SHEET_RE = re.compile(r"^\d+-(.*)$")
PAGEBREAK = "<<<PAGEBREAK>>>"
ASCII_MAP = {  # checked first; anything else outside cp1252 falls back to NFKD ASCII
    "\u2192": "->", "\u2190": "<-", "\u2194": "<->", "\u21d2": "=>", "\u2264": "<=",
    "\u2265": ">=", "\u2260": "!=", "\u2212": "-", "\u2011": "-", "\u2010": "-", "\u2022": "-",
    "\u2713": "x", "\u2714": "x", "\u2717": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
}


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a Markdown source into its front matter dict and its body.
    The front matter carries the target file name and the document metadata."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text
    meta: dict[str, str] = {}
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return meta, "\n".join(lines[index + 1:])
        key, sep, value = line.partition(":")
        if sep and key.strip():
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            meta[key.strip().lower()] = value
    return {}, text


def _line_kind(line: str) -> str:
    """Classify one stripped Markdown line.
    Headings are tested first so numbered titles like '## 3.2 Risk criteria' stay headings."""
    if not line or line == PAGEBREAK:
        return "pagebreak" if line else "blank"
    for kind, pattern in (("h", HEADING_RE), ("table", TABLE_RE), ("ul", BULLET_RE),
                          ("ol", NUMBERED_RE)):
        if pattern.match(line):
            return kind
    return "text"


def _table_block(lines: list[str]) -> tuple:
    """Turn consecutive pipe-table lines into a ('table', rows) block.
    Separator rows are dropped and short rows are padded to the header width."""
    rows = [[c.strip() for c in ln.removeprefix("|").removesuffix("|").split("|")] for ln in lines]
    rows = [r for r in rows if not (any(r) and all(SEPARATOR_RE.match(c) for c in r if c))]
    width = max((len(r) for r in rows), default=1)
    rows = rows or [[""]]
    return ("table", [r + [""] * (width - len(r)) for r in rows])


def parse_blocks(body: str) -> list[tuple]:
    """Parse the Markdown subset into a flat list of block tuples.
    A flat list is easy to render identically in both PDF and DOCX."""
    lines = [line.strip() for line in body.splitlines()]
    blocks: list[tuple] = []
    para: list[str] = []
    index, prev = 0, "blank"
    while index < len(lines):
        line, kind = lines[index], _line_kind(lines[index])
        if kind != "text" and para:
            blocks.append(("p", " ".join(para)))
            para = []
        if kind == "table":
            end = index
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            blocks.append(_table_block(lines[index:end]))
            index, prev = end, "table"
            continue
        if kind == "h":
            match = HEADING_RE.match(line)
            blocks.append(("h", min(len(match[1]), 3), match[2]))
        elif kind == "pagebreak":
            blocks.append(("pagebreak",))
        elif kind == "ul":
            blocks.append(("ul", BULLET_RE.match(line)[1]))
        elif kind == "ol":
            blocks.append(("ol", *NUMBERED_RE.match(line).groups()))
        elif kind == "text" and prev in ("ul", "ol"):
            blocks[-1] = (*blocks[-1][:-1], blocks[-1][-1] + " " + line)
            kind = prev
        elif kind == "text":
            para.append(line)
        index, prev = index + 1, kind
    if para:
        blocks.append(("p", " ".join(para)))
    return blocks


def inline_segments(text: str) -> list[tuple[str, bool, bool]]:
    """Split text into (text, bold, italic) segments, removing the emphasis markers.
    Both renderers need the visible text without asterisks or underscores."""
    segments, pos = [], 0
    for match in INLINE_RE.finditer(text):
        bold = match["b"] is not None
        segments.append((text[pos:match.start()], False, False))
        segments.append((match["b"] or match["i"] or match["u"], bold, not bold))
        pos = match.end()
    return [seg for seg in [*segments, (text[pos:], False, False)] if seg[0]]


def pdf_safe(text: str) -> str:
    """Map characters outside WinAnsi (cp1252), and the bullet, to close ASCII equivalents.
    Helvetica only has WinAnsi glyphs; reportlab writes a bullet as an unreadable \\x7f."""
    out = []
    for char in text:
        try:
            out.append(ASCII_MAP.get(char) or char.encode("cp1252").decode("cp1252"))
        except UnicodeEncodeError:
            fallback = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(fallback or "?")
    return "".join(out)


def pdf_markup(text: str) -> str:
    """Convert inline Markdown to reportlab paragraph markup.
    reportlab paragraphs use a small XML dialect, so the text must be escaped."""
    parts = []
    for chunk, bold, italic in inline_segments(pdf_safe(text)):
        chunk = escape(chunk)
        parts.append(f"<b>{chunk}</b>" if bold else f"<i>{chunk}</i>" if italic else chunk)
    return "".join(parts)


def _pdf_table(rows: list[list[str]], styles, width: float):
    """Build a reportlab Table with wrapped Paragraph cells and a grid.
    Column widths follow the text length so long columns get more room."""
    weights = [min(max(len(r[c]) for r in rows), 40) + 4 for c in range(len(rows[0]))]
    col_widths = [width * w / sum(weights) for w in weights]
    markup = [[f"<b>{pdf_markup(c)}</b>" if i == 0 else pdf_markup(c) for c in row]
              for i, row in enumerate(rows)]
    cells = [[rl.Paragraph(c, styles["Cell"]) for c in row] for row in markup]
    table = rl.Table(cells, colWidths=col_widths, repeatRows=1)
    table.setStyle(rl.TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def pdf_story(meta: dict[str, str], blocks: list[tuple], width: float) -> list:
    """Turn parsed blocks into a list of platypus flowables, starting with the title.
    The story is what SimpleDocTemplate lays out across pages."""
    styles = getSampleStyleSheet()  # Helvetica-based: no font embedding needed
    styles.add(ParagraphStyle("Cell", parent=styles["BodyText"], fontSize=8.5, leading=10.5))
    styles.add(ParagraphStyle("Item", parent=styles["BodyText"], leftIndent=18, bulletIndent=6))
    story = [rl.Paragraph(pdf_markup(meta["title"]), styles["Title"]), rl.Spacer(1, 6)]
    for block in blocks:
        kind, text = block[0], block[-1]
        if kind == "table":
            story += [_pdf_table(text, styles, width), rl.Spacer(1, 8)]
        elif kind == "pagebreak":
            story.append(rl.PageBreak())
        else:
            style = f"Heading{block[1]}" if kind == "h" else "BodyText" if kind == "p" else "Item"
            bullet = {"ul": "\u2013", "ol": f"{block[1]}."}.get(kind)
            story.append(rl.Paragraph(pdf_markup(text), styles[style], bulletText=bullet))
    return story


def _decorate_page(header: str, canv, doc) -> None:
    """Draw the optional header at the top and 'Page N' at the bottom of a PDF page.
    Used for the first and later pages alike so every page carries the marking."""
    canv.saveState()
    if header:
        canv.setFont("Helvetica-Bold", 10)
        canv.drawCentredString(A4[0] / 2, A4[1] - 36, pdf_safe(header))
    canv.setFont("Helvetica", 9)
    canv.drawCentredString(A4[0] / 2, 30, f"Page {doc.page}")
    canv.restoreState()


class ClassifiedInfo(pdfdoc.PDFInfo):
    """PDF info dictionary with an extra /Classification entry and a fixed date.
    reportlab has no API for custom info keys, so its info object is replaced."""

    classification = ""

    def format(self, document):
        """Serialise the info dictionary, including /Classification.
        Mirrors PDFInfo.format, which only knows the standard keys."""
        date = pdfdoc.PDFString(FIXED_DATE.strftime("D:%Y%m%d%H%M%S+00'00'"))
        entries = {"Title": self.title, "Author": self.author, "Subject": self.subject,
                   "Keywords": self.keywords, "Producer": self.producer,
                   "Creator": self.creator, "Classification": self.classification}
        info = {k: pdfdoc.PDFString(v) for k, v in entries.items()}
        info.update(CreationDate=date, ModDate=date, Trapped=pdfdoc.PDFName(self.trapped))
        return pdfdoc.PDFDictionary(info).format(document)


def _make_canvas(classification: str, *args, **kwargs) -> Canvas:
    """Create a reportlab canvas whose info dictionary is a ClassifiedInfo.
    Passed (via functools.partial) as the canvasmaker of SimpleDocTemplate.build."""
    canv = Canvas(*args, **kwargs)
    canv._doc.info = ClassifiedInfo()
    canv._doc.info.classification = classification
    return canv


def build_pdf(meta: dict[str, str], blocks: list[tuple], out: Path) -> None:
    """Render a parsed Markdown document to an A4 PDF.
    invariant=True fixes dates and the document ID so the bytes are reproducible."""
    classification = meta.get("classification", "")
    doc = rl.SimpleDocTemplate(
        str(out), pagesize=A4, invariant=True, title=meta["title"], subject=meta["title"],
        author=meta.get("author", ""), keywords=f"classification: {classification}",
        creator="corpus/build_sample.py", topMargin=60, bottomMargin=54,
    )
    decorate = partial(_decorate_page, meta.get("header", ""))
    doc.build(pdf_story(meta, blocks, doc.width), onFirstPage=decorate,
              onLaterPages=decorate, canvasmaker=partial(_make_canvas, classification))


def _add_runs(paragraph, text: str, bold: bool = False) -> None:
    """Append inline-formatted runs of text to a python-docx paragraph.
    Keeps **bold** and *italic* as real run formatting instead of literal markers."""
    for chunk, is_bold, italic in inline_segments(text):
        run = paragraph.add_run(chunk)
        run.bold = bold or is_bold or None
        run.italic = italic or None


def build_docx(meta: dict[str, str], blocks: list[tuple], out: Path) -> None:
    """Render a parsed Markdown document to DOCX with real Word heading and list styles.
    Page breaks are ignored because Word paginates by itself."""
    doc = Document()
    _add_runs(doc.add_paragraph(style="Title"), meta["title"])
    styles = {"h": "Heading {}", "p": "Normal", "ul": "List Bullet", "ol": "List Paragraph"}
    for block in blocks:
        if block[0] == "table":
            _docx_table(doc, block[1])
        elif block[0] == "ol":
            _add_runs(doc.add_paragraph(style=styles["ol"]), f"{block[1]}. {block[2]}")
        elif block[0] in styles:
            _add_runs(doc.add_paragraph(style=styles[block[0]].format(block[1])), block[-1])
    props = doc.core_properties
    classification = meta.get("classification", "")
    props.title, props.subject = meta["title"], meta["title"]
    props.author = props.last_modified_by = meta.get("author", "")
    props.category, props.keywords = classification, f"classification: {classification}"
    props.created = props.modified = FIXED_DATE
    props.revision = 1
    doc.save(str(out))
    normalise_zip(out)


def _docx_table(doc, rows: list[list[str]]) -> None:
    """Add a 'Table Grid' table with a bold header row to the document.
    Matches the look of the PDF tables."""
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            _add_runs(table.cell(r, c).paragraphs[0], text, bold=r == 0)


def _cell_value(text: str):
    """Convert a CSV text cell to int or float when it is plainly numeric.
    Numbers stay sortable in Excel; codes with leading zeros stay text."""
    if re.fullmatch(r"-?(0|[1-9]\d{0,14})(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    return text


def _fill_sheet(ws, rows: list[list[str]]) -> None:
    """Write CSV rows to a worksheet with a bold frozen header, wrapping and column widths.
    Makes the sheets readable when opened without any manual formatting."""
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=_cell_value(text))
            cell.data_type = "s" if text.startswith("=") else cell.data_type  # no formulas
            cell.alignment = wrap
            cell.font = Font(bold=r == 1)
    ws.freeze_panes = "A2"
    for c in range(1, max((len(r) for r in rows), default=0) + 1):
        longest = max((len(r[c - 1]) for r in rows if len(r) >= c), default=0)
        ws.column_dimensions[get_column_letter(c)].width = min(max(longest + 2, 8), 60)


def build_xlsx(folder: Path, out: Path) -> None:
    """Build a workbook from a folder of 'NN-Sheet name.csv' files and optional meta.toml.
    Uses ExcelWriter directly because save_workbook stamps the current time."""
    meta_path = folder / "meta.toml"
    meta = tomllib.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    wb = Workbook()
    wb.remove(wb.active)
    for csv_path in sorted(folder.glob("*.csv")):
        match = SHEET_RE.match(csv_path.stem)
        with csv_path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [row for row in csv.reader(handle) if row]
        _fill_sheet(wb.create_sheet((match[1] if match else csv_path.stem)[:31]), rows)
    classification = str(meta.get("classification", ""))
    props = wb.properties
    props.title = props.subject = str(meta.get("title", folder.stem))
    props.creator = props.lastModifiedBy = str(meta.get("author", ""))
    props.category, props.keywords = classification, f"classification: {classification}"
    props.created = props.modified = FIXED_DATE
    wb.custom_doc_props.append(StringProperty(name="Classification", value=classification))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    normalise_zip(out)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip with a fixed timestamp and attributes on every entry, in stable order.
    python-docx and openpyxl stamp entries with the current time, which breaks --check."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type, info.create_system = zipfile.ZIP_DEFLATED, 0
            info.external_attr = 0
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def discover(src: Path) -> list[tuple[Path, str]]:
    """List (source, target file name) pairs for every buildable source in src.
    Markdown files without a pdf/docx 'target' (README.md, BIBLE.md) are skipped."""
    found = []
    for path in sorted(src.iterdir()):
        if path.is_dir() and path.suffix == ".xlsx":
            found.append((path, path.name))
        elif path.is_file() and path.suffix == ".md":
            target = parse_front_matter(path.read_text(encoding="utf-8"))[0].get("target", "")
            if target.endswith((".pdf", ".docx")):
                found.append((path, target))
    return found


def build_one(source: Path, target: str, out_dir: Path) -> Path:
    """Build one source into out_dir/target and return the output path.
    Dispatches on the target extension."""
    out = out_dir / target
    out.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        build_xlsx(source, out)
        return out
    meta, body = parse_front_matter(source.read_text(encoding="utf-8"))
    meta.setdefault("title", source.stem)
    blocks = parse_blocks(body)
    if blocks and blocks[0][:2] == ("h", 1) and blocks[0][2] == meta["title"]:
        blocks = blocks[1:]  # the title is already rendered from the front matter
    (build_pdf if target.endswith(".pdf") else build_docx)(meta, blocks, out)
    return out


def main(argv: list[str] | None = None) -> int:
    """Build all sample documents, or with --check verify the committed ones are current.
    --check rebuilds into a temporary directory and byte-compares with the committed files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if outputs are stale")
    parser.add_argument("--src", type=Path, default=SRC_DIR, help="source folder")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    sources = discover(args.src)
    if not args.check:
        for source, target in sources:
            print(f"built {build_one(source, target, args.out)}")
        return 0
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for source, target in sources:
            built, committed = build_one(source, target, Path(tmp)), args.out / target
            if not committed.exists() or not filecmp.cmp(built, committed, shallow=False):
                stale.append(target)
    for target in stale:
        print(f"stale or missing: {target}", file=sys.stderr)
    print(f"checked {len(sources)} documents, {len(stale)} differ")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
