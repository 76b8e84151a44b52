"""Follow-up questions in a thread: when a question leans on the ones before it, and how much.

A follow-up such as "and who approves it?" or "what about for FraudLens?" names too little to be
searched alone, so it is searched together with the question(s) it follows, the current question
weighing more. A question that stands on its own is searched alone, exactly as without a thread.
The answer still quotes and cites the documents the role may see; only what is searched changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A question that opens like this continues the previous one ("and who approves it?").
LEADS = re.compile(
    r"^\s*(and|also|but|or|so|then|plus|what about|how about|what if|same|as for|and for|what else)\b", re.I)
# A short question with one of these points back to something named earlier ("who signs it off?").
ANAPHORA = re.compile(r"\b(it|its|this|that|these|those|they|them|their|theirs)\b", re.I)
SHORT = 8  # words: at most this many for a pronoun to make a question a follow-up
TINY = 3  # words: a question this short ("For FraudLens?") always leans on the thread
MAX_CONTEXT = 3  # earlier questions used at most
CURRENT_WEIGHT = 0.6  # the current question's share of the query vector; the context shares the rest
CONTEXT_TOKEN_WEIGHT = 0.5  # how much a context word counts, beside the question's own, in lexical coverage


def is_follow_up(question: str) -> bool:
    """Whether a question depends on the thread: it continues ("and ..."), points back, or is tiny."""
    words = question.split()
    if LEADS.search(question) or len(words) <= TINY:
        return True
    return len(words) <= SHORT and ANAPHORA.search(question) is not None


@dataclass
class ThreadQuery:
    """What is searched for a question in a thread: the question, and the earlier questions it leans on."""

    question: str
    context: list[str] = field(default_factory=list)  # oldest first, as in the history

    @property
    def texts(self) -> list[str]:
        """The texts embedded: the question, then its context, most recent first."""
        return [self.question, *reversed(self.context)]

    @property
    def weights(self) -> list[float]:
        """Weights of `texts` in the query vector: the question most, then each earlier one half the next."""
        if not self.context:
            return [1.0]
        decay = [0.5 ** i for i in range(len(self.context))]
        share = (1.0 - CURRENT_WEIGHT) / sum(decay)
        return [CURRENT_WEIGHT, *(share * d for d in decay)]

    @property
    def lexical(self) -> str:
        """The BM25 query: the question counted twice (BM25 sums repeated terms), the context once."""
        if not self.context:
            return self.question
        return " ".join([self.question, self.question, *self.context])

    @property
    def replaced_names(self) -> list[str]:
        """Names in the earlier questions that this follow-up swaps for a name of its own.

        "Who is the business owner of ClaimSight?" / "And of FraudLens?" asks the same of FraudLens:
        ClaimSight is what it replaces, so a passage naming ClaimSight is no closer to the answer. A name
        is a capitalised word past a question's first; a follow-up that points back ("and who approves
        it?") or names nothing replaces nothing.
        """
        own = _names(self.question)
        if not self.context or not own or ANAPHORA.search(self.question):
            return []
        own_lower = {name.lower() for name in own}
        earlier = [name for text in self.context for name in _names(text)]
        return [name for name in dict.fromkeys(earlier) if name.lower() not in own_lower]

    @property
    def prompt_question(self) -> str:
        """The question as an LLM is shown it: with what it follows up, so its prose stays on topic."""
        if not self.context:
            return self.question
        return f"{self.question} (a follow-up to: {' / '.join(self.context)})"


def _names(text: str) -> list[str]:
    """Capitalised words after a text's first word ("FraudLens", "ClaimSight"), without the pronoun I."""
    words = re.findall(r"[A-Za-z][\w'-]*", text)
    return [w for w in words[1:] if w[0].isupper() and w not in ("I", "I'm", "I've", "I'd")]


def thread_query(question: str, history: list[str] | None = None) -> ThreadQuery:
    """The question with the earlier questions it leans on; none when it stands alone or there is no thread.

    Walking back from the most recent question, each earlier one is taken while the one after it
    is itself a follow-up ("who owns ClaimSight?" / "and FraudLens?" / "when was it last reviewed?"
    keeps both), up to `MAX_CONTEXT`.
    """
    question = " ".join(question.split())
    earlier = [" ".join(q.split()) for q in (history or []) if q and q.strip()]
    context: list[str] = []
    current = question
    while earlier and len(context) < MAX_CONTEXT and is_follow_up(current):
        current = earlier.pop()
        if current.lower() != question.lower():
            context.insert(0, current)
    return ThreadQuery(question, context)
