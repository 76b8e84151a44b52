"""Make a draft end to end from what the façade hands over: inputs (told or found), evidence, optional
LLM prose checked by the citation verifier, assembly, and the requirements check when the
organisation already has a document of this kind."""

from __future__ import annotations

from collections.abc import Callable
from string import Template

from assistant.drafting.build import DraftSources, SectionEvidence, gather
from assistant.drafting.draft import (
    Cited,
    Draft,
    DraftError,
    Inferred,
    SectionMaterial,
    assemble_sections,
    locator,
    to_complete,
)
from assistant.drafting.kinds import DraftKind
from assistant.drafting.organisation import infer_organisation
from assistant.drafting.review import existing_documents, review

FLAGS = {"organisation": "--organisation NAME", "system": "--system NAME"}


def find_inputs(kind: DraftKind, texts: dict[str, str], titles: dict[str, str]) -> dict[str, Inferred]:
    """Inputs the documents state themselves (today: the organisation's name, when they agree on one)."""
    found = {}
    if any(item.name == "organisation" for item in kind.inputs):
        named = infer_organisation(texts, titles)
        if named:
            name, source, quote, documents = named
            found["organisation"] = Inferred(name="organisation", value=name, source=source, quote=quote,
                                             documents=documents)
    return found


def resolve_inputs(kind: DraftKind, values: dict[str, str],
                   find: Callable[[], dict[str, Inferred]]) -> tuple[dict[str, str], list[Inferred]]:
    """The values to draft with: those given, then those found in the documents; a required input that is
    neither is an error naming the flag that gives it."""
    values = {k: str(v) for k, v in values.items() if v not in (None, "")}
    inferred: list[Inferred] = []
    if any(i.required and i.name not in values for i in kind.inputs):
        for name, item in find().items():
            if name not in values:
                values[name] = item.value
                inferred.append(item)
    missing = [i.name for i in kind.inputs if i.required and i.name not in values]
    if missing:
        raise DraftError(f"{kind.kind} needs: " + ", ".join(f"{m} ({FLAGS.get(m, f'--set {m}=VALUE')})"
                                                            for m in missing))
    for item in kind.inputs:
        values.setdefault(item.name, to_complete(item.description.lower(), kind.supports[:1]))
    return values, inferred


def make_draft(kind: DraftKind, values: dict[str, str], sources: DraftSources, doc_hash_of, label_of=None,
               inferred: list[Inferred] | None = None, prose: Callable[[SectionEvidence], list | None] | None = None,
               with_review: bool = True) -> Draft:
    """Gather, optionally write verified prose, assemble, and append the requirements check."""
    evidence = gather(kind, values, sources)
    material = {}
    for item in evidence:
        written = prose(item) if prose is not None and (item.quotes or item.slots) else None
        facts = {name: [(spans, Cited.of(unit)) for spans, unit in filled.values]
                 for name, filled in item.slots.items()}
        material[item.section.id] = SectionMaterial(facts, [Cited.of(u) for u in item.quotes], written or None)
    checked = None
    if with_review and kind.requirements and existing_documents(kind, values, sources):
        checked = review(kind, values, sources)
    return assemble_sections(kind, values, material, doc_hash_of, label_of, inferred, checked)


def section_prompt(template: str, kind: DraftKind, item: SectionEvidence, values: dict[str, str]) -> tuple[str, list]:
    """The user prompt for one section's prose (its facts and quotes as numbered passages) and the chunks cited."""
    chunks, seen = [], set()
    units = [*item.quotes, *(unit for filled in item.slots.values() for _, unit in filled.values)]
    for unit in units:
        chunk = unit.passage.chunk
        if chunk.id not in seen:
            seen.add(chunk.id)
            chunks.append(chunk)
    facts = [f"- {name}: {' – '.join(spans)} (from passage [{[c.id for c in chunks].index(unit.passage.chunk.id) + 1}])"
             for name, filled in item.slots.items() for spans, unit in filled.values]
    passages = "\n\n".join(f"[{n}] ({c.source}{', ' + locator(c) if locator(c) else ''})\n{c.text}"
                           for n, c in enumerate(chunks, start=1))
    user = Template(template).substitute(title=kind.fill(kind.title, values), section=item.section.title,
                                         facts="\n".join(facts) or "(none found)", evidence=passages)
    return user, chunks
