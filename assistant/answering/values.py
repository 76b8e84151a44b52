"""The specific value a question asks for (an amount of money, a rate, a limit, a contact, a time of day, a
date, a length of time or how often, a count), and whether a quoted text supplies one.

Why: "the documents discuss this" is not "the documents say this". A question for a fee, a phone
number or a meeting time finds passages on the right topic that hold no such value; the judge reads
`value_missing` as a signal, and a partial answer names the kind of value it could not find. The
patterns are generic shapes of values (a currency amount, an email address, a clock time), not
words of any one organisation's documents. A value must also be the one asked for: a count must
count what the question counts, and an amount, a rate, a limit or a contact must sit in a text on the
question's topic, since long documents hold some number, amount or address almost everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)")
_NUMBER_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundred)"
_TIME_UNIT = r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|quarters?)"
# A date: a day or month named, an ISO date, a quarter, a year or a weekday (month names are matched as written,
# so "may" the verb is no month).
DATE = re.compile(rf"\b\d{{1,2}} {_MONTH}\b|\b{_MONTH}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\bQ[1-4] \d{{4}}\b|"
                  r"\b(?:19|20)\d{2}\b|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
# A length of time ("72 hours", "seven working days", "half an hour", "two-year"), how often ("annually",
# "every quarter", "twice a year") or a time limit without a figure ("immediately", "without undue delay").
# The words of a recurrence ("annually", "every", "twice a", "per year"): both a length-of-time answer and a
# how-often answer may be one.
_RECURRENCE = (r"annual(?:ly)?|yearly|monthly|quarterly|weekly|daily|fortnightly|biennial(?:ly)?|every|once an?|"
               r"twice an?|per (?:year|month|quarter|week|day|annum)")
DURATION = re.compile(
    rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS}|forty|sixty|ninety|fifteen|a|an|half an?)[\s-]+"
    rf"(?:[A-Za-z]+[\s-]+)?{_TIME_UNIT}\b|"
    rf"\b(?:{_RECURRENCE}|immediately|without (?:undue )?delay|promptly|as soon as|"
    r"(?:the )?same day|next working day|indefinitely|until|no later than)\b", re.I)

# How often: a frequency or an interval ("annually", "every 12 months", "twice a year", "at each meeting");
# a length of time alone ("about 30 minutes") does not say how often.
FREQUENCY = re.compile(
    rf"\b(?:{_RECURRENCE}|each|(?:\d+|three|four|several) times|a (?:year|month|week|day)|"
    r"regular(?:ly)?|periodic(?:ally)?|intervals?|at least once|on an? \w+ basis)\b",
    re.I)


@dataclass(frozen=True)
class ValueKind:
    """One kind of specific value: how a question asks for it, how a text states it, what to call it."""

    name: str
    described: str  # how a partial answer names it: "nothing in them states {described}"
    asks: re.Pattern
    states: re.Pattern
    refine: Callable[[str, str], bool] | None = None  # (question, text): whether the stated value is the one asked
    topical: bool = False  # counts only in a text on the question's topic (see `missing_values`)

    def named_for(self, question: str) -> str:
        """How a partial answer names this value for the question: "how many working days" where the
        question says what it counts, else the kind's own description ("a number")."""
        if self.name == "count" and (words := counted_words(question)):
            return "how many " + " ".join(words)
        if self.name == "duration" and asks_how_often(question):
            return "how often"
        return self.described

    def stated(self, question: str, text: str) -> bool:
        """Whether the text states a value of this kind, and (where the kind can tell) the one asked for."""
        return bool(self.states.search(text)) and (self.refine is None or self.refine(question, text))


# Words that end the name of what a "how many" question counts: verbs, prepositions, pronouns, articles.
_COUNT_END = frozenset(
    "of do does did are is were was be been have has had will would can could must should may might need needs "
    "times per in on at for to from by with before after under over during and or than "
    "i we you they he she it us them the a an there our my your their its this that these those".split())
# Counts of people are stated with any of these ("How many people sit on it?" "It has seven members.").
_PEOPLE = frozenset("people persons person members member staff individuals employees representatives seats".split())
_COUNT_NUMBER = rf"(?:\d[\d,.]*|{_NUMBER_WORDS}|a|an|single)"


def asks_how_often(question: str) -> bool:
    """Whether a question asks how often something happens (not how long it lasts or how soon)."""
    return re.search(r"\bhow (?:often|frequently|regularly)\b|\bat what intervals?\b", question, re.I) is not None


def _duration_asked(question: str, text: str) -> bool:
    """A "how often" question is answered by a frequency, not by any length of time in the text."""
    return not asks_how_often(question) or FREQUENCY.search(text) is not None


def counted_words(question: str) -> list[str]:
    """What a "how many" (or "number of") question counts, as asked ("How many working days ..." -> working,
    days; "the minimum number of members" -> members); [] if it does not say."""
    match = re.search(r"\b(?:how many|number of)\s+(.*)", question, re.I)
    words: list[str] = []
    for word in re.findall(r"[A-Za-z'-]+", match.group(1) if match else "")[:3]:
        if len(word) == 1 and word.isupper():
            continue  # a letter that labels ("Annex A controls"), not the article "a" that ends what is counted
        if word.lower() in _COUNT_END:
            break
        words.append(word.lower().strip("'"))
    return words


def _stem(word: str) -> str:
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + replacement
    return word


# Numbers that are no figure: part of an identifier ("AIS-003", "NC-2026-02", "O5"), a date or a year, or the
# number of a part of a document or of a scale ("Article 5", "section 6.2", "version 1.1", "Level 3").
_NOT_A_FIGURE = re.compile(
    r"\b[A-Za-z]+[-/.]?\d[\w./-]*|\b(?:article|section|paragraph|clause|point|annex|chapter|part|page|version|"
    r"table|figure|row|item|step|stage|level|tier|phase|band|grade|sev|severity)s?\.? ?\(?\d[\d.()a-z]*", re.I)


def _states_a_figure(question: str, text: str) -> bool:
    """Whether the text states a figure (a limit, a threshold, a score), not only numbers that name things:
    a course code "AIE-01" or a year does not say what score passes."""
    return bool(re.search(r"\d", _NOT_A_FIGURE.sub(" ", DATE.sub(" ", text))))


def _counts_what_was_asked(question: str, text: str) -> bool:
    """A "how many X" / "number of X" question is answered by a number that counts X ("7 AI incidents",
    "30 days"), not by any number in the text (a year, a section number); a question whose X cannot be
    told takes any number."""
    words = counted_words(question)
    if not words:
        return True
    names = set(words) | (_PEOPLE if _PEOPLE & set(words) else set())
    stems = "|".join(sorted({re.escape(_stem(w)[: max(3, len(_stem(w)) - 1)]) for w in names}))
    return bool(re.search(rf"\b{_COUNT_NUMBER}(?:[\s-]+[A-Za-z'-]+){{0,2}}?[\s-]+(?:{stems})", text, re.I))


VALUE_KINDS: tuple[ValueKind, ...] = (
    ValueKind(
        "money", "an amount of money",
        re.compile(r"\bhow much (?:money|funding|budget|does it cost|is it|was|were|will)\b|"
                   # "what amount of training compute" asks an amount of something else
                   r"\b(?:what|which) (?:is the |was the )?(?:cost|price|fee|fine|budget|salary|pay|"
                   r"amount(?! of (?!money|funding|cash)))\b|"
                   r"\bhow much\b.*\b(?:cost|fined?|fines|pay|paid|spend|spent|budget|fund|funding|worth|charge)\b|"
                   # "What will the licence cost us?", "What's the annual value of our contract?"
                   r"\bwhat\b[^?!]{0,40}\b(?:will|would|does|did|do)\b[^?!]{0,60}\bcost\b|"
                   r"\bvalue of (?:the |our |this |that |its |their )?"
                   r"(?:contract|deal|licen[cs]e|agreement|grant|award)\b",
                   re.I),
        re.compile(r"[£€$]\s?\d|\b(?:EUR|USD|GBP|CAD|AUD)\s?\d|"
                   r"\b\d[\d,.]*\s?(?:euros?|pounds|dollars|k|m|million|bn|billion)\b", re.I), topical=True),
    ValueKind(
        "rate", "a percentage, rate or score",
        re.compile(r"\bwhat (?:percentage|share|proportion|rate|accuracy|level)\b|\bhow accurate\b|"
                   r"\bwhat (?:\w+ ){0,2}(?:accuracy|rate|ratio|index value|value)\b", re.I),
        re.compile(r"\d(?:\.\d+)?\s?(?:%|per ?cent\b|percent\b)|\b0\.\d+\b|\b\d+ (?:in|out of|per) \d+\b", re.I),
        topical=True),
    ValueKind(  # a limit or threshold is stated as a number ("a pass mark of 80%", "up to 25 MB", "a score of 12")
        "limit", "the figure asked for (a limit, a threshold or a score)",
        re.compile(r"\bwhat(?:'s| is| was)? (?:the )?(?:\w+ ){0,3}(?:score|threshold|cut-?off|pass mark|limit)\b|"
                   r"\bpass mark\b|\b(?:biggest|largest|smallest|highest|lowest|maximum|minimum|max|min)\b"
                   r"(?! (?:number|requirements?|standards?|expectations?|safeguards?|protections?)\b)", re.I),
        re.compile(r"\d"), _states_a_figure, topical=True),
    ValueKind(
        "contact", "a phone number, email or web address",
        re.compile(r"\b(?:phone number|telephone number|number (?:to|do i|should i|can i) (?:ring|call|dial|text)|"
                   r"e-?mail address|web ?(?:site |page )?address|url|contact details)\b|"
                   r"\b(?:what|which) (?:\w+ ){0,2}web ?(?:site|page|portal)\b", re.I),  # not "on a website"
        re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+|https?://|\bwww\.|(?<![\w.])\+?\d[\d ()-]{7,}\d\b|"
                   r"\bext(?:ension)?\.? ?\d+", re.I), topical=True),
    ValueKind(
        "clock", "a time of day",
        re.compile(r"\bwhat time\b|\bat what time\b|\btime of day\b", re.I),
        re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2} ?(?:am|pm)\b|\b(?:noon|midday|midnight)\b", re.I)),
    ValueKind(  # only a question that asks for a date: "when ...?" is also answered by "every January",
        # "before go-live" or "once the board has signed", so it asks for no particular shape of value
        "date", "a date",
        re.compile(r"\b(?:what|which|from what|by what|on what) date\b", re.I),
        DATE),
    ValueKind(  # "how long / how often / how quickly": a length of time, a frequency or a time limit
        "duration", "a length of time or a time limit",
        re.compile(r"\bhow (?:long|often|frequently|regularly|soon|quickly|fast)\b|\bat what intervals?\b|"
                   r"\bwithin how long\b|\bafter how long\b|\b(?:what|what's|what is) (?:the )?deadline\b|\bby when\b",
                   re.I),
        DURATION, _duration_asked),
    ValueKind(
        "count", "a number",
        re.compile(r"\bhow many\b|\bnumber of\b|\b(?:minimum|maximum|smallest|largest) number\b", re.I),
        re.compile(rf"\b\d[\d,]*\b|\b{_NUMBER_WORDS}\b", re.I), _counts_what_was_asked),
)


def asked_values(question: str) -> list[ValueKind]:
    """The kinds of specific value the question asks for (none for most questions)."""
    return [kind for kind in VALUE_KINDS if kind.asks.search(question)]


def missing_values(question: str, texts: list[str], on_topic: list[bool] | None = None) -> list[ValueKind]:
    """The asked-for kinds of value that none of the texts states.

    `on_topic[i]` says whether texts[i] holds one of the question's rarest words. An amount, a rate, a limit or a
    contact counts only in such a text: a £25,000 purchasing limit does not say what a licence costs,
    nor a helpdesk's email how to reach a team. Without `on_topic` every text counts.
    """
    topical = on_topic if on_topic is not None else [True] * len(texts)
    return [kind for kind in asked_values(question)
            if not any(kind.stated(question, text) and (near or not kind.topical)
                       for text, near in zip(texts, topical))]


# What a "what / which X ..." question names as the thing it asks for ("What uptime does the supplier
# guarantee?" asks for an uptime; "Which subprocessors does it use?" for subprocessors). The phrase after
# the question word ends at its verb, a pronoun or a preposition; articles, words that only qualify
# ("overall", "maximum", "latest") and words that name a kind of value the kinds above already read
# ("date", "number", "score") are no part of it.
_ASKED_PHRASE = re.compile(r"\b(?:what|which|whose)(?:'s| is| are| was| were)?\s+((?:[\w'-]+\s+){0,6}[\w'-]*)", re.I)
_ASKED_END = frozenset(
    "is are was were be been being does do did will would can could should must may might has have had am "
    "use uses used need needs going get gets give gives "
    "i we you they he she it me us them there this that these those "
    "i'm i've i'd we're we've we'd you're you've they're they've it's "
    "of to for in on at by with from about into after before under over during as if when than and or but".split())
_ASKED_SKIP = frozenset(
    "the a an our my your their its his her "
    "kind type sort sorts kinds types one ones thing things way ways exactly actually really currently now still "
    "just also new other else exact specific particular main ai "
    "most least highest lowest biggest largest smallest maximum minimum max min latest earliest absolute first "
    "last best worst overall "
    "date dates day days deadline time times hours hour number numbers amount amounts percentage percent rate "
    "rates figure figures score scores value values".split())
_DETERMINERS = frozenset("the a an it its our their his her this that these those".split())


def asked_words(question: str) -> list[str]:
    """The words that name what a "what / which ... ?" question asks for, lower-cased ([] for other questions).

    "Which subprocessors does Kittiwake use?" -> subprocessors; "What financial penalty does a supplier
    face?" -> financial, penalty. The phrase stops at its verb: an auxiliary, a participle ("What is the
    most data allowed ..."), or a word in -s that a determiner or a name follows ("What evidence shows
    the ...", "Which company supplies FraudLens ...").
    """
    words: list[str] = []
    for match in _ASKED_PHRASE.finditer(question):
        phrase = match.group(1).split()
        taken = 0
        for index, raw in enumerate(phrase):
            word = re.sub(r"'s$", "", raw.lower()).strip("'?,.;:!\"()")
            if not word or word in _ASKED_END or (taken and word in _DETERMINERS):
                break  # its verb, a pronoun or a preposition; or a determiner after its noun ("the rating the ...")
            if index > 0 and len(word) > 4 and word.endswith("ed"):
                break  # a participle: the verb of the question
            if (index > 0 and word.endswith("s") and not word.endswith("ss") and index + 1 < len(phrase)
                    and (phrase[index + 1].lower() in _DETERMINERS or phrase[index + 1][:1].isupper())):
                break  # "What evidence shows the ...": a verb in -s before its object
            if word not in _ASKED_SKIP:
                taken += 1
                if word not in words:
                    words.append(word)
    return words
