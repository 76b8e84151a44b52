"""Find inputs in the documents themselves, so a user is asked only for what they cannot tell us.

The organisation's name: a proper name ending in a word that names an organisation (plc, Ltd,
Group, Network, Trust, Council...), whose first word opens most of the documents. It is taken only
when the documents agree, and a sentence that uses it is quoted as the source.
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.core.text import sentence_spans

_SUFFIX = (r"(?:plc|PLC|Ltd|Limited|Inc|LLC|LLP|GmbH|AG|SA|NV|BV|Group|Network|Trust|Council|Authority|Agency|"
           r"Bank|University|College|Hospitals?|Health|Foundation|Company|Corporation|Partnership|Society|"
           r"Services|Insurance|Holdings|Ministry|Department|Board)")
_WORD = r"(?:[A-Z][A-Za-z&'’-]+|of|and|for|the|&)"
_NAME = re.compile(rf"\b((?:[A-Z][A-Za-z&'’-]+[ \t]+)(?:{_WORD}[ \t]+){{0,5}}{_SUFFIX}"
                   rf"(?:[ \t]+(?:plc|PLC|Ltd|Limited|Inc))?)\b")
_GENERIC = re.compile(r"^(?:The|Our|This|AI|Board|Executive|Internal|External|Risk|Audit|Management|Quality|"
                      r"Certification|Data|Information|Director|Head|Chief|Manager|Chair|Approval|Approved)\b")
MIN_DOCUMENTS = 2
LEAD = 2.0  # the leading name must open this many times more documents than any other
OPENING = 600  # characters of a document's text read as its top (with its title)


def candidate_names(text: str) -> set[str]:
    """Organisation-like proper names used in a text."""
    names = set()
    for match in _NAME.finditer(text):
        name = " ".join(match.group(1).split())
        words = name.split()
        while words and words[0] in ("The", "the", "Our", "of", "and", "for"):
            words = words[1:]
        name = " ".join(words)
        proper = not _GENERIC.match(name) and not words[0].isupper() and not re.fullmatch(_SUFFIX, words[0])
        if len(words) >= 2 and proper and not re.search(r"\b(?:of|and|for|the)$", name):
            names.add(name)
    return names


def infer_organisation(texts: dict[str, str], titles: dict[str, str] | None = None) -> tuple[str, str, str, int] | None:
    """(name, source, quote, documents) when the documents agree on the organisation's name, else None.

    Documents name their own organisation at their top (title, running header, first lines) far more
    often than a supplier or a regulator, so names are grouped by their first word and a group counts
    the documents that open with that word. The leading group must open at least two documents and
    clearly more than any other group; within it, the full name that most documents open with (then
    use anywhere) wins.
    """
    titles = titles or {}
    openings = {source: f"{titles.get(source, '')} {text[:OPENING]}" for source, text in texts.items()}
    names: Counter[str] = Counter()
    for text in texts.values():
        names.update(candidate_names(text))
    if not names:
        return None
    stems: dict[str, int] = {}
    for name in names:
        stem = name.split()[0]
        if stem not in stems:
            pattern = re.compile(rf"\b{re.escape(stem)}\b")
            stems[stem] = sum(1 for opening in openings.values() if pattern.search(opening))
    ranked = sorted(stems.items(), key=lambda kv: -kv[1])
    best_stem, n = ranked[0]
    if n < MIN_DOCUMENTS or (len(ranked) > 1 and n < LEAD * ranked[1][1]):
        return None
    family = [name for name in names if name.split()[0] == best_stem]
    best = max(family, key=lambda name: (sum(name in o for o in openings.values()), names[name], len(name)))
    longer = [name for name in family if best in name and name != best and names[name] >= MIN_DOCUMENTS]
    if longer:  # "Example Group" is short for "Example Group plc" when documents use both
        best = max(longer, key=lambda name: (names[name], len(name)))
    users = [source for source, text in texts.items() if best in text]
    for source in sorted(users, key=lambda s: best not in openings[s]):
        text = texts[source]
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if best in sentence and len(sentence.split()) >= 4 and "|" not in sentence and sentence[0] != "#":
                return best, source, sentence, len(users)
    source = users[0]
    index = texts[source].index(best)
    return best, source, texts[source][index: index + len(best)], len(users)
