"""The vocabulary bridge: plain words in a question to the defined terms a text answers in.

People ask "the company that makes the tool"; a regulation answers about the "provider". The
thesaurus (`thesaurus.json`, built by `evals/build_thesaurus.py` from the definitions in the
reference texts and the standard catalogue) lists each defined term with the content words of its
definition. A question that is close to a definition, by meaning or by sharing several of its
words, is searched with the term as well, at a lower weight than its own words.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

THESAURUS_FILE = Path(__file__).resolve().parent / "thesaurus.json"
MIN_SIMILARITY = 0.50  # question-to-definition cosine at which a term is added
MIN_SHARED = 3  # or: definition words the question shares (stemmed), with this many at least
MAX_TERMS = 4  # terms added per question at most


@dataclass(frozen=True)
class Entry:
    """A defined term and the words its definition uses."""

    term: str
    cues: tuple[str, ...]
    origin: str

    @property
    def text(self) -> str:
        """What is embedded for the entry: the term, then its definition's words."""
        return f"{self.term}: {' '.join(self.cues)}"


class Thesaurus:
    """Matches a question against the entries; returns the terms to add with their strength."""

    def __init__(self, entries: list[Entry], encode: Callable[[list[str]], np.ndarray]) -> None:
        self.entries = entries
        self._encode = encode
        self._vectors: np.ndarray | None = None
        self._cue_stems: list[set[str]] | None = None
        self._term_stems: list[list[str]] | None = None

    @classmethod
    def load(cls, encode: Callable[[list[str]], np.ndarray], path: Path | None = None) -> Thesaurus | None:
        """The thesaurus in the data file, or None when there is none."""
        try:
            data = json.loads((path or THESAURUS_FILE).read_text())
        except (OSError, ValueError):
            return None
        entries = [Entry(e["term"], tuple(e["cues"]), e.get("origin", "")) for e in data.get("entries", [])]
        return cls(entries, encode) if entries else None

    def _prepare(self, tokenize) -> None:
        if self._vectors is None:
            self._vectors = self._encode([e.text for e in self.entries])
            self._cue_stems = [set(tokens) for tokens in tokenize([" ".join(e.cues) for e in self.entries])]
            self._term_stems = tokenize([e.term for e in self.entries])

    def expand(self, question: str, vector: np.ndarray, tokenize) -> dict[str, float]:
        """Stemmed terms to add for a question, each with a strength in (0, 1]; none that it already uses."""
        if not self.entries:
            return {}
        self._prepare(tokenize)
        asked = set(tokenize([question])[0])
        sims = self._vectors @ vector
        scored: list[tuple[float, int]] = []
        for index, (sim, cues) in enumerate(zip(sims, self._cue_stems)):
            shared = len(asked & cues)
            strength = max(float(sim) if sim >= MIN_SIMILARITY else 0.0,
                           min(1.0, shared / 5) if shared >= MIN_SHARED else 0.0)
            if strength > 0:
                scored.append((strength, index))
        terms: dict[str, float] = {}
        for strength, index in sorted(scored, reverse=True)[:MAX_TERMS]:
            for stem in self._term_stems[index]:
                if stem not in asked:
                    terms[stem] = max(terms.get(stem, 0.0), strength)
        return terms
