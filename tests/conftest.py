"""Shared fixtures: an isolated data dir for every test, one real embedding model per session.

AIMS_HOME and AIMS_CONFIG point into a temporary folder so no test reads or writes the user's data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "corpus" / "sample"
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference-texts"

CHROMA = Path(sys.executable).parent / "chroma"

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own data dir and an empty config file location."""
    home = tmp_path / "aims-home"
    monkeypatch.setenv("AIMS_HOME", str(home))
    monkeypatch.setenv("AIMS_CONFIG", str(tmp_path / "no-config.toml"))
    return home


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 model with the shipped tuned question model, loaded once per test session.

    As a default install builds it (`parts.embedder`): the ranker was fitted with the tuned similarity on, so
    tests that rank with it off would test a configuration no user runs.
    """
    from assistant.retrieval.embedder import Embedder
    from assistant.retrieval.question_tuning import shipped_tuning

    return Embedder(question_tuning=shipped_tuning())


@pytest.fixture
def make_assistant(embedder):
    """Build an Assistant over a data dir, sharing the session's model."""
    from assistant.config import load_settings
    from assistant.service import Assistant

    made = []

    def build(home: Path, **overrides) -> Assistant:
        assistant = Assistant(load_settings(index=home, **overrides), embedder=embedder)
        made.append(assistant)
        return assistant

    yield build
    for assistant in made:
        assistant.close()


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder):
    """The bundled sample organisation ingested once: (assistant, report)."""
    from assistant.config import load_settings
    from assistant.service import Assistant

    home = tmp_path_factory.mktemp("sample-index")
    assistant = Assistant(load_settings(index=home), embedder=embedder)
    report = assistant.ingest([SAMPLE])
    yield assistant, report
    assistant.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_chroma(folder: Path, prefix: list[str] | None = None):
    """A real `chroma run` (from the chromadb package) on a free loopback port; yields its URL, stops it after.

    `prefix` runs it under another command (e.g. strace)."""
    if not CHROMA.exists():
        pytest.skip("the chroma command of the chromadb package is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen([*(prefix or []), str(CHROMA), "run", "--path", str(folder / "db"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not start: {(folder / 'server.log').read_text()[-2000:]}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # its own process group: the server and any wrapper around it
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture
def fresh_chroma(tmp_path):
    """A Chroma server of this test's own."""
    with running_chroma(tmp_path / "chroma-server") as url:
        yield url
