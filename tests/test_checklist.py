"""The catalogue against the shared facts, the assessment rules, evidence staleness, gaps and the CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from pydantic import ValidationError

from assistant.checklist.catalogue import STANDARD_DIR, Clauses, load_catalogue

from .conftest import REPO, SHARED

FACTS = SHARED / "standard-facts"
needs_facts = pytest.mark.skipif(not FACTS.exists(), reason="../shared/standard-facts absent")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _csv(name):
    with (FACTS / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_structure_counts(catalogue):
    assert len(catalogue.clauses) == 36 and len(catalogue.controls) == 38
    assert len(catalogue.groups) == 9 and sum(len(g.objectives) for g in catalogue.groups) == 10
    per_group = Counter(".".join(c.id.split(".")[:2]) for c in catalogue.controls)
    assert [per_group[f"A.{n}"] for n in range(2, 11)] == [3, 2, 5, 4, 9, 5, 4, 3, 3]
    a6 = next(g for g in catalogue.groups if g.id == "A.6")
    assert [o.id for o in a6.objectives] == ["A.6.1", "A.6.2"]
    assert all(3 <= len(i.audit_questions) <= 5 for i in catalogue.by_id.values())


@needs_facts
def test_ids_titles_and_flags_match_the_shared_facts(catalogue):
    clauses = {row["id"]: row for row in _csv("iso42001-clauses.csv")}
    assert [c.id for c in catalogue.clauses] == list(clauses)
    for clause in catalogue.clauses:
        assert clause.title == clauses[clause.id]["title"]
        assert clause.documented_information == (clauses[clause.id]["documented_information"] == "yes")
    controls = {row["id"]: row for row in _csv("iso42001-annex-a-controls.csv")}
    assert [c.id for c in catalogue.controls] == list(controls)
    for control in catalogue.controls:
        assert control.title == controls[control.id]["title"]
        variant = controls[control.id]["title_variant"]
        assert control.aliases == ([variant] if variant else [])
    groups = {row["group_id"]: row["group_title"] for row in controls.values()}
    assert {g.id: g.title for g in catalogue.groups} == groups


@needs_facts
def test_every_crosswalk_pair_is_present(catalogue):
    nist = {(r["airmf_subcategory"], r["iso42001_id"]) for r in _csv("crosswalk-nist-ai-rmf-to-iso42001.csv")}
    ours = {(p.external_id, p.iso_id) for p in catalogue.crosswalk if p.framework.startswith("NIST")}
    assert len(nist) == 280 and ours == nist
    eu = {(r["eu_ai_act_provision"], ref.strip()) for r in _csv("crosswalk-eu-ai-act-to-iso42001-CANDIDATE.csv")
          for ref in r["iso42001_refs"].split(";") if ref.strip()}
    assert {(p.external_id, p.iso_id) for p in catalogue.crosswalk if p.indicative} == eu


def test_crosswalk_both_ways(catalogue):
    assert {p.iso_id for p in catalogue.crosswalk_for("MAP 1.1")}
    art = catalogue.crosswalk_for("A.9.2")
    assert art and all(p.iso_id == "A.9.2" for p in art)


def test_unknown_keys_are_rejected(tmp_path):
    import yaml

    data = yaml.safe_load((STANDARD_DIR / "clauses.yaml").read_text())
    data["clauses"][0]["colour"] = "blue"
    with pytest.raises(ValidationError):
        Clauses.model_validate(data)


def test_not_applicable_needs_a_justification_and_changes_are_audited(tmp_path, make_assistant):
    from assistant.checklist.assessment import AssessmentError

    assistant = make_assistant(tmp_path / "home")
    with pytest.raises(AssessmentError, match="justification"):
        assistant.checklist_set("A.10.4", author="ana", applicable=False)
    assistant.checklist_set("A.10.4", author="ana", applicable=False, justification="We sell no AI to customers.")
    assistant.checklist_set("A.2.2", author="ben", status="implemented", owner="Daniel Reyes")
    with pytest.raises(ValueError, match="unknown clause or control"):
        assistant.checklist_set("A.99.1", status="partial")
    trail = assistant.assessments.audit_trail()
    assert {(t["author"], t["item_id"], t["field"]) for t in trail} >= {
        ("ana", "A.10.4", "applicable"), ("ana", "A.10.4", "justification"), ("ben", "A.2.2", "status")}
    gaps = {(g.item_id, g.problem) for g in assistant.checklist_gaps()}
    assert ("A.2.2", "applicable control with no evidence") in gaps
    assert not any(item == "A.10.4" and "no evidence" in problem for item, problem in gaps)


def test_link_goes_stale_only_when_its_quote_is_removed(tmp_path, make_assistant):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    policy = corpus / "policy.md"
    policy.write_text("# AI Policy\n\n## Approval\n\nThe Board approves this policy every year in March.\n\n"
                      "## Scope\n\nIt covers every AI system the company builds or buys.\n")
    assistant = make_assistant(tmp_path / "home")
    assistant.ingest([corpus])
    link = assistant.checklist_link("A.2.2", "policy.md", "The Board approves   this policy every year", author="ana")
    assert link.quote == "The Board approves this policy every year" and link.section == "Approval"
    with pytest.raises(ValueError, match="not in"):
        assistant.checklist_link("A.2.2", "policy.md", "words that are nowhere")

    policy.write_text(policy.read_text().replace("every AI system", "each AI system"))
    assistant.ingest([corpus])
    row = next(r for r in assistant.checklist_rows() if r.id == "A.2.2")
    assert row.evidence == 1 and row.stale == 0 and "still present" in row.links[0].stale_reason

    policy.write_text(policy.read_text().replace("The Board approves this policy every year in March.",
                                                 "The CEO signs it."))
    assistant.ingest([corpus])
    row = next(r for r in assistant.checklist_rows() if r.id == "A.2.2")
    assert row.stale == 1 and row.evidence == 0 and row.links[0].stale
    assert any(g.item_id == "A.2.2" and "stale" in g.problem for g in assistant.checklist_gaps())


def test_answers_list_related_controls(sample_index):
    assistant, _ = sample_index
    answer = assistant.ask("How do we check and reassess our AI suppliers?", role="implementer")
    assert answer.controls and all(c in assistant.catalogue.by_id for c in answer.controls)
    assert "A.10.3" in answer.controls


def test_cli_checklist_commands(sample_index, tmp_path):
    env = {**os.environ, "AIMS_HOME": str(tmp_path / "cli-home"), "AIMS_AUTHOR": "cli-user"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "assistant", "checklist", *args], capture_output=True, text=True,
                              env=env, cwd=REPO, timeout=300)

    shown = run("show", "--json")
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)["rows"]) == 74
    assert run("set", "A.5.2", "--applicable", "no").returncode == 2
    assert run("set", "A.5.2", "--status", "partial", "--owner", "Priya").returncode == 0
    detail = json.loads(run("show", "A.5.2", "--json").stdout)
    assert detail["row"]["status"] == "partial" and detail["item"]["audit_questions"]
    crosswalk = json.loads(run("crosswalk", "A.9.2", "--json").stdout)
    assert any(p["indicative"] for p in crosswalk["pairs"])
    assert run("crosswalk", "NOPE 9").returncode == 2
    gaps = run("gaps")
    assert gaps.returncode == 0 and "A.5.2" in gaps.stdout


def test_suggestions_find_the_sample_evidence(sample_index):
    assistant, _ = sample_index
    assert "ai-policy.pdf" in {s.source for s in assistant.suggest_evidence("A.2.2")}
    assert "supplier-due-diligence-procedure.md" in {s.source for s in assistant.suggest_evidence("A.10.3")}
    texts = assistant.document_texts()
    for suggestion in assistant.suggest_evidence("A.6.2.6"):
        assert suggestion.quote in texts[suggestion.source][1]
    assert assistant.assessments.links() == []  # proposals only: nothing was linked


def test_exports_hold_every_control_and_refuse_to_overwrite(tmp_path, make_assistant):
    import docx
    from openpyxl import load_workbook

    from assistant.checklist.export import ExportError, export

    assistant = make_assistant(tmp_path / "home")
    assistant.checklist_set("A.10.4", applicable=False, justification="No AI products are sold to customers.")
    rows = assistant.checklist_rows()
    paths = {fmt: export(rows, "soa", fmt, tmp_path / f"soa.{fmt}") for fmt in ("md", "csv", "xlsx", "docx")}
    sheet = load_workbook(paths["xlsx"]).active
    ids = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert len(ids) == 38 and ids[0] == "A.2.2" and ids[-1] == "A.10.4"
    assert sheet.cell(row=39, column=3).value == "No" and "No AI products" in sheet.cell(row=39, column=4).value
    table = docx.Document(paths["docx"]).tables[0]
    assert len(table.rows) == 39 and table.rows[38].cells[0].text == "A.10.4"
    with paths["csv"].open(newline="") as handle:
        assert len(list(csv.reader(handle))) == 39
    assert paths["md"].read_text().count("\n| A.") == 38
    with pytest.raises(ExportError, match="--force"):
        export(rows, "soa", "md", paths["md"])
    export(rows, "checklist", "md", paths["md"], force=True)
    assert paths["md"].read_text().count("\n| ") == 36 + 38 + 1
    with pytest.raises(ExportError, match="does not exist"):
        export(rows, "soa", "csv", tmp_path / "missing-folder" / "x.csv")
