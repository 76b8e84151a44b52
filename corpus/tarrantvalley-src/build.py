#!/usr/bin/env python3
"""Build the Tarrant Valley Water AIMS corpus.

Run with /work/main/.venv/bin/python build.py
Outputs go to ../tarrantvalley/. Hand-written HTML/MD/TXT/CSV files already live there.
"""
import os
import shutil
import subprocess
import tempfile

import docxlib
from content_minutes import MINUTES
from content_pdf import ALL as PDFS
from content_xlsx import CA_COLS, CAS, CLOSED, RISK_COLS, RISKS
from docx import Document
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tarrantvalley')
PANDOC = '/usr/bin/pandoc'
SOFFICE = '/usr/bin/soffice'


def build_docx(spec, path):
    d = docxlib.new_doc(spec['title'], spec['code'], spec['cls'], spec['footer'], meta=spec.get('meta'))
    docxlib.blocks(d, spec['body'])
    d.save(path)


def build_pdfs():
    tmp = tempfile.mkdtemp()
    for spec in PDFS:
        src = os.path.join(tmp, spec['file'] + '.docx')
        build_docx(spec, src)
        subprocess.run([SOFFICE, '--headless', '--convert-to', 'pdf', '--outdir', OUT, src], check=True,
                       stdout=subprocess.DEVNULL)
    shutil.rmtree(tmp)


def pandoc_docx(md, out, left, cls, note):
    subprocess.run([PANDOC, '-f', 'markdown-smart', os.path.join(HERE, md), '-o', out], check=True)
    d = Document(out)
    sec = d.sections[0]
    docxlib.header_footer(sec, left, cls.upper(), note)
    d.save(out)


def build_xlsx_common(ws, title, note, cols, rows, widths):
    thin = Side(style='thin', color='999999')
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cols))
    ws['A1'] = title
    ws['A1'].font = Font(bold=True, size=14, color='FFFFFF')
    ws['A1'].fill = PatternFill('solid', fgColor='0B4F6C')
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(cols))
    ws['A2'] = note
    ws['A2'].font = Font(italic=True, size=9)
    for i, c in enumerate(cols, 1):
        cell = ws.cell(row=3, column=i, value=c)
        cell.font = Font(bold=True); cell.fill = PatternFill('solid', fgColor='CFE2EA')
        cell.alignment = Alignment(wrap_text=True, vertical='top'); cell.border = Border(bottom=thin, top=thin, left=thin, right=thin)
    for r, row in enumerate(rows, 4):
        for i, v in enumerate(row, 1):
            cell = ws.cell(row=r, column=i, value=v)
            cell.alignment = Alignment(wrap_text=True, vertical='top'); cell.border = Border(bottom=thin, top=thin, left=thin, right=thin)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = 'B4'
    ws.auto_filter.ref = f'A3:{get_column_letter(len(cols))}{3 + len(rows)}'


def build_risk_register(path):
    wb = Workbook(); ws = wb.active; ws.title = 'Register'
    build_xlsx_common(ws, 'Tarrant Valley Water - AI Risk Register (CONFIDENTIAL)',
                      'As at 31 March 2026. Owner: Claire Donnelly, AI Governance Lead. Method: TVW-STD-077 v1.1. Ratings are residual.',
                      RISK_COLS, RISKS, [8, 18, 45, 10, 12, 10, 11, 45, 16, 24, 14, 16, 22])
    m = wb.create_sheet('Scoring matrix')
    m['A1'] = 'Risk score = Likelihood x Consequence (TVW-STD-077)'; m['A1'].font = Font(bold=True)
    m.merge_cells('A1:G1')
    cons = ['1 Insignificant', '2 Minor', '3 Moderate', '4 Major', '5 Severe']
    liks = ['5 Almost certain', '4 Likely', '3 Possible', '2 Unlikely', '1 Rare']
    m['A3'] = 'Likelihood \\ Consequence'
    fills = {'Low': 'C6EFCE', 'Medium': 'FFEB9C', 'High': 'F8CBAD', 'Extreme': 'FF7C80'}
    for j, c in enumerate(cons): m.cell(row=3, column=j + 2, value=c).font = Font(bold=True)
    for i, l in enumerate(liks):
        m.cell(row=4 + i, column=1, value=l).font = Font(bold=True)
        lv = 5 - i
        for j in range(5):
            s = lv * (j + 1)
            rt = 'Low' if s <= 4 else 'Medium' if s <= 9 else 'High' if s <= 16 else 'Extreme'
            c = m.cell(row=4 + i, column=j + 2, value=f'{s} {rt}')
            c.fill = PatternFill('solid', fgColor=fills[rt])
    m['A10'] = 'Rating'; m['B10'] = 'Score'; m['C10'] = 'Who may accept'; m['D10'] = 'Review at least'
    for c in ('A10', 'B10', 'C10', 'D10'): m[c].font = Font(bold=True)
    for r, row in enumerate([['Low', '1 to 4', 'System owner', 'Annually'], ['Medium', '5 to 9', 'General Manager', 'Every six months'],
                             ['High', '10 to 16', 'Chief Information and Digital Officer', 'Quarterly'],
                             ['Extreme', '20 to 25', 'Managing Director (report to BARC)', 'Monthly']], 11):
        for i, v in enumerate(row, 1): m.cell(row=r, column=i, value=v)
    for col, w in zip('ABCDEF', [24, 18, 36, 18, 14, 14]): m.column_dimensions[col].width = w
    wb.save(path)


def build_ca_log(path):
    wb = Workbook(); ws = wb.active; ws.title = 'Open actions'
    open_rows = [r for r in CAS if r[6] != 'Closed']
    build_xlsx_common(ws, 'Tarrant Valley Water - AIMS Corrective Action Log (CONFIDENTIAL)',
                      'As at 31 March 2026. Owner: Claire Donnelly, AI Governance Lead. Reported monthly to the AI Governance Committee.',
                      CA_COLS, open_rows, [12, 16, 50, 20, 16, 14, 12, 50])
    c = wb.create_sheet('Closed actions')
    closed = CLOSED + [r for r in CAS if r[6] == 'Closed' and r[0] not in {x[0] for x in CLOSED}]
    build_xlsx_common(c, 'Closed corrective actions', 'Closed actions are kept for 7 years.', CA_COLS, closed, [12, 16, 50, 20, 16, 14, 12, 50])
    wb.save(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    build_pdfs()
    build_docx(MINUTES, os.path.join(OUT, MINUTES['file'] + '.docx'))
    pandoc_docx('ai-risk-assessment-method.md', os.path.join(OUT, 'ai-risk-assessment-method.docx'), 'Tarrant Valley Water  |  TVW-STD-077  |  AI Risk Assessment Method', 'Internal', 'Uncontrolled when printed.')
    pandoc_docx('leakwatch-release-notes-4.2.md', os.path.join(OUT, 'leakwatch-release-notes-4.2.docx'), 'Sonaris Analytics  |  LeakWatch 4.2 Release Notes', 'For LeakWatch customers', 'Copyright 2026 Sonaris Analytics Pty Ltd. Supplied to customers under licence.')
    build_risk_register(os.path.join(OUT, 'ai-risk-register.xlsx'))
    build_ca_log(os.path.join(OUT, 'corrective-action-log.xlsx'))
    print('built:', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    main()
