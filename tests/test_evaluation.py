"""The metric functions behind `aims eval` (hits, the stage table, the gate) and the baseline it compares with."""

import pytest

from assistant.core.models import Answer, Citation
from assistant.evaluation import (
    EvalQuestion,
    Gold,
    LeakChecker,
    citation_hits,
    format_stage_table,
    format_table,
    format_uncertainty,
    gate,
    paired,
    score,
    sign_test,
    stage_table,
    wilson,
    words_shown,
)


def _question(answerable: bool = True) -> EvalQuestion:
    gold = [Gold(source="policy.md", quote="Report incidents within 24 hours")] if answerable else []
    return EvalQuestion(id="q", question="How fast?", role="staff", category="c", answerable=answerable,
                        gold=gold, must_not_contain=[], split="test")


def _cite(source: str, quote: str, page: int | None = None) -> Citation:
    return Citation(n=1, source=source, page=page, section=None, quote=quote, score=0.0)


def test_a_hit_needs_the_gold_document_and_an_overlapping_quote():
    gold = Gold(source="policy.md", quote="Report incidents within 24 hours")
    assert citation_hits(_cite("policy.md", "Staff must report incidents within 24 hours of noticing them."), gold)
    assert not citation_hits(_cite("other.md", "Report incidents within 24 hours"), gold)
    assert not citation_hits(_cite("policy.md", "Training is annual."), gold)
    assert citation_hits(_cite("a.pdf", "anything", page=3), Gold(source="a.pdf", quote="x", page=3))


def test_a_sibling_clause_with_other_figures_is_no_hit():
    # the EU AI Act's clauses share their wording and differ in the number that answers the question
    death = Gold(source="act.html", quote="but not later than 10 days after the date on which the provider or, where "
                                          "applicable, the deployer becomes aware of the serious incident")
    other = ("The report shall be made immediately, and in any event not later than 15 days after the provider or, "
             "where applicable, the deployer becomes aware of the serious incident.")
    assert not citation_hits(_cite("act.html", other), death)
    assert citation_hits(_cite("act.html", other.replace("15 days", "10 days")), death)
    bans = Gold(source="act.html", quote="Chapters I and II shall apply from 2 February 2025")
    assert not citation_hits(_cite("act.html", "Chapter III and Chapter XII and Article 78 shall apply from 2 August "
                                               "2025, with the exception of Article 101;"), bans)
    assert citation_hits(_cite("act.html", "(a) Chapters I and II shall apply from 2 February 2025;"), bans)
    # words and figures alike: the figures written the same way in both still hit ("£191,000" and "£191,000")
    funding = Gold(source="review.md", quote="Additional resources of £191,000 for 2027 are approved")
    assert citation_hits(_cite("review.md", "MR-2026-D3: Additional resources of £191,000 for 2027 are approved, "
                                            "as set out in section 6."), funding)


def test_an_answer_is_scored_with_the_words_of_evidence_it_shows():
    # the baseline quotes whole nodes: a hit among many words is not the same as a hit among few
    short = Answer(question="q", role="staff", answer="x", grounded=True,
                   citations=[_cite("policy.md", "Report incidents within 24 hours.")])
    long = Answer(question="q", role="staff", answer="x", grounded=True,
                  citations=[_cite("policy.md", "Intro words " * 100 + "Report incidents within 24 hours."),
                             _cite("other.md", "More words " * 50)])
    assert words_shown(short) == 5 and words_shown(long) == 305
    checker = LeakChecker({"policy.md": "public", "other.md": "public"}, {}, {"staff": ["public"]})
    questions = [_question(), _question(answerable=False).model_copy(update={"id": "u"})]
    results = {name: score({"q": answer, "u": short}, questions, checker) for name, answer in
               (("ours", short), ("baseline", long))}
    assert results["ours"]["hit@1"] == results["baseline"]["hit@1"] == 1.0
    assert results["ours"]["words"] == 5 and results["baseline"]["words"] == 305  # over answerable questions only
    assert format_table(results).splitlines()[0].endswith("| leaks | words |")


def test_a_share_of_a_few_dozen_questions_is_reported_with_its_interval():
    assert wilson(0, 10) == (0.0, 0.278)  # none of ten is still consistent with up to about a quarter
    assert wilson(5, 10) == (0.237, 0.763)
    assert wilson(19, 36) == (0.37, 0.68)  # a test split's hit@1: 0.528, give or take 0.15
    assert wilson(0, 0) is None
    low, high = wilson(190, 360)
    assert 0.47 < low < 0.528 < high < 0.58  # ten times the questions, a third of the width


def test_two_systems_are_compared_question_by_question_with_a_sign_test():
    assert sign_test(8, 1) == 0.0391  # 2 * (1 + 8) / 2**9: unlikely were they equal
    assert sign_test(9, 6) == 0.6072 and sign_test(0, 0) == 1.0 and sign_test(3, 3) == 1.0
    ours = {"ranks": {"a": 1, "b": 1, "c": None, "d": 2, "e": 3}}
    other = {"ranks": {"a": 1, "b": None, "c": 1, "d": None, "e": 1, "f": 1}}  # f: a question ours was not asked
    compared = paired(ours, other)
    assert compared["hit@1"] == {"ours_only": 1, "other_only": 2, "p": 1.0}  # b / c, e
    assert compared["hit@any"] == {"ours_only": 2, "other_only": 1, "p": 1.0}  # b, d / c


def test_the_scores_carry_their_intervals_and_the_table_shows_them():
    checker = LeakChecker({"policy.md": "public"}, {}, {"staff": ["public"]})
    right = Answer(question="q", role="staff", answer="x", grounded=True,
                   citations=[_cite("policy.md", "Report incidents within 24 hours.")])
    wrong = Answer(question="q", role="staff", answer="x", grounded=True, citations=[_cite("policy.md", "Other.")])
    questions = [_question().model_copy(update={"id": f"q{i}"}) for i in range(4)]
    ours = score({f"q{i}": right if i < 3 else wrong for i in range(4)}, questions, checker)
    theirs = score({f"q{i}": right if i == 3 else wrong for i in range(4)}, questions, checker)
    assert ours["hit@1"] == 0.75 and ours["hit@1_ci"] == wilson(3, 4) and ours["refusal_ci"] is None
    assert ours["ranks"] == {"q0": 1, "q1": 1, "q2": 1, "q3": None}
    table = format_uncertainty({"ours": ours, "baseline": theirs}, {"baseline": paired(ours, theirs)})
    rows = table.splitlines()
    assert rows[0].startswith("| system | hit@1 (95 % interval) |")
    assert rows[2].startswith("| ours | 0.750 (0.30-0.95) | 0.750 (0.30-0.95) | n/a |")
    assert rows[3].endswith("| 3 / 1 (p 0.625) | 3 / 1 (p 0.625) |")


def test_the_stage_table_says_where_gold_is_lost():
    rows = [
        {"question": _question(), "candidate_rank": 1, "unit_rank": 1, "final_rank": 1, "status": "answered"},
        {"question": _question(), "candidate_rank": 30, "unit_rank": 3, "final_rank": 2, "status": "answered"},
        {"question": _question(), "candidate_rank": None, "unit_rank": None, "final_rank": None, "status": "partial"},
        {"question": _question(answerable=False), "candidate_rank": None, "unit_rank": None, "final_rank": None,
         "status": "partial"},
        {"question": _question(answerable=False), "candidate_rank": None, "unit_rank": None, "final_rank": None,
         "status": "answered"},
    ]
    stages = stage_table(rows)
    assert stages["answerable"] == 3
    assert stages["candidates@20"] == round(1 / 3, 3) and stages["candidates@50"] == round(2 / 3, 3)
    assert stages["ranked@1"] == round(1 / 3, 3) and stages["ranked@4"] == round(2 / 3, 3)
    assert stages["final"] == round(2 / 3, 3) and stages["hit@1"] == round(1 / 3, 3)
    assert stages["refusal"] == 0.5 and stages["false_refusals"] == 1
    table = format_stage_table(stages)
    assert table.splitlines()[0].startswith("| answerable | candidates@20") and "| 3 | 0.333 | 0.667 |" in table


def test_the_gate_fails_on_leaks_and_floors_and_reports_missed_targets():
    ours = {"hit@1": 0.5, "hit@any": 0.9, "refusal": 0.5, "false_refusal_rate": 0.2, "leaks": 1}
    regressions, missed = gate("org", ours, {"hit@1": 0.55, "hit@any": 0.8}, {"hit@1": 0.6})
    assert any("leaks" in r for r in regressions) and any("hit@1" in r for r in regressions)
    assert any("hit@1 0.500 < 0.65" in m for m in missed) and any("margin" in m for m in missed)
    assert any("held back" in m for m in missed) and any("unanswerable" in m for m in missed)
    _, missed = gate("reference", {"hit@1": 0.3, "hit@any": 0.75, "leaks": 0}, None)
    assert missed == []  # the reference set's target is on hit@any alone


def test_the_floors_and_targets_are_read_on_the_test_split_never_on_a_calibration_only_run():
    from assistant.cli.eval import read_against_targets

    low = {"hit@1": 0.3, "hit@any": 0.5, "refusal": 0.1, "false_refusal_rate": 0.0, "leaks": 0}
    good = {"hit@1": 0.9, "hit@any": 0.95, "refusal": 0.9, "false_refusal_rate": 0.0, "leaks": 0}
    floors = {"org": {"hit@1": 0.6}}
    both = {"org": {"results": {"aims-assistant": good, "aims-assistant (test split)": low}}}
    regressions, missed, checked = read_against_targets(both, "all", floors)
    assert checked and regressions and missed  # the test split's figures, not all questions', are read
    calibration_only = {"org": {"results": {"aims-assistant": low}}}
    assert read_against_targets(calibration_only, "calibration", floors) == ([], [], False)
    assert read_against_targets(calibration_only, "test", floors)[0]  # a test-only run is read as it is


@pytest.mark.model
def test_the_baseline_answers_the_same_wherever_the_corpus_is_checked_out(tmp_path, embedder):
    # llama-index embeds each node's file_path and sizes nodes around it: with absolute paths, two
    # checkouts of the same corpus gave the baseline different nodes and different figures.
    import shutil

    from assistant.retrieval.baseline import baseline_answerer
    from tests.conftest import REPO

    questions = ("How long do I have to report an AI incident?", "Who chairs the AI Oversight Committee?",
                 "Can I use ScribeAssist when a relative is interpreting?")
    answers = []
    for folder in ("kb", "a-much-longer-folder-name-for-the-same-corpus"):
        corpus = tmp_path / folder
        shutil.copytree(REPO / "corpus" / "kestrelbay", corpus)
        ask = baseline_answerer(corpus, embedder)
        answers.append([[(c.source, c.quote) for c in ask(q, "staff").citations] for q in questions])
    assert answers[0] == answers[1] and all(answers[0])


@pytest.mark.model
def test_the_small_node_baseline_quotes_about_a_tenth_of_the_default_s_words(tmp_path, embedder):
    # `aims eval` reads the baseline at about our answers' length too: same pipeline, 128-token nodes
    from assistant.cli.eval import SMALL_NODE_TOKENS
    from assistant.retrieval.baseline import baseline_answerer
    from tests.conftest import REPO

    corpus = REPO / "corpus" / "kestrelbay"
    question = "How long do I have to report an AI incident?"
    default = baseline_answerer(corpus, embedder)(question, "staff")
    small = baseline_answerer(corpus, embedder, node_tokens=SMALL_NODE_TOKENS)(question, "staff")
    assert len(default.citations) == len(small.citations) == 5
    assert words_shown(small) * 4 < words_shown(default)
    assert all(len(c.quote.split()) <= SMALL_NODE_TOKENS for c in small.citations)  # a token is at most a word


def test_aims_eval_prints_each_baseline_against_ours_on_the_same_split(capsys):
    from assistant.cli.eval import _paired_with_ours, _print

    def figures(ranks: dict) -> dict:
        return {"hit@1": 0.5, "hit@any": 0.5, "hit@1_ci": (0.1, 0.9), "hit@any_ci": (0.1, 0.9), "ranks": ranks}

    results = {"aims-assistant": figures({"a": 1, "b": 1}), "aims-assistant (test split)": figures({"b": 1}),
               "llama-index baseline": figures({"a": None, "b": 1}),
               "llama-index baseline (test split)": figures({"b": None})}
    compared = _paired_with_ours(results)
    assert compared["llama-index baseline"]["hit@1"]["ours_only"] == 1  # a, over all questions
    assert compared["llama-index baseline (test split)"]["hit@1"]["ours_only"] == 1  # b, against our test split
    assert set(compared) == {"llama-index baseline", "llama-index baseline (test split)"}
    payload = {"sets": {"org": {"questions": 2, "results": results, "paired": compared}}, "targets_checked": True,
               "targets_missed": []}
    _print(payload)
    printed = capsys.readouterr().out
    assert "How sure these figures are" in printed
    assert "| llama-index baseline (test split) | 0.500 (0.10-0.90) |" in printed and "1 / 0 (p 1.000)" in printed


def test_aims_eval_measures_only_the_questions_its_ids_choose_and_reads_no_floors_on_them(tmp_path, capsys):
    import json

    from assistant.cli.main import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "policy.md").write_text("# AI incidents\n\nReport every AI incident to the service desk within 24 "
                                      "hours.\n\n# Training\n\nAll staff complete the AI basics course each year.\n")
    rows = [{"id": qid, "question": text, "role": "staff", "category": "staff", "answerable": True,
             "gold": [{"source": "policy.md", "quote": quote, "page": None}], "must_not_contain": [],
             "split": "test"}
            for qid, text, quote in (("old-1", "How fast must I report an AI incident?", "within 24 hours"),
                                     ("new-n001", "How often is the AI basics course?", "each year"),
                                     ("new-n002", "Who gets AI incident reports?", "the service desk"))]
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(row) + "\n" for row in rows))
    adhoc = ["eval", "--questions", str(questions), "--corpus", str(corpus), "--no-baseline",
             "--work-dir", str(tmp_path / "work")]

    assert main([*adhoc, "--ids", "*-n0*", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    (measured,) = payload["sets"].values()
    assert measured["questions"] == 2  # the batch, not old-1
    assert payload["targets_checked"] is False and payload["regressions"] == []
    assert main([*adhoc, "--ids", "old-1", "--ids", "new-n002", "--json"]) == 0
    assert next(iter(json.loads(capsys.readouterr().out)["sets"].values()))["questions"] == 2
    assert main([*adhoc, "--ids", "old-*"]) == 0
    assert "not checked on a calibration-only run or a subset chosen with --ids" in capsys.readouterr().out
    assert main([*adhoc, "--ids", "none-*"]) == 0
    assert "no question chosen" in capsys.readouterr().out
    assert main([*adhoc, "--ids", "none-*", "--json"]) == 0
    (nothing,) = json.loads(capsys.readouterr().out)["sets"].values()
    assert nothing == {"questions": 0, "results": {}}
    assert main([*adhoc, "--ids", "old-*", "--gate"]) == 2  # a gate reads whole test splits
    assert "does not go with --ids" in capsys.readouterr().err


def test_aims_eval_refuses_a_work_dir_that_holds_another_checkout_s_documents(tmp_path, capsys):
    """A kept work dir filled from one copy of the corpus (a git worktree's) is not measured from another:
    each document would be indexed twice, under two roots, and every figure would count both."""
    import json
    import shutil

    from assistant.cli.main import main

    first = tmp_path / "checkout-a" / "corpus"
    first.mkdir(parents=True)
    (first / "policy.md").write_text("# AI incidents\n\nReport every AI incident to the service desk within 24 "
                                     "hours.\n")
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "How fast must I report an AI incident?",
                                     "role": "staff", "category": "staff", "answerable": True,
                                     "gold": [{"source": "policy.md", "quote": "within 24 hours", "page": None}],
                                     "must_not_contain": [], "split": "test"}) + "\n")
    second = tmp_path / "checkout-b" / "corpus"
    shutil.copytree(first, second)
    work = tmp_path / "work"
    adhoc = ["eval", "--questions", str(questions), "--no-baseline", "--work-dir", str(work), "--json"]

    assert main([*adhoc, "--corpus", str(first)]) == 0
    capsys.readouterr()
    assert main([*adhoc, "--corpus", str(second)]) == 2
    error = capsys.readouterr().err
    assert str(first) in error and "fresh --work-dir" in error
    assert main([*adhoc, "--corpus", str(first)]) == 0  # its own corpus again: measured as before


def test_the_citation_margin_grid_grows_while_hit_at_any_rises_at_its_top(monkeypatch):
    """A refit can put the ranker's scores on a scale many times the prior's: the margin fit must not stop
    at the grid's edge, and it composes answers as `aims ask` does (with the context it reads around the quote)."""
    from types import SimpleNamespace

    from assistant.answering import extractive
    from assistant.cli import eval_fit as ev

    composed = []

    needs = {"a": 3.0, "b": 6.0, "c": 12.0}  # the margin at which each question's gold joins its citations

    def scripted(question, role, units, k, searched, *, margin, context, context_pool):
        """Cites the gold once the margin reaches the question's need, as a ranker on a tenfold scale would."""
        composed.append((margin, context))
        quote = "Report incidents within 24 hours" if margin >= needs[question] else "Something else entirely"
        return Answer(question=question, role=role, answer="x", grounded=True, citations=[_cite("policy.md", quote)])

    monkeypatch.setattr(extractive, "compose", scripted)
    gathered = [(_question().model_copy(update={"id": name, "question": name}),
                 SimpleNamespace(units=["unit"], searched=[])) for name in needs]
    ranker = SimpleNamespace(margin=0.25)
    assert ev._fit_margin(gathered, ranker, context=1) == 12.0  # the grid grew 3 -> 6 -> 12 -> 24, and 12 suffices
    assert max(margin for margin, _ in composed) == 24.0
    assert {context for _, context in composed} == {1}
    composed.clear()
    pools = []
    monkeypatch.setattr(extractive, "compose", lambda *a, context_pool, **kw: pools.append(context_pool) or
                        scripted(*a, context_pool=context_pool, **kw))
    ev._fit_margin(gathered, ranker, context=1)
    assert pools and all(pool == ["unit"] for pool in pools)  # the quote's context is read among the evidence's units
    composed.clear()

    def saturating(question, role, units, k, searched, *, margin, context, context_pool):
        composed.append((margin, context))
        quote = "Report incidents within 24 hours" if margin >= needs[question] / 10 else "Something else entirely"
        return Answer(question=question, role=role, answer="x", grounded=True, citations=[_cite("policy.md", quote)])

    monkeypatch.setattr(extractive, "compose", saturating)
    assert ev._fit_margin(gathered, ranker) == 1.5  # gold at 0.3, 0.6 and 1.2: chosen within the first grid
    assert max(margin for margin, _ in composed) == 3.0  # which did not grow


def test_two_runs_are_compared_question_by_question():
    """`evals/compare_runs.py` names the questions whose gold moved between two runs' stage tables, with their
    places before and after, and leaves out those that did not move."""
    import importlib.util

    from .conftest import REPO

    spec = importlib.util.spec_from_file_location("compare_runs", REPO / "evals" / "compare_runs.py")
    compare_runs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare_runs)

    def question(qid: str, answerable: bool = True) -> EvalQuestion:
        return _question(answerable).model_copy(update={"id": qid})

    def run(unit_rank: int, status: str) -> dict:
        rows = [{"question": question("a"), "candidate_rank": 1, "unit_rank": unit_rank, "final_rank": unit_rank,
                 "status": "answered"},
                {"question": question("b"), "candidate_rank": 2, "unit_rank": 1, "final_rank": 1, "status": "answered"},
                {"question": question("u", answerable=False), "candidate_rank": None, "unit_rank": None,
                 "final_rank": None, "status": status}]
        return {"sets": {"org": {"stages": stage_table(rows)}}}

    before, after = run(3, "answered"), run(1, "partial")
    assert before["sets"]["org"]["stages"]["per_question"]["a"] == {
        "candidate": 1, "unit": 3, "final": 3, "status": "answered", "answerable": True}
    lines = compare_runs.compare(before, after)
    assert "| before | 2 | 1.0 | 1.0 | 0.5 | 1.0 | 1.0 | 0.5 | 0.0 | 0 |" in lines
    assert "| after | 2 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 | 0 |" in lines
    assert "- a: cand 1, unit 3, cited 3, answered -> cand 1, unit 1, cited 1, answered" in lines
    assert "- u: answered -> partial" in lines
    assert not any(line.startswith("- b:") for line in lines)  # unmoved: not listed
    assert compare_runs.compare(before, before)[-2] == "no question moved"
