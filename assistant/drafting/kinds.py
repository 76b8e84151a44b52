"""Kinds of draft: a pydantic schema of sections (KIND.yaml) plus a template (KIND.md) in prompts/drafts/.

Adding a kind means adding those two files; this module validates them and renders templates,
failing on any missing variable or slot instead of leaving a gap.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant import resources

_SLOT = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
_FIELD = re.compile(r"\[\[\s*([a-z][a-z0-9_]*)\s*\]\]")  # a fact slot in template wording
_ID = re.compile(r"^(?:\d{1,2}(?:\.\d){0,2}|A\.\d{1,2}(?:\.\d){0,2})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DraftInput(_Strict):
    """A value the template needs from the user (flag, answers file or form)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    required: bool = False


SHAPES = ("body", "role", "holder", "person", "frequency", "date", "duration", "phrase", "records")


class DraftSlot(_Strict):
    """A fact the template wording needs (a committee, a frequency...): filled with a verbatim, cited
    span of the evidence for `ask`, or a TO COMPLETE marker naming `needed` and `supports`.

    `patterns` are regular expressions over a sentence with one `{shape}` placeholder (the span
    taken); `records` slots read table rows instead, taking the cells whose headers match `fields`.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    ask: str
    shape: str
    patterns: list[str] = []
    fields: list[str] = []
    needed: str
    supports: list[str] = Field(min_length=1)
    limit: int = Field(default=6, ge=1, le=12)

    @model_validator(mode="after")
    def _shape(self) -> DraftSlot:
        if self.shape not in SHAPES:
            raise ValueError(f"slot {self.name}: unknown shape {self.shape!r}; known: {', '.join(SHAPES)}")
        if self.shape == "records" and not self.fields:
            raise ValueError(f"slot {self.name}: a records slot needs the header patterns of its fields")
        for pattern in self.patterns:
            if len(re.findall(r"\{(?:" + "|".join(SHAPES) + r")\}", pattern)) != 1:
                raise ValueError(f"slot {self.name}: pattern {pattern!r} needs exactly one {{shape}} placeholder")
        return self


class Requirement(_Strict):
    """One element the standard expects of a document of this kind, in our own words, for review mode."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    question: str
    supports: list[str] = Field(min_length=1)
    look_for: str | None = None  # a pattern one of the quotes must match for "present"


class DraftSection(_Strict):
    """One section: the question its evidence answers, and what to ask for when there is none."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    question: str
    needed: str
    supports: list[str] = Field(min_length=1)
    about_input: str | None = None
    max_sentences: int = Field(default=3, ge=1, le=6)
    sources: list[str] = []  # document kinds (besides the kind's own) that plausibly govern this section
    slots: list[DraftSlot] = []


class DraftKind(_Strict):
    """A kind of AIMS document the assistant can draft."""

    kind: str
    title: str
    description: str
    supports: list[str]
    inputs: list[DraftInput]
    sections: list[DraftSection] = Field(min_length=1)
    document: str | None = None  # the document kind this draft is (its own existing one is quoted first)
    related: list[str] = []  # document kinds that plausibly govern every section
    requirements: list[Requirement] = []
    template: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> DraftKind:
        names = {i.name for i in self.inputs}
        slot_names = [slot.name for section in self.sections for slot in section.slots]
        if len(slot_names) != len(set(slot_names)):
            raise ValueError(f"{self.kind}: slot names repeat")
        ids = [*self.supports, *(s for section in self.sections for s in section.supports),
               *(s for section in self.sections for slot in section.slots for s in slot.supports),
               *(s for item in self.requirements for s in item.supports)]
        for ident in ids:
            if not _ID.match(ident):
                raise ValueError(f"{self.kind}: {ident!r} is not a clause or control ID")
        for section in self.sections:
            if section.about_input and section.about_input not in names:
                raise ValueError(f"{self.kind}.{section.id}: about_input {section.about_input!r} is not an input")
            unknown = _variables(section.question) - names
            if unknown:
                raise ValueError(f"{self.kind}.{section.id}: question uses undeclared inputs {sorted(unknown)}")
        if self.template:
            slots = set(_SLOT.findall(self.template))
            ids = {s.id for s in self.sections}
            if slots != ids:
                raise ValueError(f"{self.kind}: template slots {sorted(slots)} do not match sections {sorted(ids)}")
            unknown = _variables(self.template) - names - {"title"}
            if unknown:
                raise ValueError(f"{self.kind}: template uses undeclared variables {sorted(unknown)}")
            fields = _FIELD.findall(self.template)
            if sorted(set(fields)) != sorted(slot_names):
                raise ValueError(f"{self.kind}: template fact slots {sorted(set(fields))} do not match the "
                                 f"declared slots {sorted(slot_names)}")
        return self

    def wording(self) -> dict[str, str]:
        """Each section's template wording: the text between its heading and its evidence slot."""
        found = {}
        for section in self.sections:
            before = self.template.split("{{" + section.id + "}}", 1)[0]
            tail = re.split(r"(?m)^#{1,6} .*$", before)[-1]
            found[section.id] = tail.strip()
        return found

    def fill(self, text: str, values: dict[str, str]) -> str:
        """Substitute input variables; a missing one is an error."""
        return Template(text).substitute(values)

    def render(self, values: dict[str, str], bodies: dict[str, str], facts: dict[str, str] | None = None) -> str:
        """The whole document: variables substituted, every section slot replaced by its body and every
        fact slot by its value (a cited span or a TO COMPLETE marker)."""
        title = self.fill(self.title, values)
        text = Template(self.template).substitute({**values, "title": title})
        missing = set(_SLOT.findall(text)) - set(bodies)
        if missing:
            raise KeyError(f"no body for sections {sorted(missing)}")
        facts = facts or {}
        absent = set(_FIELD.findall(text)) - set(facts)
        if absent:
            raise KeyError(f"no value for fact slots {sorted(absent)}")
        text = _FIELD.sub(lambda m: facts[m.group(1)], text)
        return _SLOT.sub(lambda m: bodies[m.group(1)], text)


def _variables(text: str) -> set[str]:
    return {m.group("named") or m.group("braced") for m in Template.pattern.finditer(text)
            if m.group("named") or m.group("braced")}


KINDS_DIR = resources.prompts_dir() / "drafts"


def load_kinds(directory: Path = KINDS_DIR) -> dict[str, DraftKind]:
    """Every kind in a prompts/drafts folder, validated with its template."""
    import yaml

    if not directory.is_dir():  # an empty list would hide a broken install
        raise FileNotFoundError(f"no draft kinds: {directory} is not a folder")
    kinds = {}
    for schema in sorted(directory.glob("*.yaml")):
        template = schema.with_suffix(".md")
        data = yaml.load(schema.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        data["template"] = template.read_text(encoding="utf-8") if template.exists() else ""
        if not data["template"]:
            raise ValueError(f"{schema.name}: no template {template.name}")
        kind = DraftKind.model_validate(data)
        kinds[kind.kind] = kind
    return kinds
