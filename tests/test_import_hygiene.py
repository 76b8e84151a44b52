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
    assert "textual" not in _loaded_after("import assistant.cli.checklist, assistant.cli.eval, assistant.cli.ask")


def test_the_tui_module_loads_no_model_or_store():
    loaded = _loaded_after("import assistant.tui.app")
    assert loaded & {"torch", "chromadb", "llama_index", "sentence_transformers"} == set()
    code = "import sys, assistant.tui.app; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the settings and models load after the first paint


def test_invalid_settings_stop_the_ui_with_a_plain_message(tmp_path):
    import os

    config = tmp_path / "config.toml"
    config.write_text("top_k = 0\n")
    env = {**os.environ, "AIMS_CONFIG": str(config)}
    done = subprocess.run([sys.executable, "-m", "assistant", "tui", "--index", str(tmp_path / "home"),
                           "--first-paint-report", str(tmp_path / "report.json")], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    said = done.stdout + done.stderr
    assert "aims: cannot start" in said and "top_k (AIMS_TOP_K)" in " ".join(said.split())


def test_first_paint_comes_before_any_model_or_store(sample_index, tmp_path):
    """The real `aims tui` start-up on an index with documents: nothing heavy is imported before the first frame."""
    import json
    from pathlib import Path

    report = tmp_path / "first-paint.json"
    command = [sys.executable, "-m", "assistant", "tui", "--index", str(sample_index[0].home),
               "--first-paint-report", str(report)]
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["headless"] is True  # no terminal here; `aims bench ui` times it on a pseudo-terminal
    assert data["heavy_modules_loaded"] == []  # nor pydantic: the settings load after the first frame
    assert data["sub_title"] == "loading model…"
    assert data["ready_at"] >= data["painted_at"]  # then the service and every tab were built


def test_bench_ui_times_the_real_terminal_driver(tmp_path):
    """`aims bench ui`'s measure on a pseudo-terminal: the real driver draws, nothing heavy before the frame."""
    from assistant.bench.ui import first_paint

    data = first_paint(tmp_path / "empty")
    assert data["headless"] is False and data["terminal_bytes"] > 1000
    assert data["heavy_modules_loaded"] == [] and data["sub_title"] == "loading model…"
    assert data["first_paint_s"] > 0  # a duration is measured; how long it is, is the benchmark's business
