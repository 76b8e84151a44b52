"""Small helpers the panes share for reading form widgets and labelling choices.

Textual's blank select is easy to misread (in 8.x `Select.BLANK` is False and an empty select
holds `Select.NULL`), so every pane reads a select through `chosen` and nothing else.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Select


def chosen(select: Select) -> str | None:
    """The select's value as text, or None when nothing is chosen.

    One reading for every select, so a blank (or an empty list of options) can never pass as a choice.
    """
    value = select.value
    if select.is_blank() or value is Select.NULL or value is Select.BLANK or value is None:
        return None
    return str(value)


def option_label(text: str, width: int) -> Text:
    """A select option's label: plain text (so `[high]` is not markup), cut at `width` with an ellipsis.

    Textual reads a str label as markup and clips it without a sign; a Text is shown as written.
    """
    flat = " ".join(text.split())
    return Text(flat if len(flat) <= width else flat[: width - 1].rstrip() + "…")
