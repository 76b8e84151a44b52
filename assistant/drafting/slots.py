"""Fill a template's fact slots with verbatim spans of the evidence, never with words of our own.

A slot names the shape of the fact it wants (a committee, a role holder, a frequency, a date, a
duration, a phrase, or table records) and sentence patterns around it ("chaired by {holder}",
"reviewed {frequency}"). The evidence units come ranked by the question pipeline; the first unit
in which a pattern matches gives the value, which is always a substring of that unit's quoted text
and is cited with it. The shapes describe English sentence structure, not any one organisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from assistant.drafting.kinds import DraftSlot

_CAP = r"[A-Z][A-Za-z&'’-]*"
_LINK = r"(?:and|of|for|on|&)"
_NUM = r"(?:\d{1,3}|one|two|three|four|five|six|twelve|eighteen|twenty-four)"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_UNIT = r"(?:hours?|days?|weeks?|months?|years?|quarters?)"

_BODY = (rf"(?:(?:{_CAP}\s+(?:{_LINK}\s+)?){{0,6}}(?:Committee|Board|Group|Panel|Forum|Council|Team|Executive)"
         rf"(?:\s+of\s+{_CAP}(?:\s+{_CAP}){{0,3}})?(?:\s*\([A-Z]{{2,8}}\))?|[A-Z]{{2,5}}C\b)")
_ROLE = (rf"(?:Chief\s+(?:{_CAP}\s+){{0,4}}(?:Officer|Executive)|President(?:\s+and\s+(?:CEO|Chief Executive))?|"
         rf"(?:Head|Director|Chair|Vice-Chair)\s+of\s+{_CAP}(?:\s+(?:and\s+)?{_CAP}){{0,3}}|"
         rf"(?:{_CAP}\s+){{0,3}}(?:Manager|Director|Officer|Counsel|Lead|Secretary|Controller|Sponsor|Auditor)|"
         rf"CEO|CRO|CISO|CIO|CTO|DPO|CMIO|COO|CFO)(?:\s*\([A-Z]{{2,6}}\))?")
_PERSON = r"(?:(?:Dr\.?|Rev\.(?:\s+Dr\.?)?|Prof\.?|Mr|Mrs|Ms)\s+)?[A-Z][a-z]+(?:[ -][A-Z][a-z'’-]+){1,2}"
_ACRONYM = r"[A-Z]{2,6}\b(?![-/])"
_HOLDER = (rf"(?:{_PERSON},\s+(?:the\s+)?{_ROLE}|(?:the\s+)?{_ROLE},\s+{_PERSON}|(?:the\s+)?{_ROLE}\s*\({_PERSON}\)|"
           rf"(?:the\s+)?(?:[Cc]hair|[Hh]ead|[Ss]ecretary)\s+of\s+(?:the\s+)?{_BODY}|"
           rf"(?:the\s+)?{_BODY}|(?:the\s+)?{_ROLE}|{_PERSON}|(?:the\s+)?{_ACRONYM})")
_FREQUENCY = (rf"(?:at least\s+)?(?:(?:once|twice)\s+(?:a|per|every|each)\s+(?:year|month|quarter|week)|"
              rf"(?:every|each)\s+(?:{_NUM}\s+)?{_UNIT}|annually|yearly|quarterly|monthly|weekly|fortnightly|"
              rf"twice a year|biannually)")
_DATE = rf"(?:\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|Q[1-4]\s+\d{{4}})"
_DURATION = (rf"(?:(?:no more than|not more than|up to|at most|a maximum of|within|for)\s+)?{_NUM}\s+"
             rf"(?:working\s+|calendar\s+|business\s+)?{_UNIT}")
_PHRASE = r"[^.;\n]{3,220}?(?=\s*(?:[.;\n]|$))"

# Shapes that are told apart by capital letters are matched case-sensitively inside a pattern that is not.
SHAPE_REGEX = {"body": f"(?-i:{_BODY})", "role": f"(?-i:(?:the\\s+)?{_ROLE})", "holder": f"(?-i:{_HOLDER})",
               "person": f"(?-i:{_PERSON})", "frequency": _FREQUENCY, "date": _DATE, "duration": _DURATION,
               "phrase": _PHRASE, "records": _PHRASE}
CANDIDATES = 12  # ranked evidence units a slot looks through for its pattern


@dataclass
class Filled:
    """A slot's value: verbatim spans, each with the unit (sentence or table row) that holds it."""

    name: str
    values: list[tuple[list[str], object]] = field(default_factory=list)  # (verbatim spans, unit)

    @property
    def found(self) -> bool:
        return bool(self.values)


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...], shape: str) -> tuple[re.Pattern, ...]:
    sources = patterns or ("{" + shape + "}",)
    out = []
    for source in sources:
        def value(match: re.Match) -> str:
            return f"(?P<v>{SHAPE_REGEX[match.group(1)]})"
        out.append(re.compile(re.sub(r"\{(" + "|".join(SHAPE_REGEX) + r")\}", value, source), re.IGNORECASE))
    return tuple(out)


def match_value(slot: DraftSlot, text: str) -> str | None:
    """The slot's value in one sentence, as a verbatim substring of it, or None."""
    flat = " ".join(text.split())
    for pattern in _compiled(tuple(slot.patterns), slot.shape if slot.shape != "records" else "phrase"):
        for found in pattern.finditer(flat):
            value = found.group("v").strip(" ,;:-–")
            if len(value) >= 2 and value in text:
                return value
    return None


def record_fields(text: str) -> list[tuple[str, str]]:
    """A table record's (header, value) pairs: its `Header: value` lines."""
    pairs = []
    for line in text.splitlines():
        header, sep, value = line.partition(": ")
        if sep and header.strip() and value.strip():
            pairs.append((header.strip(), value.strip()))
    return pairs


def match_record(slot: DraftSlot, text: str) -> list[str] | None:
    """The cells of a record whose headers match the slot's fields, in field order; None unless every field is there."""
    pairs = record_fields(text)
    cells = []
    for pattern in slot.fields:
        rx = re.compile(pattern, re.IGNORECASE)
        value = next((v for h, v in pairs if rx.search(h) and v not in cells), None)
        if value is None:
            return None
        cells.append(value)
    return cells


def fill(slot: DraftSlot, units: list) -> Filled:
    """The slot's value from the best-ranked units that hold one (already filtered for relevance).

    A records slot takes up to `limit` rows of the table (document) its best matching row is in;
    every other shape takes the first sentence whose pattern matches.
    """
    filled = Filled(slot.name)
    if slot.shape == "records":
        source = None
        for unit in units:
            chunk = unit.passage.chunk
            if chunk.row is None or (source is not None and chunk.source != source):
                continue
            if any(taken.passage.chunk.id == chunk.id for _, taken in filled.values):
                continue  # a long row is quoted in parts: one row is one record
            if (unit.start, unit.end) != (0, len(chunk.text)):
                unit = replace(unit, start=0, end=len(chunk.text))  # a record reads (and cites) its whole row
            cells = match_record(slot, unit.text)
            if cells and all(cell in unit.text for cell in cells):
                source = chunk.source
                filled.values.append((cells, unit))
                if len(filled.values) >= slot.limit:
                    break
        if filled.values:
            filled.values.sort(key=lambda item: (item[1].passage.chunk.row or 0))
            return filled
        if not slot.patterns:
            return filled
    for unit in units[:CANDIDATES]:
        if unit.passage.chunk.row is not None:
            value = _record_value(slot, unit.text)
        else:
            value = match_value(slot, unit.text)
        if value:
            filled.values.append(([value], unit))
            break
    return filled


def _record_value(slot: DraftSlot, text: str) -> str | None:
    """A slot's value inside one cell of a table row (a pattern may span `Header: value`). A two-cell row of a
    key-value table (`Item: Owner` / `Detail: A. Person`) reads as `Owner: A. Person`."""
    pairs = record_fields(text)
    lines = [f"{header}: {value}" for header, value in pairs]
    if len(pairs) == 2:
        lines.append(f"{pairs[0][1]}: {pairs[1][1]}")
    for line in lines:
        found = match_value(slot, line)
        if found and found in text:
            return found
    return None
