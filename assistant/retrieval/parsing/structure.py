"""Structure read the same way in every format, after a parser: labelled items and a statute's sections.

Why here: the parsers read headings, lists and tables as each format marks them; some structure is marked
by no format, only by how its text is written (a framework's "GOVERN 1.5: ..." items run together in a
table cell, a statute's "6-1-1702. Developer duty ... ." section openers). Both only add blocks or
heading-trail segments: the text, and so every quote and offset, is unchanged.
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.core.models import Block, ParsedDocument
from assistant.retrieval.parsing.base import trimmed_block

# An item labelled by a numbered identifier and a colon, as a framework's or a standard's table lists its
# subcategories or controls ("GOVERN 1.5: Ongoing monitoring ...", "A.6.2.6: ..."): a capitalised prefix and a
# number of two or more levels. A level-less number ("Step 2:", "NC-01:") or a lower-case word ("see section
# 4.2:") labels nothing here.
_ITEM_LABEL = re.compile(r"(?:^|(?<=\s))([A-Z]{1,10}(?:\.[A-Z]{1,4})?[ .-]?\d{1,3}(?:\.\d{1,3})+[a-z]?):\s+(?=\S)")
# The last of several labels named together ("A.3.3, A.4.2, A.5.5: close ...", "A.8.3 and A.8.5: agree ...")
# opens no item of its own.
_LISTED_BEFORE = re.compile(r"(?:,|\band|\bor|\bto|&)\s*$")
LABELLED_ITEMS = 3  # a document must hold this many items under one prefix: a list of them, not a stray label


def labelled_items(doc: ParsedDocument) -> ParsedDocument:
    """The document with each labelled item of a prose block filed as a block of its own, under its label.

    Why: a framework's core tables reach us as cells of run-together items ("MANAGE 2.3: Procedures are
    followed ... MANAGE 2.4: Mechanisms are in place ... to supersede, disengage, or deactivate AI systems
    ..."). Read as one paragraph, a chunk holds several items, its vector is the blend of them, and a
    citation names only the table's section. Each item becomes its own block (so its own chunk), filed
    under its label ("5.4 Manage > MANAGE 2.4"); the text is unchanged, so every quote and offset stays.
    Text before a block's first label (a table's caption) stays under the block's own trail.
    """
    found = [(block, [m for m in _ITEM_LABEL.finditer(doc.text, block.start, block.end)
                      if not _LISTED_BEFORE.search(doc.text, max(block.start, m.start() - 6), m.start())])
             for block in doc.blocks if not block.record]
    prefixes = Counter(_prefix(match) for _, matches in found for match in matches)
    listed = {prefix for prefix, count in prefixes.items() if count >= LABELLED_ITEMS}
    if not listed:
        return doc
    split: dict[int, list[Block]] = {}
    for block, matches in found:
        starts = [m for m in matches if _prefix(m) in listed]
        if not starts:
            continue
        pieces: list[Block] = []
        if doc.text[block.start : starts[0].start()].strip():
            pieces.append(block.model_copy(update={"end": starts[0].start()}))
        for match, following in zip(starts, [*starts[1:], None]):
            end = following.start() if following is not None else block.end
            pieces.append(block.model_copy(update={"start": match.start(), "end": end,
                                                   "trail": (*block.trail, match.group(1))}))
        split[id(block)] = [trimmed_block(doc.text, piece) for piece in pieces]
    return doc.model_copy(update={"blocks": [piece for block in doc.blocks for piece in split.get(id(block), [block])]})


def _prefix(label: re.Match) -> str:
    """The letters a label's number follows ("GOVERN" of "GOVERN 1.5", "A." of "A.6.2.6"): what its list shares."""
    return re.match(r"[A-Z.]*", label.group(1)).group(0)


# A statute's section opener, as a state code writes it: its number (hyphenated, "6-1-1702", or after "§") and
# a title in sentence case ending with a full stop, then the section's text ("6-1-1702. Developer duty to
# avoid algorithmic discrimination required documentation. (1) ON AND AFTER ...").
_SECTION_OPENER = re.compile(r"(?:[-*•]\s+)?((?:§\s*)?\d{1,3}(?:-\d{1,4}){1,3}|§\s*\d+(?:\.\d+)*)\.\s+"
                             r"([A-Z][^.;:]{2,160}?)\.(?=\s|$)")
SECTION_TITLE_WORDS = 15  # a longer "title" is the section's text
STATUTE_SECTIONS = 2  # a document must open this many sections so: a statute's, not one numbered line


def statute_sections(doc: ParsedDocument) -> ParsedDocument:
    """The document with each block of a statute's section filed under the section's number ("6-1-1706").

    Why: a state act converted to Markdown or text keeps its section titles only as the opening words of
    a paragraph ("6-1-1706. Enforcement by attorney general. (1) ..."), so every clause of the act sits
    under one heading (the act's part) and a citation cannot say which section it quotes. A section runs
    from its opener to the next, within the heading it opened under. The number alone is its trail: the
    title too went into every one of the section's chunks' embedded text and made them alike (tried: two
    reference calibration questions lost; see the README).
    """
    openers: dict[int, str] = {}
    for index, block in enumerate(doc.blocks):
        match = None if block.record else _SECTION_OPENER.match(doc.text, block.start, block.end)
        if match and re.search(r"[a-z]", match.group(2)) and len(match.group(2).split()) <= SECTION_TITLE_WORDS:
            openers[index] = match.group(1)
    if len(openers) < STATUTE_SECTIONS:
        return doc
    blocks: list[Block] = []
    section: tuple[tuple[str, ...], str] | None = None  # (the trail it opened under, its number)
    for index, block in enumerate(doc.blocks):
        if index in openers:
            section = (block.trail, openers[index])
        elif section is not None and block.trail != section[0]:
            section = None  # a heading of the document's own ends the section
        blocks.append(block.model_copy(update={"trail": (*block.trail, section[1])}) if section else block)
    return doc.model_copy(update={"blocks": blocks})
