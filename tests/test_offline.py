"""Offline, private, quiet: ingest and ask inside a network namespace with no network at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO, SAMPLE
from .test_no_outbound import quotes_the_policy


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="this machine does not allow `unshare -n` (no network namespace)")
def test_ingest_and_ask_with_no_network(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("ai-acceptable-use-policy.docx", "ai-policy.pdf", "aims-labels.toml"):
        shutil.copy2(SAMPLE / name, corpus / name)
    env = {**os.environ, "AIMS_HOME": str(tmp_path / "home"), "AIMS_CONFIG": str(tmp_path / "none.toml")}
    env.pop("HF_HUB_OFFLINE", None)  # the assistant itself must keep everything offline

    def run(*args):
        return subprocess.run(["unshare", "-n", sys.executable, "-m", "assistant", *args], capture_output=True,
                              text=True, env=env, cwd=REPO, timeout=600)

    ingested = run("ingest", str(corpus), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert sorted(json.loads(ingested.stdout)["added"]) == ["ai-acceptable-use-policy.docx", "ai-policy.pdf"]
    asked = run("ask", "Which tool may I use to make marketing images?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert quotes_the_policy(asked.stdout)
