"""Parsers on real files: locators (page, heading trail, sheet and row), spans, encodings, HTML cleaning."""

from __future__ import annotations

import re

import pytest

from assistant.core.chunks import make_chunks
from assistant.core.models import Label
from assistant.retrieval.parsing import ParseError, parse_bytes

from .conftest import REFERENCE, SAMPLE


def _parse(name: str):
    return parse_bytes((SAMPLE / name).read_bytes(), name)


def _trail_of(doc, opening: str) -> tuple[str, ...]:
    """The heading trail of the block of `doc` that opens with `opening`."""
    return next(b.trail for b in doc.blocks if doc.text[b.start : b.end].startswith(opening))


def _trails_by_text(doc) -> dict[str, tuple[str, ...]]:
    """Each block's text of `doc` -> its heading trail."""
    return {doc.text[b.start : b.end]: b.trail for b in doc.blocks}


def _chunks(name: str, words: int = 150):
    doc = _parse(name)
    return doc, make_chunks(doc, root="r", source=name, doc_hash="h", label=Label.INTERNAL, target_words=words)


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLE.iterdir() if p.name != "aims-labels.toml"))
def test_every_chunk_is_a_verbatim_slice_within_size(name):
    doc, chunks = _chunks(name)
    assert chunks, name
    for chunk in chunks:
        assert chunk.text == doc.text[chunk.start : chunk.end]
        limit = 150 * 3 if chunk.row is not None else 150
        assert len(chunk.text.split()) <= limit
        assert chunk.embed_text.startswith(doc.title)


def test_pdf_quote_has_its_page():
    from pypdf import PdfReader

    reader = PdfReader(str(SAMPLE / "ai-policy.pdf"))
    assert len(reader.pages) >= 3
    doc, chunks = _chunks("ai-policy.pdf")
    for page_number in (2, len(reader.pages) - 1):
        lines = [ln for ln in reader.pages[page_number - 1].extract_text().splitlines() if len(ln.split()) >= 8]
        line = lines[len(lines) // 2]
        holders = [c for c in chunks if _squash(line) in _squash(c.text)]
        assert holders, line
        assert {c.page for c in holders} == {page_number}


def test_pdf_numbered_headings_become_the_trail_and_furniture_is_dropped():
    doc, chunks = _chunks("internal-audit-report-2026.pdf")
    assert any(re.match(r"\d+(\.\d+)*\.? ", c.section or "") for c in chunks)
    assert not any(c.text.strip().startswith("CONFIDENTIAL") for c in chunks)
    assert not any(re.fullmatch(r"Page \d+", line.strip()) for c in chunks for line in c.text.splitlines())


def test_docx_paragraph_carries_its_heading_style_trail():
    import docx

    document = docx.Document(str(SAMPLE / "ai-acceptable-use-policy.docx"))
    paragraphs = document.paragraphs
    pairs = [
        (p.text, nxt.text)
        for p, nxt in zip(paragraphs, paragraphs[1:])
        if p.style.name == "Heading 2" and nxt.style.name == "Normal" and len(nxt.text.split()) > 6
    ]
    assert pairs
    _, chunks = _chunks("ai-acceptable-use-policy.docx")
    for heading, body in pairs[:5]:
        holder = next(c for c in chunks if body in c.text)
        assert holder.section.endswith(heading)


def test_xlsx_rows_are_records_with_sheet_and_row():
    from openpyxl import load_workbook

    workbook = load_workbook(SAMPLE / "ai-risk-register.xlsx")
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    _, chunks = _chunks("ai-risk-register.xlsx")
    for row_number in (2, 5, sheet.max_row):
        first = sheet.cell(row=row_number, column=1).value
        chunk = next(c for c in chunks if c.sheet == sheet.title and c.row == row_number)
        assert chunk.text.startswith(f"{header[0]}: {first}")
        assert f"{sheet.title} row" not in chunk.text  # locators live in fields, the text stays the row's


def test_csv_rows_keep_column_names():
    _, chunks = _chunks("ai-system-inventory.csv")
    assert len(chunks) == 6
    assert all(c.text.startswith("System ID: AIS-00") for c in chunks)
    assert [c.row for c in chunks] == [2, 3, 4, 5, 6, 7]


def test_markdown_front_matter_headings_and_table_rows():
    doc, chunks = _chunks("statement-of-applicability-draft.md")
    assert doc.metadata_label == "internal" and doc.title.startswith("Statement of Applicability")
    rows = [c for c in chunks if c.row is not None]
    assert not any("|" in line for c in rows for line in c.text.splitlines())  # records, not pipe rows
    control_rows = [c for c in rows if c.text.startswith("Control: A.")]
    assert len(control_rows) == 38 and len({(c.sheet, c.row) for c in control_rows}) == 38
    assert any(c.text.startswith("Control: A.6.2.6\n") for c in rows)
    assert all(c.sheet.startswith("Table ") for c in rows)


def test_latin1_text_keeps_its_accents():
    raw = (SAMPLE / "data-management-procedure.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    doc = _parse("data-management-procedure.txt")
    assert "René Dubois" in doc.text and "£" in doc.text
    assert any(b.trail for b in doc.blocks)


def test_html_drops_scripts_styles_and_navigation():
    from bs4 import BeautifulSoup

    name = "context-and-interested-parties.html"
    soup = BeautifulSoup((SAMPLE / name).read_text(), "lxml")
    hidden = [t.get_text(" ", strip=True) for t in soup.find_all(["script", "style", "nav"])]
    doc = _parse(name)
    for text in hidden:
        for fragment in re.split(r"\s{2,}|\n", text):
            if len(fragment) > 25:
                assert fragment not in doc.text
    assert any(len(b.trail) >= 2 for b in doc.blocks)


@pytest.mark.skipif(not (REFERENCE / "eu-ai-act-2024-1689.html").exists(), reason="../shared/reference-texts absent")
def test_eu_ai_act_parses_into_articles_and_annexes():
    data = (REFERENCE / "eu-ai-act-2024-1689.html").read_bytes()
    doc = parse_bytes(data, "eu-ai-act-2024-1689.html")
    articles = {t.split()[1] for b in doc.blocks for t in b.trail if t.startswith("Article ")}
    annexes = {t.split()[1] for b in doc.blocks for t in b.trail if t.startswith("ANNEX ")}
    assert len(articles) == 113 and len(annexes) == 13
    art5 = [b for b in doc.blocks if b.trail and b.trail[-1].startswith("Article 5 ")]
    assert art5 and "Prohibited" in art5[0].trail[-1]
    assert "ruxitagentjs" not in doc.text and doc.title.startswith("REGULATION (EU) 2024/1689")
    recital = next(b for b in doc.blocks if "Having comprehensible information" in doc.text[b.start : b.end])
    assert recital.trail[0] == "Recitals" and re.fullmatch(r"Recital \d+", recital.trail[1])
    assert not any("Recitals" in b.trail for b in art5)
    recital_171 = [b.trail for b in doc.blocks if doc.text[b.start : b.end].startswith("(171) ")]
    assert recital_171 == [("Recitals", "Recital 171")]


def test_an_eu_acts_recitals_sit_under_recitals_until_the_enacting_formula():
    page = ("<html><body><p>Having regard to the Treaty,</p><p>Whereas:</p>"
            "<table><tr><td><p>(1)</p></td><td><p>The purpose of this Regulation is to improve things.</p></td></tr>"
            "</table><p>HAVE ADOPTED THIS REGULATION:</p><p>CHAPTER I</p><p>GENERAL PROVISIONS</p>"
            "<p>Article 1</p><p>Subject matter</p><p>1. This Regulation lays down rules.</p></body></html>")
    doc = parse_bytes(page.encode(), "act.html")
    trail_of = _trails_by_text(doc)
    assert trail_of["Having regard to the Treaty,"] == ()
    assert trail_of["(1) The purpose of this Regulation is to improve things."] == ("Recitals", "Recital 1")
    assert trail_of["Whereas:"] == ("Recitals",)
    assert trail_of["HAVE ADOPTED THIS REGULATION:"] == ()
    article_one = ("CHAPTER I GENERAL PROVISIONS", "Article 1 Subject matter")
    assert trail_of["1. This Regulation lays down rules."] == article_one


@pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference-texts absent")
def test_reference_markdown_parses_with_structure():
    name = "nist-ai-100-1-ai-rmf-1.0.md"
    doc = parse_bytes((REFERENCE / name).read_bytes(), name)
    assert len(doc.blocks) > 50 and len({b.trail for b in doc.blocks}) > 5


def test_a_tables_run_together_labelled_items_are_each_filed_under_their_label():
    """A framework's core table read as cells of run-together items ("MANAGE 2.3: ... MANAGE 2.4: ...") gives one
    block per item under its label; a caption before the first label, and labels named together, head nothing."""
    source = ("## 5.4 Manage\n\n"
              "| Table 4: Categories and subcategories for the MANAGE function, as laid out in the framework. | |\n"
              "|---|---|\n"
              "| MANAGE 1: Risks are managed. | Subcategories MANAGE 1.1: A determination is made. MANAGE 1.2: "
              "Treatment is prioritized. |\n"
              "| MANAGE 2: Benefits are maximised. | MANAGE 2.3: Procedures are followed. MANAGE 2.4: Mechanisms "
              "are in place to supersede, disengage, or deactivate AI systems. |\n\n"
              "## Open items\n\n- A.3.3, A.4.2, A.5.5: close the observations.\n")
    doc = parse_bytes(source.encode(), "framework.md")
    texts = _trails_by_text(doc)
    assert texts["MANAGE 2.4: Mechanisms are in place to supersede, disengage, or deactivate AI systems."] == (
        "5.4 Manage", "MANAGE 2.4")
    assert texts["MANAGE 2.3: Procedures are followed."] == ("5.4 Manage", "MANAGE 2.3")
    assert texts["Subcategories"] == ("5.4 Manage",)  # the text before the first label keeps the block's trail
    assert texts["MANAGE 1: Risks are managed."] == ("5.4 Manage",)  # a category's one-level number labels nothing
    assert texts["- A.3.3, A.4.2, A.5.5: close the observations."] == ("Open items",)


def test_a_lone_labelled_item_is_not_a_list():
    """Fewer than three items under one prefix are no list of them: the block is read as it was."""
    doc = parse_bytes(b"## Notes\n\nSee clause 4.2 first. ISO 9001: we hold it. A.8.4: move the log.\n", "notes.md")
    assert [b.trail for b in doc.blocks] == [("Notes",)]


@pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference-texts absent")
def test_nist_core_subcategories_are_quoted_under_their_own_labels():
    name = "nist-ai-100-1-ai-rmf-1.0.md"
    doc = parse_bytes((REFERENCE / name).read_bytes(), name)
    assert _trail_of(doc, "GOVERN 1.7: Processes and procedures are in place for decommissioning")[-1] == "GOVERN 1.7"
    assert _trail_of(doc, "MANAGE 2.4: Mechanisms are in place")[-2:] == ("5.4 Manage", "MANAGE 2.4")
    labelled = {b.trail[-1] for b in doc.blocks if b.trail and re.fullmatch(r"(GOVERN|MAP|MEASURE|MANAGE) [\d.]+",
                                                                             b.trail[-1])}
    assert len(labelled) > 60


def test_a_statutes_sections_file_their_clauses_under_the_section_number():
    source = ("# PART 17 ARTIFICIAL INTELLIGENCE\n\n"
              "- 6-1-1701. Definitions. AS USED IN THIS PART 17:\n"
              "- (1) \"CONSUMER\" MEANS AN INDIVIDUAL.\n\n"
              "- 6-1-1706. Enforcement by attorney general. (1) THE ATTORNEY GENERAL ENFORCES THIS PART.\n"
              "- (2) A VIOLATION IS AN UNFAIR TRADE PRACTICE.\n\n"
              "## Approved\n\nSigned by the governor.\n")
    doc = parse_bytes(source.encode(), "act.md")
    assert _trail_of(doc, "- (1) \"CONSUMER\"") == ("6-1-1701",)
    assert _trail_of(doc, "- 6-1-1706. Enforcement") == ("6-1-1706",)
    assert _trail_of(doc, "- (2) A VIOLATION") == ("6-1-1706",)
    assert _trail_of(doc, "Signed by the governor.") == ("Approved",)  # a heading of its own ends the section
    one = parse_bytes(b"# Notes\n\n- 6-1-1701. Definitions. We met.\n\nThen lunch.\n", "notes.md")
    assert [b.trail for b in one.blocks] == [(), ()]  # one numbered line is no statute


def test_a_contents_heading_heads_none_of_the_sections_after_it():
    """A conversion that set the contents page as a level-1 heading over the executive summary's level-2 one."""
    source = b"# Framework\n\n# Table Of Contents\n\ni\n\n## Executive Summary\n\nAI can help.\n\n# Part 1\n\nText.\n"
    doc = parse_bytes(source, "framework.md")
    assert _trail_of(doc, "i") == ("Table Of Contents",)
    assert _trail_of(doc, "AI can help.") == ("Executive Summary",)
    assert _trail_of(doc, "Text.") == ("Part 1",)


def test_markdown_page_break_marks_and_the_pages_running_footer_are_no_text():
    source = ("{0}------------------------------------------------\n\nThe deployer shall notify.\n\n"
              "PAGE 2-SENATE BILL 24-205\n\n{1}------------------------------------------------\n\n"
              "The developer shall disclose.\n\nPAGE 3-SENATE BILL 24-205\n\n"
              "{2}------------------------------------------------\n\nShort line kept.\n")
    texts = [block_text for block_text in _block_texts(parse_bytes(source.encode(), "bill.md"))]
    assert texts == ["The deployer shall notify.", "The developer shall disclose.", "Short line kept."]


def _block_texts(doc) -> list[str]:
    return [doc.text[b.start : b.end] for b in doc.blocks]


@pytest.mark.skipif(not (REFERENCE / "colorado-sb24-205-ai-act.md").exists(), reason="../shared/reference-texts absent")
def test_colorado_act_clauses_sit_under_their_sections_and_its_footers_are_gone():
    name = "colorado-sb24-205-ai-act.md"
    doc = parse_bytes((REFERENCE / name).read_bytes(), name)
    texts = _block_texts(doc)
    assert not any(t.startswith(("PAGE 2-SENATE", "{2}---")) for t in texts)
    assert _trail_of(doc, "- 6-1-1706. Enforcement by attorney general.")[-1] == "6-1-1706"
    sections = {b.trail[-1] for b in doc.blocks if b.trail and re.fullmatch(r"6-1-\d+", b.trail[-1])}
    assert {"6-1-1701", "6-1-1702", "6-1-1703", "6-1-1704", "6-1-1705", "6-1-1706", "6-1-1707"} <= sections


def test_markdown_clause_styled_as_a_heading_is_kept_as_text():
    """A converted statute's list items that came out as headings are text, not the sections' names."""
    source = ("# PART 17 ARTIFICIAL INTELLIGENCE\n\n"
              "- (p) SPELL-CHECKING;\n\n"
              "# (Q) WEB HOSTING OR ANY SIMILAR TECHNOLOGY; OR\n\n"
              "### (B) DEPLOYED;\n\n"
              "#### (c) DOCUMENTATION DESCRIBING:\n\n"
              "- (I) HOW THE SYSTEM WAS EVALUATED.\n\n"
              "## Enforcement\n\nThe attorney general enforces this part.\n")
    doc = parse_bytes(source.encode(), "act.md")
    texts = [doc.text[b.start : b.end] for b in doc.blocks]
    for clause in ("(Q) WEB HOSTING OR ANY SIMILAR TECHNOLOGY; OR", "(B) DEPLOYED;", "(c) DOCUMENTATION DESCRIBING:"):
        assert clause in texts  # quotable text, no longer dropped as a heading
    assert {b.trail for b in doc.blocks} == {(), ("Enforcement",)}  # the title heads no trail; no clause does
    assert doc.title == "PART 17 ARTIFICIAL INTELLIGENCE"


@pytest.mark.skipif(not (REFERENCE / "colorado-sb24-205-ai-act.md").exists(), reason="../shared/reference-texts absent")
def test_colorado_act_keeps_every_clause_and_no_clause_names_a_section():
    name = "colorado-sb24-205-ai-act.md"
    doc = parse_bytes((REFERENCE / name).read_bytes(), name)
    assert "(Q) WEB HOSTING OR ANY SIMILAR TECHNOLOGY; OR" in doc.text
    assert not any(t.rstrip().endswith((";", ":", "; OR")) for b in doc.blocks for t in b.trail)
    assert len(doc.blocks) > 50


def test_plain_text_very_long_line_is_cut_into_chunks():
    text = ("The committee reviews every model before release and records its decision " * 8000).encode()
    doc = parse_bytes(text, "long.txt")
    chunks = make_chunks(doc, root="r", source="long.txt", doc_hash="h", label=Label.INTERNAL, target_words=150)
    assert len(chunks) > 300
    assert all(len(c.text.split()) <= 150 and c.text == doc.text[c.start : c.end] for c in chunks)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.pdf", b"", "empty"),
        ("random.pdf", bytes(range(256)) * 40, "not a PDF"),
        ("fake.docx", b"this is plain text, not a word document", "not a valid DOCX"),
        ("binary.md", b"\x00\x01\x02binary\x00" * 100, "binary"),
        ("fake.xlsx", b"PK\x03\x04 broken", "XLSX"),
        ("blank.txt", b"   \n\n  ", "no text"),
    ],
)
def test_bad_bytes_give_a_plain_reason(name, data, reason):
    with pytest.raises(ParseError, match=reason):
        parse_bytes(data, name)


def test_abbreviations_do_not_end_a_sentence_but_a_lone_capital_does():
    from assistant.core.text import sentence_spans

    text = "Ring the on-call line (ext. 4400) at once. See e.g. Art. 5 first. Dr. Rao signs. See Annex A. Then stop."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Ring the on-call line (ext. 4400) at once.", "See e.g. Art. 5 first.", "Dr. Rao signs.", "See Annex A.",
        "Then stop."]


def test_one_table_states_the_formats_and_every_entry_resolves():
    from assistant.retrieval.parsing import PARSERS, SUPPORTED_SUFFIXES, parser_for

    assert SUPPORTED_SUFFIXES == frozenset(PARSERS)
    assert all(callable(parser_for(suffix)) for suffix in PARSERS)
    assert parser_for(".exe") is None


def test_plain_text_wrapped_numbered_items_are_text_and_capitals_lines_are_headings():
    memo = ("PILOT UPDATE\n\nDear all,\n\nTHE HEADLINES\n\n"
            "1. The pilot is extended. The leadership team, at the\n"
            "   management review on 10 February, agreed to extend it to 30 June.\n\n"
            "2. The clinician completes the course on LearnKB (if not already\n"
            "   done) and attends the practical session.\n\n"
            "WHAT'S CHANGING\n\nFrom 2 March every summary gets a who-said-what check.\n\n"
            "3 Records\n\nRecords are kept for two years.\n")
    doc = parse_bytes(memo.encode(), "memo.txt")
    assert doc.title == "PILOT UPDATE"
    assert _trail_of(doc, "1. The pilot is extended.") == ("THE HEADLINES",)  # a list item, kept whole as text
    assert _trail_of(doc, "2. The clinician completes") == ("THE HEADLINES",)
    assert _trail_of(doc, "From 2 March") == ("WHAT'S CHANGING",)
    assert _trail_of(doc, "Records are kept") == ("3 Records",)  # a numbered heading is still one
    assert "The pilot is extended. The leadership team, at the management review" in " ".join(doc.text.split())


def test_plain_text_list_items_that_open_with_a_short_title_are_filed_under_it():
    memo = ("Subject: AI in assessments\nFrom: The Dean\n\nColleagues,\n\n"
            "1. Be specific in Amber briefs. \"You may use AI responsibly\" is not a\n"
            "   list. Say what is allowed.\n\n"
            "2. Marking stays human. You may use Brook Assist to help draft general\n"
            "   feedback, but not to decide or suggest marks.\n\n"
            "3. Do the e-learning.\n\n"
            "WHAT'S NEW\n\n"
            "* Snap & Send photo upload. Tenants can add up to 5 photos per repair.\n\n"
            "* New conversation engine. Replies are more natural.\n\n"
            "THE HEADLINES\n\n"
            "1. The pilot is extended. The leadership team agreed to extend it.\n\n"
            "2. The evaluation report goes to the Assurance Board on 4 June, so please keep logging\n"
            "   your time. It will decide on a wider roll-out.\n")
    doc = parse_bytes(memo.encode(), "memo.txt")

    assert _trail_of(doc, "2. Marking stays human.") == ("2. Marking stays human",)  # numbered: the citation names it
    assert _trail_of(doc, "1. Be specific") == ("1. Be specific in Amber briefs",)
    assert _trail_of(doc, "3. Do the e-learning.") == ()  # one sentence: nothing after it to head
    assert _trail_of(doc, "* Snap & Send") == ("WHAT'S NEW", "Snap & Send photo upload")  # a bullet adds no number
    # a list one of whose items opens with a long sentence is not a list of titles: none of its items is titled
    assert _trail_of(doc, "1. The pilot is extended.") == ("THE HEADLINES",)
    assert _trail_of(doc, "2. The evaluation report") == ("THE HEADLINES",)
    assert "2. Marking stays human. You may use Brook Assist" in doc.text  # the title stays text too
    notes = parse_bytes(b"Notes\n\n1) Drafts, e.g. letters. Use the approved tool.\n\n"
                        b"2) Images. Ask Comms first.\n", "notes.txt")
    assert _trail_of(notes, "1) Drafts") == ("1) Drafts, e.g. letters",)  # "e.g." ends no sentence


def test_a_spreadsheets_note_row_is_quoted_and_its_title_names_the_rows():
    rows = ("AI Risk Register,,,\n"
            "\"As at 1 March 2026, owner: Rebecca Lindqvist, AIMS Manager. Scoring per method 004 (1-25).\",,,\n"
            ",,,\nRisk ID,System,Owner,Score\nR-01,Sentinel,Dr Raman,8\nR-02,BedFlow,Ms Okafor,12\n")
    doc = parse_bytes(rows.encode(), "register.csv")
    note = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("As at 1 March 2026"))
    assert note.row == 2 and note.trail == ("AI Risk Register",)
    records = [b for b in doc.blocks if doc.text[b.start : b.end].startswith("Risk ID:")]
    assert len(records) == 2 and all(b.trail == ("AI Risk Register",) for b in records)
    assert "AI Risk Register" in doc.text


def test_pdf_sentence_running_over_a_page_break_is_one_quote_at_its_first_page(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "audit.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 700, "Internal audit report")
    pdf.drawString(72, 660, "Between 8 July and 29 October 2025 the cameras stored 1,862 clips, many of")
    pdf.showPage()
    pdf.drawString(72, 760, "which show identifiable people. Nobody assessed the change.")
    pdf.drawString(72, 700, "The review closed on 30 October 2025.")
    pdf.showPage()
    pdf.drawString(72, 760, "Recommendation: amend the procedure.")
    pdf.save()
    doc = parse_bytes(path.read_bytes(), "audit.pdf")
    text_of = {doc.text[b.start : b.end]: b.page for b in doc.blocks}
    whole = ("Between 8 July and 29 October 2025 the cameras stored 1,862 clips, many of which show identifiable "
             "people. Nobody assessed the change.")
    assert text_of.get(whole) == 1  # one paragraph, at the page its first sentence starts on
    assert text_of.get("The review closed on 30 October 2025.") == 2
    assert text_of.get("Recommendation: amend the procedure.") == 3  # a page that ended a sentence is not joined


def test_pdf_headings_set_in_type_are_headings_nested_by_size(tmp_path):
    """Word and LibreOffice PDFs often head sections without numbers: the type sets them apart."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "audit.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    y = 780

    def line(text: str, font: str = "Helvetica", size: float = 10, gap: float = 14) -> None:
        nonlocal y
        pdf.setFont(font, size)
        pdf.drawString(72, y, text)
        y -= gap

    line("Internal Audit Report: AI Management System (AIMS)", "Helvetica-Bold", 18, 22)
    line("2025", "Helvetica-Bold", 18, 30)  # the title's second line: not a page number
    line("Report reference IA-2025-09. Issued 28 November 2025.", gap=24)
    line("Detailed findings", "Helvetica-Bold", 14, 22)
    line("NC-01 (Major): BedFlow impact assessment overdue", "Helvetica-BoldOblique", 12, 18)
    line("Evidence: the last impact assessment for BedFlow was approved on 19 September 2023.", gap=24)
    line("Overall opinion: partially effective.", "Helvetica-Bold", 10, 24)  # a bold sentence is text
    line("NC-02 (Minor): Competency sign-off missing", "Helvetica-BoldOblique", 12, 18)
    line("Evidence: of 64 clinicians with access, 9 had no sign-off recorded.", gap=24)
    line("Who this applies to", "Helvetica-Bold", 10, 16)  # bold at the body's size, standing alone
    line("Every member of staff who uses an approved AI tool at work.", gap=24)
    line("Table 1 shows the owners of each finding and their due dates.", "Helvetica", 8, 12)
    pdf.save()
    doc = parse_bytes(path.read_bytes(), "audit.pdf")
    trail_of = _trails_by_text(doc)
    assert doc.title == "Internal Audit Report: AI Management System (AIMS) 2025"
    assert trail_of["Evidence: the last impact assessment for BedFlow was approved on 19 September 2023."] == (
        "Detailed findings", "NC-01 (Major): BedFlow impact assessment overdue")
    assert trail_of["Overall opinion: partially effective."] == (
        "Detailed findings", "NC-01 (Major): BedFlow impact assessment overdue")
    assert trail_of["Evidence: of 64 clinicians with access, 9 had no sign-off recorded."] == (
        "Detailed findings", "NC-02 (Minor): Competency sign-off missing")
    # bold at the body's size ranks below every larger heading: it nests under them
    assert trail_of["Every member of staff who uses an approved AI tool at work."][-1] == "Who this applies to"
    assert trail_of["Report reference IA-2025-09. Issued 28 November 2025."] == ()
    assert "NC-01 (Major): BedFlow impact assessment overdue" not in trail_of  # a heading is no quote
    assert "2025" not in trail_of


def test_docx_bold_paragraphs_and_styles_based_on_headings_head_sections(tmp_path):
    """Many Word documents head sections with a bold line, or a house style built on a Heading style."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    document.add_heading("Acceptable use of AI", level=1)
    house = document.styles.add_style("Policy Heading", WD_STYLE_TYPE.PARAGRAPH)
    house.base_style = document.styles["Heading 2"]
    document.add_paragraph("Meetings and recordings", style="Policy Heading")
    document.add_paragraph("AI note-takers must not join a meeting where patients are discussed.")
    document.add_paragraph().add_run("Who this applies to").bold = True
    document.add_paragraph("Every member of staff who uses an approved AI tool at work.")
    document.add_paragraph().add_run("Do not paste patient data into any AI tool.").bold = True  # a sentence
    document.add_paragraph(style="List Bullet").add_run("Short bold item").bold = True  # a list item
    document.add_paragraph().add_run("Exceptions").bold = True
    document.add_paragraph("The chair may approve an exception in writing.")
    document.add_heading("Incidents", level=2)
    document.add_paragraph("Report an AI incident within 24 hours.")
    path = tmp_path / "aup.docx"
    document.save(path)
    doc = parse_bytes(path.read_bytes(), "aup.docx")
    trail_of = _trails_by_text(doc)
    assert trail_of["AI note-takers must not join a meeting where patients are discussed."] == (
        "Acceptable use of AI", "Meetings and recordings")
    assert trail_of["Every member of staff who uses an approved AI tool at work."] == (
        "Acceptable use of AI", "Meetings and recordings", "Who this applies to")
    assert trail_of["Do not paste patient data into any AI tool."] == (
        "Acceptable use of AI", "Meetings and recordings", "Who this applies to")
    assert "Short bold item" in trail_of  # a list item stays text
    assert trail_of["The chair may approve an exception in writing."][-1] == "Exceptions"  # replaces its sibling
    assert trail_of["Report an AI incident within 24 hours."] == ("Acceptable use of AI", "Incidents")


CMS_PAGE = """<!doctype html><html><head><title>Acceptable use of AI | StaffNet</title></head><body>
<div id="cookie-consent" role="dialog"><p>We use cookies to improve your experience. Accept all cookies?</p></div>
<header class="site-header"><p>StaffNet | Classification: Internal</p></header>
<div class="page-wrap">
  <ol class="breadcrumb"><li>Home</li><li>Policies</li><li>Acceptable use of AI</li></ol>
  <aside class="sidebar"><h2>Related pages</h2><p>Information security policy and records retention.</p></aside>
  <main><h1>Acceptable use of AI</h1>
    <p>Staff may use the approved assistant for drafting and summarising internal documents.</p>
    <aside class="note"><p>Note: customer account numbers must never be entered into any AI tool.</p></aside>
  </main>
</div>
<div role="contentinfo"><p>We acknowledge the Traditional Owners of the land on which we work.</p></div>
</body></html>"""


def test_html_site_chrome_is_dropped_and_main_is_read():
    doc = parse_bytes(CMS_PAGE.encode(), "acceptable-use.html")
    assert doc.title == "Acceptable use of AI"
    texts = [doc.text[b.start : b.end] for b in doc.blocks]
    assert texts == ["Staff may use the approved assistant for drafting and summarising internal documents.",
                     "Note: customer account numbers must never be entered into any AI tool."]  # an aside in main stays
    for chrome in ("cookies", "Related pages", "Traditional Owners", "Policies", "StaffNet"):
        assert chrome not in doc.text
    assert "Classification: Internal" in doc.header_text  # the banner still marks the page


def test_html_without_main_drops_a_site_header_and_sidebar_but_not_an_articles_header():
    page = ("<html><body><header><p>Tarrant intranet home</p></header><aside><p>Quick links: payroll</p></aside>"
            "<article><header><h1>Incident reporting</h1></header><p>Report an AI incident within one hour.</p>"
            "</article></body></html>")
    doc = parse_bytes(page.encode(), "incidents.html")
    assert doc.text.split() == "Incident reporting Report an AI incident within one hour.".split()
    assert [b.trail for b in doc.blocks] == [("Incident reporting",)]


def test_pdf_control_block_and_a_row_cut_by_a_page_break_in_a_libreoffice_pdf():
    """A Word document exported by LibreOffice: its control block reads as its pairs, and the findings row the
    page break cut in two (the rest of its Finding cell atop page 2) is one record."""
    name = "internal-audit-report-2026.pdf"
    doc = parse_bytes((SAMPLE.parent / "tarrantvalley" / name).read_bytes(), name)
    texts = [doc.text[b.start : b.end] for b in doc.blocks]
    assert {"Report number: IA-2026-02", "Lead auditor: Natalie Chow, Director",
            "Fieldwork: 2 to 13 February 2026"} <= set(texts)
    f1 = [t for t in texts if t.startswith("No.: F1")]
    assert len(f1) == 1
    assert "without being registered in the AI system inventory or screened for impact" in " ".join(f1[0].split())
    assert "Management response: Agreed. CodeAssist registered 11 March 2026." in f1[0]
    assert not any(t.startswith("Finding:") for t in texts)  # no orphaned half of the row


def test_key_value_tables_and_generic_value_columns_read_as_pairs():
    from assistant.retrieval.parsing.base import key_value_table, record_text

    assert key_value_table([["Report number", "IA-2026-02"], ["Lead auditor", "Natalie Chow"]])
    assert key_value_table([["Meeting", "AI management review MR-2026-01"], ["Chair", "Fiona Aldridge"]])
    assert key_value_table([["Owner:", "Jane Smith"], ["Status:", "Draft"]])
    assert key_value_table([["System", "AI-001 AquaSense (Sonaris LeakWatch, TVW configuration)"],
                            ["Document code", "TVW-TF-AI-001"]])  # an unusual first key, a value naming an identifier
    for header in (["Group", "Features (19)"], ["Recall (2024-25)", "Notes"], ["Party", "What they need from us on AI"],
                   ["Objective", "Position at 31 January 2026"], ["Role", "Responsibility"]):
        assert not key_value_table([header, ["a", "b"]]), header
    assert record_text(["Field", "Value"], ["Supplier", "Convergent CX"]) == "Supplier: Convergent CX"
    assert record_text(["Role", "Responsibility"], ["Board", "Approves"]) == "Role: Board\nResponsibility: Approves"


def test_pdf_numbered_list_item_in_body_type_is_no_heading_where_headings_are_set_in_type(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "procedure.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for y, font, size, text in [(800, "Helvetica-Bold", 18, "AI Incident Procedure"),
                                (780, "Helvetica-Bold", 14, "Appendix A. Checklist for system owners"),
                                (755, "Helvetica", 10, "5. Preserve evidence: logs, prompts and outputs."),
                                (740, "Helvetica", 10, "6. Agree customer communication with the Customer Experience"),
                                (726, "Helvetica", 10, "Manager and Corporate Communications."),
                                (700, "Helvetica-Bold", 14, "2. Reporting"),
                                (680, "Helvetica", 10, "Report every AI incident within one hour of noticing it.")]:
        pdf.setFont(font, size)
        pdf.drawString(72, y, text)
    pdf.save()
    doc = parse_bytes(path.read_bytes(), "procedure.pdf")
    trail_of = {" ".join(doc.text[b.start : b.end].split()): b.trail for b in doc.blocks}
    item = "6. Agree customer communication with the Customer Experience Manager and Corporate Communications."
    assert trail_of[item] == ("Appendix A. Checklist for system owners",)
    assert trail_of["Report every AI incident within one hour of noticing it."] == ("2. Reporting",)


def test_html_faq_summary_heads_its_answer():
    page = ("<html><body><main><h1>How we use AI</h1><h2>Frequently asked questions</h2>"
            "<details><summary>Are my chats with Tilly kept?</summary><p>Yes. We keep transcripts for 2 years.</p>"
            "</details><dl><dt>Tilly</dt><dd>Our website chat assistant.</dd></dl></main></body></html>")
    doc = parse_bytes(page.encode(), "ai.html")
    trail_of = _trails_by_text(doc)
    assert trail_of["Yes. We keep transcripts for 2 years."] == (
        "How we use AI", "Frequently asked questions", "Are my chats with Tilly kept?")
    assert trail_of["Our website chat assistant."][-1] == "Tilly"


def test_pdf_symbol_font_bullet_in_a_private_use_character_reads_as_a_bullet():
    from assistant.retrieval.parsing.pdf_layout import glyphs

    assert glyphs("\uf0b7 The committee meets monthly.") == "• The committee meets monthly."
    assert glyphs("Tick \uf0fc done") == "Tick  done"


def test_a_memo_or_email_is_titled_by_its_subject_and_its_header_fields_stay_lines():
    email = ("From: Claire Donnelly <claire@example.org>\nTo: All People Leaders <leaders@example.org>\n"
             "Date: Tuesday, 7 April 2026 10:14 AM\nSubject: AI Essentials training - where we're at and the\n"
             "30 April deadline\n\nHi everyone,\n\nThanks to all of you who have been chasing up completions in "
             "your teams.\n")
    doc = parse_bytes(email.encode(), "update.txt")
    assert doc.title == "AI Essentials training - where we're at and the 30 April deadline"
    header = doc.text[doc.blocks[0].start : doc.blocks[0].end]
    assert header.split("\n")[:2] == ["From: Claire Donnelly <claire@example.org>",
                                      "To: All People Leaders <leaders@example.org>"]  # fields, not one wrapped line
    memo = ("MEMORANDUM\n\nFrom:     Professor Declan Whitcroft, Dean\nTo:       All teaching staff\n"
            "Subject:  AI in our assessments - what I need from you\n          by 30 April\n"
            "Classification: Internal\n\nColleagues,\n\nPlease read this before term starts.\n")
    doc = parse_bytes(memo.encode(), "memo.txt")
    assert doc.title == "AI in our assessments - what I need from you by 30 April"
    assert all(b.trail == () for b in doc.blocks)  # the letterhead above the header heads nothing
    # a "Subject:" line alone, with no other header field, is text like any other
    assert parse_bytes(b"Minutes\n\nSubject: budget. We agreed it.\n", "m.txt").title == "Minutes"


def test_plain_text_sentence_case_lines_head_the_prose_after_them():
    email = ("Subject: Update\nFrom: Claire\n\nHi everyone,\n\nWhere we're at\n\nAs at 31 March, 86% have "
             "completed the module.\n\nWhat happens next\n\n1. Everyone must complete it by 30 April.\n\n"
             "Thanks again,\n\nClaire\n\nClaire Donnelly\nAI Governance Lead | Digital\n")
    doc = parse_bytes(email.encode(), "update.txt")

    assert _trail_of(doc, "As at 31 March") == ("Where we're at",)
    assert _trail_of(doc, "1. Everyone must") == ("What happens next",)  # a later one replaces it, not nests
    assert _trail_of(doc, "Hi everyone,") == ()  # a greeting heads nothing
    assert any(doc.text[b.start : b.end] == "Claire" for b in doc.blocks)  # a signature's name stays text
    numbered = parse_bytes(b"Staff update\n\n1. Training\n\nWhere we're at\n\nMost staff have done it.\n", "t.txt")
    assert numbered.blocks[-1].trail == ("1. Training", "Where we're at")  # under the numbered section


def test_plain_text_columns_aligned_with_spaces_read_as_records():
    text = ("Results on the validation set:\n\n"
            "  Finding               Sensitivity   Specificity   v4.1 sensitivity\n"
            "  Pneumothorax          93.4%         88.1%         92.9%\n"
            "  Pleural effusion      90.2%         86.7%         85.6%\n\n"
            "By division:\n\n"
            "  Digital & Technology       98%\n  Network Operations         79%\n\n"
            "These are two sentences.  With two spaces between them.\nAnd a second line of prose  here.\n")
    doc = parse_bytes(text.encode(), "notes.txt")
    records = [doc.text[b.start : b.end] for b in doc.blocks if b.record]
    assert records == [
        "Finding: Pneumothorax\nSensitivity: 93.4%\nSpecificity: 88.1%\nv4.1 sensitivity: 92.9%",
        "Finding: Pleural effusion\nSensitivity: 90.2%\nSpecificity: 86.7%\nv4.1 sensitivity: 85.6%",
        "Digital & Technology: 98%", "Network Operations: 79%"]
    assert [b.row for b in doc.blocks if b.record] == [2, 3, 2, 3]
    assert "These are two sentences.  With two spaces" in doc.text  # prose whose columns do not line up
    for block in doc.blocks:  # every span still points at its own text
        assert doc.text[block.start : block.end].strip() == doc.text[block.start : block.end]


def test_markdown_bold_faq_questions_head_their_answers_and_markers_are_no_text():
    page = ("# Impact assessment\n\n> **Note:** This page is the record.\n\n## FAQ\n\n"
            "**Can Tilly see a customer's account or bill?**\nNo. Tilly does not have access to accounts.\n\n"
            "**Who do I contact?**\nJodie Marsh.\n\n**Never put these into Quill:**\n- customer records\n\n"
            "**Lecture captions.** Recorded lectures get captions. They do get names wrong.\n\n"
            "**Release date:** 9 March 2026\n\n"
            "---\n*Exported from Confluence on 2 April 2026.*\n")
    doc = parse_bytes(page.encode(), "page.md")
    texts = _trails_by_text(doc)
    faq = ("FAQ", "Can Tilly see a customer's account or bill?")
    assert texts["No. Tilly does not have access to accounts."] == faq
    assert texts["Jodie Marsh."] == ("FAQ", "Who do I contact?")  # a sibling, not nested under the first
    assert any(t.startswith("Never put these into Quill:") for t in texts)  # a bold lead-in stays text
    assert "Note: This page is the record." in texts  # no ">" marker, no leading spaces
    assert "Exported from Confluence on 2 April 2026." in texts  # the rule over it is no text
    assert not any("---" in t for t in texts)
    run_in = next(t for t in texts if t.endswith("They do get names wrong."))  # keeps its bold words as text
    assert run_in.startswith("Lecture captions.") and texts[run_in] == ("FAQ", "Who do I contact?", "Lecture captions")
    assert texts["Release date: 9 March 2026"] == ("FAQ", "Who do I contact?")  # a field's name heads nothing


def test_markdown_list_items_are_blocks_filed_under_their_own_run_in_headings():
    """A list's items are blocks of their own, so a bold-led item names what it speaks of; the chunks of
    a list without run-ins still pack its items together."""
    page = ("# Policy\n\n## Who is responsible\n\nThese people answer for AI:\n"
            "- **Executive sponsor.** Signs off the go-live of any high-risk system.\n"
            "- **AIMS Manager.** Runs the system day to day:\n  the policy and the register.\n"
            "- everyone else reports problems\n"
            "- **System owners.** Answer for their systems:\n  - its risks\n  - its impact assessment\n\n"
            "1. **People decide.** No AI system makes a final decision.\n2. Plain item.\n\n"
            "```\n- not an item\n\n# not a heading\n```\nAfter the code.\n")
    doc = parse_bytes(page.encode(), "policy.md")
    trail_of = {" ".join(doc.text[b.start : b.end].split()): b.trail for b in doc.blocks}  # emphasis marks are spaces
    assert trail_of["These people answer for AI:"] == ("Who is responsible",)
    assert trail_of["- Executive sponsor. Signs off the go-live of any high-risk system."] == (
        "Who is responsible", "Executive sponsor")
    assert trail_of["- AIMS Manager. Runs the system day to day: the policy and the register."] == (
        "Who is responsible", "AIMS Manager")  # its wrapped line is its own
    assert trail_of["- everyone else reports problems"] == ("Who is responsible",)
    assert trail_of["- System owners. Answer for their systems: - its risks - its impact assessment"] == (
        "Who is responsible", "System owners")  # a nested item stays with its parent
    assert trail_of["1. People decide. No AI system makes a final decision."] == ("Who is responsible", "People decide")
    assert trail_of["2. Plain item."] == ("Who is responsible",)
    assert trail_of["``` - not an item # not a heading ```"] == ("Who is responsible",)  # one block, fences and all
    assert trail_of["After the code."] == ("Who is responsible",)

    plain = "# Steps\n\nDo this:\n- first\n- second\n- third\n"
    doc = parse_bytes(plain.encode(), "steps.md")
    chunks = make_chunks(doc, root="r", source="steps.md", doc_hash="h", label=Label.PUBLIC, target_words=150)
    assert [chunk.text for chunk in chunks] == ["Do this:\n- first\n- second\n- third"]


def test_a_paragraph_opening_with_bold_words_is_filed_under_them_in_word_and_html(tmp_path):
    """A run-in heading ("Money. The strategy requires ...") names what the paragraph's later sentences speak of."""
    import docx

    document = docx.Document()
    document.add_heading("External issues", level=2)
    money = document.add_paragraph()
    money.add_run("Money.").bold = True
    money.add_run(" The strategy requires savings. It drives the AI work.")
    field = document.add_paragraph()
    field.add_run("Owner:").bold = True
    field.add_run(" Jane Smith")
    path = tmp_path / "scope.docx"
    document.save(path)
    doc = parse_bytes(path.read_bytes(), "scope.docx")
    trail_of = _trails_by_text(doc)
    assert trail_of["Money. The strategy requires savings. It drives the AI work."] == ("External issues", "Money")
    assert trail_of["Owner: Jane Smith"] == ("External issues",)  # a field's name heads nothing

    page = ("<html><body><main><h1>Your care</h1><h2>ScribeAssist</h2>"
            "<p><strong>You can say no.</strong> Tell your clinician. They will take notes by hand.</p>"
            "<p>Some <strong>bold words.</strong> inside a sentence.</p>"
            "<ol><li><strong>Detect.</strong> The team spots the fault.</li><li>Then it is logged.</li></ol>"
            "</main></body></html>")
    doc = parse_bytes(page.encode(), "care.html")
    trail_of = _trails_by_text(doc)
    assert trail_of["You can say no. Tell your clinician. They will take notes by hand."] == (
        "Your care", "ScribeAssist", "You can say no")
    assert trail_of["Some bold words. inside a sentence."] == ("Your care", "ScribeAssist")
    assert trail_of["Detect. The team spots the fault."] == ("Your care", "ScribeAssist", "Detect")  # a list item's
    assert trail_of["Then it is logged."] == ("Your care", "ScribeAssist")


def test_pdf_paragraph_opening_with_bold_words_is_filed_under_them(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "audit.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(72, 800, "6.7 Observations")
    line = pdf.beginText(72, 780)
    line.setFont("Helvetica-Bold", 10)
    line.textOut("OBS-2026-02 - A.3.3 (Reporting of concerns). ")
    line.setFont("Helvetica", 10)
    line.textOut("Seven of the 16 staff interviewed did not know the channel.")
    pdf.drawText(line)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 750, "Staff were reminded of it in May.")
    pdf.save()
    doc = parse_bytes(path.read_bytes(), "audit.pdf")
    trail_of = {" ".join(doc.text[b.start : b.end].split()): b.trail for b in doc.blocks}
    opening = "OBS-2026-02 - A.3.3 (Reporting of concerns). Seven of the 16 staff interviewed did not know the channel."
    assert trail_of[opening] == ("6.7 Observations", "OBS-2026-02 - A.3.3 (Reporting of concerns)")
    assert trail_of["Staff were reminded of it in May."] == ("6.7 Observations",)  # its own paragraph, no lead


def test_pdf_list_item_opening_with_bold_words_after_its_bullet_is_filed_under_them(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "audit.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(72, 800, "7 Other areas reviewed")
    for top, lead, rest in [(780, "ClaimSight retraining.", "The June retraining was handled well."),
                            (765, "", "Onboarding evidence was complete.")]:
        line = pdf.beginText(72, top)
        line.setFont("Helvetica", 10)
        line.textOut("\u2022 ")
        if lead:
            line.setFont("Helvetica-Bold", 10)
            line.textOut(lead + " ")
            line.setFont("Helvetica", 10)
        line.textOut(rest)
        pdf.drawText(line)
    pdf.save()
    doc = parse_bytes(path.read_bytes(), "audit.pdf")
    trail_of = {" ".join(doc.text[b.start : b.end].split()): b.trail for b in doc.blocks}
    assert trail_of["\u2022 ClaimSight retraining. The June retraining was handled well."] == (
        "7 Other areas reviewed", "ClaimSight retraining")  # the bullet is not part of the bold words
    assert trail_of["\u2022 Onboarding evidence was complete."] == ("7 Other areas reviewed",)
