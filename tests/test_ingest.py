"""Incremental, safe ingestion with the real model and a real Chroma store."""

from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO, SAMPLE

DOC_A = """---
title: Model Release Procedure
classification: internal
---
# Model Release Procedure

## 1 Approval

Every model release is approved by the review board before deployment to customers.
The board meets every second Wednesday and keeps minutes of each decision.

## 2 Monitoring

Production models are monitored daily for drift and the on-call engineer is paged when drift exceeds 0.3.
"""

DOC_B = """# Vendor Checklist

Each vendor completes a security questionnaire before onboarding.
Contracts forbid vendors from training models on our data.
"""

DOC_C = """Staff Guidance on Chatbots

1. Purpose

Staff may use the approved assistant for drafting emails but never for customer personal data.

2. Reporting

Report any strange chatbot output to the service desk within one working day.
"""


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "release.md").write_text(DOC_A)
    (root / "vendors.md").write_text(DOC_B)
    (root / "guidance.txt").write_text(DOC_C)
    return root


def _consistent(assistant):
    """Chroma holds exactly the committed chunks: no stale duplicates, no orphans."""
    catalog_ids = assistant.manifest.all_chunk_ids()
    assert assistant.vectors.ids() == catalog_ids
    assert assistant.vectors.count() == len(catalog_ids), "a chunk sits in two label collections"
    return catalog_ids


def test_incremental_add_unchanged_change_delete_rename(corpus, tmp_path, make_assistant):
    assistant = make_assistant(tmp_path / "home")
    first = assistant.ingest([corpus])
    assert sorted(first.added) == ["guidance.txt", "release.md", "vendors.md"]
    assert first.chunks_embedded == first.chunks_added > 0 and first.exit_code == 0
    _consistent(assistant)

    again = assistant.ingest([corpus])
    assert sorted(again.unchanged) == ["guidance.txt", "release.md", "vendors.md"]
    assert again.chunks_embedded == 0 and again.chunks_added == 0

    (corpus / "release.md").write_text(DOC_A.replace("exceeds 0.3", "exceeds 0.25 for two days"))
    changed = assistant.ingest([corpus])
    assert changed.updated == ["release.md"] and changed.chunks_embedded >= 1
    ids = _consistent(assistant)
    texts = [c.text for c in assistant.manifest.chunks_by_id(sorted(ids)).values()]
    assert not any("exceeds 0.3" in t for t in texts) and any("0.25 for two days" in t for t in texts)

    (corpus / "vendors.md").unlink()
    removed = assistant.ingest([corpus])
    assert removed.removed == ["vendors.md"] and removed.chunks_removed > 0
    ids = _consistent(assistant)
    assert all(c.source != "vendors.md" for c in assistant.manifest.chunks_by_id(sorted(ids)).values())

    (corpus / "guidance.txt").rename(corpus / "staff-guidance.txt")
    renamed = assistant.ingest([corpus])
    assert [(r.old, r.new) for r in renamed.renamed] == [("guidance.txt", "staff-guidance.txt")]
    assert renamed.chunks_embedded == 0 and not renamed.added and not renamed.removed
    _consistent(assistant)
    assert {d.source for d in assistant.status().documents} == {"release.md", "staff-guidance.txt"}


def _filed(assistant):
    """(folder, source) of every indexed document: one pair per file when nothing is indexed twice."""
    return sorted((Path(d.root).name, d.source) for d in assistant.status().documents)


def test_a_folder_inside_an_indexed_folder_is_filed_under_it(corpus, tmp_path, make_assistant):
    """Ingesting a sub-folder (or one file in it) of an indexed folder updates that folder's copies, never
    a second copy that would go stale and still be quoted; only the sub-folder's part is brought up to date."""
    (corpus / "policies").mkdir()
    (corpus / "policies" / "vendors.md").write_text(DOC_B)
    (corpus / "policies" / "guidance.txt").write_text(DOC_C)
    assistant = make_assistant(tmp_path / "home")
    assistant.ingest([corpus])
    whole = _filed(assistant)

    again = assistant.ingest([corpus / "policies"])
    assert again.roots == [str(corpus.resolve())] and again.added == [] and again.chunks_embedded == 0
    assert sorted(again.unchanged) == ["policies/guidance.txt", "policies/vendors.md"]
    assert _filed(assistant) == whole

    (corpus / "policies" / "vendors.md").write_text(DOC_B.replace("security questionnaire", "privacy review"))
    (corpus / "policies" / "guidance.txt").unlink()
    part = assistant.ingest([corpus / "policies"])
    assert part.updated == ["policies/vendors.md"] and part.removed == ["policies/guidance.txt"]
    assert {source for _, source in _filed(assistant)} == {"release.md", "vendors.md", "guidance.txt",
                                                            "policies/vendors.md"}  # the rest untouched
    texts = [c.text for c in assistant.manifest.chunks_by_id(sorted(_consistent(assistant))).values()]
    assert not any("security questionnaire" in t for t in texts if "policies" in t)

    (corpus / "policies" / "guidance.txt").write_text(DOC_C)
    one = assistant.ingest([corpus / "policies" / "guidance.txt"])
    assert one.added == ["policies/guidance.txt"] and one.chunks_embedded == 0  # its vectors were cached
    assert len(_filed(assistant)) == 5 and len({folder for folder, _ in _filed(assistant)}) == 1
    _consistent(assistant)


def test_an_indexed_folder_inside_a_new_one_moves_into_it(corpus, tmp_path, make_assistant):
    """Ingesting the folder around an indexed one files its documents once, under the outer folder,
    re-using their vectors; a file the outer walk does not reach (a hidden folder) keeps its place."""
    inner = corpus / "policies"
    inner.mkdir()
    (inner / "vendors.md").write_text(DOC_B)
    hidden = corpus / ".drafts"
    hidden.mkdir()
    (hidden / "guidance.txt").write_text(DOC_C)
    assistant = make_assistant(tmp_path / "home")
    assistant.ingest([inner, hidden])
    outer = assistant.ingest([corpus])
    assert [(r.old, r.new) for r in outer.renamed] == [(f"{inner.resolve()}/vendors.md", "policies/vendors.md")]
    assert outer.removed == [] and sorted(outer.added) == ["guidance.txt", "release.md", "vendors.md"]
    assert _filed(assistant) == [(".drafts", "guidance.txt"), ("corpus", "guidance.txt"),
                                 ("corpus", "policies/vendors.md"), ("corpus", "release.md"), ("corpus", "vendors.md")]
    _consistent(assistant)
    assert assistant.ingest([corpus]).renamed == []  # settled: nothing moves twice


def test_duplicates_an_older_version_left_are_removed_at_the_next_ingest(corpus, tmp_path, make_assistant,
                                                                         monkeypatch):
    """A data dir where a sub-folder was indexed as a folder of its own (as before) loses that copy."""
    from assistant.retrieval.ingest_plan import Planner

    (corpus / "policies").mkdir()
    (corpus / "policies" / "vendors.md").write_text(DOC_B)
    assistant = make_assistant(tmp_path / "home")
    assistant.ingest([corpus])
    with monkeypatch.context() as old_behaviour:
        old_behaviour.setattr(Planner, "indexed_folder_above", lambda self, folder: None)
        assistant.ingest([corpus / "policies"])
    assert ("policies", "vendors.md") in _filed(assistant)  # the duplicate an older version made
    cleaned = assistant.ingest([corpus])
    assert cleaned.removed == [f"{(corpus / 'policies').resolve()}/vendors.md"] and not cleaned.added
    assert [folder for folder, _ in _filed(assistant)] == ["corpus"] * 4
    _consistent(assistant)


def test_a_folder_and_its_sub_folder_in_one_run_are_filed_once(corpus, tmp_path, make_assistant):
    (corpus / "policies").mkdir()
    (corpus / "policies" / "vendors.md").write_text(DOC_B)
    for order in ([corpus, corpus / "policies"], [corpus / "policies", corpus]):
        assistant = make_assistant(tmp_path / f"home-{len(order[0].parts)}")
        report = assistant.ingest(order)
        assert report.exit_code == 0
        assert _filed(assistant) == [("corpus", "guidance.txt"), ("corpus", "policies/vendors.md"),
                                     ("corpus", "release.md"), ("corpus", "vendors.md")]
        _consistent(assistant)


BOARD = """# Board Minutes

The board approved the redundancy plan for the claims team and the new pay bands.
"""


def _labels_of(assistant):
    return {d.source: (d.label.value, d.label_origin) for d in assistant.status().documents}


def _sources_reached(assistant, role, question):
    """The documents a role's search reaches for a question (its candidates, which every later stage draws on)."""
    return {c.source for c in assistant.evidence(question, assistant.labels_for(role)).searched}


def test_a_sub_folders_labels_file_governs_its_documents(corpus, tmp_path, make_assistant):
    """A labels file below the top applies to its folder (globs relative to it), also when only that
    sub-folder is ingested; it can restrict further but never lower a label the top file gives."""
    minutes = corpus / "minutes"
    (minutes / "hr").mkdir(parents=True)
    (minutes / "board.md").write_text(BOARD)
    (minutes / "hr" / "pay.md").write_text(BOARD.replace("Board", "Pay"))
    (minutes / "aims-labels.toml").write_text('[labels]\n"*" = "restricted"\n')
    (corpus / "aims-labels.toml").write_text('[labels]\n"vendors.md" = "confidential"\n"minutes/*" = "public"\n')
    assistant = make_assistant(tmp_path / "home")
    first = assistant.ingest([corpus])
    assert first.exit_code == 0 and not first.skipped
    assert _labels_of(assistant) == {
        "guidance.txt": ("internal", "default"), "release.md": ("internal", "front matter"),
        "vendors.md": ("confidential", "labels file"),
        "minutes/board.md": ("restricted", "labels file in minutes/"),
        "minutes/hr/pay.md": ("restricted", "labels file in minutes/")}
    _consistent(assistant)
    minuted = {"minutes/board.md", "minutes/hr/pay.md"}
    assert minuted <= _sources_reached(assistant, "auditor", "board redundancy plan pay bands")
    assert not minuted & _sources_reached(assistant, "staff", "board redundancy plan pay bands")

    # Only what the changed file governs is read again; its vectors move collection, none re-embedded.
    (minutes / "aims-labels.toml").write_text('[labels]\n"hr/*" = "confidential"\n')
    changed = assistant.ingest([corpus])
    assert sorted(changed.updated) == ["minutes/board.md", "minutes/hr/pay.md"] and changed.chunks_embedded == 0
    assert sorted(changed.unchanged) == ["guidance.txt", "release.md", "vendors.md"]
    labels = _labels_of(assistant)
    assert labels["minutes/hr/pay.md"] == ("confidential", "labels file in minutes/")
    assert labels["minutes/board.md"] == ("public", "labels file")  # nothing below restricts it now
    _consistent(assistant)

    # The sub-folder alone, filed under the indexed folder, is read under both files' rules.
    (minutes / "aims-labels.toml").write_text('[labels]\n"*" = "restricted"\n')
    alone = assistant.ingest([minutes])
    assert alone.exit_code == 0 and sorted(alone.updated) == ["minutes/board.md", "minutes/hr/pay.md"]
    assert _labels_of(assistant)["minutes/board.md"] == ("restricted", "labels file in minutes/")
    assert _filed(assistant)[0][0] == "corpus" and len(_filed(assistant)) == 5
    _consistent(assistant)


def test_a_broken_labels_file_holds_what_it_governs_as_restricted(corpus, tmp_path, make_assistant):
    """An invalid labels file in a sub-folder: the files it governs are indexed, or kept, as restricted, each
    reported with the reason, until it is fixed; nothing else is touched, and neither breaking nor fixing it
    embeds anything again. A label it gave before is never left standing while the file is invalid."""
    minutes = corpus / "minutes"
    minutes.mkdir()
    (minutes / "board.md").write_text(BOARD)
    rules = minutes / "aims-labels.toml"
    rules.write_text('[labels]\n"*" = "secret"\n')
    question = "board redundancy plan pay bands"
    assistant = make_assistant(tmp_path / "home")
    report = assistant.ingest([corpus])
    assert report.exit_code == 3 and not report.failed
    assert sorted(report.added) == ["guidance.txt", "minutes/board.md", "release.md", "vendors.md"]
    assert [f.source for f in report.withheld] == ["minutes/board.md"]
    reason = report.withheld[0].reason
    assert "labels file minutes/aims-labels.toml" in reason and "unknown label 'secret'" in reason
    assert reason.endswith("held as restricted until it is fixed")
    withheld = ("restricted", "withheld: labels file minutes/aims-labels.toml is invalid")
    assert _labels_of(assistant)["minutes/board.md"] == withheld
    assert _labels_of(assistant)["guidance.txt"] == ("internal", "default")
    assert "minutes/board.md" in _sources_reached(assistant, "auditor", question)
    assert "minutes/board.md" not in _sources_reached(assistant, "staff", question)
    again = assistant.ingest([corpus])  # still invalid: still reported, nothing read again
    assert len(again.unchanged) == 4 and [f.source for f in again.withheld] == ["minutes/board.md"]
    assert again.exit_code == 3 and again.chunks_embedded == 0

    rules.write_text('[labels]\n"*" = "public"\n')
    mended = assistant.ingest([corpus])
    assert mended.exit_code == 0 and mended.updated == ["minutes/board.md"] and mended.chunks_embedded == 0
    assert not mended.withheld and not assistant.status().failures
    assert _labels_of(assistant)["minutes/board.md"] == ("public", "labels file in minutes/")
    assert "minutes/board.md" in _sources_reached(assistant, "staff", question)
    _consistent(assistant)

    # Broken again while the document is indexed as public: it does not stay public.
    rules.write_text('[labels]\n"*" = "secret"\n')
    broken = assistant.ingest([corpus])
    assert broken.updated == ["minutes/board.md"] and broken.chunks_embedded == 0 and broken.exit_code == 3
    assert _labels_of(assistant)["minutes/board.md"] == withheld
    assert "minutes/board.md" not in _sources_reached(assistant, "staff", question)
    _consistent(assistant)
    record = next(d for d in assistant.manifest.documents() if d.source == "minutes/board.md")
    assert assistant.manifest.document(record.root, record.source) == record  # the lookup by key
    assert assistant.manifest.document(record.root, "minutes/none.md") is None

    # Fixed to public, then broken while the document itself can no longer be read: its last good version is
    # kept (a failed file loses nothing) and held as restricted with it.
    rules.write_text('[labels]\n"*" = "public"\n')
    assistant.ingest([corpus])
    rules.write_text("[labels\n")
    (minutes / "board.md").write_bytes(b"\x00\x89PNG\x00\x00" * 500)
    both = assistant.ingest([corpus])
    assert [f.source for f in both.failed] == ["minutes/board.md"] and "binary" in both.failed[0].reason
    assert [f.source for f in both.withheld] == ["minutes/board.md"] and not both.updated
    assert "not valid TOML" in both.withheld[0].reason
    assert _labels_of(assistant)["minutes/board.md"] == withheld
    assert "minutes/board.md" in _sources_reached(assistant, "auditor", question)
    assert "minutes/board.md" not in _sources_reached(assistant, "staff", question)
    _consistent(assistant)


def test_touched_file_and_labels_change(corpus, tmp_path, make_assistant):
    assistant = make_assistant(tmp_path / "home")
    assistant.ingest([corpus])
    os.utime(corpus / "vendors.md", ns=(1, 1))
    touched = assistant.ingest([corpus])
    assert "vendors.md" in touched.unchanged and touched.chunks_embedded == 0
    (corpus / "aims-labels.toml").write_text('[labels]\n"vendors.md" = "confidential"\n')
    relabelled = assistant.ingest([corpus])
    assert relabelled.chunks_embedded == 0
    labels = {d.source: d.label.value for d in assistant.status().documents}
    assert labels["vendors.md"] == "confidential" and labels["release.md"] == "internal"
    chunk_labels = {c.label.value for c in assistant.manifest.chunks_by_id(sorted(_consistent(assistant))).values()
                    if c.source == "vendors.md"}
    assert chunk_labels == {"confidential"}


def test_a_new_reading_version_re_reads_every_file_and_embeds_only_changed_text(corpus, tmp_path, make_assistant,
                                                                                monkeypatch):
    """An index built by an older parser is re-read on the next ingest, so a parsing fix reaches it."""
    import assistant.retrieval.ingest as ingest_module
    from assistant.retrieval import parsing

    assistant = make_assistant(tmp_path / "home")
    assistant.ingest([corpus])
    monkeypatch.setattr(ingest_module, "READING", parsing.READING + 1)
    reread = assistant.ingest([corpus])
    assert sorted(reread.updated) == ["guidance.txt", "release.md", "vendors.md"]
    assert reread.chunks_embedded == 0  # the same text: cached vectors reused
    assert sorted(assistant.ingest([corpus]).unchanged) == ["guidance.txt", "release.md", "vendors.md"]
    _consistent(assistant)


def test_a_file_read_differently_gets_new_vectors_under_its_old_chunk_ids(corpus, tmp_path, make_assistant,
                                                                         monkeypatch):
    """The same bytes keep their chunk ids; what a new reader makes of them must replace the stored vectors.

    Chroma's add keeps an existing id's vector, so before the vector index replaced ids it kept the old
    reading's vectors under the new text (found when Kestrel Bay's PDFs lost their running headers).
    """
    import numpy as np

    import assistant.retrieval.ingest as ingest_module
    import assistant.retrieval.ingest_read as read_module
    from assistant.retrieval import parsing

    assistant = make_assistant(tmp_path / "home")
    assistant.ingest([corpus])
    ids = sorted(assistant.manifest.all_chunk_ids())
    before = {c.id: c.text for c in assistant.manifest.chunks_by_id(ids).values()}
    real_parse = read_module.parse_bytes

    def new_reader(data, name):
        parsed = real_parse(data, name)
        if name != "release.md":
            return parsed
        return parsing.parse_bytes(data.replace(b"review board", b"model approval board"), name)

    monkeypatch.setattr(read_module, "parse_bytes", new_reader)
    monkeypatch.setattr(ingest_module, "READING", parsing.READING + 1)
    assistant.ingest([corpus])
    chunks = assistant.manifest.chunks_by_id(sorted(_consistent(assistant)))
    changed = [c for c in chunks.values() if c.id in before and before[c.id] != c.text]
    assert changed and all("model approval board" in c.text for c in changed)  # same ids, new text
    cached = assistant.manifest.cached_vectors(assistant.embedder.model_id, [c.chunk_hash for c in chunks.values()])
    for label in ("internal",):
        for stored, vector in assistant.vectors.chunks(label, sorted(chunks)):
            assert stored.text == chunks[stored.id].text
            assert np.allclose(vector, cached[chunks[stored.id].chunk_hash][0], atol=1e-5), stored.id


def test_broken_top_labels_file_fails_closed(corpus, tmp_path, make_assistant):
    """The whole folder is held as restricted: indexed, so the fix embeds nothing, and shown to no role that
    may not see restricted documents."""
    (corpus / "aims-labels.toml").write_text("[labels\n")
    assistant = make_assistant(tmp_path / "home")
    report = assistant.ingest([corpus])
    assert report.exit_code == 3 and not report.failed
    assert sorted(f.source for f in report.withheld) == ["guidance.txt", "release.md", "vendors.md"]
    assert all("labels file aims-labels.toml is not valid TOML" in f.reason for f in report.withheld)
    assert {label for label, _ in _labels_of(assistant).values()} == {"restricted"}
    assert not _sources_reached(assistant, "staff", "vendor questionnaire chatbot model release")
    assert not _sources_reached(assistant, "implementer", "vendor questionnaire chatbot model release")
    (corpus / "aims-labels.toml").write_text('[labels]\n"vendors.md" = "confidential"\n')
    mended = assistant.ingest([corpus])
    assert mended.exit_code == 0 and len(mended.updated) == 3 and mended.chunks_embedded == 0
    assert _labels_of(assistant)["vendors.md"] == ("confidential", "labels file")
    assert _labels_of(assistant)["release.md"] == ("internal", "front matter")
    _consistent(assistant)


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(SAMPLE / "ai-policy.pdf")).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_bad_files_never_stop_the_batch(corpus, tmp_path, make_assistant):
    bad = {
        "zero.pdf": b"",
        "random.pdf": os.urandom(4096),
        "truncated.pdf": (SAMPLE / "ai-policy.pdf").read_bytes()[:1500],
        "locked.pdf": _encrypted_pdf(),
        "notword.docx": b"plain text pretending to be a word document",
        "binary.md": b"\x00\x89PNG\x00\x00" * 500,
        "big.txt": b"word " * 30000,
    }
    for name, data in bad.items():
        (corpus / name).write_bytes(data)
    (corpus / "long-line.txt").write_text("Release approvals are logged by the board secretary. " * 1500)
    (corpus / "loop.md").symlink_to(corpus / "loop.md")
    (corpus / "dangling.md").symlink_to(corpus / "missing-target.md")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "back").symlink_to(corpus, target_is_directory=True)
    (corpus / "image.png").write_bytes(b"\x89PNG")
    unreadable = corpus / "secret.md"
    unreadable.write_text("# Secret\n\nUnreadable body text for the permission test.\n")
    unreadable.chmod(0)
    as_root = os.geteuid() == 0

    assistant = make_assistant(tmp_path / "home", max_file_mb=0.1)
    report = assistant.ingest([corpus])
    reasons = {f.source: f.reason for f in report.failed}
    assert "empty" in reasons["zero.pdf"]
    assert "not a PDF" in reasons["random.pdf"]
    assert "truncated.pdf" in reasons and reasons["truncated.pdf"]
    assert "password" in reasons["locked.pdf"]
    assert "not a valid DOCX" in reasons["notword.docx"]
    assert "binary" in reasons["binary.md"]
    assert "too large" in reasons["big.txt"]
    assert "symlink loop" in reasons["loop.md"]
    assert "broken symlink" in reasons["dangling.md"]
    if not as_root:  # root reads a mode-000 file, so there is nothing to refuse
        assert "permission denied" in reasons["secret.md"]
    assert {s.source for s in report.skipped} >= {"image.png"}
    added = set(report.added)
    assert {"release.md", "vendors.md", "guidance.txt", "long-line.txt"} <= added
    assert not added & set(bad)
    assert report.exit_code == 3
    _consistent(assistant)
    status = assistant.status()
    assert {f.source for f in status.failures} >= set(bad)

    for name in bad:
        (corpus / name).unlink()
    (corpus / "loop.md").unlink()
    (corpus / "dangling.md").unlink()
    unreadable.chmod(0o644)
    shutil.rmtree(corpus / "sub")
    clean = assistant.ingest([corpus])
    assert clean.exit_code == 0 and assistant.status().failures == []


def _cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=timeout, cwd=REPO)


def test_cli_ingest_json_and_exit_codes(corpus, tmp_path):
    import json

    home = tmp_path / "cli-home"
    ok = _cli("ingest", str(corpus), "--index", str(home), "--json")
    assert ok.returncode == 0, ok.stderr
    summary = json.loads(ok.stdout)
    assert set(summary) >= {"added", "updated", "removed", "renamed", "unchanged", "failed", "chunks_added"}
    assert sorted(summary["added"]) == ["guidance.txt", "release.md", "vendors.md"]
    assert ok.stderr == ""  # no progress bar under --json

    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7 broken")
    partial = _cli("ingest", str(corpus), "--index", str(home), "--json")
    assert partial.returncode == 3
    assert json.loads(partial.stdout)["failed"][0]["source"] == "broken.pdf"

    assert _cli("ingest", str(tmp_path / "nope"), "--index", str(home)).returncode == 2
    assert _cli("ingest").returncode == 2
    status = _cli("status", "--index", str(home), "--json")
    payload = json.loads(status.stdout)
    assert {d["source"] for d in payload["documents"]} == {"guidance.txt", "release.md", "vendors.md"}
    assert payload["failures"][0]["source"] == "broken.pdf"


def _committed_documents(home) -> int:
    path = home / "catalog.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkill_mid_ingest_then_resume(tmp_path, make_assistant):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE, corpus)
    home = tmp_path / "killed-home"
    env = {**os.environ, "AIMS_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(corpus), "--json"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _committed_documents(home) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assistant = make_assistant(home)
    held = {d.source for d in assistant.status().documents}
    assert 3 <= len(held) < 19
    answer = assistant.ask("Who approves exceptions to the acceptable-use policy?", role="auditor")
    assert answer.citations is not None  # the index answers for what it held
    assert all(c.source in held for c in answer.citations)

    report = assistant.ingest([corpus])
    assert set(report.unchanged) == held and report.exit_code == 0
    assert {d.source for d in assistant.status().documents} == {
        p.name for p in SAMPLE.iterdir() if p.name != "aims-labels.toml"
    }
    _consistent(assistant)
    assert len(assistant.manifest.all_chunk_ids()) == assistant.vectors.count()
