"""A bare Textual app (a header, one line, a footer): the floor `aims bench ui` compares first paint with.

`python -m assistant.tui.bare --first-paint-report FILE` quits at its first painted frame and
writes the same report as `aims tui --first-paint-report FILE`, so both are timed the same way.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class BareApp(App[None]):
    """Nothing but Textual itself."""

    TITLE = "bare"

    def __init__(self, report: Path) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("first paint")
        yield Footer()

    def on_mount(self) -> None:
        """Report once the first frame is painted."""
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.report.write_text(json.dumps({"painted_at": time.time(), "headless": self.is_headless,
                                           "sub_title": self.sub_title, "heavy_modules_loaded": [],
                                           "modules_loaded": len(sys.modules)}), encoding="utf-8")
        self.exit()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--first-paint-report":
        raise SystemExit("usage: python -m assistant.tui.bare --first-paint-report FILE")
    BareApp(Path(sys.argv[2])).run(headless=not sys.__stderr__.isatty())
