"""A normal install works: the wheel built from this checkout, in a clean venv outside it, run from elsewhere.

Installing the dependencies into a fresh venv takes a few minutes (from pip's local wheels), so the
test carries the `wheel` mark: `pytest -m "not wheel"` leaves it out of a quick local run; CI runs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.wheel

QUESTION = "May I make a marketing flyer with an AI image generator?"


def _run(command: list, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(str(c) for c in command)} exited {done.returncode}\n"
                                  f"stdout: {done.stdout[-3000:]}\nstderr: {done.stderr[-3000:]}")
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the venv's bin folder, an environment with a fresh data dir, a working folder outside the checkout)."""
    root = tmp_path_factory.mktemp("wheel-install")
    assert REPO not in root.parents
    bin_dir = root / "venv" / "bin"
    # nothing of this checkout or of the test's venv leaks in (a PYTHONPATH to the checkout would even make
    # pip skip the wheel as already installed)
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not key.startswith("AIMS_")}
    env.update(AIMS_HOME=str(root / "data"), AIMS_CONFIG=str(root / "no-config.toml"), HF_HUB_OFFLINE="1",
               TQDM_DISABLE="1", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "dist", REPO], cwd=root, env=env)
    wheels = list((root / "dist").glob("aims_assistant-*.whl"))
    assert len(wheels) == 1, wheels
    _run([sys.executable, "-m", "venv", root / "venv"], cwd=root, env=env)  # from the base interpreter
    _run([bin_dir / "python", "-m", "pip", "install", "-q", "-c", REPO / "constraints.txt", wheels[0]], cwd=root,
         env=env, timeout=1800)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return bin_dir, env, elsewhere


def test_the_installed_wheel_runs_outside_the_checkout(installed):
    bin_dir, env, elsewhere = installed
    venv = bin_dir.parent.resolve()

    def aims(*args: str) -> subprocess.CompletedProcess:
        return _run([bin_dir / "aims", *args], cwd=elsewhere, env=env)

    where = _run([bin_dir / "python", "-c", "import json, assistant, assistant.resources as r; "
                  "from assistant.retrieval.question_tuning import shipped_tuning; "
                  "print(json.dumps([assistant.__file__, str(r.standard_dir()), str(r.prompts_dir()), "
                  "str(r.sample_corpus()), str(r.eval_questions()), str(shipped_tuning()), r.load_calibration()]))"],
                 cwd=elsewhere, env=env)
    package, standard, prompts, sample, questions, tuning, calibration = json.loads(where.stdout)
    for path in (package, standard, prompts, sample, questions, tuning):  # tuning: the tuned question model
        assert venv in Path(path).resolve().parents, f"{path} is not inside the installed package"
        assert Path(path).exists(), path
    shipped = json.loads((REPO / "assistant" / "answering" / "ranker.json").read_text())
    assert calibration["ranker"] == shipped["ranker"] and calibration["judge"] == shipped["judge"]

    status = aims("status")
    offered = re.search(r"The index is empty\. Try: aims ingest (\S+)", status.stdout)
    assert offered, status.stdout
    assert Path(offered.group(1)).resolve() == Path(sample).resolve()

    show = aims("checklist", "show", "--json")
    items = json.dumps(json.loads(show.stdout))
    assert "A.2.2" in items and "6.1.2" in items

    kinds = json.loads(aims("draft", "--list", "--json").stdout)["kinds"]
    assert {"ai-policy", "scope-statement"} <= {kind["kind"] for kind in kinds}

    ingested = json.loads(aims("ingest", offered.group(1), "--json").stdout)
    assert len(ingested["added"]) == 19 and not ingested["failed"]

    answer = json.loads(aims("ask", QUESTION, "--json").stdout)
    assert answer["citations"], answer
    assert all(citation["quote"] for citation in answer["citations"])

    after = json.loads(aims("status", "--json").stdout)
    assert len(after["documents"]) == 19
