"""Opening the façade for a command: the settings from the arguments, and the refusal of an empty index.

Shared by the command modules, so every command opens its data dir the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.cli.output import SAMPLE_CORPUS
from assistant.config import load_settings
from assistant.service import Assistant


def open_assistant(args) -> Assistant:
    """The assistant over the data dir (and Chroma server) the arguments name."""
    overrides = {"chroma_url": args.chroma_url} if getattr(args, "chroma_url", None) else {}
    return Assistant(load_settings(index=getattr(args, "index", None), **overrides))


def open_with_an_index(args) -> Assistant | None:
    """The assistant, or None (having said why) when its index holds nothing to answer from.

    A mistyped --index must not look like an index without evidence, and must not leave an empty
    data dir behind: only ingesting creates one.
    """
    settings = load_settings(index=getattr(args, "index", None),
                             **({"chroma_url": args.chroma_url} if getattr(args, "chroma_url", None) else {}))
    home = Path(settings.home)
    if not settings.chroma_url and not (home / "catalog.sqlite").exists():
        say_empty(home)
        return None
    assistant = Assistant(settings)
    if assistant.chunk_count() == 0:  # team mode: the replica catches up with the server first
        assistant.close()
        say_empty(home)
        return None
    return assistant


def say_empty(home: Path) -> None:
    """Tell the user (on stderr) that the data dir holds no index yet, and how to make one."""
    print(f"aims: the index at {home} is empty: run aims ingest first (for example: aims ingest "
          f"{SAMPLE_CORPUS})", file=sys.stderr)
