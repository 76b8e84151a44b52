"""Drafting for the façade: a kind's inputs found in the documents, the draft, and its requirements check.

An object the façade composes (no methods of its own on `Assistant` beyond one-line delegates), built
with the parts it reads: the manifest, the roles' labels, the question pipeline's evidence and judge,
the chat model and the citation verifier. The façade's guard brings a team replica up to date first.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path


class Drafter:
    """`aims draft` operations over the documents a role may see."""

    def __init__(self, drafts_dir: Path, manifest, labels_for, evidence, pipeline, chat_model, prompt,
                 encode) -> None:
        self.drafts_dir = drafts_dir
        self.manifest = manifest  # a callable: the manifest is opened on first use
        self.labels_for = labels_for  # role -> labels it may see
        self.evidence = evidence  # (question, labels) -> Evidence
        self.pipeline = pipeline  # a callable: the question pipeline (its judge and ranker margin)
        self.chat_model = chat_model  # a callable: the configured LLM or None
        self.prompt = prompt
        self.encode = encode  # a callable: texts -> vectors, for the citation verifier

    @cached_property
    def kinds(self):
        """The kinds of draft in prompts/drafts (schema + template each), validated."""
        from assistant.drafting.kinds import load_kinds

        return load_kinds(self.drafts_dir)

    def draft(self, kind_name: str, values: dict[str, str], role: str):
        """Template wording, facts as cited spans, the best quotes per section (or verified LLM prose),
        TO COMPLETE markers, and a requirements check when the organisation has such a document already."""
        from assistant.drafting.make import make_draft

        kind, values, inferred, sources = self._setup(kind_name, values, role)
        documents = {doc.source: doc for doc in self.manifest().documents()}
        chat_model = self.chat_model()
        prose = (lambda item: self._prose(chat_model, kind, item, values)) if chat_model is not None else None
        return make_draft(kind, values, sources, lambda s: documents[s].doc_hash if s in documents else "",
                          lambda s: documents[s].label if s in documents else None, inferred, prose)

    def review(self, kind_name: str, values: dict[str, str], role: str):
        """What the standard asks of a document of this kind, graded against the organisation's own one."""
        from assistant.drafting.review import review

        kind, values, _, sources = self._setup(kind_name, values, role)
        return review(kind, values, sources)

    def defaults(self, kind_name: str, role: str):
        """Inputs of a kind found in the documents the role may see (name -> `Inferred`), for prefilling."""
        from assistant.drafting.make import find_inputs

        texts, titles = self._texts(role)
        return find_inputs(self.kinds[kind_name], texts, titles)

    def _texts(self, role: str):
        labels = set(self.labels_for(role))
        manifest = self.manifest()
        documents = [d for d in manifest.documents() if d.label.value in labels]
        return ({d.source: manifest.document_text(d.root, d.source) or "" for d in documents},
                {d.source: d.title for d in documents})

    def _setup(self, kind_name: str, values: dict[str, str], role: str):
        from assistant.drafting.build import DraftSources
        from assistant.drafting.doctypes import document_kind
        from assistant.drafting.draft import DraftError
        from assistant.drafting.make import find_inputs, resolve_inputs

        kind = self.kinds.get(kind_name)
        if kind is None:
            raise DraftError(f"unknown kind {kind_name!r}; known: {', '.join(sorted(self.kinds))}")
        labels = self.labels_for(role)
        texts, titles = self._texts(role)
        values, inferred = resolve_inputs(kind, values, lambda: find_inputs(kind, texts, titles))
        pipeline = self.pipeline()
        sources = DraftSources(search=lambda q: self.evidence(q, labels),
                               status=lambda units, found: pipeline.judge.verdict(units, found.query).status,
                               kinds={s: document_kind(titles[s], s, texts[s][:400]) for s in texts},
                               margin=pipeline.ranker.margin, titles=titles)
        return kind, values, inferred, sources

    def _prose(self, chat_model, kind, item, values):
        """A section's evidence written up by the LLM; only sentences the citation verifier supports are kept."""
        from assistant.answering.verify import verify
        from assistant.drafting.draft import Cited, locator
        from assistant.drafting.make import section_prompt
        from assistant.retrieval.llms import LLMUnavailable

        user, chunks = section_prompt(self.prompt("drafts/section_user"), kind, item, values)
        try:
            reply = "".join(chat_model.stream(self.prompt("drafts/section_system"), user))
        except LLMUnavailable:
            return None
        verdict, quotes = verify(reply, chunks, self.encode)
        return [(sentence, [Cited(quotes[(i, k)], chunks[k - 1].source, chunks[k - 1].page, locator(chunks[k - 1]))
                            for k in keys]) for i, (sentence, keys) in enumerate(verdict.kept)]
