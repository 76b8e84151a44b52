"""The BM25 index a role searches: what documents it may not see say never changes its scores or weights."""

from __future__ import annotations

import numpy as np

from assistant.retrieval.lexical import LexicalIndex, tokenize

# Chunks of one length (in indexed words), so the average length BM25 normalises by is the same whether or not
# the hidden chunks are counted (chunks of many lengths are checked below, with the role's own average).
PUBLIC = [
    ("p1", "Staff may use the approved chatbot for drafting emails to customers today", "public"),
    ("p2", "Report every incident with an approved chatbot to the service desk quickly by phone", "public"),
    ("p3", "Training records for the chatbot are kept by the learning team centrally in shared folders", "public"),
    ("p4", "The merger review board meets monthly and approves new supplier contracts", "public"),
]
HIDDEN = [
    (f"h{n}", f"Merger review notes {n} name the buyer and the chatbot pricing terms agreed", "restricted")
    for n in range(6)
]


def _scores(index: LexicalIndex, query: str, labels: list[str]) -> dict[str, float]:
    return dict(index.search(query, 50, labels))


def test_a_role_scores_as_if_the_documents_it_may_not_see_were_not_indexed():
    whole = LexicalIndex.build(PUBLIC + HIDDEN)
    alone = LexicalIndex.build(PUBLIC)
    assert len({len(tokenize([text])[0]) for _, text, _ in PUBLIC + HIDDEN}) == 1  # one length: same avgdl
    for query in ("Who approves the merger?", "chatbot incident", "merger review chatbot pricing"):
        staff, reference = _scores(whole, query, ["public"]), _scores(alone, query, ["public"])
        assert staff.keys() == reference.keys() and staff
        assert np.allclose([staff[k] for k in reference], list(reference.values()), rtol=1e-5)
    # the hidden chunks do change the scores of a role that may see them: the test can tell the two apart
    merger = _scores(whole, "Who approves the merger?", ["public", "restricted"])
    assert not np.isclose(merger["p4"], _scores(alone, "Who approves the merger?", ["public"])["p4"])


def test_a_role_scores_as_if_the_longer_documents_it_may_not_see_were_not_indexed():
    """Chunks of many lengths: BM25 normalises a chunk's length by the role's own average, so the long
    restricted chunks change no staff score (bm25s stores scores with the whole index's average in them)."""
    long_hidden = [(f"h{n}", "Merger review notes name the buyer, the chatbot pricing terms agreed, the board "
                    "members who approved them and every supplier contract they touch " * (n + 1), "restricted")
                   for n in range(4)]
    short_public = PUBLIC + [("p5", "Chatbot incidents go to the desk", "public")]
    whole = LexicalIndex.build(short_public + long_hidden)
    alone = LexicalIndex.build(short_public)
    assert whole.lengths is not None and len(set(whole.lengths.tolist())) > 3
    for query in ("Who approves the merger?", "chatbot incident", "merger review chatbot pricing", "supplier board"):
        staff, reference = _scores(whole, query, ["public"]), _scores(alone, query, ["public"])
        assert staff.keys() == reference.keys() and staff
        assert np.allclose([staff[k] for k in reference], list(reference.values()), rtol=1e-5)


def test_an_index_saved_without_chunk_lengths_is_rebuilt_on_first_use(tmp_path):
    """Indexes saved before lengths were kept still load (and score over every chunk's average length);
    `current_index` rebuilds such an index once, so a role's scores become its own."""
    from assistant.retrieval.lexical import current_index

    index = LexicalIndex.build(PUBLIC + HIDDEN)
    index.save(tmp_path / "bm25")
    (tmp_path / "bm25" / "lengths.npy").unlink()
    old = LexicalIndex.load(tmp_path / "bm25")
    assert old is not None and old.lengths is None and _scores(old, "chatbot incident", ["public"])

    class Manifest:
        """The two things `current_index` reads of the manifest."""

        meta = {"chunks_fp": index.fingerprint}

        def get_meta(self, key):
            return self.meta.get(key)

        def set_meta(self, key, value):
            self.meta[key] = value

        def lock(self, name):
            import contextlib

            return contextlib.nullcontext()

        def iter_chunk_texts(self):
            return iter(PUBLIC + HIDDEN)

    rebuilt = current_index(Manifest(), tmp_path / "bm25")
    assert rebuilt.lengths is not None and (tmp_path / "bm25" / "lengths.npy").exists()
    assert rebuilt.lengths.tolist() == index.lengths.tolist()


def test_idf_and_known_words_are_counted_over_the_roles_chunks():
    whole = LexicalIndex.build(PUBLIC + HIDDEN)
    alone = LexicalIndex.build(PUBLIC)
    words = tokenize(["merger chatbot buyer pricing incident"])[0]
    assert whole.known(words, ["public"]) == alone.known(words) == set(tokenize(["merger chatbot incident"])[0])
    staff, reference = whole.idf(words, ["public"]), alone.idf(words)
    assert staff == reference
    everyone = whole.idf(words)
    merger = tokenize(["merger"])[0][0]
    assert everyone[merger] < staff[merger]  # seven of ten chunks use it in all; one of four that staff see


def test_search_over_every_label_matches_bm25s():
    """The role-scoped scoring is bm25s's own when every chunk may be seen (same chunks, same scores)."""
    index = LexicalIndex.build(PUBLIC + HIDDEN)
    query = "merger review chatbot"
    tokens = [t for t in tokenize([query])[0] if t in index.retriever.vocab_dict]
    docs, scores = index.retriever.retrieve([tokens], k=len(index), show_progress=False)
    theirs = {index.ids[int(d)].decode(): float(s) for d, s in zip(docs[0], scores[0]) if s > 0}
    ours = _scores(index, query, ["public", "restricted"])
    assert ours.keys() == theirs.keys()
    assert np.allclose([ours[k] for k in theirs], list(theirs.values()), rtol=1e-5)


def test_known_idf_is_idf_of_the_known_words():
    index = LexicalIndex.build(PUBLIC + HIDDEN)
    words = tokenize(["merger chatbot buyer pricing incident holiday"])[0]
    for labels in (["public"], None):
        known = index.known(words, labels)
        assert index.known_idf(words, labels) == {w: v for w, v in index.idf(words, labels).items() if w in known}


def test_tokenize_gives_bm25s_tokens_for_every_text_of_the_sample_corpus():
    """The query side's own tokenizer must give exactly what the index was built with (`bm25s.tokenize`):
    a stem that differed would never match. Checked over every file of the sample corpus as read, plus
    clause IDs, accents, apostrophes and stop words, in one call and text by text (the stem table is warm)."""
    from pathlib import Path

    import bm25s

    from assistant.retrieval.lexical import TOKEN_PATTERN, _stemmer

    corpus = Path(__file__).resolve().parent.parent / "corpus" / "sample"
    texts = [path.read_text(errors="ignore") for path in sorted(corpus.rglob("*"))
             if path.suffix in {".md", ".txt", ".csv", ".html"}]
    texts += ["", "A.6.2.6 and 6.1.2 of ISO/IEC 42001:2023", "naïve café: Ümlaut's don't", "The THE the",
              "v2.0 1.2.3.4 a1.5 x y", "Who approves?\nThe SIRO approves; deputies don't."]
    expected = bm25s.tokenize(texts, token_pattern=TOKEN_PATTERN, stopwords="en", stemmer=_stemmer(),
                              return_ids=False, show_progress=False)
    assert len(texts) > 10
    assert tokenize(texts) == expected
    assert [tokenize([text])[0] for text in texts] == expected


def test_equal_scores_rank_alike_whatever_the_ids(tmp_path):
    """Chunk ids hash the document's path, so two checkouts of one corpus index the same texts in another
    order; chunks with equal scores must still come back in one order (it moved an eval figure between them)."""
    from assistant.retrieval.lexical import LexicalIndex

    texts = [f"The review of system {name} is due every year." for name in "ABCDEFGH"] + ["Unrelated words here."]
    rows = [(f"id-{n}", text, "internal") for n, text in enumerate(texts)]
    here = LexicalIndex.build(rows)
    there = LexicalIndex.build([(f"other-{n}", text, "internal") for n, (_, text, _) in enumerate(reversed(rows))])
    text_of = {**{f"id-{n}": t for n, t in enumerate(texts)},
               **{f"other-{n}": t for n, t in enumerate(reversed(texts))}}
    for k in (3, 8):  # a cut inside the tie, and the whole tie
        first = [text_of[cid] for cid, _ in here.search("When is the review due?", k, ["internal"])]
        second = [text_of[cid] for cid, _ in there.search("When is the review due?", k, ["internal"])]
        assert first == second and len(first) == k
    here.save(tmp_path / "bm25")
    assert LexicalIndex.load(tmp_path / "bm25").ties.tolist() == here.ties.tolist()
    (tmp_path / "bm25" / "ties.npy").unlink()  # saved before ties were kept: built again
    assert LexicalIndex.load(tmp_path / "bm25") is None
