"""The ISO/IEC 42001 catalogue: clauses, Annex A groups, objectives and controls, and crosswalks.

Loaded from YAML and CSV files in corpus/standard/ and validated by pydantic with unknown keys
rejected. IDs and titles are facts; every intent, audit question and evidence list is our own words.
"""

from __future__ import annotations

import csv
import re
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant import resources

STANDARD_DIR = resources.standard_dir()
_ID = re.compile(r"^(?:\d{1,2}(?:\.\d){0,2}|A\.\d{1,2}(?:\.\d){0,2})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Guidance(_Strict):
    """What every clause and control carries besides its ID and title, written in our own words."""

    intent: str = Field(min_length=20, description="1-3 sentences: what the requirement is for.")
    audit_questions: list[str] = Field(min_length=3, max_length=5)
    typical_evidence: list[str] = Field(min_length=1, max_length=8)
    related: list[str] = []

    @field_validator("intent")
    @classmethod
    def _one_to_three_sentences(cls, value: str) -> str:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", value.strip()) if s]
        if not 1 <= len(sentences) <= 3:
            raise ValueError(f"intent must be 1-3 sentences, got {len(sentences)}")
        return value

    @field_validator("related")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _ID.match(v)]
        if bad:
            raise ValueError(f"not clause or control IDs: {bad}")
        return value


class Clause(Guidance):
    """A clause or subclause of the management-system requirements (4.1 to 10.2)."""

    id: str
    title: str
    documented_information: bool
    parent: str | None = None


class Objective(_Strict):
    """A control objective (the `.1` item of an Annex A group)."""

    id: str
    title: str
    intent: str = Field(min_length=20)


class Control(Guidance):
    """An Annex A control."""

    id: str
    title: str
    aliases: list[str] = []
    objective: str


class Group(_Strict):
    """An Annex A group (A.2 to A.10) with its objectives."""

    id: str
    title: str
    objectives: list[Objective]


class AnnexA(_Strict):
    """The annex-a.yaml file."""

    groups: list[Group]
    controls: list[Control]


class Clauses(_Strict):
    """The clauses.yaml file."""

    clauses: list[Clause]


class CrosswalkPair(_Strict):
    """One mapping between an external framework's item and a 42001 clause or control."""

    framework: str
    external_id: str
    external_title: str
    iso_id: str
    indicative: bool
    note: str = ""


class Catalogue(_Strict):
    """The whole standard as data; IDs resolve across clauses and controls."""

    clauses: list[Clause]
    groups: list[Group]
    controls: list[Control]
    crosswalk: list[CrosswalkPair]

    @model_validator(mode="after")
    def _references_resolve(self) -> Catalogue:
        known = {c.id for c in self.clauses} | {c.id for c in self.controls}
        objectives = {o.id for g in self.groups for o in g.objectives}
        for item in [*self.clauses, *self.controls]:
            missing = [r for r in item.related if r not in known]
            if missing:
                raise ValueError(f"{item.id}: related IDs not in the catalogue: {missing}")
        for control in self.controls:
            if control.objective not in objectives:
                raise ValueError(f"{control.id}: unknown objective {control.objective}")
        for pair in self.crosswalk:
            if pair.iso_id not in known:
                raise ValueError(f"crosswalk {pair.external_id}: unknown 42001 ID {pair.iso_id}")
        return self

    @cached_property
    def by_id(self) -> dict[str, Clause | Control]:
        """Every clause and control by ID (aliases of control titles are not IDs)."""
        return {**{c.id: c for c in self.clauses}, **{c.id: c for c in self.controls}}

    def crosswalk_for(self, ident: str) -> list[CrosswalkPair]:
        """Pairs for a 42001 ID ("A.9.2") or an external item ("MAP 1.1", "Art. 9"), both ways."""
        wanted = ident.strip().lower()
        return [p for p in self.crosswalk if p.iso_id.lower() == wanted or p.external_id.lower() == wanted]


def _load_yaml(path: Path) -> dict:
    """Safe-load a YAML file, with libyaml's parser when PyYAML has it (ten times faster, same result)."""
    import yaml

    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


def load_crosswalks(directory: Path) -> list[CrosswalkPair]:
    """The NIST AI RMF crosswalk (all pairs) and the indicative EU AI Act mapping."""
    titles = {}
    with (directory / "nist-ai-rmf-1.0-subcategories.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            titles[row["subcategory_id"]] = row["description"]
    pairs = []
    with (directory / "crosswalk-nist-ai-rmf-to-iso42001.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pairs.append(CrosswalkPair(framework="NIST AI RMF 1.0", external_id=row["airmf_subcategory"],
                                       external_title=titles.get(row["airmf_subcategory"], ""),
                                       iso_id=row["iso42001_id"], indicative=False, note=row.get("note") or ""))
    with (directory / "crosswalk-eu-ai-act-to-iso42001-CANDIDATE.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for ref in (r.strip() for r in row["iso42001_refs"].split(";")):
                if ref:
                    pairs.append(CrosswalkPair(framework="EU AI Act (indicative)",
                                               external_id=row["eu_ai_act_provision"],
                                               external_title=row["provision_title"], iso_id=ref, indicative=True,
                                               note=f"{row['coverage']}: {row['gap_note']}"))
    return pairs


def load_catalogue(directory: Path = STANDARD_DIR) -> Catalogue:
    """Load and validate the catalogue; any unknown key or dangling ID is an error."""
    clauses = Clauses.model_validate(_load_yaml(directory / "clauses.yaml"))
    annex = AnnexA.model_validate(_load_yaml(directory / "annex-a.yaml"))
    return Catalogue(clauses=clauses.clauses, groups=annex.groups, controls=annex.controls,
                     crosswalk=load_crosswalks(directory / "crosswalks"))
