"""Stage 1 of answering: the candidate passages for a question, with the retrieval signals that chose them.

A long or multi-part question is searched whole, as each of its parts, and as its rarer key terms
(plus any vocabulary-bridge terms), each by meaning (dense) and by words (BM25); the ranked lists
are fused by reciprocal rank. The sections the best passages belong to are then read whole, so the
sentence that answers can be found even when its own chunk was not retrieved (long articles).
The retrieval parts are handed in (`Sources`), so this module imports nothing of `retrieval`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.core.models import Chunk

RRF_K = 60
LIST_DEPTH = 50  # chunks taken from each ranked list
POOL = 40  # fused chunks kept before section expansion
SECTIONS = 4  # best sections read whole
SECTION_CHUNKS = 12  # a section longer than this contributes only the chunks around its hits
KEY_TERMS = 8  # rarest question terms searched as the key-terms query

# Question words, function words, conversational filler and the words of asking for an amount or a time
# ("how many", "how much", "how long", "how soon"): they carry no topic. Stemmed on first use
# with the same tokenizer as the index (bm25s's own English stopword list has only 33 words).
COMMON_WORDS = """what who when where which how why whom whose can could may might should must do does did is are
was were will would shall have has had any tell explain please know need want allowed allow ok okay get got use
using used thing things something anything actually really just like i'm i've i'd we our ours us my me i you your
yours yes also else am be been being her hers him his she he it its they them their theirs this that these those
there here about above after again against all an and as at because before below between both but by down during
each few for from further if in into more most no nor not of off on once only or other out over own same so some
such than then too under until up very with through to the a one ones lot lots kind sort way stuff bit pretty
someone somebody anyone anybody everyone everybody whether would've going gonna wanna let say said says
many much long soon quickly often still we're you're they're we'll you'll i'll""".split()
_common_stems: dict[object, set[str]] = {}  # by tokenizer: each stems (and drops stop words) its own way


def common_stems(tokenize: Callable[[list[str]], list[list[str]]]) -> set[str]:
    """COMMON_WORDS as this tokenizer stems them (computed once per tokenizer).

    Keyed by the tokenizer's function, not only computed once: the stems of one tokenizer are not
    another's ("many" is "mani" to the Snowball stemmer), and a process may use more than one.
    """
    key = getattr(tokenize, "__func__", tokenize)  # a bound method: its function, so no source is kept alive
    if key not in _common_stems:
        _common_stems[key] = {t for tokens in tokenize(COMMON_WORDS) for t in tokens}
    return _common_stems[key]


_PART_SPLIT = re.compile(r"(?<=[?.!])\s+(?=[A-Z\"'])|;\s+|,?\s+(?:and|or|but|also)\s+(?=(?:what|who|when|where|"
                         r"which|how|why|do|does|is|are|can|may|should|must|will|would|could)\b)", re.I)


class Sources(Protocol):
    """What the candidate stage reads: searches, chunks, cached vectors and the encoder."""

    def dense(self, vector: np.ndarray, k: int, labels: list[str]) -> list[tuple[str, float]]: ...
    def lexical(self, query: str, k: int, labels: list[str]) -> list[tuple[str, float]]: ...
    def chunks(self, ids: list[str]) -> dict[str, Chunk]: ...
    def section_chunks(self, chunk: Chunk) -> list[Chunk]: ...
    def vectors(self, chunks: list[Chunk]) -> dict[str, tuple[np.ndarray, np.ndarray]]: ...
    def encode(self, texts: list[str]) -> np.ndarray: ...
    def encode_tuned(self, texts: list[str]) -> np.ndarray | None: ...
    def tokenize(self, texts: list[str]) -> list[list[str]]: ...
    def idf(self, tokens: list[str], labels: list[str] | None = None) -> dict[str, float]: ...


@dataclass
class Query:
    """What is searched for one question: its vector, its parts, its weighted terms."""

    text: str
    vector: np.ndarray
    part_texts: list[str]
    part_vectors: np.ndarray
    weights: dict[str, float]  # stemmed question term -> IDF weight (context and bridge terms weigh less)
    lexical_text: str  # the BM25 query of the whole question (with a follow-up's context)
    key_terms: list[str]
    bridge_terms: dict[str, float] = field(default_factory=dict)  # stemmed expansion term -> weight
    unknown: list[str] = field(default_factory=list)  # the question's topic words no indexed chunk uses
    asked: list[str] = field(default_factory=list)  # stemmed words naming what it asks for (`values.asked_words`)
    tuned_vector: np.ndarray | None = None  # the question from the tuned question model (None: tuning off)


@dataclass
class Candidate:
    """A chunk in the pool with its vectors and what each retrieval list said of it."""

    chunk: Chunk
    vector: np.ndarray
    sentence_vectors: np.ndarray
    fused: float = 0.0  # reciprocal-rank fusion over all lists
    rank: int = 0  # its place in the fused order (expansion chunks come after)
    dense: float = 0.0  # similarity to the whole question
    dense_rank: int | None = None
    bm25: float = 0.0  # BM25 score of the whole question, over the best in the list
    bm25_rank: int | None = None
    lists: int = 0  # how many ranked lists held it
    section: float = 0.0  # fused score of its section (sum over the section's chunks)
    expanded: bool = False  # read because its section ranked high, not retrieved itself


def rarest_terms(weights: dict[str, float], n: int) -> list[str]:
    """The n heaviest (rarest) weighted terms, heaviest first; ties keep the weights' order.

    One definition for the key-terms query, the ranker's rare-term coverage and the judge's topic words.
    """
    return [term for term, _ in sorted(weights.items(), key=lambda kv: -kv[1])[:n]]


def split_parts(question: str) -> list[str]:
    """The parts of a multi-part question (a situation, then the things asked); one part if it has none."""
    parts = [p.strip(" ,;") for p in _PART_SPLIT.split(question) if p and p.strip(" ,;")]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else [question]


def content_terms(tokenize: Callable[[list[str]], list[list[str]]], text: str) -> list[str]:
    """The stemmed topic words of a text, in order, without question, function and filler words."""
    common = common_stems(tokenize)
    return [t for t in tokenize([text])[0] if t not in common]


STAGES = frozenset({"parts", "key_terms", "sections"})  # the recall stages (the setting recall_stages picks)


def gather(query: Query, sources: Sources, labels: list[str], pool_size: int = POOL,
           stages: frozenset[str] = STAGES) -> list[Candidate]:
    """The candidate pool for a query among the allowed labels, best fused first, then section expansions.

    `stages` names the extra recall stages in use (all here; the setting `recall_stages` picks, none by default).
    """
    lists: list[list[tuple[str, float]]] = []
    dense_whole = sources.dense(query.vector, LIST_DEPTH, labels)
    lexical_whole = sources.lexical(query.lexical_text, LIST_DEPTH, labels)
    lists += [dense_whole, lexical_whole]
    if "parts" in stages and len(query.part_texts) > 1:
        for text, vector in zip(query.part_texts, query.part_vectors):
            lists.append(sources.dense(vector, LIST_DEPTH // 2, labels))
            lists.append(sources.lexical(text, LIST_DEPTH // 2, labels))
    if "key_terms" in stages and query.key_terms:
        bridge = [t for t, w in sorted(query.bridge_terms.items(), key=lambda kv: -kv[1])][:KEY_TERMS]
        lists.append(sources.lexical(" ".join(query.key_terms + query.key_terms + bridge), LIST_DEPTH, labels))
    fused: dict[str, float] = {}
    held: dict[str, int] = {}
    for ranked in lists:
        for rank, (chunk_id, _) in enumerate(ranked):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            held[chunk_id] = held.get(chunk_id, 0) + 1
    order = sorted(fused, key=fused.get, reverse=True)[:pool_size]
    chunks = sources.chunks(order)
    allowed = set(labels)
    dense_rank = {cid: r for r, (cid, _) in enumerate(dense_whole)}
    dense_sim = dict(dense_whole)
    bm25_rank = {cid: r for r, (cid, _) in enumerate(lexical_whole)}
    bm25_top = max((s for _, s in lexical_whole), default=0.0) or 1.0
    bm25_score = dict(lexical_whole)
    pool: dict[str, Candidate] = {}
    for cid in order:
        chunk = chunks.get(cid)
        if chunk is None or chunk.label.value not in allowed:
            continue
        pool[cid] = Candidate(chunk, np.zeros(0, np.float32), np.zeros((0, 0), np.float32), fused=fused[cid],
                              rank=len(pool), dense=dense_sim.get(cid, 0.0), dense_rank=dense_rank.get(cid),
                              bm25=bm25_score.get(cid, 0.0) / bm25_top, bm25_rank=bm25_rank.get(cid),
                              lists=held[cid])
    if "sections" in stages:
        _expand_sections(pool, sources, allowed)
    vectors = sources.vectors([c.chunk for c in pool.values()])
    missing = [c for c in pool.values() if c.chunk.chunk_hash not in vectors]
    if missing:
        encoded = sources.encode([c.chunk.embed_text for c in missing])
        for candidate, vector in zip(missing, encoded):
            vectors[candidate.chunk.chunk_hash] = (vector, np.zeros((0, 0), np.float32))
    for candidate in pool.values():
        candidate.vector, candidate.sentence_vectors = vectors[candidate.chunk.chunk_hash]
    return list(pool.values())


def section_key(chunk: Chunk) -> tuple:
    """What a section is: one heading trail (or sheet) of one document, else its page; a chunk under no
    heading, sheet or page (a regulation's recitals, a plain text without headings) is a section of its own."""
    if chunk.section or chunk.sheet:
        return (chunk.root, chunk.source, chunk.section or chunk.sheet)
    if chunk.page is not None:
        return (chunk.root, chunk.source, "", chunk.page)
    return (chunk.id,)


def _expand_sections(pool: dict[str, Candidate], sources: Sources, allowed: set[str]) -> None:
    """Score each section by its chunks' fused scores, and read the best sections whole into the pool."""
    totals: dict[tuple, float] = {}
    for candidate in pool.values():
        key = section_key(candidate.chunk)
        totals[key] = totals.get(key, 0.0) + candidate.fused
    best = max(totals.values(), default=1.0) or 1.0
    for candidate in pool.values():
        candidate.section = totals[section_key(candidate.chunk)] / best
    ranked_sections = sorted(totals, key=totals.get, reverse=True)[:SECTIONS]
    representative = {}
    for candidate in sorted(pool.values(), key=lambda c: c.rank):
        representative.setdefault(section_key(candidate.chunk), candidate)
    for key in ranked_sections:
        seed = representative[key]
        if seed.chunk.row is not None or not (seed.chunk.section or seed.chunk.page):
            continue  # a table's rows or an unsectioned document: the hits themselves are the evidence
        members = sources.section_chunks(seed.chunk)
        hits = [c.chunk.ordinal for c in pool.values() if section_key(c.chunk) == key]
        if len(members) > SECTION_CHUNKS:  # a long section: the chunks around its hits
            members = [m for m in members if any(abs(m.ordinal - h) <= 2 for h in hits)]
        for member in members:
            if member.id in pool or member.label.value not in allowed:
                continue
            pool[member.id] = Candidate(member, np.zeros(0, np.float32), np.zeros((0, 0), np.float32),
                                        rank=len(pool), section=totals[key] / best, expanded=True)
