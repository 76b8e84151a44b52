"""The citation verifier: it does not trust the LLM. Every generated sentence must cite a passage
that supports it; unsupported sentences are dropped and reported, invented keys stripped.

Support is measured against the cited passage's own sentences, leaving out any sentence that
reads as an instruction (text inside a document is data): a reply that repeats an injected
instruction is therefore unsupported even when it cites the passage that contains it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from string import Template

import numpy as np

from assistant.answering.features import Unit
from assistant.core.chunks import quote_spans
from assistant.core.models import Answer, Chunk, Citation
from assistant.core.text import INJECTION, sentence_spans
from assistant.core.where import locator

_KEY = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_TRAILING_KEYS = re.compile(r"([.!?])\s*((?:\[\d{1,3}(?:\s*,\s*\d{1,3})*\]\s*)+)")
_NUMBER = re.compile(r"£?\d[\d,.]*%?")
_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_NEGATION = re.compile(r"\b(not|no|never|none|nor|cannot|without)\b|n't\b", re.IGNORECASE)
_STOP = frozenset("the and for that with this from are was were will would shall must may can our your their its "
                  "have has had not any all been being which who what when where how also into than then them "
                  "they there these those such only each every other more most some".split())

MIN_WORD_SUPPORT = 0.6
MIN_SEMANTIC_SUPPORT = 0.45


@dataclass
class Verdict:
    """What the verifier kept and what it rejected, with reasons."""

    kept: list[tuple[str, list[int]]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    invented_keys: list[int] = field(default_factory=list)


def render_prompt(template: str, **values: str) -> str:
    """Fill a prompts/ template; a missing variable is an error, never an empty gap."""
    return Template(template).substitute(**values)


def evidence_block(chunks: list[Chunk]) -> str:
    """The numbered passages the LLM may cite, each with its source."""
    parts = []
    for n, chunk in enumerate(chunks, start=1):
        page = f"page {chunk.page}" if chunk.page else ""
        where = ", ".join(x for x in (chunk.source, page, chunk.section or "") if x)
        parts.append(f"[{n}] ({where})\n{chunk.text}")
    return "\n\n".join(parts)


def split_generated(text: str) -> list[tuple[str, list[int]]]:
    """The reply's sentences with the keys each cites (keys stripped from the text).

    A key written after the full stop ("... media. [1]") belongs to the sentence before it.
    """
    sentences: list[tuple[str, list[int]]] = []
    text = _TRAILING_KEYS.sub(lambda m: f" {m.group(2).strip()}{m.group(1)} ", text)
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        keys = [int(k) for group in _KEY.findall(sentence) for k in group.split(",")]
        clean = " ".join(_KEY.sub("", sentence).split()).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if clean.strip(" .,;:") == "" and sentences:
            sentences[-1][1].extend(keys)
        elif clean:
            sentences.append((clean, keys))
    return sentences


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _evidence_sentences(chunk: Chunk) -> list[str]:
    """The cited passage's sentences (a table row's lines) that count as support.

    Instructions inside documents do not count: a quote unit that reads as one is left out whole.
    """
    found = []
    for start, end in quote_spans(chunk):
        if INJECTION.search(chunk.text[start:end]):
            continue
        found += [chunk.text[s:e] for s, e in sentence_spans(chunk.text, start, end)]
    return found


def support(sentence: str, chunk: Chunk, embed: Callable[[list[str]], np.ndarray]) -> tuple[bool, str, str]:
    """(supported, reason, best supporting quote) of one generated sentence against one passage."""
    candidates = _evidence_sentences(chunk)
    if not candidates:
        return False, "the cited passage holds no usable evidence", ""
    passage_text = " ".join(candidates).lower()
    numbers = [n.rstrip(".,") for n in _NUMBER.findall(sentence)]
    missing_numbers = [n for n in numbers if n.lower() not in passage_text]
    if missing_numbers:
        return False, f"numbers not in the cited passage: {', '.join(missing_numbers)}", ""
    words = _content_words(sentence)
    found = {w for w in words if w in passage_text or w.rstrip("s") in passage_text}
    word_support = len(found) / len(words) if words else 1.0
    vectors = embed([sentence, *candidates])
    sims = vectors[1:] @ vectors[0]
    best = int(np.argmax(sims))
    if word_support < MIN_WORD_SUPPORT:
        return False, f"only {word_support:.0%} of its words are in the cited passage", ""
    if float(sims[best]) < MIN_SEMANTIC_SUPPORT:
        return False, f"the cited passage does not say this (similarity {float(sims[best]):.2f})", ""
    negated = bool(_NEGATION.search(sentence))
    if negated != bool(_NEGATION.search(candidates[best])):
        return False, "the cited passage says the opposite (negation differs)", ""
    # the passage's sentence sharing most of its words must not say the opposite either ("Claims aren't
    # approved automatically" against "every claim is automatically approved")
    stems = {w.rstrip("s") for w in words}
    shared = [len(stems & {w.rstrip("s") for w in _content_words(c)}) for c in candidates]
    closest = int(np.argmax(shared))
    if shared[closest] >= 2 and negated != bool(_NEGATION.search(candidates[closest])):
        return False, "the cited passage says the opposite (negation differs)", ""
    return True, "", candidates[best]


def verify(generated: str, chunks: list[Chunk], embed: Callable[[list[str]], np.ndarray]) -> tuple[Verdict, dict]:
    """Check every sentence of an LLM reply against the passages it cites."""
    verdict = Verdict()
    quotes: dict[tuple[int, int], str] = {}
    for sentence, keys in split_generated(generated):
        valid = [k for k in keys if 1 <= k <= len(chunks)]
        verdict.invented_keys += [k for k in keys if k not in valid]
        if not valid:
            verdict.dropped.append((sentence, "cites no passage" if not keys else "cites only invented passages"))
            continue
        supported_by = []
        reasons = []
        for key in dict.fromkeys(valid):
            ok, reason, quote = support(sentence, chunks[key - 1], embed)
            if ok:
                supported_by.append(key)
                quotes[(len(verdict.kept), key)] = quote
            else:
                reasons.append(f"[{key}] {reason}")
        if supported_by:
            verdict.kept.append((sentence, supported_by))
        else:
            verdict.dropped.append((sentence, "; ".join(reasons)))
    return verdict, quotes


def to_answer(question: str, role: str, verdict: Verdict, quotes: dict, chunks: list[Chunk]) -> Answer:
    """The verified sentences, renumbered, each citing the quote that supports it."""
    citations: list[Citation] = []
    numbers: dict[tuple[int, str], int] = {}
    lines = []
    for index, (sentence, keys) in enumerate(verdict.kept):
        marks = []
        for key in keys:
            quote = quotes[(index, key)]
            ident = (key, quote)
            if ident not in numbers:
                chunk = chunks[key - 1]
                numbers[ident] = len(citations) + 1
                citations.append(Citation(n=numbers[ident], source=chunk.source, page=chunk.page,
                                          section=locator(chunk), quote=quote, score=1.0))
            marks.append(f"[{numbers[ident]}]")
        lines.append(f"{sentence} {''.join(marks)}")
    return Answer(question=question, role=role, answer="\n".join(lines), grounded=bool(lines), citations=citations)


def passages_for_llm(scored: list[Unit], limit: int) -> list[Chunk]:
    """The distinct chunks of the best-scored sentences, best first, for the numbered evidence."""
    chunks: list[Chunk] = []
    for unit in scored:
        chunk = unit.passage.chunk
        if all(c.id != chunk.id for c in chunks):
            chunks.append(chunk)
        if len(chunks) >= limit:
            break
    return chunks
