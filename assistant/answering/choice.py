"""The LLM's choice of evidence, when an LLM is configured: which of the best sentences state the answer.

The ranker orders sentences by signals that cannot read ("the documents discuss this" looks like
"the documents say this"); a language model can. It is shown the question and the ranker's best
distinct sentences, numbered, and replies with the numbers of those that state the answer, or NONE.
The sentences it names lead the answer in its order; NONE makes the answer `partial`, never
`answered`. The deterministic checks stay in force: a question none of whose words any document uses
stays `none`, and a specific value asked for (an amount, a contact, a date) that none of the chosen
sentences states keeps the answer `partial`, whatever the model replied. A reply that names no
usable number and is not NONE, or no reply, leaves the ranker's order and the judge's verdict as
they were, with a note. So does a long reply: a model that cannot follow the instruction (one seen
here echoed the prompt back, whose example "4, 1" would have been read as its choice) has not chosen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from assistant.answering.features import Unit
from assistant.answering.judge import Verdict, missing_value_kinds
from assistant.answering.pipeline import Evidence
from assistant.core.where import locator

_NONE = re.compile(r"\bnone\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d{1,3}\b")
MAX_REPLY_WORDS = 20  # a choice is a few numbers, perhaps in a short sentence; a longer reply is no choice
MAX_REPLY_CHARS = 200  # the reply is read no further: a model that goes on is stopped there


@dataclass
class Choice:
    """What the model chose: the 1-based numbers of the shown sentences, or none of them (`chosen` empty)."""

    chosen: list[int] = field(default_factory=list)


def shown_units(units: list[Unit], limit: int) -> list[Unit]:
    """The best-ranked units the model is shown: at most `limit`, no two overlapping or repeating a text."""
    shown: list[Unit] = []
    for unit in units:
        if len(shown) >= limit:
            break
        text = " ".join(unit.text.split())
        if any(" ".join(other.text.split()) == text or unit.overlaps(other) for other in shown):
            continue
        shown.append(unit)
    return shown


def sentences_block(units: list[Unit]) -> str:
    """The numbered sentences of the prompt, each after its document and section."""
    lines = []
    for n, unit in enumerate(units, start=1):
        chunk = unit.passage.chunk
        where = ", ".join(x for x in (chunk.source, locator(chunk)) if x)
        lines.append(f"[{n}] ({where}) {' '.join(unit.text.split())}")
    return "\n".join(lines)


def read_reply(pieces: Iterable[str], limit: int = MAX_REPLY_CHARS) -> str:
    """The streamed reply's text, up to about `limit` characters; the stream is closed there, so a model
    that goes on writing is stopped instead of generating a reply that would be refused anyway."""
    text = ""
    try:
        for piece in pieces:
            text += piece
            if len(text) >= limit:
                break
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
    return text


def parse_choice(reply: str, shown: int) -> Choice | None:
    """The model's reply read as a choice; None when it is neither numbers in range nor NONE.

    Numbers outside 1..shown are ignored, repeats kept once, the order kept. A reply that names
    numbers is read as those numbers even if it also says "none" ("none of the others"). A reply of
    more than MAX_REPLY_WORDS words is no choice, whatever numbers it holds: the model did not follow
    the instruction (it may be echoing the prompt, whose example numbers are not its choice).
    """
    if len(reply.split()) > MAX_REPLY_WORDS:
        return None
    numbers = [int(n) for n in _NUMBER.findall(reply)]
    chosen = list(dict.fromkeys(n for n in numbers if 1 <= n <= shown))
    if chosen:
        return Choice(chosen)
    if _NONE.search(reply):
        return Choice([])
    return None


def apply_choice(found: Evidence, shown: list[Unit], choice: Choice) -> Evidence:
    """The evidence with the chosen units first (in the model's order) and the verdict the choice supports.

    Chosen: `answered`, unless a value the question asks for is stated by none of the chosen units
    (then `partial`, naming it). NONE: `partial` (or `none` where the judge found nothing related).
    """
    signals = dict(found.verdict.signals)
    signals["llm_chosen"] = float(len(choice.chosen))
    if not choice.chosen:
        status = "none" if found.verdict.status == "none" else "partial"
        verdict = replace(found.verdict, status=status, signals=signals)
        return replace(found, verdict=verdict, chosen=0)
    picked = [shown[n - 1] for n in choice.chosen]
    rest = [u for u in found.units if all(u is not p for p in picked)]
    missing_values = missing_value_kinds(picked, found.query)
    status = "partial" if missing_values else "answered"
    verdict = Verdict(status, found.verdict.confidence, signals, missing_values)
    return replace(found, units=picked + rest, verdict=verdict, chosen=len(picked))
