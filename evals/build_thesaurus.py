"""Build assistant/answering/thesaurus.json: defined terms with the content words of their definitions.

Sources: the definitions of the reference texts in ../shared/reference-texts (EU AI Act Article 3
"'term' means ...", Colorado's "TERM" MEANS ..., NIST AI RMF's "*term* refers to / is defined as")
and the standard catalogue (each clause and control title with the words of its intent and typical
evidence, which are our own). Only terms and single words are stored, never a definition's text.

Run: python evals/build_thesaurus.py [--reference DIR] [--out FILE]; prints the count per origin.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

import yaml

from assistant.retrieval.parsing import parse_bytes

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STOP = set("""a an the of or and to in on for by with from as at that this these those which who whom whose is are be
been being was were it its any other such than into under over within without where when how what whether not no
may shall must can could would should will has have had their there them they its own each all also only more most
means mean refers refer defined define including include includes e g i ie etc per via upon between among""".split())
MAX_CUES = 24

EU = re.compile(r"^\((\d+)\)\s+[‘'\"]([^’'\"]{2,60})[’'\"]\s+means\s+(.+)$", re.M)
COLORADO = re.compile(r"\(\d+\)\s*(?:\([a-z]\)\s*)?\"([A-Z][A-Z \-]{2,60})\"\s+MEANS\s+(.+?)(?=\n|$)")
NIST = re.compile(r"\*([A-Za-z][A-Za-z \-]{2,40})\*\s+(?:refers to|is defined as)\s+(.+?)(?:\.\s|$)")


def cue_words(text: str, term: str) -> list[str]:
    """The distinct content words of a definition, in order, without the term's own words."""
    own = set(term.lower().split())
    words = [w for w in re.findall(r"[a-z][a-z\-]{2,}", text.lower()) if w not in STOP and w not in own]
    return list(dict.fromkeys(words))[:MAX_CUES]


def from_reference(folder: Path) -> list[dict]:
    """Definitions found in the reference texts present in folder."""
    entries = []
    sources = {"eu-ai-act-2024-1689.html": ("EU AI Act Art. 3", EU), "colorado-sb24-205-ai-act.md":
               ("Colorado SB24-205 6-1-1701", COLORADO), "nist-ai-100-1-ai-rmf-1.0.md": ("NIST AI RMF 1.0", NIST)}
    for name, (origin, pattern) in sources.items():
        path = folder / name
        if not path.exists():
            continue
        text = parse_bytes(path.read_bytes(), name).text
        for match in pattern.finditer(text):
            groups = match.groups()
            term, definition = (groups[1], groups[2]) if pattern is EU else groups
            term = " ".join(term.split()).lower()
            if pattern is EU:
                origin_here = f"{origin}({groups[0]})"
            else:
                origin_here = origin
            cues = cue_words(definition, term)
            if len(cues) >= 3:
                entries.append({"term": term, "cues": cues, "origin": origin_here})
    return entries


def from_catalogue(standard: Path) -> list[dict]:
    """Each clause and control title with the words of our own intent and typical evidence."""
    entries = []
    for name in ("clauses.yaml", "annex-a.yaml"):
        data = yaml.safe_load((standard / name).read_text())
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if "id" in node and "title" in node and ("intent" in node or "typical_evidence" in node):
                    text = " ".join([node.get("intent", ""), *node.get("typical_evidence", [])])
                    cues = cue_words(text, node["title"])
                    if len(cues) >= 3:
                        entries.append({"term": node["title"].lower(), "cues": cues,
                                        "origin": f"ISO/IEC 42001 {node['id']} (catalogue)"})
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=str(REPO.parent / "shared" / "reference-texts"))
    parser.add_argument("--out", default=str(REPO / "assistant" / "answering" / "thesaurus.json"))
    args = parser.parse_args()
    entries = from_reference(Path(args.reference)) + from_catalogue(REPO / "corpus" / "standard")
    seen, unique = set(), []
    for entry in entries:
        key = (entry["term"], entry["origin"])
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    unique.sort(key=lambda e: (e["origin"], e["term"]))
    Path(args.out).write_text(json.dumps({"built_by": "evals/build_thesaurus.py", "entries": unique}, indent=1,
                                         ensure_ascii=False) + "\n")
    kinds = Counter("catalogue" if e["origin"].endswith("(catalogue)")
                    else e["origin"].split(" Art.")[0].split(" 6-1")[0] for e in unique)
    print(dict(kinds), f"total={len(unique)} -> {args.out}")

if __name__ == "__main__":
    main()
