"""The UI as a user drives it: every button in every state (blank selects too), every tab key from every
focus, at 100x30 and 160x45. Built against issue 16, where blank selects crashed the app."""

from __future__ import annotations

import asyncio
import contextlib
import shutil

import pytest
from textual.widgets import Button, DataTable, Input, Select

from assistant.tui.app import TAB_FIELDS, AimsApp
from assistant.tui.confirm import ConfirmScreen
from assistant.tui.viewer import SourceViewer

from .conftest import SAMPLE
from .fake_service import FakeService, scripted_answer

SIZES = [(100, 30), (160, 45)]
TAB_KEYS = {"f2": "ask", "f3": "documents", "f4": "checklist", "f5": "draft"}


async def _settle(app, pilot) -> None:
    """Let the service worker build the hidden tabs, and every worker finish."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


@contextlib.asynccontextmanager
async def _on_tab(service, size, key: str):
    """The app at `size`, its workers settled, on the tab that `key` opens."""
    app = AimsApp(service, warm_model=False)
    async with app.run_test(size=size) as pilot:
        await _settle(app, pilot)
        await pilot.press(key)
        await pilot.pause()
        yield app, pilot


def _status(app, ident: str) -> str:
    return str(app.query_one(ident).render())


@pytest.fixture
def small_service(tmp_path, make_assistant):
    """A real assistant over two sample documents (one public, one confidential)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("supplier-due-diligence-procedure.md", "aims-labels.toml"):
        shutil.copy2(SAMPLE / name, corpus / name)
    (corpus / "minutes.md").write_text("---\nclassification: confidential\n---\n# Committee minutes\n\n"
                                       "The committee reviewed every AI supplier against the due diligence "
                                       "procedure and approved ClaimSight's supplier.\n", encoding="utf-8")
    service = make_assistant(tmp_path / "home")
    service.ingest([corpus])
    return service


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_checklist_button_with_blank_and_chosen_selects(small_service, size):
    service = small_service

    async def scenario():
        async with _on_tab(service, size, "f4") as (app, pilot):
            pane = app.query_one("#checklist-pane")
            table = app.query_one("#checklist-table", DataTable)
            table.focus()
            table.move_cursor(row=table.get_row_index("A.10.3"))
            await pilot.pause()
            assert pane.selected == "A.10.3"
            status, applicable = app.query_one("#status", Select), app.query_one("#applicable", Select)
            assert status.value == "not assessed" and applicable.is_blank()  # the saved (default) values

            # Save with the applicability blank: the status alone is saved, blank is not "no"
            status.value = "partial"
            await pilot.pause()
            await pilot.click("#save")
            await pilot.pause()
            row = service.checklist_row("A.10.3")
            assert (row.status, row.applicable) == ("partial", None), _status(app, "#checklist-status")

            # both blank: nothing to save, said so, nothing changed
            status.value = Select.NULL
            await pilot.pause()
            await pilot.click("#save")
            await pilot.pause()
            assert "Nothing to save" in _status(app, "#checklist-status")
            assert service.checklist_row("A.10.3").status == "partial"

            # Link it and Open with nothing to choose (empty selects hold Select.NULL)
            await pilot.click("#accept")
            await pilot.pause()
            assert "Suggest evidence" in _status(app, "#checklist-status")
            await pilot.click("#open-link")
            await pilot.pause()
            assert "Choose linked evidence" in _status(app, "#checklist-status")

            # leave and come back: the selects start from the saved values
            table.move_cursor(row=table.get_row_index("A.10.4"))
            await pilot.pause()
            table.move_cursor(row=table.get_row_index("A.10.3"))
            await pilot.pause()
            assert status.value == "partial" and applicable.is_blank()

            # suggest, then open the dropdown and press Enter on nothing, then Link it: no crash
            await pilot.click("#suggest")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert pane.suggestions
            labels = [str(prompt) for prompt, _ in app.query_one("#suggestions", Select)._options if prompt]
            assert any(label.startswith("[high]") or label.startswith("[medium]") or label.startswith("[low]")
                       for label in labels), labels  # the confidence tag is shown, not taken as markup
            app.query_one("#suggestions", Select).focus()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            await pilot.click("#accept")
            await pilot.pause()
            assert app.is_running  # whatever Enter left in the select, Link it did not crash the app

            # an unsaved choice survives a link, and Save after the link keeps the saved values
            applicable.value = "yes"
            app.query_one("#suggestions", Select).value = "0"
            await pilot.pause()
            await pilot.click("#accept")
            await pilot.pause()
            links = service.assessments.links("A.10.3")
            assert links and links[-1].source == pane.suggestions[0].source
            assert status.value == "partial" and applicable.value == "yes"
            await pilot.click("#save")
            await pilot.pause()
            row = service.checklist_row("A.10.3")
            assert (row.status, row.applicable, row.evidence) == ("partial", True, len(links))

            # Open with the link chosen shows it; Escape comes back
            app.query_one("#linked", Select).value = links[0].id
            await pilot.pause()
            await pilot.click("#open-link")
            await pilot.pause()
            assert isinstance(app.screen, SourceViewer) and app.screen.quote == links[0].quote
            await pilot.press("escape")
            await pilot.pause()

            # not applicable without a justification: refused in the status line, not a crash
            applicable.value = "no"
            await pilot.pause()
            await pilot.click("#save")
            await pilot.pause()
            assert "Not saved" in _status(app, "#checklist-status")

            await pilot.click("#export")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert _status(app, "#checklist-status").startswith("Exported ")
            assert app.is_running

    asyncio.run(scenario())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_documents_button(small_service, tmp_path, monkeypatch, size):
    import assistant.resources

    service = small_service
    before = {d.source for d in service.status().documents}
    big = tmp_path / "big"
    big.mkdir()
    for n in range(301):  # more than a few hundred files; of a kind that is skipped, so an ingest is quick
        (big / f"f{n}.bin").write_bytes(b"x")
    small = tmp_path / "small"
    small.mkdir()
    (small / "note.md").write_text("# Note\n\nThe AIMS manager keeps this note.\n", encoding="utf-8")
    monkeypatch.setattr(assistant.resources, "sample_corpus", lambda: small)  # "Load the sample" on a stand-in

    async def scenario():
        async with _on_tab(service, size, "f3") as (app, pilot):
            folder = app.query_one("#folder", Input)
            assert app.focused is folder
            assert not app.query_one("#progress").display  # no idle "0% --:--:--"

            await pilot.click("#ingest")  # nothing typed: an error, never the working directory
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Type the folder" in _status(app, "#ingest-status")
            assert {d.source for d in service.status().documents} == before

            folder.value = str(tmp_path / "nowhere")
            folder.focus()
            await pilot.press("enter")  # Enter in the field is the Ingest button
            await pilot.pause()
            assert "Not a folder" in _status(app, "#ingest-status")

            folder.value = str(big)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and "301 files" in app.screen.question
            await pilot.press("escape")
            await pilot.pause()
            assert "Not ingested" in _status(app, "#ingest-status")

            await pilot.click("#ingest")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.click("#confirm-yes")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert _status(app, "#ingest-status").startswith("added 0"), _status(app, "#ingest-status")

            button = app.query_one("#ingest-sample", Button)
            button.focus()
            await pilot.press("enter")
            await pilot.pause()
            # the button is disabled while it works: focus moved to the table, so the keys still go somewhere
            assert app.focused is app.query_one("#documents-table")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert _status(app, "#ingest-status").startswith("added 1")
            assert not button.disabled and not app.query_one("#progress").display

    asyncio.run(scenario())
    assert "note.md" in {d.source for d in service.status().documents}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_draft_button(small_service, size):
    service = small_service

    async def scenario():
        async with _on_tab(service, size, "f5") as (app, pilot):
            assert app.query_one("#export-draft-md", Button).disabled
            await pilot.click("#make-draft")  # the required system left blank
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Not drafted" in _status(app, "#draft-status")

            system = next(i for i in app.query(".draft-input").results(Input) if i.name == "system")
            system.value = "ClaimSight"
            system.focus()
            await pilot.press("enter")  # Enter in a field drafts
            await app.workers.wait_for_complete()
            await pilot.pause()
            pane = app.query_one("#draft-pane")
            assert pane.draft is not None and not app.query_one("#export-draft-md", Button).disabled
            await pilot.click("#export-draft-md")
            await pilot.pause()
            await pilot.click("#export-draft-docx")
            await pilot.pause()

            app.query_one("#kind", Select).value = "ai-policy"  # another kind: the old draft goes
            await pilot.pause()
            await pilot.pause()
            assert pane.draft is None
            assert app.query_one("#export-draft-md", Button).disabled
            assert app.query_one("#export-draft-docx", Button).disabled
            names = [str(label.render()) for label in app.query(".draft-field Label")]
            assert names == ["organisation (required)"]

    asyncio.run(scenario())
    drafts = sorted((service.home / "drafts").glob("impact-assessment-*"))
    assert {p.suffix for p in drafts} == {".md", ".docx"}


def test_tab_keys_work_from_every_focusable_widget(tmp_path):
    fake = FakeService(tmp_path)

    async def scenario():
        app = AimsApp(fake, warm_model=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await _settle(app, pilot)
            checked = 0
            for start_key, start_tab in TAB_KEYS.items():
                await pilot.press(start_key)
                await pilot.pause()
                widgets = [w for w in app.query(f"#{start_tab} *") if w.focusable]
                assert len(widgets) >= 3, start_tab
                for widget in widgets:
                    for key, tab in TAB_KEYS.items():
                        app.query_one("#tabs").active = start_tab
                        widget.focus()
                        await pilot.pause()
                        assert app.focused is widget
                        await pilot.press(key)
                        await pilot.pause()
                        assert app.query_one("#tabs").active == tab, (widget, key)
                        assert app.focused is app.query_one(TAB_FIELDS[tab]), (widget, key, app.focused)
                        checked += 1
            # typing right after F2 reaches the question (it used to go to the tab bar and be lost)
            await pilot.press("f4")
            await pilot.press("f2")
            await pilot.pause()
            await pilot.press(*"who")
            assert app.query_one("#question", Input).value == "who"
            # the palette's tab commands too, from inside a widget
            app.query_one("#question", Input).value = ""
            await pilot.press("ctrl+p")
            await pilot.press(*"Checklist")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            await pilot.pause()
            assert app.query_one("#tabs").active == "checklist" and app.focused is app.query_one("#filter")
            # from a modal screen: it closes and the tab opens
            await pilot.press("f1")
            await pilot.pause()
            await pilot.press("f3")
            await pilot.pause()
            await pilot.pause()
            assert app.query_one("#tabs").active == "documents" and len(app.screen_stack) == 1
            return checked

    assert asyncio.run(scenario()) >= 4 * 4 * 3


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ask_role_switch_clears_and_export_is_classified(tmp_path, size):
    fake = FakeService(tmp_path)
    fake.answers += [scripted_answer("Who approves the policy?"), scripted_answer("And when?")]

    async def scenario():
        app = AimsApp(fake, warm_model=False)
        async with app.run_test(size=size) as pilot:
            await _settle(app, pilot)
            prompt = app.query_one("#question", Input)
            await pilot.press("enter")  # nothing typed: nothing asked
            assert fake.asked == []
            for question in ("Who approves the policy?", "And when?"):
                prompt.value = question
                prompt.focus()
                await pilot.press("enter")
                await app.workers.wait_for_complete()
                await pilot.pause()
                await pilot.pause()
            pane = app.query_one("#ask-pane")
            transcript = app.query_one("#transcript")
            entries = list(transcript.query(".entry"))
            assert len(entries) == 4
            assert transcript.scroll_y > 0 or transcript.max_scroll_y == 0  # the new answer was brought into view
            await pilot.press("ctrl+e")
            await pilot.pause()
            exported = next((fake.home / "sessions").glob("session-*.md")).read_text(encoding="utf-8")
            assert exported.splitlines()[2].startswith("Classification: Public")

            await pilot.press("ctrl+r")  # staff -> implementer: the transcript is cleared, a new thread starts
            await pilot.pause()
            assert pane.thread == [] and app.query_one("#sources", DataTable).row_count == 0
            assert [e.source for e in transcript.query(".entry")] == [pane.transcript[0]]
            assert "Role switched from staff to implementer" in pane.transcript[0]

    asyncio.run(scenario())


def test_a_question_asked_while_the_model_loads_says_it_is_starting_up(tmp_path):
    import threading

    fake = FakeService(tmp_path)
    fake.embedder.gate = threading.Event()
    fake.answers.append(scripted_answer())
    ask = fake.ask

    def ask_with_the_model(*args, **kwargs):  # as the real service: the question needs the model
        fake.embedder.gate.wait(timeout=30)
        return ask(*args, **kwargs)

    fake.ask = ask_with_the_model

    async def scenario():
        app = AimsApp(fake)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for _ in range(50):
                await pilot.pause(0.05)
                if app.query("#draft-pane"):
                    break
            prompt = app.query_one("#question", Input)
            prompt.value = "Who approves the policy?"
            prompt.focus()
            await pilot.press("enter")
            await pilot.pause()
            said = _status(app, "#ask-status")
            fake.embedder.gate.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            return said

    assert "Starting up" in asyncio.run(scenario())


def test_an_answer_under_way_is_not_shown_after_a_role_switch(tmp_path):
    import threading

    fake = FakeService(tmp_path)
    fake.answers.append(scripted_answer())
    gate = threading.Event()
    ask = fake.ask

    def slow_ask(*args, **kwargs):
        gate.wait(timeout=30)
        return ask(*args, **kwargs)

    fake.ask = slow_ask

    async def scenario():
        app = AimsApp(fake, warm_model=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await _settle(app, pilot)
            prompt = app.query_one("#question", Input)
            prompt.value = "Who approves the policy?"
            prompt.focus()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("ctrl+r")  # staff -> implementer while the staff answer is under way
            await pilot.pause()
            gate.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            pane = app.query_one("#ask-pane")
            shown = [e.source for e in app.query("#transcript > .entry")]
            return pane, shown, prompt.disabled

    pane, shown, disabled = asyncio.run(scenario())
    assert pane.answer is None and len(shown) == 1 and "Role switched" in shown[0]
    assert not disabled  # the prompt is free again


def test_an_invalid_labels_file_is_named_once_in_the_ingest_message(small_service, tmp_path):
    """Files an invalid labels file governs are held as restricted: the message says how many, and the reason
    (which already says they are held as restricted until it is fixed) once."""
    folder = tmp_path / "labelled"
    folder.mkdir()
    (folder / "note.md").write_text("# Note\n\nThe AIMS manager keeps this note.\n", encoding="utf-8")
    (folder / "aims-labels.toml").write_text('[labels]\n"note.md" = "secret"\n', encoding="utf-8")

    async def scenario():
        async with _on_tab(small_service, SIZES[-1], "f3") as (app, pilot):
            app.query_one("#folder", Input).value = str(folder)
            await pilot.click("#ingest")
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = _status(app, "#ingest-status")
            assert "1 withheld (" in status and "aims-labels.toml" in status, status
            assert status.count("held as restricted") == 1, status

    asyncio.run(scenario())
    held = [d for d in small_service.status().documents if d.source == "note.md"]
    assert held and held[0].label.value == "restricted"
