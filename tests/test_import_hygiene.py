"""The core and the CLI's argument parsing import none of the heavy libraries."""

import subprocess
import sys

HEAVY = ("textual", "torch", "chromadb", "llama_index", "sentence_transformers")


def _loaded_after(statement: str) -> set[str]:
    code = (
        f"import sys; {statement}; "
        f"print(' '.join(m for m in {HEAVY!r} if any(k == m or k.startswith(m + '.') for k in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_loads_no_heavy_library():
    loaded = _loaded_after(
        "import assistant.core, assistant.core.models, assistant.core.labels, "
        "assistant.core.text, assistant.core.chunks"
    )
    assert loaded == set()


def test_cli_parsing_and_settings_load_no_heavy_library():
    assert _loaded_after("import assistant.cli, assistant.config, assistant.service") == set()


def test_parsers_load_no_model_or_store():
    loaded = _loaded_after("import assistant.retrieval.parsing.html, assistant.retrieval.parsing.pdf")
    assert loaded == set()


def test_checklist_drafting_and_answering_load_no_heavy_library():
    statement = ("import assistant.checklist.catalogue, assistant.checklist.assessment, assistant.checklist.rows, "
                 "assistant.checklist.export, assistant.drafting.kinds, assistant.drafting.draft, "
                 "assistant.answering.extractive, assistant.answering.verify, assistant.evaluation")
    assert _loaded_after(statement) == set()


def test_only_the_tui_imports_textual():
    assert _loaded_after("import assistant.tui.app") >= {"textual"}
    assert "textual" not in _loaded_after("import assistant.commands, assistant.eval_command")
