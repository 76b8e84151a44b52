"""The command line outside the UI (issue 16): no terminal, an empty index, classified outputs, gap legend."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import REPO


def _aims(*args, env=None, timeout=60, **kwargs):
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **(env or {})}, timeout=timeout, **kwargs)


def test_bare_aims_without_a_terminal_prints_usage_and_exits_2(tmp_path):
    # it used to open the UI anyway and spin at 100 % CPU forever: the timeout is the test
    for args in ((), ("tui",)):
        done = _aims(*args, stdin=subprocess.DEVNULL, timeout=60)
        assert done.returncode == 2, done
        assert done.stderr.startswith("usage: aims") and "needs a terminal" in done.stderr
        assert "aims ingest" in done.stderr and done.stdout == ""


def test_ask_on_an_empty_or_mistyped_index_says_so_and_creates_nothing(tmp_path):
    from assistant.cli.output import EXIT_EMPTY_INDEX

    mistyped = tmp_path / "no-such-index"
    done = _aims("ask", "Who approves the AI policy?", "--index", str(mistyped))
    assert done.returncode == EXIT_EMPTY_INDEX == 4
    assert f"the index at {mistyped} is empty: run aims ingest first" in done.stderr and done.stdout == ""
    assert not mistyped.exists()  # only ingesting creates a data dir

    empty = tmp_path / "home"
    done = _aims("ask", "Who?", "--json", env={"AIMS_HOME": str(empty)})
    assert done.returncode == 4 and not empty.exists()


def test_an_index_that_holds_nothing_is_empty_too(tmp_path, make_assistant):
    from assistant.cli import main

    home = tmp_path / "home"
    make_assistant(home).status()  # a data dir with a manifest and no documents
    assert (home / "catalog.sqlite").exists()
    assert main(["ask", "Who?", "--index", str(home)]) == 4


def test_drafts_carry_the_most_sensitive_label_they_quote(tmp_path):
    import docx

    from assistant.core.labels import label_from_marker
    from assistant.core.models import Answer, Citation, Label
    from assistant.drafting.draft import assemble, write
    from assistant.drafting.kinds import load_kinds

    kind = load_kinds()["ai-policy"]
    labels = {"policy.md": Label.PUBLIC, "minutes.docx": Label.CONFIDENTIAL}

    def answer(source: str) -> Answer:
        quote = f"A sentence from {source}."
        return Answer(question="q", role="implementer", answer=f"{quote} [1]", grounded=True,
                      citations=[Citation(n=1, source=source, quote=quote, score=0.9)])

    sections = [s.id for s in kind.sections]
    public = assemble(kind, {"organisation": "Acme"}, {sections[0]: answer("policy.md")}, lambda s: "0" * 64,
                      labels.get)
    mixed = assemble(kind, {"organisation": "Acme"}, {sections[0]: answer("policy.md"),
                                                      sections[1]: answer("minutes.docx")}, lambda s: "0" * 64,
                     labels.get)
    nothing = assemble(kind, {"organisation": "Acme"}, {}, lambda s: "", labels.get)
    assert (public.classification, mixed.classification, nothing.classification) == (
        "public", "confidential", "internal")
    lines = mixed.markdown.splitlines()
    assert lines[0].startswith("# ") and lines[2].startswith("Classification: Confidential")
    assert label_from_marker(mixed.markdown[:300]) is Label.CONFIDENTIAL  # re-ingested, it keeps its label

    path = write(mixed, tmp_path / "policy.docx", "docx")
    props = docx.Document(str(path)).core_properties
    assert props.category == "confidential" and props.keywords == "classification: confidential"


def test_checklist_gaps_has_a_legend_and_says_not_yet_assessed(tmp_path, make_assistant):
    from assistant.cli import main

    home = tmp_path / "home"
    service = make_assistant(home)
    service.checklist_set("A.2.2", author="ana", status="implemented")  # assessed, no evidence
    env = {"AIMS_HOME": str(home)}
    text = _aims("checklist", "gaps", env=env).stdout
    assert text.startswith("Severity (1 is the most serious):\n  [1] ")
    assert "[2] A.2.2     applicable control with no evidence" in text
    assert "[4] A.2.3     not yet assessed; no evidence linked" in text
    assert "A.2.3     applicable control" not in text  # nobody said it applies
    payload = json.loads(_aims("checklist", "gaps", "--json", env=env).stdout)
    assert set(payload["severities"]) == {"1", "2", "3", "4"}
    assert main  # the in-process entry point is the same code


def test_the_data_dir_may_come_before_the_command(tmp_path):
    # `aims --index DIR status` used to report the platform's default data dir, silently
    home = tmp_path / "home"
    home.mkdir()
    before = _aims("--index", str(home), "status", "--json", env={"AIMS_HOME": str(tmp_path / "other")})
    after = _aims("status", "--index", str(home), "--json", env={"AIMS_HOME": str(tmp_path / "other")})
    assert before.returncode == after.returncode == 0, before.stderr
    assert json.loads(before.stdout)["home"] == json.loads(after.stdout)["home"] == str(home)
    clash = _aims("--index", str(home), "status", "--index", str(tmp_path / "x"))
    assert clash.returncode == 2 and "two data dirs" in clash.stderr
