"""Measure drafts against evals/drafts.jsonl: fact recall, relevant quotes, adoptable wording, furniture.

    python evals/draft_eval.py [--set evals/drafts.jsonl] [--home sample=DIR] [--only ORG] [--json] [--check]

Each line of the set names an organisation's corpus, a kind of draft with its inputs, the documents
that plausibly govern that kind (judged by a person, not by the drafter), and the facts a good draft
must carry, each with the phrases that state it and its source file. For each draft it reports:

- fact recall: the share of facts whose phrase appears in the draft's body (before its Coverage
  appendix; case, whitespace and Markdown emphasis ignored);
- relevant quotes: the share of the draft's citations that quote one of the relevant documents;
- adoptable wording: the share of sections that carry template wording an implementer can keep;
- furniture: citations (or body lines) that quote page furniture ("Page 3 of 5", a running header
  with a classification) or a `Column N:` blob of an unnamed table column (the target is 0).

Corpora are ingested into temporary data dirs unless `--home ORG=DIR` names an ingested one.
`--check` only validates the set: every fact's phrase must occur in its source document.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FURNITURE = re.compile(r"\bPage \d+ of \d+\b|\|[^|\n]*\bClassification:[^|\n]*$", re.IGNORECASE | re.MULTILINE)
COLUMN_BLOB = re.compile(r"\bColumn \d+:")


def normalise(text: str) -> str:
    return " ".join(text.replace("**", "").replace("__", "").lower().split())


def body_of(markdown: str) -> str:
    """The draft without its Coverage and Sources appendix."""
    return markdown.split("\n## Coverage", 1)[0]


def score(case: dict, draft) -> dict:
    body = normalise(body_of(draft.markdown))
    found = [f for f in case["facts"] if any(normalise(p) in body for p in f["any"])]
    cites = draft.citations
    relevant = [c for c in cites if c.source in set(case["relevant"])]
    sections = getattr(draft, "sections", None) or []
    adoptable = [s for s in sections if getattr(s, "template", "").strip()]
    total_sections = len(sections) or len(draft.bodies)
    bad = [c.quote for c in cites if FURNITURE.search(c.quote) or COLUMN_BLOB.search(c.quote)]
    bad += [line for line in body_of(draft.markdown).splitlines()
            if (FURNITURE.search(line) or COLUMN_BLOB.search(line)) and not line.startswith("#")]
    return {"org": case["org"], "kind": case["kind"], "facts": len(case["facts"]), "found": len(found),
            "recall": round(len(found) / len(case["facts"]), 3),
            "missed": [f["fact"] for f in case["facts"] if f not in found],
            "citations": len(cites), "relevant": len(relevant),
            "relevant_share": round(len(relevant) / len(cites), 3) if cites else None,
            "irrelevant_sources": sorted({c.source for c in cites} - set(case["relevant"])),
            "sections": total_sections, "adoptable": len(adoptable),
            "adoptable_share": round(len(adoptable) / total_sections, 3) if total_sections else 0.0,
            "furniture": len(bad), "furniture_examples": bad[:3]}


def load_set(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assistants(cases: list[dict], homes: dict[str, str], embedder=None):
    """One ingested Assistant per organisation (a given data dir, or a fresh temporary one)."""
    from assistant.config import load_settings
    from assistant.service import Assistant

    made = {}
    for case in cases:
        org = case["org"]
        if org in made:
            continue
        home = homes.get(org)
        assistant = Assistant(load_settings(index=home or tempfile.mkdtemp(prefix=f"draft-eval-{org}-")),
                              embedder=embedder)
        if not home:
            assistant.ingest([REPO / case["corpus"]])
        made[org] = assistant
    return made


def check(cases: list[dict], made: dict) -> list[str]:
    """Problems with the set itself: a fact phrase absent from its source, an unknown relevant file."""
    problems = []
    for case in cases:
        texts = made[case["org"]].document_texts()
        for name in case["relevant"]:
            if name not in texts:
                problems.append(f"{case['org']}/{case['kind']}: relevant {name} is not in the corpus")
        for fact in case["facts"]:
            text = normalise(texts.get(fact["source"], ("", ""))[1])
            if not any(normalise(p) in text for p in fact["any"]):
                problems.append(f"{case['org']}/{case['kind']}: no phrase of {fact['fact']!r} in {fact['source']}")
    return problems


def evaluate(cases: list[dict], made: dict) -> list[dict]:
    rows = []
    for case in cases:
        draft = made[case["org"]].draft(case["kind"], dict(case["inputs"]))
        rows.append(score(case, draft))
    return rows


def summary(rows: list[dict]) -> dict[str, dict]:
    """Per organisation: mean recall, pooled relevant share, pooled adoptable share, furniture total."""
    out = {}
    for org in dict.fromkeys(r["org"] for r in rows):
        mine = [r for r in rows if r["org"] == org]
        cites = sum(r["citations"] for r in mine)
        out[org] = {"recall": round(sum(r["recall"] for r in mine) / len(mine), 3),
                    "relevant_share": round(sum(r["relevant"] for r in mine) / cites, 3) if cites else None,
                    "adoptable_share": round(sum(r["adoptable"] for r in mine) / sum(r["sections"] for r in mine), 3),
                    "furniture": sum(r["furniture"] for r in mine)}
    return out


def table(rows: list[dict]) -> str:
    lines = ["| organisation | kind | fact recall | relevant quotes | adoptable sections | furniture / Column N |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        share = "-" if r["relevant_share"] is None else f"{r['relevant_share']:.2f} ({r['relevant']}/{r['citations']})"
        lines.append(f"| {r['org']} | {r['kind']} | {r['recall']:.2f} ({r['found']}/{r['facts']}) | {share} | "
                     f"{r['adoptable_share']:.2f} ({r['adoptable']}/{r['sections']}) | {r['furniture']} |")
    for org, s in summary(rows).items():
        share = "-" if s["relevant_share"] is None else f"{s['relevant_share']:.2f}"
        lines.append(f"| **{org}** | **all kinds** | **{s['recall']:.2f}** | **{share}** | "
                     f"**{s['adoptable_share']:.2f}** | **{s['furniture']}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default=str(REPO / "evals" / "drafts.jsonl"))
    parser.add_argument("--home", action="append", default=[], metavar="ORG=DIR", help="an ingested data dir")
    parser.add_argument("--only", action="append", default=[], metavar="ORG")
    parser.add_argument("--kind", action="append", default=[], metavar="KIND")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="validate the set only")
    parser.add_argument("--verbose", action="store_true", help="list missed facts and off-topic sources")
    args = parser.parse_args(argv)
    cases = [c for c in load_set(Path(args.set)) if (not args.only or c["org"] in args.only)
             and (not args.kind or c["kind"] in args.kind)]
    homes = dict(item.split("=", 1) for item in args.home)
    made = assistants(cases, homes)
    try:
        if args.check:
            problems = check(cases, made)
            sys.stdout.write("\n".join(problems) + ("\n" if problems else f"{len(cases)} drafts, set is valid\n"))
            return 1 if problems else 0
        rows = evaluate(cases, made)
    finally:
        for assistant in made.values():
            assistant.close()
    if args.json:
        sys.stdout.write(json.dumps({"rows": rows, "summary": summary(rows)}, indent=2) + "\n")
        return 0
    sys.stdout.write(table(rows) + "\n")
    if args.verbose:
        for r in rows:
            if r["missed"] or r["irrelevant_sources"] or r["furniture_examples"]:
                sys.stdout.write(f"\n{r['org']}/{r['kind']}: missed {r['missed']}; off-topic sources "
                                 f"{r['irrelevant_sources']}; furniture {r['furniture_examples']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
