"""Pilot tests of each screen's main flow against a real small index, and snapshots against a fake."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Input, Select

from assistant.tui.app import AimsApp
from assistant.tui.ask import AskPane
from assistant.tui.viewer import SourceViewer

from .fake_service import FakeService, scripted_answer

SIZE = (140, 45)


async def _ask(app, pilot, question: str, role: str):
    app.query_one("#role", Select).value = role
    await pilot.pause()
    prompt = app.query_one("#question", Input)
    prompt.value = question
    prompt.focus()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.query_one(AskPane).answer


def test_ask_cites_and_opens_the_source(sample_index):
    async def scenario():
        app = AimsApp(sample_index[0], warm_model=False)
        async with app.run_test(size=SIZE) as pilot:
            answer = await _ask(app, pilot, "May I make a marketing flyer with an AI image generator?", "staff")
            assert answer.grounded and answer.citations
            table = app.query_one("#sources", DataTable)
            assert table.row_count == len(answer.citations)
            table.focus()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, SourceViewer)
            assert answer.citations[0].source in app.screen.source
            await pilot.press("escape")
            assert not isinstance(app.screen, SourceViewer)

    asyncio.run(scenario())


def test_switching_to_staff_hides_confidential_sources(sample_index):
    question = "What was the overall opinion of the internal audit?"

    async def scenario():
        app = AimsApp(sample_index[0], warm_model=False)
        async with app.run_test(size=SIZE) as pilot:
            auditor = await _ask(app, pilot, question, "auditor")
            assert "internal-audit-report-2026.pdf" in {c.source for c in auditor.citations}
            staff = await _ask(app, pilot, question, "staff")
            assert "internal-audit-report-2026.pdf" not in {c.source for c in staff.citations}

    asyncio.run(scenario())


def test_checklist_status_and_justification_reach_the_export(tmp_path, make_assistant):
    service = make_assistant(tmp_path / "home")

    async def scenario():
        app = AimsApp(service, warm_model=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f4")
            table = app.query_one("#checklist-table", DataTable)
            table.focus()
            table.move_cursor(row=table.get_row_index("A.10.4"))
            await pilot.pause()
            app.query_one("#applicable", Select).value = "no"
            app.query_one("#status", Select).value = "not started"
            app.query_one("#justification", Input).value = "No AI products are sold to customers."
            await pilot.click("#save")
            await pilot.pause()
            await pilot.click("#export-md")
            await pilot.pause()

    asyncio.run(scenario())
    exported = next((tmp_path / "home" / "exports").glob("statement-of-applicability-*.md")).read_text()
    row = next(line for line in exported.splitlines() if line.startswith("| A.10.4 "))
    assert "| No | No AI products are sold to customers. | not started |" in row


def test_draft_and_export(sample_index):
    async def scenario():
        app = AimsApp(sample_index[0], warm_model=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f5")
            await pilot.pause()
            app.query_one("#kind", Select).value = "impact-assessment"
            await pilot.pause()
            system = next(i for i in app.query(".draft-input").results(Input) if i.name == "system")
            system.value = "ClaimSight"
            await pilot.click("#make-draft")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.query_one("#draft-pane").draft.coverage.filled
            await pilot.click("#export-draft-md")
            await pilot.pause()

    asyncio.run(scenario())
    drafts = list((sample_index[0].home / "drafts").glob("impact-assessment-*.md"))
    assert drafts and drafts[-1].read_text().startswith("# AI System Impact Assessment: ClaimSight")


def test_ingest_runs_while_the_prompt_stays_responsive(tmp_path, make_assistant):
    from .conftest import SAMPLE

    service = make_assistant(tmp_path / "home")

    async def scenario():
        app = AimsApp(service, warm_model=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f3")
            app.query_one("#folder", Input).value = str(SAMPLE)
            app.query_one("#documents-pane").ingest_folder()
            await pilot.pause()
            ingest = [w for w in app.workers if w.group == "ingest"]
            assert ingest, app.query_one("#ingest-status").render()
            await pilot.press("f2")
            prompt = app.query_one("#question", Input)
            prompt.focus()
            await pilot.press(*"still typing")
            assert prompt.value == "still typing"
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = str(app.query_one("#ingest-status").render())
            assert status.startswith("added 19"), status

    asyncio.run(scenario())
    assert service.status().chunks > 0


def test_fake_service_answers_and_refusal_is_shown(tmp_path):
    fake = FakeService(tmp_path)
    fake.answers.append(scripted_answer())

    async def scenario():
        app = AimsApp(fake, warm_model=False)
        async with app.run_test(size=SIZE) as pilot:
            answer = await _ask(app, pilot, "Who approves the policy?", "implementer")
            assert answer.citations[0].source == "ai-policy.md"
            assert fake.asked == [("Who approves the policy?", "implementer")]

    asyncio.run(scenario())


@pytest.mark.parametrize("key", ["f2", "f3", "f4", "f5", "f1"])
def test_snapshots(tmp_path, snap_compare, key):
    app = AimsApp(FakeService(tmp_path), warm_model=False)
    assert snap_compare(app, terminal_size=(120, 36), press=[key])


def test_checklist_sort_accept_a_suggestion_and_open_it(tmp_path, make_assistant):
    from .conftest import SAMPLE

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "supplier-due-diligence-procedure.md").write_bytes(
        (SAMPLE / "supplier-due-diligence-procedure.md").read_bytes())
    service = make_assistant(tmp_path / "home")
    service.ingest([corpus])

    async def scenario():
        app = AimsApp(service, warm_model=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f4")
            table = app.query_one("#checklist-table", DataTable)
            table.focus()
            pane = app.query_one("#checklist-pane")
            pane.sort_by_column(DataTable.HeaderSelected(table, table.ordered_columns[0].key, 0, "ID"))
            pane.sort_by_column(DataTable.HeaderSelected(table, table.ordered_columns[0].key, 0, "ID"))
            table.move_cursor(row=table.get_row_index("A.10.3"))
            await pilot.pause()
            await pilot.click("#suggest")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert pane.suggestions and service.assessments.links() == []
            app.query_one("#suggestions", Select).value = "0"
            await pilot.click("#accept")
            await pilot.pause()
            links = service.assessments.links("A.10.3")
            assert len(links) == 1 and links[0].source == "supplier-due-diligence-procedure.md"
            app.query_one("#linked", Select).value = links[0].id
            await pilot.click("#open-link")
            await pilot.pause()
            assert isinstance(app.screen, SourceViewer) and links[0].quote == app.screen.quote

    asyncio.run(scenario())
