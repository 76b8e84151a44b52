"""HTML: visible text in reading order under h1-h6 and legal headings (Article, ANNEX, CHAPTER).

A table with header cells (`th`: a header row, or a header cell leading each row) is read as one record
per body row, `Header: value` lines like a DOCX, Markdown or spreadsheet table, located as "Table N row
M"; a table without header cells (an official journal's layout of "(a)" and its clause) stays one line
per row, its cells in order.

Scripts, styles and a site's chrome are dropped: navigation, footers, site headers and sidebars outside
the content, breadcrumbs, cookie and consent notices, dialogs and search boxes. A page with a `<main>`
element is read from it alone (what a reader of the page reads). Official journals such as EUR-Lex mark
articles and annexes with paragraphs ("Article 5" followed by its title), not h-tags, so a
short paragraph that names an article, chapter, section or annex is a heading too. An EU act's
recitals (from "Whereas:" to "HAVE ADOPTED THIS REGULATION:") sit under "Recitals", so a quote from
them says it is from the preamble, not from an article, and each under its number ("Recital 171"), so a
quote of its later sentences names it too. A paragraph that opens with bold words ending
as a sentence or a question ("<strong>You can say no.</strong> ...") is filed under them too, and keeps
them as text (`base.run_in_trail`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from assistant.core.models import ParsedDocument
from assistant.core.text import ENACTING_FORMULA, trail_titles, update_trail
from assistant.retrieval.parsing.base import TextBuilder, decode_text, record_text, run_in_trail

_DROP = ("script", "style", "noscript", "template", "nav", "footer", "iframe", "svg", "form", "button", "head")
_BLOCKS = {"p", "li", "dd", "dt", "pre", "blockquote", "caption", "figcaption", "address", "summary",
           "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "article", "main", "body", "td", "th"}
_LEGAL_HEADING = re.compile(
    r"^(ANNEX|Annex|CHAPTER|Chapter|SECTION|Section|TITLE|Title|PART|Part|Article)\s+([0-9IVXLC]+[a-z]?)\b(.*)$"
)
_BELOW_HEADINGS = 7  # a <summary> or <dt> heads its answer under the page's h1-h6 headings
_LEGAL_LEVEL = {"annex": 1, "title": 1, "part": 1, "chapter": 2, "section": 3, "article": 4}
# An EU act's preamble: its recitals run from "Whereas:" to the enacting formula ("HAVE ADOPTED THIS REGULATION:").
# A site's chrome, around the content a reader came for: by ARIA role, and by a class or id that names it
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog"}
_CHROME_NAME = re.compile(r"(?:^|[-_])(?:cookies?|consent|gdpr|breadcrumbs?|skip-?(?:link|to-content)|masthead|"
                          r"site-(?:header|footer|nav)|sidebar|social|share-(?:links|buttons))(?:$|[-_])", re.I)
_RECITALS_START = re.compile(r"^whereas\s*:$", re.IGNORECASE)
RECITALS = "Recitals"
_RECITAL_NUMBER = re.compile(r"^\((\d{1,3})\)\s")  # "(171) Affected persons should have the right ..."


def parse(data: bytes, stem: str) -> ParsedDocument:
    """Parse an HTML page into text blocks under their headings."""
    from bs4 import BeautifulSoup

    text = decode_text(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # XHTML read as HTML is what we want; bs4 warns about it
        soup = BeautifulSoup(text, "lxml")
    page_title = _page_title(soup)
    meta_label = _meta_label(soup)
    for tag in soup.find_all(_DROP):
        tag.decompose()
    # the page's opening words as a reader sees them, chrome included: a classification banner in a site
    # header ("StaffNet | Internal: staff only") marks the page, though it is no quotable text
    opening = _squash((soup.body or soup).get_text(" ", strip=True))[:600]
    _drop_chrome(soup)
    units = list(_units(soup.body or soup))
    builder = TextBuilder()
    trail: list[tuple[int, str]] = []
    title = ""
    i = 0
    while i < len(units):
        name, unit_text, lead = units[i]
        if name == "record":
            record = unit_text
            builder.add(record.text, trail=trail_titles(trail), sheet=f"Table {record.table}", row=record.row,
                        record=True)
            i += 1
            continue
        if _RECITALS_START.match(unit_text) and not trail:
            trail[:] = [(1, RECITALS)]  # the recitals explain the act; its articles are what it enacts
        elif ENACTING_FORMULA.match(unit_text) and trail == [(1, RECITALS)]:
            trail.clear()
        level, heading, consumed = _heading(units, i)
        if level is not None:
            title = title or (heading if name == "h1" else "")
            update_trail(trail, level, heading)
            builder.add_plain(heading)
            i += consumed
            continue
        run_in = run_in_trail(lead)  # "<p><strong>You can say no.</strong> ...", "<li><strong>Detect.</strong> ..."
        if trail == [(1, RECITALS)] and (recital := _RECITAL_NUMBER.match(unit_text)):
            run_in = (f"Recital {recital.group(1)}",)  # its later sentences cite it by number too
        builder.add(unit_text, separator="\n" if name in ("li", "tr") else "\n\n", trail=trail_titles(trail) + run_in)
        i += 1
    title = title or page_title
    return ParsedDocument(title=title or stem, text=builder.text, blocks=builder.blocks, format="html",
                          metadata_label=meta_label, header_text=opening + "\n" + builder.text[:600])


def _drop_chrome(soup) -> None:
    """Remove a site's chrome around the content; keep only `<main>` when the page has one with text."""
    for tag in soup.find_all(attrs={"role": True}):
        if not tag.decomposed and str(tag.get("role", "")).lower() in _CHROME_ROLES:
            tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        names = [str(tag.get("id") or "")] + [str(c) for c in (tag.get("class") or [])]
        if any(_CHROME_NAME.search(name) for name in names if name) and tag.name not in ("main", "body", "html"):
            tag.decompose()
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main is not None and main.get_text(strip=True):
        body = soup.body or soup
        node = main
        while node is not body and node.parent is not None:  # what sits beside main, or beside what holds it
            for sibling in list(node.parent.children):
                if sibling is not node:
                    sibling.extract()
            node = node.parent
        return
    for tag in soup.find_all(("header", "aside")):  # no main: a site header or sidebar outside any article
        if not tag.decomposed and tag.find_parent(("article", "section")) is None:
            tag.decompose()


def _page_title(soup) -> str:
    """A document-title element (EUR-Lex's main title) or a <title> that is not a file name."""
    main = soup.find(class_=re.compile(r"main-title|doc-title|document-title", re.I))
    if main is not None and main.get_text(strip=True):
        return _squash(main.get_text(" ", strip=True))[:200]
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    return title if " " in title else ""


def _meta_label(soup) -> str | None:
    for name in ("classification", "security-classification", "sensitivity", "dcterms.accessrights"):
        tag = soup.find("meta", attrs={"name": re.compile(f"^{name}$", re.I)})
        if tag and tag.get("content"):
            return str(tag["content"])
    return None


@dataclass(frozen=True)
class _Record:
    """One body row of a table with header cells, as `Header: value` lines."""

    table: int  # the document's n-th table, from 1
    row: int  # the row's place in the table, counting the header row (as DOCX and spreadsheet rows do)
    text: str


def _cells(row) -> list[tuple[str, str]]:
    """(tag name, text) of a table row's own cells."""
    return [(cell.name, _squash(cell.get_text(" ", strip=True))) for cell in row.find_all(["td", "th"],
                                                                                          recursive=False)]


def _own_rows(table) -> list:
    """The rows of this table (in thead, tbody, tfoot or directly under it), not of a table nested in a cell."""
    return [row for row in table.find_all("tr") if row.find_parent("table") is table]


def _records(table, number: int) -> list[_Record] | None:
    """The table's body rows as records when it has header cells, else None (read as plain rows).

    A first row of header cells names the columns; a header cell leading a row names that row's value
    ("Owner: Daniel Reyes"). Empty cells are left out; a cell past the named columns is "Column N".
    """
    rows = [_cells(row) for row in _own_rows(table)]
    rows = [row for row in rows if any(text for _, text in row)]
    if not rows:
        return None
    header: list[str] | None = None
    if len(rows[0]) >= 2 and all(tag == "th" for tag, _ in rows[0]):
        header = [text for _, text in rows[0]]
        body = list(enumerate(rows[1:], start=2))
    elif all(row[0][0] == "th" and len(row) >= 2 for row in rows):
        body = list(enumerate(rows, start=1))
    else:
        return None
    records = []
    for place, row in body:
        cells = [text for _, text in row]
        if header is not None:
            text = record_text(header, cells)
        else:  # the row's own header cell names the values after it
            text = "\n".join(f"{cells[0]}: {value}" if cells[0] else value for value in cells[1:] if value)
        if text:
            records.append(_Record(number, place, text))
    return records


def _units(root):
    """Yield (tag name, text) for each leaf block and table row, in document order; ("record", _Record)
    for each body row of a table with header cells."""
    from bs4 import NavigableString, Tag

    stack = [root]
    pending: list[str] = []
    tables = 0
    while stack:
        node = stack.pop()
        if isinstance(node, NavigableString):
            if node.strip():
                pending.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        if node.name == "table":
            tables += 1  # every table counts, as a reader counts them, though only those with headers are named
            records = _records(node, tables)
            if records is not None:
                yield from _flush_inline(pending)
                for record in records:
                    yield "record", record, ""
                continue
        if node.name == "tr":
            yield from _flush_inline(pending)
            cells = [c.get_text(" ", strip=True) for c in node.find_all(["td", "th"], recursive=False)]
            row = " ".join(cell for cell in cells if cell)
            if row:
                yield "tr", _squash(row), ""
            continue
        if node.name in _BLOCKS and not node.find(list(_BLOCKS) + ["tr", "ul", "ol", "table"]):
            yield from _flush_inline(pending)
            block_text = _squash(node.get_text(" ", strip=True))
            if block_text:
                yield node.name, block_text, _bold_lead(node, block_text)
            continue
        if node.name in _BLOCKS or node.name in ("ul", "ol", "table", "tbody", "thead"):
            yield from _flush_inline(pending)
        stack.extend(reversed(list(node.children)))
    yield from _flush_inline(pending)


def _flush_inline(pending: list[str]):
    if pending:
        joined = _squash(" ".join(pending))
        pending.clear()
        if joined:
            yield "p", joined, ""


def _bold_lead(node, block_text: str) -> str:
    """The text of a <strong> or <b> a block opens with, when more of its text (`block_text`, squashed)
    follows it; else ""."""
    from bs4 import NavigableString, Tag

    for child in node.children:
        if isinstance(child, NavigableString):
            if child.strip():
                return ""
            continue
        if isinstance(child, Tag) and child.name in ("strong", "b"):
            lead = child.get_text(" ", strip=True)
            return lead if lead and len(block_text) > len(_squash(lead)) else ""
        return ""
    return ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _heading(units: list[tuple[str, object]], i: int) -> tuple[int | None, str, int]:
    """(level, heading text, units consumed) when units[i] is a heading, else (None, '', 0).

    A bare legal label ("Article 5", "ANNEX III") takes the short title that follows it.
    """
    name, text = units[i][:2]
    if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return int(name[1]), text, 1
    if name in ("summary", "dt") and len(text) <= 160:  # an FAQ's question, a glossary's term: heads what follows
        return _BELOW_HEADINGS, text, 1
    match = _LEGAL_HEADING.match(text)
    if not match or len(text) > 160 or name == "tr":
        return None, "", 0
    level = _LEGAL_LEVEL[match.group(1).lower()]
    if not match.group(3).strip() and i + 1 < len(units) and units[i + 1][0] != "record":
        follower = units[i + 1][1]
        if len(follower) <= 300 and not follower.endswith((".", ";", ":")) and not _LEGAL_HEADING.match(follower):
            return level, f"{text} {follower}", 2
    if match.group(3).strip() and text.endswith((".", ";")) and len(text.split()) > 12:
        return None, "", 0
    return level, text, 1
