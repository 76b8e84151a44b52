"""Table cells as one line each: lines wrapped inside a cell joined, words broken across lines mended.

A narrow column breaks long words ("Recommende" / "d") and hyphenated codes ("NC-2026-" / "01").
A break is mended without a space when the line ends in a hyphen before a lowercase letter or a
digit, when the joined word is a word the document uses elsewhere, or when the fragment after the
break is a stub of one to three lowercase letters that is not a common short word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[A-Za-z]+")
_SHORT_WORDS = frozenset(
    "a an as at be by do go he if in is it me my no of on or so to up us we am are and but can did for has "
    "her him his how its may nor not now off one our out own per she the too two via was who why yes yet you "
    "all any few new old see use".split()
)


def vocabulary(texts: Iterable[str]) -> set[str]:
    """The lowercased words of a document, to recognise a word broken across lines."""
    words: set[str] = set()
    for text in texts:
        words.update(word.lower() for word in _WORD.findall(text))
    return words


def join_cell_lines(cell: str, vocab: set[str] | frozenset[str] = frozenset()) -> str:
    """A cell's wrapped lines as one line, with words broken at the wrap joined again."""
    parts = [part.strip() for part in cell.split("\n") if part.strip()]
    if not parts:
        return ""
    joined = parts[0]
    for part in parts[1:]:
        joined += ("" if _broken_word(joined, part, vocab) else " ") + part
    return joined


def _broken_word(before: str, after: str, vocab: set[str] | frozenset[str]) -> bool:
    if before.endswith("-") and (after[:1].isdigit() or after[:1].islower()):
        return True
    head = re.search(r"[A-Za-z]+$", before)
    tail = re.match(r"[a-z]+(?=$|[^A-Za-z])", after)
    if head is None or tail is None:
        return False
    whole = (head.group(0) + tail.group(0)).lower()
    if head.group(0).lower() in vocab and tail.group(0) in vocab and whole not in vocab:
        return False
    if whole in vocab:
        return True
    return len(tail.group(0)) <= 3 and tail.group(0) not in _SHORT_WORDS and len(head.group(0)) >= 3
