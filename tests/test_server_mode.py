"""Team mode: the same ingest and ask against a real Chroma server started on loopback.

The fixture runs `chroma run` from the chromadb package on a free port and stops it after.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.config import load_settings
from assistant.service import Assistant

from .conftest import SAMPLE, running_chroma


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    with running_chroma(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(scope="module")
def server_index(chroma_server, tmp_path_factory, embedder):
    corpus = tmp_path_factory.mktemp("team-corpus")
    for name in ("ai-acceptable-use-policy.docx", "supplier-due-diligence-procedure.md",
                 "internal-audit-report-2026.pdf", "aims-labels.toml"):
        shutil.copy2(SAMPLE / name, corpus / name)
    home = tmp_path_factory.mktemp("team-home")
    assistant = Assistant(load_settings(index=home, chroma_url=chroma_server), embedder=embedder)
    report = assistant.ingest([corpus])
    yield assistant, report, corpus
    assistant.close()


def test_ingest_and_ask_through_the_server(server_index, chroma_server):
    import chromadb

    assistant, report, _ = server_index
    assert report.exit_code == 0 and len(report.added) == 3
    assert not (assistant.home / "chroma").exists(), "server mode must not create an embedded store"
    host, port = chroma_server.rsplit(":", 1)
    client = chromadb.HttpClient(host=host.removeprefix("http://"), port=int(port))
    stored = sum(client.get_collection(f"aims_chunks_{label}").count() for label in ("internal", "confidential"))
    assert stored == assistant.manifest.chunk_count() == assistant.vectors.count()
    answer = assistant.ask("How often are Tier 1 AI suppliers reassessed?", role="staff")
    assert answer.grounded and answer.citations
    assert all(c.source != "internal-audit-report-2026.pdf" for c in answer.citations)
    again = assistant.ingest([server_index[2]])
    assert again.chunks_embedded == 0 and len(again.unchanged) == 3


def test_eight_concurrent_clients_get_the_same_answers(server_index, chroma_server, embedder):
    assistant, _, _ = server_index
    questions = [("Which AI tool may I use to make images?", "staff"),
                 ("What did the auditors find about supplier reassessment?", "auditor"),
                 ("How do I report a problem with an AI tool?", "staff"),
                 ("What contract clauses must AI suppliers accept?", "implementer")]
    expected = {q: assistant.ask(q, role=r).model_dump() for q, r in questions}

    def client(_n: int) -> dict:
        own = Assistant(load_settings(index=assistant.home, chroma_url=chroma_server), embedder=embedder)
        try:
            return {q: own.ask(q, role=r).model_dump() for q, r in questions}
        finally:
            own.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(client, range(8)))
    assert all(result == expected for result in results)


def test_ingest_while_others_ask_never_shows_a_half_written_document(fresh_chroma, tmp_path, embedder):
    import threading

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    versions = [
        "# Board Procedure\n\n## Meetings\n\nThe review board meets every Monday morning in Leeds. "
        "Minutes are circulated within three working days.\n",
        "# Board Procedure\n\n## Meetings\n\nThe review board meets every Friday afternoon in Bristol. "
        "Minutes are circulated within five working days.\n",
    ]
    doc = corpus / "board.md"
    doc.write_text(versions[0])
    (corpus / "other.md").write_text("# Other\n\nThe canteen opens at eight and closes at four every weekday.\n")
    home = tmp_path / "home"
    writer = Assistant(load_settings(index=home, chroma_url=fresh_chroma), embedder=embedder)
    writer.ingest([corpus])
    stop = threading.Event()
    seen: list[list[str]] = []

    def ask_loop() -> None:
        reader = Assistant(load_settings(index=home, chroma_url=fresh_chroma), embedder=embedder)
        try:
            while not stop.is_set():
                answer = reader.ask("When and where does the review board meet?", role="staff")
                seen.append([c.quote for c in answer.citations if c.source == "board.md"])
        finally:
            reader.close()

    readers = [threading.Thread(target=ask_loop) for _ in range(3)]
    for thread in readers:
        thread.start()
    for flip in range(6):
        doc.write_text(versions[(flip + 1) % 2])
        writer.ingest([corpus])
    stop.set()
    for thread in readers:
        thread.join(timeout=120)
    writer.close()
    assert seen
    for quotes in seen:
        holders = {i for i, text in enumerate(versions) for q in quotes if q in text}
        assert all(any(q in text for text in versions) for q in quotes), quotes
        assert len(holders) <= 1, f"one answer mixed two versions of the document: {quotes}"


def test_an_unreachable_server_is_one_clear_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from assistant.cli import main

    from .conftest import free_port

    monkeypatch.setenv("AIMS_HOME", str(tmp_path / "home"))
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for argv in (["ask", "Who approves AI systems?"], ["status"], ["team", "status"]):
        assert main([*argv, "--chroma-url", url]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"aims: cannot use the Chroma server at {url}") and "Traceback" not in err
