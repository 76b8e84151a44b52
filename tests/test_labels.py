"""Classification: labels file, then front matter or file metadata, then an in-text marker, then internal."""

from __future__ import annotations

import io

import pytest

from assistant.core.labels import (
    LabelRules,
    LabelsFileError,
    label_from_marker,
    label_from_rules,
    load_label_patterns,
    resolve_label,
    top_rules,
)
from assistant.core.models import Label
from assistant.retrieval.parsing import parse_bytes


def _label(source, data, patterns=()):
    doc = parse_bytes(data, source)
    origin = "front matter" if doc.format == "markdown" else "document metadata"
    return resolve_label(source, top_rules(patterns), doc.metadata_label, origin, doc.header_text)


def test_rule_order_on_markdown():
    md = b"---\nclassification: public\n---\n# Note\n\nClassification: Restricted\n\nSome text here for the body.\n"
    assert _label("notes/a.md", md) == (Label.PUBLIC, "front matter")
    assert _label("notes/a.md", md, [("notes/*", Label.CONFIDENTIAL)]) == (Label.CONFIDENTIAL, "labels file")
    no_front = b"# Note\n\nClassification: Restricted\n\nSome text here for the body.\n"
    assert _label("a.md", no_front) == (Label.RESTRICTED, "marker in text")
    plain = b"# Note\n\nNothing sensitive is written here at all.\n"
    assert _label("a.md", plain) == (Label.INTERNAL, "default")


def test_shouted_words_only_raise_sensitivity():
    assert label_from_marker("STRICTLY CONFIDENTIAL - board only") == Label.CONFIDENTIAL
    assert label_from_marker("INTERNAL AUDIT REPORT for the PUBLIC SECTOR team") is None
    assert label_from_marker("This document is classified: public") == Label.PUBLIC
    assert label_from_marker("Our confidential process") is None


def _docx(category=None, first_line="Hello"):
    import docx

    document = docx.Document()
    if category:
        document.core_properties.category = category
    document.add_paragraph(first_line)
    document.add_paragraph("The body of the memo with enough words to be a block.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_core_properties_then_marker():
    assert _label("m.docx", _docx(category="Restricted")) == (Label.RESTRICTED, "document metadata")
    assert _label("m.docx", _docx(first_line="CONFIDENTIAL")) == (Label.CONFIDENTIAL, "marker in text")


def _pdf(header=None, classification=None):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if classification:
        pdf.setKeywords(f"classification: {classification}")
    for page in range(3):
        if header:
            pdf.drawString(72, 800, header)
        words = ["approval", "monitoring", "fairness", "suppliers", "incidents", "training", "records"]
        for line in range(5):
            topic = words[(page + line) % len(words)]
            pdf.drawString(72, 700 - 20 * line, f"The committee reviews {topic} for every model ({page}, {line}).")
        pdf.drawString(72, 40, f"Page {page + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_metadata_then_page_header_marker():
    assert _label("r.pdf", _pdf(classification="public")) == (Label.PUBLIC, "document metadata")
    assert _label("r.pdf", _pdf(header="CONFIDENTIAL")) == (Label.CONFIDENTIAL, "marker in text")
    assert _label("r.pdf", _pdf()) == (Label.INTERNAL, "default")


def test_labels_file_is_validated(tmp_path):
    path = tmp_path / "aims-labels.toml"
    path.write_text('[labels]\n"hr/*" = "restricted"\n"*.csv" = "Confidential"\n')
    assert load_label_patterns(path) == [("hr/*", Label.RESTRICTED), ("*.csv", Label.CONFIDENTIAL)]
    path.write_text('[labels]\n"x" = "secret"\n')
    with pytest.raises(LabelsFileError, match="unknown label"):
        load_label_patterns(path)
    path.write_text("not = [valid")
    with pytest.raises(LabelsFileError, match="not valid TOML"):
        load_label_patterns(path)


def test_sample_organisation_labels(sample_index):
    assistant, _ = sample_index
    labels = {doc.source: (doc.label.value, doc.label_origin) for doc in assistant.status().documents}
    assert labels["management-review-minutes-2026-10.docx"] == ("confidential", "labels file")
    assert labels["internal-audit-report-2026.pdf"][0] == "confidential"
    assert labels["fraudlens-technical-annex.txt"][0] == "restricted"
    assert labels["ai-policy.pdf"] == ("public", "document metadata")
    assert labels["aims-scope-statement.md"] == ("internal", "front matter")
    assert labels["ai-system-inventory.csv"] == ("internal", "default")


def test_labels_files_in_sub_folders_can_only_restrict_further():
    """A sub-folder's globs are relative to it; across files the most sensitive match wins."""
    top = LabelRules("", (("minutes/*", Label.CONFIDENTIAL), ("*.csv", Label.PUBLIC)))
    minutes = LabelRules("minutes/", (("board.md", Label.PUBLIC), ("hr/*", Label.RESTRICTED)))
    rules = [top, minutes]
    assert label_from_rules("minutes/board.md", rules) == (Label.CONFIDENTIAL, "labels file")
    assert label_from_rules("minutes/hr/pay.md", rules) == (Label.RESTRICTED, "labels file in minutes/")
    assert label_from_rules("minutes/hr/pay.csv", [top, minutes]) == (Label.RESTRICTED, "labels file in minutes/")
    assert label_from_rules("report.csv", rules) == (Label.PUBLIC, "labels file")
    assert label_from_rules("other/board.md", [minutes]) is None  # not below minutes/: its rules do not reach
    assert label_from_rules("notes.md", rules) is None


def test_folder_labels_fingerprints_each_file_above_a_document(tmp_path):
    """The top file's digest is the one indexes were stored with before sub-folders had rules (so nothing
    is read again on upgrade); a sub-folder's digest covers where it sits, since its globs are relative."""
    from assistant.core.models import sha256_bytes
    from assistant.retrieval.folder_labels import FolderLabels

    top_text = b'[labels]\n"*.csv" = "confidential"\n'
    (tmp_path / "aims-labels.toml").write_bytes(top_text)
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "aims-labels.toml").write_bytes(top_text)
    labels = FolderLabels(tmp_path, "aims-labels.toml")
    top_rules_, top_fp = labels.for_source("notes.md")
    assert top_fp == f":{sha256_bytes(top_text)[:16]}" and [r.folder for r in top_rules_] == [""]
    rules, fingerprint = labels.for_source("hr/pay/sheet.csv")
    assert [r.folder for r in rules] == ["", "hr/"] and fingerprint.startswith(top_fp + ":")
    assert fingerprint != top_fp + top_fp  # the same bytes one folder down are another rule
    assert FolderLabels(tmp_path / "hr" / "..", "absent.toml").for_source("hr/x.md") == ([], "")
