"""Where the files the assistant ships with are found: the one module that knows, through importlib.resources.

Shipped and read at run time: the ISO/IEC 42001 catalogue, the prompt templates (with the draft
kinds), the sample organisation, the eval question sets with their gate, and the ranker's calibration
(`ranker.json`: the ranker's weights and the judge's thresholds).

Contributors edit the top-level folders of the checkout (`corpus/standard/`, `prompts/`, ...). A
built wheel carries a copy of them as package data under `assistant/_bundled/`, made by the
`build_py` step in `setup.py` from `SHIPPED` below, so nothing is duplicated in git. From a source
checkout (an editable install, or `PYTHONPATH` pointing at it) there is no such copy, and the same
folders are read in place at the checkout's root. The calibration lives inside the package
(`assistant/answering/ranker.json`) and ships as ordinary package data.

Only the standard library is imported here: `setup.py` reads `SHIPPED` from this file at build time.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

# name under assistant/_bundled/ in a wheel -> (folder in the checkout, files left out of the copy)
SHIPPED: dict[str, tuple[str, tuple[str, ...]]] = {
    "standard": ("corpus/standard", ()),
    "sample": ("corpus/sample", ()),
    "prompts": ("prompts", ()),
    "evals": ("evals", ("*.py",)),
}
BUNDLED = "_bundled"
CALIBRATION_NAME = "ranker.json"


def _package() -> Path:
    root = files("assistant")
    if not isinstance(root, Path):  # e.g. imported from a zip: the loaders below need real folders
        raise RuntimeError(f"aims-assistant must be installed as files on disk, not imported from {root}")
    return root


def _folder(name: str) -> Path:
    """The wheel's bundled copy of a shipped folder, else the checkout's folder it was copied from.

    A path that exists neither way is still returned (as the bundled one), so that the error names it
    where it is read; settings defaults are computed from these before anything is read.
    """
    bundled = _package() / BUNDLED / name
    if bundled.is_dir():
        return bundled
    checkout = _package().parent / SHIPPED[name][0]
    return checkout if checkout.is_dir() else bundled


def standard_dir() -> Path:
    """The ISO/IEC 42001 catalogue: clauses, Annex A and crosswalks (default of the `standard_dir` setting)."""
    return _folder("standard")


def prompts_dir() -> Path:
    """The prompt templates, with the draft kinds in `drafts/` (default of the `prompts_dir` setting)."""
    return _folder("prompts")


def sample_corpus() -> Path:
    """The sample organisation's documents (Aldermoor Insurance Group), ready to ingest."""
    return _folder("sample")


def eval_questions() -> Path:
    """The sample organisation's gold questions; `sets.toml` and `gate.json` sit beside them."""
    return _folder("evals") / "questions.jsonl"


def eval_sets() -> Path:
    """The question sets `aims eval` measures (each names its corpus, relative to this file)."""
    return _folder("evals") / "sets.toml"


def shipped_calibration() -> Path:
    """The ranker and judge fit shipped in the package, made on the calibration splits of the eval sets."""
    return _package() / "answering" / CALIBRATION_NAME


def calibration_file(home: Path) -> Path:
    """Where `aims eval --calibrate` saves a calibration in a data dir, and where it is looked for first."""
    return Path(home) / CALIBRATION_NAME


def load_calibration(home: Path | None = None) -> dict:
    """The ranker and judge fit in force: the data dir's (from `aims eval --calibrate`), else the shipped one.

    An unreadable or invalid file counts as absent; no calibration at all gives {}.
    """
    candidates = ([calibration_file(home)] if home is not None else []) + [shipped_calibration()]
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "ranker" in data and "judge" in data:
            return data
    return {}
