"""Team mode across machines: each client has its own data dir (its own manifest, BM25 and vector
cache) and one real `chroma run` server holds the truth.

"Machines" are Assistants with different data dirs and client names; nothing but the server is shared.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from assistant.config import load_settings
from assistant.core.models import TeamModeError
from assistant.service import Assistant

from .conftest import REPO, SAMPLE, running_chroma

QUESTIONS = [("How often are Tier 1 AI suppliers reassessed?", "staff"),
             ("Which AI tool may I use to make images?", "staff"),
             ("What did the auditors find about supplier reassessment?", "auditor"),
             ("What contract clauses must AI suppliers accept?", "implementer")]


def _machine(home, url, name, embedder, **overrides) -> Assistant:
    return Assistant(load_settings(index=home, chroma_url=url, client_name=name, **overrides), embedder=embedder)


def _docs(assistant: Assistant) -> list[tuple]:
    return [(d.root, d.source, d.doc_hash, d.label, d.chunk_count, d.title) for d in assistant.status().documents]


def _server_ids(assistant: Assistant) -> set[str]:
    return assistant.vectors.ids()


def _count_state_reads(assistant: Assistant) -> list:
    """Record the ids each read of the server's state asks for (None: the whole small collection)."""
    reads: list = []
    original = assistant.team.state.get
    assistant.team.state.get = lambda *a, **k: reads.append(k.get("ids")) or original(*a, **k)
    return reads


def _committed_ids(assistant: Assistant) -> set[str]:
    return {cid for remote in assistant.team.documents().values() for cid in remote.chunk_ids}


@pytest.fixture(scope="module")
def team(tmp_path_factory, embedder):
    """One server; machine A (alpha) ingested three sample documents, one of them confidential."""
    base = tmp_path_factory.mktemp("team")
    corpus = base / "corpus"
    corpus.mkdir()
    for name in ("ai-acceptable-use-policy.docx", "supplier-due-diligence-procedure.md",
                 "internal-audit-report-2026.pdf", "aims-labels.toml"):
        shutil.copy2(SAMPLE / name, corpus / name)
    with running_chroma(base / "server") as url:
        alpha = _machine(base / "alpha", url, "alpha", embedder)
        report = alpha.ingest([corpus])
        assert report.exit_code == 0 and len(report.added) == 3
        yield url, alpha, base
        alpha.close()


def _quote_from(assistant: Assistant, source: str) -> str:
    """A sentence of the document's first chunk (verbatim), to link as evidence."""
    doc = next(d for d in assistant.status().documents if d.source == source)
    chunk = min(assistant.checklist._chunks_of(doc), key=lambda c: c.ordinal)
    return max(chunk.text.split("\n"), key=len).strip()[:160]


def test_second_machine_rebuilds_the_corpus_and_sees_the_same_answers_and_evidence(team, embedder):
    url, alpha, base = team
    quote = _quote_from(alpha, "supplier-due-diligence-procedure.md")
    alpha.checklist_set("A.10.3", author="alice", status="partial", owner="Procurement")
    link = alpha.checklist_link("A.10.3", "supplier-due-diligence-procedure.md", quote, author="alice")

    bravo = _machine(base / "bravo", url, "bravo", embedder)
    try:
        assert not (bravo.home / "catalog.sqlite").exists()
        assert _docs(bravo) == _docs(alpha)  # status on B syncs the manifest from the server
        assert all(root.startswith("alpha:") for root, *_ in _docs(bravo))
        status = bravo.status()
        assert status.chunks == alpha.manifest.chunk_count() == status.vectors
        assert bravo.document_texts() == alpha.document_texts()  # the source viewer's text
        for question, role in QUESTIONS:
            assert bravo.ask(question, role=role).model_dump() == alpha.ask(question, role=role).model_dump()
        assert (bravo.home / "bm25" / "chunks.json").exists()
        assert bravo.lexical().fingerprint == alpha.lexical().fingerprint
        staff = bravo.ask("What did the auditors find about supplier reassessment?", role="staff")
        assert all(c.source != "internal-audit-report-2026.pdf" for c in staff.citations)

        row = bravo.checklist_row("A.10.3")
        assert row.status == "partial" and row.owner == "Procurement"
        assert [(li.source, li.quote, li.stale) for li in row.links] == [(link.source, link.quote, False)]
        assert row == alpha.checklist_row("A.10.3")
        assert quote in bravo.document_texts()["supplier-due-diligence-procedure.md"][1]
        # B links evidence too, checked against its rebuilt copy of the text; A sees it
        bravo.checklist_link("A.10.3", "ai-acceptable-use-policy.docx",
                             _quote_from(bravo, "ai-acceptable-use-policy.docx"), author="bob")
        assert len(alpha.checklist_row("A.10.3").links) == 2
        assert alpha.assessments.audit_trail() == bravo.assessments.audit_trail()
    finally:
        bravo.close()

    # a third machine, through the real command line (status and checklist need no model)
    env = {**os.environ, "AIMS_HOME": str(base / "charlie"), "AIMS_CLIENT_NAME": "charlie"}
    shown = subprocess.run([sys.executable, "-m", "assistant", "status", "--json", "--chroma-url", url],
                           capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert shown.returncode == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert [(d["root"], d["source"], d["doc_hash"]) for d in payload["documents"]] == [d[:3] for d in _docs(alpha)]
    item = subprocess.run([sys.executable, "-m", "assistant", "checklist", "show", "A.10.3", "--json", "--chroma-url",
                           url], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert item.returncode == 0, item.stderr
    links = json.loads(item.stdout)["row"]["links"]
    assert [(li["created_by"], li["stale"]) for li in links] == [("alice", False), ("bob", False)]


def _write(folder, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def _flat(text: str) -> str:
    """Whitespace as single spaces: a Markdown paragraph's soft line breaks are spaces in its canonical text."""
    return " ".join(text.split())


BOARD = "# Board Procedure\n\n## Meetings\n\nThe review board meets every Monday morning in Leeds.\n"
CANTEEN = "# Canteen\n\nThe canteen opens at eight and closes at four every weekday.\n"
PARKING = "# Parking\n\nStaff parking permits are renewed every January at reception.\n"


def test_a_stale_copy_catches_up_and_a_current_one_costs_one_read(fresh_chroma, tmp_path, embedder):
    corpus = tmp_path / "corpus"
    _write(corpus, {"board.md": BOARD, "canteen.md": CANTEEN})
    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    bravo = _machine(tmp_path / "bravo", fresh_chroma, "bravo", embedder)
    try:
        alpha.ingest([corpus])
        first = bravo.ask("When does the review board meet?")
        assert "Monday" in first.answer
        bravo.checklist_link("A.5.4", "board.md", "The review board meets every Monday morning in Leeds.", author="bob")
        assert not alpha.checklist_row("A.5.4").links[0].stale
        _write(corpus, {"board.md": BOARD.replace("Monday morning in Leeds", "Friday afternoon in Bristol"),
                        "parking.md": PARKING})
        (corpus / "canteen.md").unlink()
        report = alpha.ingest([corpus])
        assert report.updated == ["board.md"] and report.added == ["parking.md"] and report.removed == ["canteen.md"]

        reads = _count_state_reads(bravo)
        answer = bravo.ask("When does the review board meet?")
        assert "Friday afternoon in Bristol" in answer.answer and "Monday" not in answer.answer
        assert _docs(bravo) == _docs(alpha)
        assert {d.source for d in bravo.status().documents} == {"board.md", "parking.md"}
        assert bravo.ask("When are parking permits renewed?").grounded
        for machine in (alpha, bravo):  # the linked quote is gone from the new version, on both machines
            link = machine.checklist_row("A.5.4").links[0]
            assert link.stale and link.created_by == "bob"
        reads.clear()
        bravo.refresh()
        assert reads == [None], "a current copy reads the small state collection (the marker) and nothing else"
        # the server keeps no chunk or text of the replaced and removed versions
        assert _server_ids(alpha) == _committed_ids(alpha) == alpha.manifest.all_chunk_ids()
        versions = {(r.record.doc_hash) for r in alpha.team.documents().values()}
        assert {m["doc_hash"] for m in alpha.team.texts.get(include=["metadatas"])["metadatas"]} == versions
    finally:
        alpha.close()
        bravo.close()


def test_a_broken_labels_file_withholds_its_documents_on_every_machine(fresh_chroma, tmp_path, embedder):
    """A labels file edited with a mistake holds what it governs as restricted on the server, so another
    machine's staff stop reaching it too; the fix restores it; nothing is embedded again either way."""
    corpus = tmp_path / "corpus"
    _write(corpus, {"board.md": BOARD, "canteen.md": CANTEEN, "aims-labels.toml": '[labels]\n"*.md" = "public"\n'})
    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    bravo = _machine(tmp_path / "bravo", fresh_chroma, "bravo", embedder)

    def reached(role):
        found = bravo.evidence("When does the review board meet?", bravo.labels_for(role)).searched
        return {c.source for c in found}

    try:
        alpha.ingest([corpus])
        bravo.refresh()
        assert "board.md" in reached("staff")
        (corpus / "aims-labels.toml").write_text('[labels]\n"*.md" = "pubic"\n')
        broken = alpha.ingest([corpus])
        assert broken.exit_code == 3 and sorted(broken.updated) == ["board.md", "canteen.md"]
        assert broken.chunks_embedded == 0 and len(broken.withheld) == 2
        bravo.refresh()
        assert {d.label.value for d in bravo.status().documents} == {"restricted"}
        assert not reached("staff") and "board.md" in reached("auditor")
        assert _server_ids(alpha) == _committed_ids(alpha) == alpha.manifest.all_chunk_ids()
        (corpus / "aims-labels.toml").write_text('[labels]\n"*.md" = "public"\n')
        mended = alpha.ingest([corpus])
        assert mended.exit_code == 0 and mended.chunks_embedded == 0
        bravo.refresh()
        assert "board.md" in reached("staff") and _docs(bravo) == _docs(alpha)
    finally:
        alpha.close()
        bravo.close()


def test_a_client_changes_only_the_folders_it_ingested(fresh_chroma, tmp_path, embedder):
    shared = tmp_path / "shared"  # the same path on both "machines"
    _write(shared, {"board.md": BOARD, "canteen.md": CANTEEN})
    own = tmp_path / "bravo-only"
    _write(own, {"parking.md": PARKING})
    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    bravo = _machine(tmp_path / "bravo", fresh_chroma, "bravo", embedder)
    try:
        alpha.ingest([shared])
        report = bravo.ingest([shared, own])
        assert sorted(report.added) == ["board.md", "canteen.md", "parking.md"]
        assert report.chunks_embedded == 1, "only parking.md is new: synced vectors are re-used, not embedded again"
        roots = {(d.root, d.source) for d in alpha.status().documents}
        assert roots == {(f"alpha:{shared}", "board.md"), (f"alpha:{shared}", "canteen.md"),
                         (f"bravo:{shared}", "board.md"), (f"bravo:{shared}", "canteen.md"),
                         (f"bravo:{own}", "parking.md")}

        (shared / "canteen.md").unlink()
        report = bravo.ingest([shared])
        assert report.removed == ["canteen.md"]
        left = {(d.root, d.source) for d in alpha.status().documents}
        assert (f"alpha:{shared}", "canteen.md") in left, "bravo removed a document alpha put there"
        assert (f"bravo:{shared}", "canteen.md") not in left
        assert (f"bravo:{own}", "parking.md") in left
        assert _server_ids(alpha) == _committed_ids(alpha)

        report = alpha.ingest([shared])
        assert report.removed == ["canteen.md"]
        assert "canteen.md" not in {d.source for d in bravo.status().documents}
        assert _docs(alpha) == _docs(bravo)
    finally:
        alpha.close()
        bravo.close()


def test_an_incompatible_or_mismatched_client_is_refused_and_changes_nothing(fresh_chroma, tmp_path, embedder):
    corpus = tmp_path / "corpus"
    _write(corpus, {"board.md": BOARD})
    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    alpha.ingest([corpus])
    before = _server_ids(alpha)
    other = _machine(tmp_path / "other", fresh_chroma, "other", embedder, chunk_words=60)
    with pytest.raises(TeamModeError, match="60-word chunks"):
        other.ingest([corpus])
    with pytest.raises(TeamModeError):
        other.ask("When does the review board meet?")
    assert _server_ids(alpha) == before
    from assistant.retrieval.embedder import Embedder, native_bf16

    if native_bf16():  # elsewhere bfloat16 is refused before any team is asked (tests/test_embed_precision.py)
        rounded = _machine(tmp_path / "rounded", fresh_chroma, "rounded", Embedder(dtype="bfloat16"))
        with pytest.raises(TeamModeError, match="-bf16"):  # vectors of another precision never join the team's
            rounded.ingest([corpus])
        assert _server_ids(alpha) == before
        rounded.close()

    embedded = Assistant(load_settings(index=tmp_path / "embedded"), embedder=embedder)
    embedded.ingest([corpus])
    embedded.close()
    pointed = _machine(tmp_path / "embedded", fresh_chroma, "alpha", embedder)
    with pytest.raises(TeamModeError, match="embedded index"):
        pointed.status()
    replica = Assistant(load_settings(index=alpha.home), embedder=embedder)
    with pytest.raises(TeamModeError, match="replica"):
        replica.ask("When does the review board meet?")
    assert _server_ids(alpha) == before
    for assistant in (alpha, other, pointed, replica):
        assistant.close()


def test_assessment_is_shared_and_concurrent_edits_keep_every_change(fresh_chroma, tmp_path, embedder):
    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    bravo = _machine(tmp_path / "bravo", fresh_chroma, "bravo", embedder)
    try:
        alpha.checklist_set("A.5.2", author="alice", applicable=False,
                            justification="No AI system affects individuals outside the company")
        seen = bravo.assessments.get("A.5.2")
        assert seen.applicable is False and seen.justification.startswith("No AI system")
        assert seen.updated_by == "alice"
        assert bravo.assessments.audit_trail() == alpha.assessments.audit_trail()
        assert [(e["author"], e["field"], e["new"]) for e in bravo.assessments.audit_trail()] == [
            ("alice", "applicable", "False"), ("alice", "justification", seen.justification)]
        row = next(r for r in bravo.checklist_rows() if r.id == "A.5.2")
        assert row.applicable is False

        start = threading.Barrier(2)
        errors = []

        def edit(assistant: Assistant, author: str) -> None:
            try:
                start.wait()
                for n in range(12):
                    assistant.checklist_set("A.6.2.6", author=author, notes=f"{author} note {n}",
                                            status="partial" if n % 2 else "not started")
            except Exception as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=edit, args=(a, name)) for a, name in ((alpha, "alice"), (bravo, "bob"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors
        trail = alpha.assessments.audit_trail()
        assert trail == bravo.assessments.audit_trail(), "both machines read the same audit trail"
        notes = [e["new"] for e in trail if e["item_id"] == "A.6.2.6" and e["field"] == "notes"]
        assert sorted(notes) == sorted(f"{who} note {n}" for who in ("alice", "bob") for n in range(12))
        final = alpha.assessments.get("A.6.2.6")
        assert final == bravo.assessments.get("A.6.2.6")
        assert final.notes == notes[-1], "the last change in the trail is the state (last writer wins)"
    finally:
        alpha.close()
        bravo.close()


def test_ingest_on_one_machine_while_others_ask_never_shows_a_half_written_document(fresh_chroma, tmp_path,
                                                                                     embedder):
    corpus = tmp_path / "corpus"
    versions = [BOARD + "Minutes are circulated within three working days.\n",
                BOARD.replace("Monday morning in Leeds", "Friday afternoon in Bristol")
                + "Minutes are circulated within five working days.\n"]
    _write(corpus, {"board.md": versions[0], "canteen.md": CANTEEN})
    writer = _machine(tmp_path / "writer", fresh_chroma, "writer", embedder)
    writer.ingest([corpus])
    stop = threading.Event()
    seen: list[list[str]] = []
    errors = []
    asks = {name: 0 for name in ("reader0", "reader1")}

    def ask_loop(name: str) -> None:
        reader = _machine(tmp_path / name, fresh_chroma, name, embedder)
        try:
            while not stop.is_set():
                answer = reader.ask("When and where does the review board meet?", role="staff")
                seen.append([c.quote for c in answer.citations if c.source == "board.md"])
                docs = reader.manifest.documents()
                assert all(len(reader.manifest.chunk_ids(d.root, d.source)) == d.chunk_count for d in docs)
                asks[name] += 1
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            reader.close()

    def readers_asked_since(before: dict[str, int]) -> None:
        """Wait until each reader has finished an ask that began after this point (at most a minute)."""
        deadline = time.monotonic() + 60
        while any(asks[name] < count + 2 for name, count in before.items()) and not errors:
            assert time.monotonic() < deadline, f"the readers stopped asking: {asks}"
            time.sleep(0.02)

    readers = [threading.Thread(target=ask_loop, args=(name,)) for name in asks]
    for thread in readers:
        thread.start()
    readers_asked_since({name: 0 for name in asks})
    for flip in range(6):  # readers keep asking while each version is written, and see each one after
        (corpus / "board.md").write_text(versions[(flip + 1) % 2])
        writer.ingest([corpus])
        readers_asked_since(dict(asks))
    stop.set()
    for thread in readers:
        thread.join(timeout=120)
    assert not errors
    flat = [_flat(text) for text in versions]
    assert {i for quotes in seen for i, text in enumerate(flat) for q in quotes if _flat(q) in text} == {0, 1}, (
        "the readers should have caught up with each of the writer's versions")
    for quotes in seen:
        assert all(any(_flat(q) in text for text in flat) for q in quotes), quotes
        holders = {i for i, text in enumerate(flat) for q in quotes if _flat(q) in text}
        assert len(holders) <= 1, f"one answer mixed two versions of the document: {quotes}"
    late = _machine(tmp_path / "reader0", fresh_chroma, "reader0", embedder)
    assert "Monday morning in Leeds" in late.ask("When and where does the review board meet?").answer
    assert _server_ids(writer) == _committed_ids(writer)
    late.close()
    writer.close()


DIE_BEFORE_THE_MARKER = """
import os, sys
from assistant.retrieval.team import TeamStore
TeamStore.bump = lambda self: os._exit(9)  # the process dies after its commit, before the marker moves
from assistant.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_a_writer_that_dies_between_its_commit_and_the_marker_hides_nothing(fresh_chroma, tmp_path, embedder):
    corpus = tmp_path / "corpus"
    _write(corpus, {"board.md": BOARD})
    home = tmp_path / "alpha"
    alpha = _machine(home, fresh_chroma, "alpha", embedder)
    bravo = _machine(tmp_path / "bravo", fresh_chroma, "bravo", embedder)
    try:
        alpha.ingest([corpus])
        alpha.close()
        assert "Monday" in bravo.ask("When does the review board meet?").answer  # bravo is current

        _write(corpus, {"parking.md": PARKING})
        env = {**os.environ, "AIMS_HOME": str(home), "AIMS_CLIENT_NAME": "alpha"}
        died = subprocess.run([sys.executable, "-c", DIE_BEFORE_THE_MARKER, "ingest", str(corpus), "--chroma-url",
                               fresh_chroma], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert died.returncode == 9, died.stderr[-2000:]
        assert "parking.md" in {d.record.source for d in bravo.team.documents().values()}, "it was committed"
        assert bravo.team.heads().writing == ["alpha"]

        answer = bravo.ask("When are parking permits renewed?")
        assert answer.grounded and answer.citations[0].source == "parking.md"
        bravo.refresh()
        assert bravo.manifest.get_meta("team_generation") is None, "no rest on a marker while a writer is open"

        alpha = _machine(home, fresh_chroma, "alpha", embedder)  # alpha's next run ends the dead run's intent
        assert alpha.ingest([corpus]).exit_code == 0
        assert bravo.team.heads().writing == []
        bravo.refresh()
        reads = _count_state_reads(bravo)
        assert bravo.refresh().current and reads == [None], "with no writer left, a current copy rests again"
        assert _docs(bravo) == _docs(alpha)
    finally:
        alpha.close()
        bravo.close()


def test_an_unchanged_ingest_writes_nothing_to_the_server(fresh_chroma, tmp_path, embedder):
    corpus = tmp_path / "corpus"
    _write(corpus, {"board.md": BOARD})
    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    try:
        alpha.ingest([corpus])
        marker = alpha.team.heads().generation
        assert alpha.ingest([corpus]).unchanged == ["board.md"]
        assert alpha.team.heads().generation == marker and alpha.team.heads().writing == []
    finally:
        alpha.close()


def test_team_status_and_forgetting_a_machine_that_is_gone(fresh_chroma, tmp_path, embedder, monkeypatch,
                                                           capsys):
    from assistant.cli import main

    _write(tmp_path / "one", {"board.md": BOARD})
    _write(tmp_path / "two", {"parking.md": PARKING, "canteen.md": CANTEEN})
    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    bravo = _machine(tmp_path / "bravo", fresh_chroma, "bravo", embedder)
    try:
        alpha.ingest([tmp_path / "one"])
        bravo.ingest([tmp_path / "two"])
        monkeypatch.setenv("AIMS_HOME", str(tmp_path / "carol"))
        monkeypatch.setenv("AIMS_CLIENT_NAME", "carol")
        assert main(["team", "status", "--json", "--chroma-url", fresh_chroma]) == 0
        view = json.loads(capsys.readouterr().out)
        assert {name: (c["documents"], c["chunks"]) for name, c in view["clients"].items()} == {
            "alpha": (1, 1), "bravo": (2, 2)}
        assert view["writing"] == [] and view["this_client"] == "carol" and view["model_id"] == embedder.model_id

        assert main(["team", "forget", "bravo", "--chroma-url", fresh_chroma]) == 0  # a dry run by default
        out = capsys.readouterr().out
        assert "canteen.md" in out and "parking.md" in out and "nothing removed" in out
        assert len(alpha.team.documents()) == 3

        bravo.team.begin_write("bravo-run")  # bravo ingesting right now: refused
        assert main(["team", "forget", "bravo", "--yes", "--chroma-url", fresh_chroma]) == 2
        assert "ingest under way" in capsys.readouterr().err
        bravo.team.end_write("bravo-run")

        assert main(["team", "forget", "bravo", "--yes", "--json", "--chroma-url", fresh_chroma]) == 0
        gone = json.loads(capsys.readouterr().out)["removed"]
        assert sorted(d["source"] for d in gone) == ["canteen.md", "parking.md"]
        assert not alpha.ask("When are parking permits renewed?").grounded
        assert {d.source for d in bravo.status().documents} == {"board.md"}, "every replica follows"
        assert _server_ids(alpha) == _committed_ids(alpha) == alpha.manifest.all_chunk_ids()
        assert alpha.team.heads().writing == []
    finally:
        alpha.close()
        bravo.close()


def test_an_embedded_assessment_is_imported_once_with_its_authors_and_live_evidence(fresh_chroma, tmp_path,
                                                                                      embedder, monkeypatch, capsys):
    from assistant.cli import main

    corpus = tmp_path / "corpus"
    _write(corpus, {"board.md": BOARD, "canteen.md": CANTEEN})
    solo = Assistant(load_settings(index=tmp_path / "solo"), embedder=embedder)  # before the team existed
    solo.ingest([corpus])
    solo.checklist_set("A.5.4", author="ann", status="partial", owner="Board secretary")
    solo.checklist_set("A.5.4", author="bob", status="implemented")
    solo.checklist_set("A.9.4", author="ann", applicable=False, justification="No AI systems in the canteen.")
    solo.checklist_link("A.5.4", "board.md", "The review board meets every Monday morning in Leeds.", author="ann")
    solo.close()

    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    bravo = _machine(tmp_path / "bravo", fresh_chroma, "bravo", embedder)
    try:
        alpha.ingest([corpus])
        report = alpha.import_assessment(tmp_path / "solo")
        assert report["added"] == report["records"] == 6 and report["links"] == 1
        assert report["links_without_document"] == []
        row = bravo.checklist_row("A.5.4")  # another machine sees it
        assert (row.status, row.owner) == ("implemented", "Board secretary")
        assert len(row.links) == 1 and not row.links[0].stale and row.links[0].created_by == "ann"
        assert bravo.checklist_row("A.9.4").applicable is False
        trail = [(e["author"], e["item_id"], e["field"], e["new"]) for e in bravo.assessments.audit_trail()]
        assert ("ann", "A.5.4", "status", "partial") in trail and ("bob", "A.5.4", "status", "implemented") in trail
        assert trail.index(("ann", "A.5.4", "status", "partial")) < trail.index(("bob", "A.5.4", "status",
                                                                                  "implemented"))

        monkeypatch.setenv("AIMS_HOME", str(tmp_path / "bravo"))
        monkeypatch.setenv("AIMS_CLIENT_NAME", "bravo")
        assert main(["team", "import-assessment", str(tmp_path / "solo"), "--json", "--chroma-url",
                     fresh_chroma]) == 0
        assert json.loads(capsys.readouterr().out)["added"] == 0, "importing again adds nothing"
        assert len(bravo.assessments.audit_trail()) == len(trail)
        assert main(["team", "import-assessment", str(tmp_path / "nowhere"), "--chroma-url", fresh_chroma]) == 2
        assert "no assessment" in capsys.readouterr().err
    finally:
        alpha.close()
        bravo.close()


def test_killed_ingest_leaves_whole_documents_and_its_next_run_sweeps_its_leftovers(fresh_chroma, tmp_path,
                                                                                      sample_index, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE, corpus)
    home = tmp_path / "killed"
    seed, _ = sample_index
    cache = Assistant(load_settings(index=home), embedder=embedder)  # vectors cached, so no model is needed
    model = embedder.model_id
    hashes = sorted(seed.manifest.vector_hashes(model))
    cache.manifest.store_vectors(model, seed.manifest.cached_vectors(model, hashes))
    cache.close()

    watcher = _machine(tmp_path / "watcher", fresh_chroma, "watcher", embedder)
    env = {**os.environ, "AIMS_HOME": str(home), "AIMS_CLIENT_NAME": "killed"}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(corpus), "--json", "--chroma-url",
                             fresh_chroma], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if len(watcher.team.documents()) >= 4:
                break
        except Exception:  # collections not created yet
            pass
        time.sleep(0.05)
    assert proc.poll() is None, f"the ingest finished before it could be killed: {proc.stderr.read()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    held = {d.source for d in watcher.status().documents}
    assert 4 <= len(held) < 19
    for doc in watcher.manifest.documents():
        assert len(watcher.manifest.chunk_ids(doc.root, doc.source)) == doc.chunk_count
    assert _committed_ids(watcher) <= _server_ids(watcher), "a committed document lost chunks"
    answer = watcher.ask("Who approves exceptions to the acceptable-use policy?", role="auditor")
    assert all(c.source in held for c in answer.citations)

    resumed = _machine(home, fresh_chroma, "killed", embedder)
    report = resumed.ingest([corpus])
    assert report.exit_code == 0 and set(report.unchanged) == held and report.chunks_embedded == 0
    assert _server_ids(resumed) == _committed_ids(resumed) == resumed.manifest.all_chunk_ids()
    assert _docs(watcher) == _docs(resumed)
    watcher.close()
    resumed.close()


def test_a_sweep_removes_its_own_crashed_run_and_old_leftovers_but_not_a_running_ingest(fresh_chroma, tmp_path,
                                                                                       embedder):
    import numpy as np

    from assistant.core.chunks import make_chunks
    from assistant.core.models import Label
    from assistant.retrieval.parsing import parse_bytes

    alpha = _machine(tmp_path / "alpha", fresh_chroma, "alpha", embedder)
    alpha.refresh()
    parsed = parse_bytes(BOARD.encode(), "board.md")
    leftovers = {}
    for run in ("crashed-run", "running-elsewhere", "ancient"):
        chunks = make_chunks(parsed, root=f"{run}:/x", source="board.md", doc_hash=run, label=Label.INTERNAL,
                             target_words=150)
        alpha.vectors.add(chunks, np.ones((len(chunks), 384), dtype=np.float32), run=run)
        leftovers[run] = {c.id for c in chunks}
    collection = alpha.vectors.collections["internal"]
    old = collection.get(ids=sorted(leftovers["ancient"]), include=["metadatas"])
    collection.update(ids=old["ids"], metadatas=[{**m, "written_ns": 1} for m in old["metadatas"]])

    removed = alpha.team.sweep("crashed-run")
    assert removed == len(leftovers["crashed-run"]) + len(leftovers["ancient"])
    assert alpha.vectors.ids() == leftovers["running-elsewhere"]
    alpha.close()
