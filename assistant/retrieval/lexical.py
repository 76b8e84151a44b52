"""The lexical side: a persisted BM25 index (bm25s + Snowball stemming) over the same chunks.

Rebuilt from the manifest after every ingest that changed something, and written to a temp
dir that replaces the old one in one rename, so a killed ingest leaves the previous index.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import threading
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

# Dotted clause and control IDs (A.6.2.6, 6.1.2) are kept whole; other tokens are words of 2+ chars.
TOKEN_PATTERN = r"(?u)\b[a-zA-Z]?\d+(?:\.\d+)+\b|\b\w\w+\b"


def fingerprint(ids: list[str]) -> str:
    """A digest of the chunk ids an index covers: tells whether BM25 matches the manifest."""
    digest = hashlib.sha256()
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
    return digest.hexdigest()[:24]


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


_SPLIT = re.compile(TOKEN_PATTERN).findall
_STEMS: dict[str, str] = {}  # word -> its Snowball stem, shared by every thread (a dict write is atomic)
_MAX_STEMS = 500_000  # words kept; past this the table starts again (a corpus's vocabulary is far smaller)
_local = threading.local()  # a PyStemmer stemmer keeps state between calls: one per thread


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-worded, stemmed tokens, the same for documents and queries.

    Token for token what `bm25s.tokenize` gives with this pattern, its English stop words and the same stemmer
    (the index is built with it; `tests/test_lexical.py` compares the two over the corpora). Done here
    because bm25s rebuilds its stop-word set for every text and stems each call's vocabulary afresh, a few ms
    of every question (the answerer tokenizes every candidate sentence); here each word is stemmed once per
    process.
    """
    stopwords = _stopwords()
    out = []
    for text in texts:
        words = [w for w in _SPLIT(text.lower()) if w not in stopwords]
        new = [w for w in dict.fromkeys(words) if w not in _STEMS]
        if new:
            if len(_STEMS) + len(new) > _MAX_STEMS:
                _STEMS.clear()
            stemmer = getattr(_local, "stemmer", None)
            if stemmer is None:
                stemmer = _local.stemmer = _stemmer()
            _STEMS.update(zip(new, stemmer.stemWords(new)))
        out.append([_STEMS.get(w) or _stem_one(w) for w in words])
    return out


def _stem_one(word: str) -> str:
    """One word's stem, for the rare word whose table entry was cleared by another thread meanwhile."""
    stemmer = getattr(_local, "stemmer", None) or _stemmer()
    return stemmer.stemWord(word)


@functools.cache
def _stopwords() -> frozenset[str]:
    """bm25s's English stop words (its `stopwords="en"`)."""
    from bm25s.tokenization import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


class LexicalIndex:
    """A BM25 index over chunk texts, with each chunk's label for filtering inside the search.

    Held compactly because it grows with the corpus: ids as one fixed-width byte array, labels as
    one byte each, and a loaded index's postings memory-mapped from its files, so only the pages of
    the words a question uses are read into memory.
    """

    def __init__(self, retriever, ids: list[str], labels: list[str], fp: str,
                 lengths: np.ndarray | None = None, ties: np.ndarray | None = None) -> None:
        self.retriever = retriever
        # each chunk's text checksum: equal scores are ordered by it, not by the index's order, which follows the
        # chunk ids, and those hash the document's path (two checkouts of one corpus ranked ties apart)
        self.ties = ties
        # each chunk's length in indexed words (bm25s keeps only their average), for a role's own average
        self.lengths = lengths
        self.average_length = float(lengths.mean()) if lengths is not None and len(lengths) else 0.0
        self.ids = np.array(ids, dtype="S") if ids else np.array([], dtype="S1")
        self.label_names = sorted(set(labels))
        codes = {name: n for n, name in enumerate(self.label_names)}
        self.label_codes = np.array([codes[label] for label in labels], dtype=np.uint8)
        self.fingerprint = fp

    def __len__(self) -> int:
        return len(self.ids)

    def chunk_ids(self) -> list[str]:
        """The indexed chunk ids, in the index's order."""
        return [raw.decode() for raw in self.ids.tolist()]

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str]]) -> LexicalIndex:
        """Index (id, text, label) rows, read once as they come (e.g. straight from the manifest).

        The texts are never all held at once, and tokens go to bm25s as ids over one vocabulary
        rather than as strings it would map to ids again: at 40k chunks this halves the build's
        transient memory (measured, see README).
        """
        import bm25s

        ids: list[str] = []
        labels: list[str] = []
        ties: list[int] = []

        def texts() -> Iterator[str]:
            for chunk_id, text, label in rows:
                ids.append(chunk_id)
                labels.append(label)
                ties.append(zlib.crc32(text.encode()))
                yield text

        tokens = bm25s.tokenize(texts(), token_pattern=TOKEN_PATTERN, stopwords="en", stemmer=_stemmer(),
                                return_ids=True, show_progress=False)
        retriever = bm25s.BM25()
        if ids:
            retriever.index(tokens, show_progress=False)
        lengths = np.array([len(doc) for doc in tokens.ids], dtype=np.int32)
        return cls(retriever, ids, labels, fingerprint(ids), lengths, np.array(ties, dtype=np.uint32))

    def save(self, path: Path) -> None:
        """Write atomically: a sibling temp dir renamed over the old index."""
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if len(self):
            self.retriever.save(str(tmp), show_progress=False)
            if self.lengths is not None:
                np.save(tmp / "lengths.npy", self.lengths)
            if self.ties is not None:
                np.save(tmp / "ties.npy", self.ties)
        labels = [self.label_names[code] for code in self.label_codes.tolist()]
        (tmp / "chunks.json").write_text(
            json.dumps({"ids": self.chunk_ids(), "labels": labels, "fingerprint": self.fingerprint})
        )
        old = path.with_name(path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if path.exists():
            path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none (or it is unreadable)."""
        import bm25s

        meta_path = path / "chunks.json"
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            retriever = bm25s.BM25.load(str(path), mmap=True, show_progress=False) if meta["ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        lengths_path = path / "lengths.npy"
        try:
            lengths = np.load(lengths_path) if lengths_path.exists() else None
        except (OSError, ValueError):
            lengths = None
        if lengths is not None and len(lengths) != len(meta["ids"]):
            lengths = None
        try:
            ties = np.load(path / "ties.npy") if (path / "ties.npy").exists() else None
        except (OSError, ValueError):
            ties = None
        if meta["ids"] and (ties is None or len(ties) != len(meta["ids"])):
            return None  # saved before ties were ordered by content: built again, so every checkout ranks alike
        return cls(retriever, meta["ids"], meta["labels"], meta["fingerprint"], lengths, ties)

    def idf(self, tokens: list[str], labels: list[str] | None = None) -> dict[str, float]:
        """Inverse document frequency of stemmed tokens among the chunks with one of `labels` (all when None);
        a token none of them uses gets the maximum.

        Counted over a role's own chunks, so how rare a word is to staff never depends on how often
        confidential or restricted documents use it.
        """
        total, freqs = self._doc_freqs(tokens, labels)
        return {token: _idf(total, df) for token, df in freqs.items()}

    def known_idf(self, tokens: list[str], labels: list[str] | None = None) -> dict[str, float]:
        """`idf` of only the tokens some chunk with one of `labels` uses (`known`), each token's postings read once.

        The answerer weighs which of the question's words the evidence must contain by it; a word only
        documents a role may not see use is left out, as if no document used it.
        """
        total, freqs = self._doc_freqs(tokens, labels)
        return {token: _idf(total, df) for token, df in freqs.items() if df > 0}

    def known(self, tokens: list[str], labels: list[str] | None = None) -> set[str]:
        """The stemmed tokens that some indexed chunk uses (with one of `labels`, when given).

        The others can never be matched (for those labels): a role's searches score only its chunks.
        """
        return {token for token, df in self._doc_freqs(tokens, labels)[1].items() if df > 0}

    def _doc_freqs(self, tokens: list[str], labels: list[str] | None) -> tuple[int, dict[str, int]]:
        """How many chunks carry one of `labels` (all when None), and how many of them use each token."""
        vocab = self.retriever.vocab_dict if len(self) else {}
        wanted = self._mask(labels)
        total = max(1, int(wanted.sum()) if wanted is not None else len(self))
        return total, {token: self._doc_freq(vocab[token], wanted) if token in vocab else 0 for token in tokens}

    def _doc_freq(self, token_id: int, wanted: np.ndarray | None) -> int:
        """How many chunks (those `wanted` marks, all when None) use the token."""
        indptr = self.retriever.scores["indptr"]
        if wanted is None:
            return int(indptr[token_id + 1] - indptr[token_id])
        docs = np.asarray(self.retriever.scores["indices"][indptr[token_id]:indptr[token_id + 1]])
        return int(wanted[docs].sum())

    def _mask(self, labels: list[str] | None) -> np.ndarray | None:
        """Which chunks carry one of `labels` (None for every chunk, when `labels` is None)."""
        if labels is None or not len(self):
            return None
        return np.isin(self.label_codes, self._codes_of(labels))

    def _codes_of(self, labels: list[str]) -> list[int]:
        """The codes `label_codes` uses for those of `labels` that some chunk carries."""
        allowed = set(labels)
        return [code for code, name in enumerate(self.label_names) if name in allowed]

    def search(self, query: str, k: int, labels: list[str]) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best k chunks whose label is in `labels`.

        Only those chunks are scored, each word's IDF is counted over them (`idf`), and a chunk's length is
        normalised by the average length of those chunks: bm25s stores each chunk's score for a word with the
        whole index's IDF and average length in it, so the score is worked back to the word's count in the
        chunk and scored again with the role's (`_role_scores`). A role's ranking then does not depend on what
        documents it may not see say, nor on how long they are. An index saved before lengths were kept
        normalises by every chunk's average (`current_index` rebuilds it on first use).
        """
        if not len(self):
            return []
        tokens = tokenize([query])[0]
        vocab = self.retriever.vocab_dict
        token_ids = [vocab[token] for token in tokens if token in vocab]
        wanted = self._mask(labels)
        total = int(wanted.sum())
        k = min(k, total)
        if not token_ids or k <= 0:
            return []
        data, indices, indptr = (self.retriever.scores[key] for key in ("data", "indices", "indptr"))
        scores = np.zeros(len(self), dtype=np.float32)
        averages = None  # (every chunk's average length, the role's), when they differ
        if self.lengths is not None and total < len(self):
            averages = (self.average_length, float(self.lengths[wanted].mean()))
        contributions: dict[int, np.ndarray] = {}
        for token_id in token_ids:  # a word asked twice counts twice, as in bm25s
            start, end = int(indptr[token_id]), int(indptr[token_id + 1])
            docs = np.asarray(indices[start:end])
            if token_id not in contributions:  # the postings read once, whatever the question repeats
                stored = np.asarray(data[start:end], dtype=np.float64)
                whole_idf, role_idf = _idf(len(self), end - start), _idf(total, int(wanted[docs].sum()))
                contributions[token_id] = (stored * (role_idf / whole_idf) if averages is None else
                                           self._role_scores(stored, docs, whole_idf, role_idf, averages))
            scores[docs] += contributions[token_id].astype(np.float32)
        scores[~wanted] = 0.0
        best = np.argpartition(-scores, k - 1)[:k]
        last = float(scores[best].min())
        if last > 0:  # every chunk tied with the last one taken competes for the last places, not those first in order
            best = np.union1d(best, np.flatnonzero(scores == last))
        keys = self.ties[best] if self.ties is not None else best
        best = best[np.lexsort((best, keys, -scores[best]))][:k]  # ties by content, then in the index's order
        return [(self.ids[int(doc)].decode(), float(scores[doc])) for doc in best if scores[doc] > 0]


    def _role_scores(self, stored: np.ndarray, docs: np.ndarray, whole_idf: float, role_idf: float,
                     averages: tuple[float, float]) -> np.ndarray:
        """One word's scores for `docs` with the role's IDF and average length, from bm25s's stored ones.

        bm25s (Lucene's variant) stores idf * tf / (tf + k1 * (1 - b + b * length / average)); the count tf is
        a whole number, so it is read back exactly (rounded) and scored again.
        """
        k1, b = self.retriever.k1, self.retriever.b
        length = self.lengths[docs].astype(np.float64)
        whole_norm = k1 * (1 - b + b * length / averages[0])
        share = np.minimum(stored / whole_idf, 1 - 1e-9)
        counts = np.rint(share * whole_norm / (1 - share))
        return role_idf * counts / (counts + k1 * (1 - b + b * length / averages[1]))


def _idf(total: int, df: int) -> float:
    """BM25's (Lucene's) inverse document frequency, as bm25s computes it at indexing."""
    return float(np.log(1 + (total - df + 0.5) / (df + 0.5)))


def current_index(manifest, folder: Path, cached: LexicalIndex | None = None) -> LexicalIndex:
    """The BM25 index of the manifest's committed chunks: `cached` if it still covers them, else the
    one saved in `folder`, rebuilt first if it does not cover exactly those chunks."""
    current = manifest.get_meta("chunks_fp")
    if cached is not None and cached.fingerprint == current:
        return cached
    with manifest.lock("sync"):  # one rebuild at a time per data dir, none mid-sync
        current = manifest.get_meta("chunks_fp")
        index = LexicalIndex.load(folder)
        stale = index is not None and len(index) and index.lengths is None  # saved before lengths were kept
        if index is None or current is None or index.fingerprint != current or stale:
            from assistant.retrieval.memory import release_free_memory

            built = LexicalIndex.build(manifest.iter_chunk_texts())
            built.save(folder)
            loaded = LexicalIndex.load(folder)  # the same index, its postings memory-mapped
            index = loaded if loaded is not None else built
            del built
            manifest.set_meta("chunks_fp", index.fingerprint)
            release_free_memory()  # the build's texts and tokens are garbage now
    return index
