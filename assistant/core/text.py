"""Sentence spans, word counts, heading patterns and chunk cutting over plain strings.

Pure functions on offsets into a document's canonical text, so that every chunk and every
quote stays a verbatim slice of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from assistant.core.models import Block, ParsedDocument

# A sentence ends at . ! ? (optionally closed by a quote or bracket) before whitespace and a
# capital, digit, bullet or opening quote; or at a line break that ends a list item.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9•\-–])|\n+")
# Abbreviations whose full stop does not end a sentence (a lone capital does: "Annex A. The ...").
_ABBREVIATION = re.compile(
    r"[\s(\[](?:ext|e\.g|i\.e|cf|vs|no|nos|art|arts|para|paras|pp?|fig|figs|sec|ch|vol|approx|incl|dept|tel|"
    r"ref|refs|dr|mr|mrs|ms|prof|st)\.$", re.IGNORECASE)
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^\n]{1,100})$")
_NAMED_HEADING = re.compile(
    r"^(Appendix|Annex|ANNEX|Schedule|Part|PART|Chapter|CHAPTER|Section|SECTION|Article|Title|TITLE)"
    r"\s+([0-9IVXLC]+[A-Za-z]?)\b[.:]?(.{0,100})$"
)
_DATE_LIKE = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December)\b.*\d{4}\b"
)
# Text in a document that tries to instruct the reader (or a model) is data, never an answer.
INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|all|your|earlier)\b.{0,30}"
    r"\b(instructions?|rules|prompts?|guidelines)\b|\byou are now\b|\bsystem prompt\b|\bnew instructions?\b|"
    # text addressed to the AI that reads the document, not to its people ("Note for AI assistants and
    # summarisers reading this document: ...", "If you are an AI model, ...")
    r"\bnote (?:for|to) (?:any |all )?(?:AI|automated) "
    r"(?:assistants?|summari[sz]ers?|models?|agents?|chatbots?|tools?)\b|"
    r"\b(?:AI|automated|LLM|language[- ]model) (?:assistants?|systems?|models?|agents?|summari[sz]ers?|tools?|readers?)"
    r"(?: (?:and|or) [\w-]+)? (?:reading|summari[sz]ing) this (?:document|page|file|text|note|section)\b|"
    r"\bif you are an? (?:AI|artificial intelligence|language model|LLM|chatbot|automated assistant)\b",
    re.IGNORECASE,
)
# The marker a list item's line opens with ("- ", "• ", "(a) ", "3. "): where a quote sits in a list.
LIST_MARKER = re.compile(r"[ \t]*(?:[-•*–]|\(?[A-Za-z0-9]{1,4}[).])\s+")
# A field of a header block and its value ("Subject: ...", "Next review: ...")
FIELD_LINE = re.compile(r"^[A-Z][\w/&()-]*(?: [\w/&()-]+){0,3}:[ \t]")
_LIST_LINE = re.compile(r"^\s*(?:[-•–*+>|]|\(?[A-Za-z0-9]{1,3}[.)])\s")
WRAP_MIN_WIDTH = 40  # text wrapped narrower than this is a list of short lines, not wrapped prose
WRAP_FULL_SHARE = 0.6  # a line shorter than this share of its paragraph's widest line ends where its author broke it
_NAMED_LEVEL = {"annex": 1, "appendix": 1, "schedule": 1, "part": 1, "title": 1, "chapter": 1,
                "section": 2, "article": 3}


def word_count(text: str) -> int:
    """Whitespace-separated words: the unit chunk sizes are measured in."""
    return len(text.split())


def near_duplicates(a: str, b: str, share: float = 0.7) -> bool:
    """Whether two quotes share more than `share` of their words (Jaccard): quoting both would repeat one.

    One definition for the composer of answers and the drafter, which both drop such repeats.
    """
    words_a, words_b = set(re.findall(r"[a-z0-9]+", a.lower())), set(re.findall(r"[a-z0-9]+", b.lower()))
    return bool(words_a and words_b) and len(words_a & words_b) / len(words_a | words_b) > share


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end], trimmed of surrounding whitespace.

    Used to cut long blocks into chunks and, later, to quote single sentences.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if text[match.start() - 1 : match.start()] == "." and _is_abbreviation(text, match.start()):
            continue  # "ext. 4400", "e.g. the", "Art. 5", "Dr. Rao": not a sentence end
        _append_trimmed(text, cursor, match.start(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
    return spans


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the word ending at text[stop - 1] (a full stop) is an abbreviation or an initial."""
    low = max(0, stop - 12)
    return _ABBREVIATION.search((" " if low == 0 else "") + text[low:stop]) is not None


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def is_instruction(text: str) -> bool:
    """Whether a passage tries to instruct its reader; line breaks are spaces, so a wrapped instruction counts."""
    return INJECTION.search(" ".join(text.split())) is not None


# The formula that enacts a statute ("Be it enacted by the General Assembly of the State of Colorado:", "HAVE
# ADOPTED THIS REGULATION:") or tells where its text goes ("In Colorado Revised Statutes, add part 17 ... as
# follows:") says nothing the statute requires.
ENACTING_FORMULA = re.compile(r"^\s*(?:be it enacted\b|have adopted this (?:regulation|directive|decision)\b|"
                              r"in [A-Z][\w ]{0,40}(?:statutes|code), (?:add|amend|repeal)\b.{0,120}\bas follows:\s*$)",
                              re.IGNORECASE)


def is_furniture(text: str) -> bool:
    """Whether a span is document furniture, not a statement to quote: the wreck of a table layout (a pipe row
    that did not read as a table, "| Al Mode | /erify and Validate | TEVV include ...", from a figure a PDF
    conversion tore apart) or a statute's enacting formula.

    A line of pipe-separated cells opens with a pipe and has three or more; a heading line that separates
    its parts with pipes ("Doc ref: X | Version 1.3 | ...") opens with words and stays quotable.
    """
    return (text.lstrip().startswith("|") and text.count("|") >= 3) or ENACTING_FORMULA.search(text) is not None


def wrap_breaks(text: str, start: int, end: int, *, markdown: bool = False) -> list[int]:
    """Offsets of the line breaks in the paragraph text[start:end] that only wrap a line.

    A break is kept (a real line end) before a list item, quote or table line, after a line ending
    in a colon, and, in plain text, before a field of a header block ("To: ...", "Date: ..."), after
    a line much shorter than the paragraph's widest line or in a paragraph narrower than
    WRAP_MIN_WIDTH. In Markdown every other single break is a wrap (a
    soft break), except after a line ending in two spaces or a backslash (a hard break).
    """
    lines = text[start:end].split("\n")
    if len(lines) < 2:
        return []
    width = max(len(line.rstrip()) for line in lines)
    breaks = []
    offset = start
    for line, following in zip(lines, lines[1:]):
        offset += len(line)
        stripped = line.rstrip()
        hard = (not stripped or not following.strip() or _LIST_LINE.match(following) is not None
                or stripped.endswith(":"))
        if markdown:
            hard = hard or line.endswith("  ") or stripped.endswith("\\")
        else:
            hard = (hard or width < WRAP_MIN_WIDTH or len(stripped) < WRAP_FULL_SHARE * width
                    or FIELD_LINE.match(following) is not None)
        if not hard:
            breaks.append(offset)
        offset += 1
    return breaks


def reflow(text: str, breaks: list[int]) -> str:
    """The text with each wrapping line break replaced by a space: same length, same offsets."""
    if not breaks:
        return text
    parts = []
    cursor = 0
    for position in breaks:
        parts.append(text[cursor:position])
        parts.append(" ")
        cursor = position + 1
    parts.append(text[cursor:])
    return "".join(parts)


# Markdown emphasis around a run of text: **strong** or __strong__, and *emphasis* between word edges
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)[^\n]+?(?<=\S)\1|(?<![\w*])\*(?=[^\s*])[^*\n]+?(?<=[^\s*])\*(?![\w*])")


def without_emphasis(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the Markdown emphasis in these spans taken out ("**Openness.** The Council ..."):
    same length and the same spans, the markers' width moved before the emphasised words as spaces, so
    "or **MANAGE**." reads "or     MANAGE." and its full stop stays against its word.

    Why: a marker is no word of the quote, and it hid sentence ends: "understand it?** No, because ..."
    read as one sentence, an FAQ's question glued to its answer.
    """
    parts: list[str] = []
    cursor = 0
    for start, end in spans:
        for match in _EMPHASIS.finditer(text, start, end):
            width = 2 if match.group(1) else 1
            inner = text[match.start() + width : match.end() - width]
            parts += [text[cursor : match.start()], " " * (2 * width), inner]
            cursor = match.end()
    parts.append(text[cursor:])
    return "".join(parts)


_SENTENCE_BREAK = re.compile(r"[a-z)][.!?]\s+[A-Z]")
_CAPS_HEADING = re.compile(r"^(?=[^a-z]*[A-Z][^a-z]*[A-Z])[A-Z0-9][A-Z0-9 &'’/()\-]{1,58}[A-Z0-9)]$")
CAPS_HEADING_WORDS = 8


def caps_heading(line: str) -> bool:
    """Whether a line standing alone is a capitals heading of plain text ("WHAT'S NEW", "KNOWN ISSUES").

    Memos and release notes mark their parts this way; a line of capitals that ends like a sentence,
    or runs past CAPS_HEADING_WORDS words, is text.
    """
    line = line.strip()
    return bool(_CAPS_HEADING.match(line)) and len(line.split()) <= CAPS_HEADING_WORDS


def heading_level(line: str) -> int | None:
    """The level of a numbered or named heading line ('3.2 Risk criteria', 'Article 5'), else None.

    Plain-text and PDF documents mark structure only this way.
    """
    line = line.strip()
    if not line or len(line) > 110 or line[-1] in ".,;:" and not _NAMED_HEADING.match(line):
        return None
    numbered = _NUMBERED_HEADING.match(line)
    if numbered:
        title = numbered.group(2)
        if (_DATE_LIKE.match(title) or len(title.split()) > 12 or title.rstrip()[-1:] in ".,;" or title.count(",") > 1
                or _SENTENCE_BREAK.search(title)):
            return None  # a numbered list item's sentence ("1. The pilot is extended. The team ..."), not a title
        return numbered.group(1).count(".") + 1
    named = _NAMED_HEADING.match(line)
    if named and len(line.split()) <= 14:
        return _NAMED_LEVEL[named.group(1).lower()]
    return None


_CLAUSE_HEADING_END = re.compile(r"(?:[;,]|;\s*(?:or|and))\s*$", re.IGNORECASE)
_ENUMERATED = re.compile(r"^\(?[A-Za-z0-9]{1,4}\)\s")


def reads_as_clause(heading: str) -> bool:
    """Whether text marked up as a heading is a clause of running text: a list item or lead-in that a
    conversion (PDF to Markdown, say) styled as a heading, such as "(Q) WEB HOSTING ...; OR" or
    "(b) DOCUMENTATION DESCRIBING:".

    Such a line is text to keep and quote, not the title of what follows: taken as a heading it is
    left out of the text and it names every passage after it wrongly.
    """
    text = heading.strip()
    return bool(_CLAUSE_HEADING_END.search(text)) or (bool(_ENUMERATED.match(text)) and text.endswith(":"))


def update_trail(trail: list[tuple[int, str]], level: int, heading: str) -> None:
    """Replace the headings at `level` and deeper with `heading`: the trail a section sits under."""
    while trail and trail[-1][0] >= level:
        trail.pop()
    trail.append((level, heading))


def trail_titles(trail: list[tuple[int, str]]) -> tuple[str, ...]:
    """The heading texts of a trail, outermost first."""
    return tuple(title for _, title in trail)


def chunk_spans(doc: ParsedDocument, target_words: int) -> Iterator[tuple[int, int, Block]]:
    """Cut a parsed document into chunk spans that never cross a heading, page or table row.

    Adjacent prose blocks under the same heading and page are packed up to `target_words`;
    a longer block is cut at sentence ends (and, for run-on text, at word or character limits).
    A prose block (a paragraph) that instructs its reader is left out whole, so no part of an
    embedded instruction is ever retrieved, quoted or drafted from; a table row stays (it is quoted
    whole, and the answerer skips a row that reads as an instruction).
    """
    group: list[Block] = []
    words = 0
    for block in doc.blocks:
        if not block.record and is_instruction(doc.text[block.start : block.end]):
            yield from _flush(doc, group, target_words)  # chunks never span the left-out paragraph
            group, words = [], 0
            continue
        block_words = word_count(doc.text[block.start : block.end])
        if block.record:
            yield from _flush(doc, group, target_words)
            group, words = [], 0
            if block_words <= target_words * 3 and block.end - block.start <= target_words * 36:
                yield block.start, block.end, block
            else:  # a row with a huge cell: cut it like prose rather than embed one giant chunk
                for piece_start, piece_end in _split_long(doc.text, block.start, block.end, target_words):
                    yield piece_start, piece_end, block
            continue
        same_place = group and _place(group[-1]) == _place(block)
        if group and (not same_place or words + block_words > target_words):
            yield from _flush(doc, group, target_words)
            group, words = [], 0
        group.append(block)
        words += block_words
    yield from _flush(doc, group, target_words)


def _place(block: Block) -> tuple:
    return (block.trail, block.page, block.sheet)


def _flush(doc: ParsedDocument, group: list[Block], target_words: int) -> Iterator[tuple[int, int, Block]]:
    if not group:
        return
    first = group[0]
    start, end = group[0].start, group[-1].end
    if word_count(doc.text[start:end]) <= target_words and end - start <= target_words * 12:
        yield start, end, first
        return
    for block in group:
        for piece_start, piece_end in _split_long(doc.text, block.start, block.end, target_words):
            yield piece_start, piece_end, block


def _split_long(text: str, start: int, end: int, target_words: int) -> Iterable[tuple[int, int]]:
    """Pack the sentences of text[start:end] into pieces of at most target_words words."""
    max_chars = target_words * 12
    pieces: list[tuple[int, int]] = []
    cur_start, cur_end, cur_words = None, None, 0
    for s_start, s_end in _bounded_sentences(text, start, end, target_words, max_chars):
        s_words = word_count(text[s_start:s_end])
        too_big = cur_start is not None and (
            cur_words + s_words > target_words or s_end - cur_start > max_chars
        )
        if too_big:
            pieces.append((cur_start, cur_end))
            cur_start, cur_words = None, 0
        if cur_start is None:
            cur_start = s_start
        cur_end = s_end
        cur_words += s_words
    if cur_start is not None:
        pieces.append((cur_start, cur_end))
    return pieces


def _bounded_sentences(
    text: str, start: int, end: int, target_words: int, max_chars: int
) -> Iterator[tuple[int, int]]:
    """Sentences, with any sentence longer than a chunk cut at word (or character) limits."""
    for s_start, s_end in sentence_spans(text, start, end):
        if word_count(text[s_start:s_end]) <= target_words and s_end - s_start <= max_chars:
            yield s_start, s_end
            continue
        yield from _cut_run_on(text, s_start, s_end, target_words, max_chars)


def _cut_run_on(text: str, start: int, end: int, target_words: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Cut a run-on span at whitespace every target_words words, never past max_chars."""
    cursor = start
    while cursor < end:
        limit = min(end, cursor + max_chars)
        words = 0
        cut = limit
        for match in re.finditer(r"\s+", text[cursor:limit]):
            words += 1
            if words >= target_words:
                cut = cursor + match.start()
                break
        if cut <= cursor:
            cut = limit
        spans: list[tuple[int, int]] = []
        _append_trimmed(text, cursor, cut, spans)
        yield from spans
        cursor = cut
