"""Shared fixtures: an isolated data dir for every test, one real embedding model per session.

AIMS_HOME and AIMS_CONFIG point into a temporary folder so no test reads or writes the user's data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "corpus" / "sample"
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference-texts"

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
    """The real all-MiniLM-L6-v2 model, loaded once per test session."""
    from assistant.retrieval.embedder import Embedder

    return Embedder()


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
