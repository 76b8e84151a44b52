"""The organisation's checklist over the standard: rows, assessments, pinned evidence, suggestions, related controls.

One object the façade composes, built with what it reads (the catalogue, the assessment store, the
manifest, the pipeline's evidence and query vector, the encoder), so it imports nothing of
`retrieval`, `answering` or the façade; whether the index is current is the façade's guard's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property

from assistant.core.models import Answer, sha256_text
from assistant.core.where import locator


class Checklist:
    """Clauses and controls of the catalogue, with the organisation's assessment and evidence."""

    def __init__(self, catalogue: Callable[[], object], assessments: Callable[[], object],
                 manifest: Callable[[], object], *, evidence: Callable, margin: Callable[[], float],
                 query_vector: Callable, encoder: Callable[[], object], control_similarity: float) -> None:
        self._catalogue = catalogue  # parts are opened on first use, as the façade's are
        self._assessments = assessments
        self._manifest = manifest
        self._evidence = evidence  # (query, labels) -> the pipeline's Evidence
        self._margin = margin  # the ranker's citation margin
        self._query_vector = query_vector  # (question, context) -> the vector the answer was searched with
        self._encoder = encoder  # the embedding model (encode, model_id)
        self.control_similarity = control_similarity

    @cached_property
    def catalogue(self):
        """The ISO/IEC 42001 catalogue (clauses, Annex A, crosswalks), validated."""
        return self._catalogue()

    @property
    def assessments(self):
        """The organisation's assessment store."""
        return self._assessments()

    @property
    def manifest(self):
        """The index's manifest (documents, their text and chunks)."""
        return self._manifest()

    def _document(self, root: str | None, source: str):
        """The indexed document named by source (and root, when several roots hold that name)."""
        matches = [d for d in self.manifest.documents() if d.source == source and (root is None or d.root == root)]
        if len(matches) > 1:
            raise ValueError(f"{source} is in several corpora: {', '.join(d.root for d in matches)}")
        return matches[0] if matches else None

    def _lookup(self, root: str | None, source: str):
        doc = self._document(root, source)
        return (doc.doc_hash, self.manifest.document_text(doc.root, doc.source) or "") if doc else None

    def item(self, item_id: str):
        """A clause or control of the catalogue; a clear error for an unknown ID."""
        found = self.catalogue.by_id.get(item_id.strip())
        if found is None:
            raise ValueError(f"unknown clause or control {item_id!r} (e.g. 6.1.2 or A.6.2.6)")
        return found

    def rows(self):
        """Every clause and control with its assessment and evidence freshness."""
        from assistant.checklist.rows import build_rows

        assessments = self.assessments.get_many(list(self.catalogue.by_id))
        return build_rows(self.catalogue, assessments, self._lookup)

    def row(self, item_id: str):
        """One item's row, built alone (the TUI's detail pane asks for it on every cursor move)."""
        from assistant.checklist.rows import build_rows

        item = self.item(item_id)
        return build_rows(self.catalogue, {item.id: self.assessments.get(item.id)}, self._lookup, only={item.id})[0]

    def set(self, item_id: str, author: str | None = None, **changes):
        """Change an item's applicability, justification, status, owner, dates or notes (audited)."""
        from assistant.checklist.assessment import default_author

        self.item(item_id)
        return self.assessments.update(item_id.strip(), author or default_author(), **changes)

    def link(self, item_id: str, source: str, quote: str, author: str | None = None, root: str | None = None):
        """Pin evidence: the quote must be found (verbatim, whitespace aside) in the indexed document."""
        from assistant.checklist.assessment import default_author
        from assistant.checklist.rows import find_quote

        self.item(item_id)
        doc = self._document(root, source)
        if doc is None:
            raise ValueError(f"{source} is not in the index (see aims status)")
        text = self.manifest.document_text(doc.root, doc.source) or ""
        span = find_quote(text, quote)
        if span is None:
            raise ValueError(f"the quote is not in {source}")
        holder = next((c for c in self._chunks_of(doc) if c.start <= span[0] < c.end), None)
        return self.assessments.add_link(
            item_id.strip(), author or default_author(), source=doc.source, root=doc.root,
            page=holder.page if holder else None, section=holder.section if holder else None,
            quote=text[span[0]:span[1]], doc_hash=doc.doc_hash)

    def _chunks_of(self, doc):
        return sorted(self.manifest.chunks_by_id(self.manifest.chunk_ids(doc.root, doc.source)).values(),
                      key=lambda c: c.start)

    def suggest(self, item_id: str, labels: list[str], limit: int = 3):
        """Candidate evidence for one item: its intent and typical evidence searched, best quote per document."""
        from assistant.checklist.rows import Suggestion

        item = self.item(item_id)
        query = f"{item.title}. {item.intent} Evidence: {'; '.join(item.typical_evidence)}"
        found_evidence = self._evidence(query, labels)
        status, margin = found_evidence.verdict.status, self._margin()
        best = found_evidence.units[0].score if found_evidence.units else 0.0
        found: dict[str, Suggestion] = {}
        for unit in found_evidence.units:
            chunk = unit.passage.chunk
            if chunk.source in found:
                continue
            close = unit.score >= best - margin
            level = ("high" if status == "answered" and close else
                     "medium" if status != "none" and (close or status == "answered") else "low")
            found[chunk.source] = Suggestion(item_id=item.id, source=chunk.source, page=chunk.page,
                                             section=locator(chunk), quote=unit.text, score=round(unit.score, 4),
                                             confidence=level)
            if len(found) >= limit:
                break
        return list(found.values())

    def gaps(self):
        """Gaps over all clauses and controls, most severe first."""
        from assistant.checklist.rows import gaps

        return gaps(self.rows())

    def related_controls(self, question: str, answer: Answer, limit: int = 3,
                         context: list[str] | None = None) -> list[str]:
        """Clause and control IDs an answer relates to: IDs its citations name, then the closest by meaning."""
        known = self.catalogue.by_id
        found: list[str] = []
        for citation in answer.citations:
            for ident in re.findall(r"\b(A\.\d{1,2}(?:\.\d){1,2})\b", f"{citation.section or ''} {citation.quote}"):
                if ident in known and ident not in found:
                    found.append(ident)
        vectors = self._catalogue_vectors()
        query = self._query_vector(question, context)
        ranked = sorted(((float(v @ query), ident) for ident, v in vectors.items()), reverse=True)
        found += [ident for sim, ident in ranked[:limit] if sim >= self.control_similarity
                  and ident not in found]
        return found[: limit + 2]

    def _catalogue_vectors(self) -> dict:
        cached = self.__dict__.get("_catalogue_vector_cache")
        if cached is None:
            encoder, manifest = self._encoder(), self.manifest
            texts = {ident: f"{item.title}. {item.intent}" for ident, item in self.catalogue.by_id.items()}
            keys = {ident: sha256_text(text) for ident, text in texts.items()}
            stored = manifest.cached_vectors(encoder.model_id, list(keys.values()))
            missing = [ident for ident in texts if keys[ident] not in stored]
            if missing:
                new = dict(zip([keys[i] for i in missing], encoder.encode([texts[i] for i in missing])))
                manifest.store_vectors(encoder.model_id, {k: (v, v[:0]) for k, v in new.items()})
                stored.update({k: (v, None) for k, v in new.items()})
            cached = {ident: stored[keys[ident]][0] for ident in texts}
            self.__dict__["_catalogue_vector_cache"] = cached
        return cached
