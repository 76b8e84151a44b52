"""Helpers for building Word documents with python-docx (header/footer fields, blocks)."""
from docx import Document
from docx.enum.section import WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor


def add_field(run, instr):
    b = OxmlElement('w:fldChar'); b.set(qn('w:fldCharType'), 'begin')
    t = OxmlElement('w:instrText'); t.set(qn('xml:space'), 'preserve'); t.text = instr
    s = OxmlElement('w:fldChar'); s.set(qn('w:fldCharType'), 'separate')
    r = OxmlElement('w:t'); r.text = '1'
    e = OxmlElement('w:fldChar'); e.set(qn('w:fldCharType'), 'end')
    for el in (b, t, s, r, e):
        run._r.append(el)


def header_footer(section, left, right, footer_note):
    hp = section.header.paragraphs[0]
    hp.text = ''
    r = hp.add_run(left); r.font.size = Pt(8)
    r = hp.add_run('\t\t' + right); r.font.size = Pt(8); r.bold = True
    fp = section.footer.paragraphs[0]
    fp.text = ''
    r = fp.add_run(footer_note + '\t\tPage '); r.font.size = Pt(8)
    r = fp.add_run(); r.font.size = Pt(8); add_field(r, 'PAGE')
    r = fp.add_run(' of '); r.font.size = Pt(8)
    r = fp.add_run(); r.font.size = Pt(8); add_field(r, 'NUMPAGES')


def set_cols(section, n):
    sectPr = section._sectPr
    cols = sectPr.find(qn('w:cols'))
    if cols is None:
        cols = OxmlElement('w:cols'); sectPr.append(cols)
    cols.set(qn('w:num'), str(n)); cols.set(qn('w:space'), '567')


def shade(cell, hexcol):
    tcPr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement('w:shd'); shd.set(qn('w:val'), 'clear'); shd.set(qn('w:color'), 'auto'); shd.set(qn('w:fill'), hexcol)
    tcPr.append(shd)


def repeat_header(row):
    trPr = row._tr.get_or_add_trPr()
    el = OxmlElement('w:tblHeader'); el.set(qn('w:val'), 'true'); trPr.append(el)


def new_doc(title, code, classification, footer_note, subtitle=None, meta=None):
    d = Document()
    st = d.styles['Normal']; st.font.name = 'Arial'; st.font.size = Pt(10)
    for s in ('Heading 1', 'Heading 2', 'Heading 3', 'Title'):
        d.styles[s].font.name = 'Arial'
        d.styles[s].font.color.rgb = RGBColor(0x0B, 0x4F, 0x6C)
    sec = d.sections[0]
    sec.page_width = Cm(21); sec.page_height = Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.2)
    header_footer(sec, 'Tarrant Valley Water  |  ' + code + '  |  ' + title, classification.upper(), footer_note)
    d.add_paragraph(title, style='Title')
    if subtitle:
        p = d.add_paragraph(subtitle); p.runs[0].italic = True
    if meta:
        t = d.add_table(rows=0, cols=2); t.style = 'Table Grid'
        for k, v in meta:
            c = t.add_row().cells; c[0].text = k; c[1].text = v
            c[0].paragraphs[0].runs[0].bold = True; shade(c[0], 'E3EEF3')
        d.add_paragraph()
    return d


def blocks(d, items):
    for it in items:
        kind = it[0]
        if kind == 'h1': d.add_heading(it[1], level=1)
        elif kind == 'h2': d.add_heading(it[1], level=2)
        elif kind == 'h3': d.add_heading(it[1], level=3)
        elif kind == 'p': d.add_paragraph(it[1])
        elif kind == 'b':
            for x in it[1]: d.add_paragraph(x, style='List Bullet')
        elif kind == 'n':
            for x in it[1]: d.add_paragraph(x, style='List Number')
        elif kind == 't':
            rows = it[1]
            t = d.add_table(rows=0, cols=len(rows[0])); t.style = 'Table Grid'
            for i, row in enumerate(rows):
                cells = t.add_row().cells
                for c, v in zip(cells, row):
                    c.text = v
                    for p in c.paragraphs:
                        for r in p.runs: r.font.size = Pt(9); r.bold = (i == 0)
                    if i == 0: shade(c, 'CFE2EA')
            repeat_header(t.rows[0])
            d.add_paragraph()
        elif kind == 'pb': d.add_page_break()
        elif kind == 'cols':
            sec = d.add_section(WD_SECTION.CONTINUOUS); set_cols(sec, it[1])
        else: raise ValueError(kind)
