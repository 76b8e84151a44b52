"""The extractive composer: quote the ranked units verbatim, cite each one, and say what kind of answer it is.

Nothing is stated that is not a quote or a fixed connective phrase. The ranking and the verdict
(answered, partial, none) come from the question pipeline; this module only chooses among the
ranked units and renders them. A partial answer says plainly which words of the question no quote
contains, then shows the closest quotes; "none" names the documents that were searched.
"""

from __future__ import annotations

import re

from assistant.answering.features import Unit
from assistant.core.chunks import quote_spans, record_line
from assistant.core.models import Answer, Chunk, Citation
from assistant.core.text import INJECTION, LIST_MARKER, near_duplicates
from assistant.core.where import locator

MAX_JOINED_GAP = 60  # characters of unquoted text (a short lead-in) that may sit between joined sentences


def compose(question: str, role: str, units: list[Unit], k: int, searched: list[Chunk], *,
            status: str = "answered", missing: list[str] | None = None, margin: float = 0.25,
            missing_values: list[str] | None = None, context: int = 0,
            context_pool: list[Unit] | None = None, discussed: bool = True) -> Answer:
    """An answer of up to k quoted units, most relevant first: answered, partial (closest quotes), or none.

    After the best unit, others join while within `margin` of its ranker score (two at least when k allows);
    the best unit for each part of a multi-part question joins whatever its score. The best unit is
    quoted with up to `context` sentences either side of it in its passage (found in `context_pool`,
    default `units`), so the first quote reads as the passage wrote it.
    """
    if not units or status == "none":
        return refusal(question, role, searched)
    limit = k  # a partial answer shows as many closest quotes as an answered one: the reader judges them
    best = units[0].score
    chosen: list[Unit] = []
    for unit in units:
        if len(chosen) >= limit:
            break
        if len(chosen) >= 2 and unit.score < best - margin and not unit.for_part:
            continue
        if any(unit.overlaps(other) or near_duplicates(unit.text, other.text) for other in chosen):
            continue
        chosen.append(unit)
    if context and chosen:
        chosen += [unit for unit in context_units(chosen[0], context_pool or units, context)
                   if not any(unit.overlaps(other) for other in chosen)]
    answer = _render(question, role, table_order(group_adjacent(chosen)))
    if status == "partial":
        lead = partial_lead(role, missing or [], missing_values or [], discussed)
        answer = answer.model_copy(update={"answer": f"{lead}\n{answer.answer}", "grounded": False,
                                           "status": "partial"})
    return answer


def partial_lead(role: str, missing: list[str], missing_values: list[str] | None = None,
                 discussed: bool = True) -> str:
    """The plain statement that opens a partial answer: what was not found, then that the quotes are the closest.

    A kind of value asked for and not stated ("a phone number, email or web address") is named first.
    "The documents discuss this" is said only when the quotes share the question's rarest words
    (`discussed`); otherwise the lead says which of its words the closest passages do not mention.
    """
    if not discussed and missing:
        return (f"The closest passages in the documents available to the {role} role do not mention "
                f"{_either(missing)}. They are quoted below; they do not answer the question as asked.")
    if missing_values:
        what = f"nothing in them states {' or '.join(missing_values)}"
        if missing:
            what += ", and the closest passages do not mention " + ", ".join(f"'{w}'" for w in missing)
    elif missing:
        words = ", ".join(f"'{w}'" for w in missing)
        what = f"nothing in them states what was asked about {words}"
    else:
        what = "none of them clearly states what was asked"
    return (f"The documents available to the {role} role discuss this, but {what}. "
            "The closest passages are quoted below; they do not answer the question as asked.")


def _either(words: list[str]) -> str:
    """'a', 'a' or 'b', 'a', 'b' or 'c'."""
    quoted = [f"'{word}'" for word in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def context_units(best: Unit, pool: list[Unit], reach: int) -> list[Unit]:
    """The quotable units up to `reach` places before and after `best` in its passage, walking outwards.

    Why: a sentence alone often leans on its neighbours (a lead-in, the condition it completes), and
    the right evidence is often the sentence beside the best-ranked one. A walk stops at a gap that
    could not be joined (more than a short fragment between, or an instruction-like one). A list is read
    whole around its best line (its lead-in and up to LIST_REACH items either side): an item states its
    rule through the lead-in ("Report any AI problem ... Examples include:"), and the item asked about
    is often the best one's sibling. A quote that would end on a question (a document's FAQ entry)
    carries the sentence after it, the answer, as well.
    """
    same = [unit for unit in pool if unit.passage.chunk.id == best.passage.chunk.id]
    positions = _positions(same)
    at = {positions[id(unit)]: unit for unit in same}
    found: list[Unit] = []
    # a list is read whole around its best line: its lead-in and its items, up to LIST_REACH lines
    farthest = max(reach, LIST_REACH) if _is_list_item(best) or _is_lead_in(best) else reach
    for step in (-1, 1):
        edge = best
        for offset in range(1, farthest + 2):
            unit = at.get(positions[id(best)] + step * offset)
            if unit is None or not _neighbours(edge, unit, positions):
                break
            listed = _is_list_item(unit) and offset <= farthest
            lead_in = step < 0 and _is_lead_in(unit) and offset <= farthest
            answer = step > 0 and _is_question(edge)  # a quote does not end on a question: its answer follows
            if offset > reach and not (listed or lead_in or answer):
                break
            found.append(unit)
            edge = unit
            if offset > reach and not listed:
                break  # past the reach, a list's lead-in starts the list, and an answer ends the quote
    return found


LIST_REACH = 6  # list lines either side of the best one that its quote may carry


def _is_lead_in(unit: Unit) -> bool:
    """Whether the unit introduces what follows it ("Examples include:")."""
    return unit.text.rstrip().endswith(":")


def _is_question(unit: Unit) -> bool:
    """Whether the unit asks (a document's own FAQ entry: "Can I paste it into a free translation tool?")."""
    return unit.text.rstrip().endswith("?")


def _is_list_item(unit: Unit) -> bool:
    """Whether the unit is a line of a bulleted or enumerated list: a line with its marker, or (in a
    document whose list items come without one, a Word list or an HTML <li>) a line of its own that
    the lines next to it join with a single line break, not a paragraph break."""
    text = unit.passage.chunk.text
    line_start = text.rfind("\n", 0, unit.start) + 1
    marker = LIST_MARKER.match(text, line_start)
    if marker is not None:
        return unit.start <= marker.end()
    line_end = text.find("\n", unit.end)
    line_end = len(text) if line_end < 0 else line_end
    if text[line_start:unit.start].strip() or text[unit.end:line_end].strip():
        return False  # one sentence of a longer line
    after_single = line_start >= 2 and text[line_start - 1] == "\n" and text[line_start - 2] != "\n"
    before_single = line_end + 1 < len(text) and text[line_end + 1] != "\n"
    return unit.passage.chunk.row is None and (after_single or before_single)


def group_adjacent(chosen: list[Unit]) -> list[list[Unit]]:
    """The chosen units with neighbouring sentences of one passage joined, in the order of each group's best.

    Two sentences that follow each other in a passage read as the passage wrote them, under one
    citation, rather than as separate claims in score order; units are never joined across a gap.
    """
    positions = _positions(chosen)
    groups: list[list[Unit]] = []
    for unit in chosen:
        touching = [group for group in groups if any(_neighbours(unit, other, positions) for other in group)]
        if not touching:
            groups.append([unit])
            continue
        touching[0].append(unit)
        for other in touching[1:]:  # the unit bridged two groups
            touching[0].extend(other)
            groups.remove(other)
    for group in groups:
        group.sort(key=lambda unit: unit.start)
    return groups


def table_order(groups: list[list[Unit]]) -> list[list[Unit]]:
    """The groups with the other cited rows of each table in the table's own order, in the places they held.

    Why: rows quoted in score order (rows 3, 10, 5, 2) read as a scrambled table; a reader checks
    them against the source top to bottom. The first quote stays first whatever its row (it is the
    answer, read in context), so 3, 10, 5, 2 is shown as 3, 2, 5, 10; other quotes keep their places.
    """
    tables: dict[tuple, list[int]] = {}
    for index, group in enumerate(groups[1:], start=1):
        chunk = group[0].passage.chunk
        if chunk.row is not None:
            tables.setdefault((chunk.root, chunk.source, chunk.sheet, chunk.section, chunk.page), []).append(index)
    ordered = list(groups)
    for places in tables.values():
        rows = sorted((groups[i] for i in places), key=lambda group: group[0].passage.chunk.ordinal)
        for offset, group in enumerate(rows):  # the table's rows fill the places its rows held, in row order
            ordered[places[offset]] = group
    return ordered


def _neighbours(unit: Unit, other: Unit, positions: dict[int, int]) -> bool:
    """Consecutive quotable units of one passage, with nothing between them but a short fragment that
    is not an instruction (a list lead-in such as "This covers:" is quoted with them)."""
    if unit.passage.chunk.id != other.passage.chunk.id or abs(positions[id(unit)] - positions[id(other)]) != 1:
        return False
    first, second = sorted((unit, other), key=lambda u: u.start)
    gap = unit.passage.chunk.text[first.end : second.start]
    return len(gap) <= MAX_JOINED_GAP and not INJECTION.search(gap)


def _positions(units: list[Unit]) -> dict[int, int]:
    """Each unit's index among its passage's quotable units, keyed by id(unit).

    A passage's quotable spans are worked out once, however many of its units are asked about.
    """
    starts: dict[str, dict[int, int]] = {}
    positions: dict[int, int] = {}
    for unit in units:
        chunk = unit.passage.chunk
        if chunk.id not in starts:
            starts[chunk.id] = {start: n for n, (start, _) in enumerate(quote_spans(chunk))}
        positions[id(unit)] = starts[chunk.id].get(unit.start, -10)
    return positions


def _render(question: str, role: str, groups: list[list[Unit]]) -> Answer:
    citations = []
    lines = []
    for n, group in enumerate(groups, start=1):
        chunk = group[0].passage.chunk
        quote = chunk.text[group[0].start : group[-1].end]
        best = max(group, key=lambda unit: unit.score)
        citations.append(Citation(n=n, source=chunk.source, page=chunk.page, section=locator(chunk), quote=quote,
                                  score=round(best.score, 4), focus=best.text if len(group) > 1 else None))
        text = record_line(quote) if chunk.row is not None else " ".join(quote.split())
        heading = governing_heading(chunk.section, text)
        under = f'Under "{heading}": ' if heading else ""
        lines.append(f"{under}{text} [{n}]")
    return Answer(question=question, role=role, answer="\n".join(lines), grounded=True, citations=citations)


# A heading that turns what it heads into its opposite: "Never do these", "5. Prohibited uses", "Where it must not
# be used", "Uses of AI we will not pursue". ("No" as a number's abbreviation, "No 300/2008", and "no-panic" are not.)
_NEGATING = re.compile(r"\b(?:never|not|don't|do not|must not|cannot|can't|won't|prohibited|forbidden|banned)\b"
                       r"|\bno\b(?![-\d]|\s+\d)", re.I)


def governing_heading(section: str | None, text: str) -> str | None:
    """The heading a quote must be read under, shown before it in the answer's line: its nearest heading
    when that heading negates what it heads and the quote does not say it already, else None.

    Why: an item of a list headed "Never do these" reads as the opposite rule when quoted bare ("Use AI
    to decide or suggest marks or grades for summative assessment."); the citation's locator names the
    heading, but a reader reads the answer's lines first. A heading that asks ("Still not sure?") heads
    an answer, not a rule, and is not shown.
    """
    if not section:
        return None
    heading = section.rsplit(" > ", 1)[-1].strip()
    if heading.endswith("?") or not _NEGATING.search(heading):
        return None
    return None if " ".join(heading.lower().split()) in text.lower() else heading


def refusal(question: str, role: str, searched: list[Chunk]) -> Answer:
    """The plain 'no evidence' answer, naming the closest documents that were searched."""
    names = list(dict.fromkeys(chunk.source for chunk in searched))[:3]
    closest = f" The closest documents searched were: {', '.join(names)}." if names else ""
    text = (f"The documents available to the {role} role hold no evidence that answers this, "
            f"so I cannot answer it.{closest}")
    return Answer(question=question, role=role, answer=text, grounded=False, status="none", citations=[])
