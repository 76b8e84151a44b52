"""The one façade every front end calls: ingest, status, ask, and the benchmarks' raw parts.

The CLI, the TUI and the evals all go through `Assistant`, so they share one behaviour; heavy
parts (Chroma, the model, BM25) are opened on first use, not at construction.
"""

from __future__ import annotations

import shutil
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel

from assistant import resources
from assistant.config import Settings
from assistant.core.models import Answer, DocumentRecord, FileFailure, IngestReport
from assistant.service_team import TeamAdministration


class StatusReport(BaseModel):
    """What `aims status` shows: the documents, their labels, failures, the model and the size."""

    home: str
    documents: list[DocumentRecord]
    failures: list[FileFailure]
    chunks: int
    vectors: int | None
    model: str
    model_id: str | None
    index_bytes: int
    labels: dict[str, int]
    chroma_url: str | None = None
    client_name: str | None = None


class Assistant(TeamAdministration):
    """The assistant over one data dir (`settings.home`)."""

    def __init__(self, settings: Settings, embedder=None) -> None:
        self.settings = settings
        self.home = Path(settings.home)
        if embedder is not None:  # a loaded model shared by several assistants (tests, benchmarks)
            self.__dict__["embedder"] = embedder

    # --- parts, opened lazily ---------------------------------------------------------------------
    @cached_property
    def catalog(self):
        """The manifest (SQLite)."""
        from assistant.retrieval.catalog import Catalog

        return Catalog(self.home / "catalog.sqlite")

    @cached_property
    def embedder(self):
        """The embedding model (weights load on first encode)."""
        from assistant.retrieval.embedder import Embedder

        return Embedder(self.settings.model_path, self.settings.embed_dtype, self.settings.embed_batch_size)

    @cached_property
    def vectors(self):
        """The Chroma collection."""
        from assistant.retrieval.vectors import VectorIndex

        return VectorIndex(self.home / "chroma", url=self.settings.chroma_url, token=self.settings.chroma_token)

    @cached_property
    def team(self):
        """Team mode's shared records in the Chroma server, or None with the embedded store."""
        if not self.settings.chroma_url:
            return None
        from assistant.retrieval.team import TeamStore

        return TeamStore(self.vectors, self.settings.client_name)

    def refresh(self):
        """Team mode: bring the local manifest (and with it BM25) up to the server's corpus, if it changed.

        One read of the server's generation marker when nothing changed; refuses a server whose
        vectors come from another model. Returns what the sync changed (None for an embedded index).
        """
        team = self.team
        if team is None:
            if self.catalog.get_meta("team_corpus"):
                from assistant.core.models import TeamModeError

                raise TeamModeError(f"{self.home} is a replica of a Chroma server's corpus; use --chroma-url "
                                    "(or AIMS_CHROMA_URL), or another data dir for an embedded index")
            return None
        from assistant.retrieval.team import sync

        if not self.__dict__.get("_compatible"):
            team.check_compatible(self.embedder.model_id, self.settings.chunk_words)
            self.__dict__["_compatible"] = True
        return sync(self.catalog, team, self.embedder.model_id)

    def lexical(self):
        """The BM25 index, rebuilt first if it does not cover exactly the committed chunks."""
        from assistant.retrieval.lexical import LexicalIndex

        cached = self.__dict__.get("_lexical")
        current = self.catalog.get_meta("chunks_fp")
        if cached is not None and cached.fingerprint == current:
            return cached
        with self.catalog.lock("sync"):  # one rebuild at a time per data dir, none mid-sync
            current = self.catalog.get_meta("chunks_fp")
            index = LexicalIndex.load(self.home / "bm25")
            if index is None or current is None or index.fingerprint != current:
                from assistant.retrieval.memory import release_free_memory

                built = LexicalIndex.build(self.catalog.iter_chunk_texts())
                built.save(self.home / "bm25")
                loaded = LexicalIndex.load(self.home / "bm25")  # the same index, its postings memory-mapped
                index = loaded if loaded is not None else built
                del built
                self.catalog.set_meta("chunks_fp", index.fingerprint)
                release_free_memory()  # the build's texts and tokens are garbage now
        self.__dict__["_lexical"] = index
        return index

    # --- operations -----------------------------------------------------------------------------
    def ingest(self, paths: list[Path], progress=None) -> IngestReport:
        """Bring the index up to date with `paths`; BM25 is rebuilt when the chunks changed."""
        from assistant.retrieval.ingest import Ingestor
        from assistant.retrieval.lexical import fingerprint

        self.refresh()  # team mode: decide what changed against the server's corpus, not a stale copy
        ingestor = Ingestor(
            self.catalog, lambda: self.vectors, self.embedder, chunk_words=self.settings.chunk_words,
            max_file_mb=self.settings.max_file_mb, labels_file=self.settings.labels_file, progress=progress,
            team=self.team, root_prefix=f"{self.settings.client_name}:" if self.team is not None else "",
        )
        report = ingestor.run(paths)
        self.refresh()
        report.chunks_total = self.catalog.chunk_count()
        changed = report.added or report.updated or report.removed or report.renamed
        if changed or not (self.home / "bm25" / "chunks.json").exists():
            self.catalog.set_meta("chunks_fp", fingerprint(sorted(self.catalog.all_chunk_ids())))
            self.lexical()
        return report

    def labels_for(self, role: str) -> list[str]:
        """The classification labels a role may see (a setting)."""
        try:
            return list(self.settings.role_labels[role])
        except KeyError as exc:
            raise ValueError(f"unknown role {role!r}; known: {', '.join(self.settings.role_labels)}") from exc

    def ask(self, question: str, role: str = "staff", k: int | None = None, on_token=None,
            history: list[str] | None = None) -> Answer:
        """Answer with quoted, cited sentences from the documents the role may see, or refuse.

        `history` is the thread's earlier questions, most recent last: a follow-up that leans on
        them ("and who approves it?") is searched together with them, the current question weighing
        more; a question that stands alone is searched alone. The answer's `question` is the text
        asked, and the role filter applies inside every query as always.

        With an LLM configured, the reply streams to `on_token` and then passes the citation
        verifier; if nothing it wrote survives, the extractive answer is returned instead.
        """
        return self.ask_traced(question, role, k, on_token, history)[0]

    def ask_traced(self, question: str, role: str = "staff", k: int | None = None, on_token=None,
                   history: list[str] | None = None):
        """`ask`, returning the answer with the pipeline's `Evidence` (None for an empty index): what evals read."""
        from assistant.answering.extractive import compose, refusal
        from assistant.answering.followup import thread_query

        labels = self.labels_for(role)
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        self.refresh()
        if self.catalog.chunk_count() == 0:
            return refusal(question, role, []), None
        thread = thread_query(question, history)
        found = self.evidence(question, labels, context=thread.context)
        status = found.verdict.status
        answer = compose(question, role, found.units, k or self.settings.top_k, found.searched, status=status,
                         missing=found.missing, margin=self.pipeline.ranker.margin)
        if status == "answered" and self.chat_model is not None:
            answer = self._generate(question, role, found.units, answer, on_token, asked=thread.prompt_question)
        if answer.status != "none":
            answer.controls = self._controls_or_none(question, answer, thread.context)
        if thread.context:
            answer.notes.append("searched as a follow-up to: " + " / ".join(thread.context))
        return answer, found

    def _controls_or_none(self, question: str, answer: Answer, context: list[str] | None = None) -> list[str]:
        """Related clause and control IDs; an unreadable catalogue must never break an answer."""
        try:
            return self.related_controls(question, answer, context=context)
        except (OSError, ValueError) as exc:
            answer.notes.append(f"no related controls: {exc}")
            return []

    def _generate(self, question: str, role: str, scored, extractive: Answer, on_token,
                  asked: str | None = None) -> Answer:
        from assistant.answering.verify import evidence_block, passages_for_llm, render_prompt, to_answer, verify
        from assistant.retrieval.llms import LLMUnavailable

        chunks = passages_for_llm(scored, self.settings.llm_passages)
        user = render_prompt(self.prompt("answer_user"), question=asked or question, role=role,
                             evidence=evidence_block(chunks))
        pieces = []
        try:
            for piece in self.chat_model.stream(self.prompt("answer_system"), user):
                pieces.append(piece)
                if on_token is not None:
                    on_token(piece)
        except LLMUnavailable as exc:
            extractive.notes.append(f"LLM not used ({exc}); extractive answer")
            return extractive
        verdict, quotes = verify("".join(pieces), chunks, self.embedder.encode)
        notes = [f"dropped unsupported sentence: {s!r} ({why})" for s, why in verdict.dropped]
        notes += [f"stripped invented citation [{k}]" for k in verdict.invented_keys]
        if not verdict.kept:
            extractive.notes.extend(notes + ["nothing the LLM wrote was supported; extractive answer"])
            return extractive
        answer = to_answer(question, role, verdict, quotes, chunks)
        answer.notes.extend(notes)
        return answer

    @cached_property
    def chat_model(self):
        """The configured LLM, or None (the default: answers are extractive)."""
        from assistant.retrieval.llms import build_chat_model

        return build_chat_model(self.settings)

    def prompt(self, name: str) -> str:
        """A prompt template from the prompts dir."""
        return (self.settings.prompts_dir / f"{name}.md").read_text(encoding="utf-8")

    @cached_property
    def pipeline(self):
        """The question pipeline (candidates, features, ranker, judge) over this data dir's index."""
        from assistant.answering.judge import judge_from
        from assistant.answering.pipeline import QuestionPipeline
        from assistant.answering.ranker import ranker_from
        from assistant.answering.thesaurus import Thesaurus
        from assistant.retrieval.sources import IndexSources

        sources = IndexSources(self.catalog, self.vectors, self.lexical, self.embedder)
        calibration = resources.load_calibration(self.home)
        pipeline = QuestionPipeline(sources, ranker_from(calibration), judge_from(calibration),
                                    thesaurus=Thesaurus.load(self.embedder.encode)
                                    if self.settings.vocabulary_bridge else None, pool=self.settings.answer_passages,
                                    stages=frozenset(self.settings.recall_stages))
        if self.settings.refusal_threshold is not None:
            pipeline.judge.answered = self.settings.refusal_threshold
        return pipeline

    def evidence(self, question: str, labels: list[str], context: list[str] | None = None):
        """Every stage of the question pipeline for a question among the allowed labels (an `Evidence`).

        `context` (earlier questions of a thread, oldest first) joins the search of a follow-up: in the
        query vector and BM25 query with less weight than the question, and in the words an answer
        should contain at half weight. The role's labels filter every search inside the query.
        """
        return self.pipeline.evidence(question, labels, context, vector=self.query_vector(question, context))

    def query_vector(self, question: str, context: list[str] | None = None):
        """The question's vector (with a follow-up's context weighed in), remembered for the last question.

        Retrieval and related controls share it.
        """
        from assistant.answering.followup import ThreadQuery

        key = (question, tuple(context or ()))
        last = self.__dict__.get("_last_query")
        if last is None or last[0] != key:
            last = (key, self.pipeline.thread_vector(ThreadQuery(question, list(context or []))))
            self.__dict__["_last_query"] = last
        return last[1]

    def baseline(self, corpus: Path, k: int = 5, exclude: tuple[str, ...] | None = None):
        """A plain llama-index VectorStoreIndex over the same files, as a (question, role) -> Answer function."""
        from assistant.retrieval.baseline import baseline_answerer

        return baseline_answerer(corpus, self.embedder, k=k, exclude=exclude or (self.settings.labels_file,))

    def document_texts(self) -> dict[str, tuple[str, str]]:
        """source -> (label, extracted text) of every indexed document, for checks such as leak detection."""
        self.refresh()
        return {doc.source: (doc.label.value, self.catalog.document_text(doc.root, doc.source) or "")
                for doc in self.catalog.documents()}

    # --- checklist ---------------------------------------------------------------------------------
    @cached_property
    def catalogue(self):
        """The ISO/IEC 42001 catalogue (clauses, Annex A, crosswalks), validated."""
        from assistant.checklist.catalogue import load_catalogue

        return load_catalogue(self.settings.standard_dir)

    @cached_property
    def assessments(self):
        """The organisation's assessment store: SQLite in the data dir, or in team mode the server's shared log."""
        if self.team is not None:
            from assistant.checklist.assessment import SharedAssessmentStore

            return SharedAssessmentStore(self.team.assessment_log())
        from assistant.checklist.assessment import AssessmentStore

        return AssessmentStore(self.home / "assessment.sqlite")

    def _document(self, root: str | None, source: str):
        """The indexed document named by source (and root, when several roots hold that name)."""
        matches = [d for d in self.catalog.documents() if d.source == source and (root is None or d.root == root)]
        if len(matches) > 1:
            raise ValueError(f"{source} is in several corpora: {', '.join(d.root for d in matches)}")
        return matches[0] if matches else None

    def _lookup(self, root: str | None, source: str):
        doc = self._document(root, source)
        return (doc.doc_hash, self.catalog.document_text(doc.root, doc.source) or "") if doc else None

    def item(self, item_id: str):
        """A clause or control of the catalogue; a clear error for an unknown ID."""
        found = self.catalogue.by_id.get(item_id.strip())
        if found is None:
            raise ValueError(f"unknown clause or control {item_id!r} (e.g. 6.1.2 or A.6.2.6)")
        return found

    def checklist_rows(self):
        """Every clause and control with its assessment and evidence freshness."""
        from assistant.checklist.rows import build_rows

        self.refresh()
        assessments = self.assessments.get_many(list(self.catalogue.by_id))
        return build_rows(self.catalogue, assessments, self._lookup)

    def checklist_row(self, item_id: str):
        """One item's row, built alone (the TUI's detail pane asks for it on every cursor move)."""
        from assistant.checklist.rows import build_rows

        item = self.item(item_id)
        self.refresh()
        return build_rows(self.catalogue, {item.id: self.assessments.get(item.id)}, self._lookup, only={item.id})[0]

    def checklist_set(self, item_id: str, author: str | None = None, **changes):
        """Change an item's applicability, justification, status, owner, dates or notes (audited)."""
        from assistant.checklist.assessment import default_author

        self.item(item_id)
        return self.assessments.update(item_id.strip(), author or default_author(), **changes)

    def checklist_link(self, item_id: str, source: str, quote: str, author: str | None = None, root: str | None = None):
        """Pin evidence: the quote must be found (verbatim, whitespace aside) in the indexed document."""
        from assistant.checklist.assessment import default_author
        from assistant.checklist.rows import find_quote

        self.item(item_id)
        self.refresh()
        doc = self._document(root, source)
        if doc is None:
            raise ValueError(f"{source} is not in the index (see aims status)")
        text = self.catalog.document_text(doc.root, doc.source) or ""
        span = find_quote(text, quote)
        if span is None:
            raise ValueError(f"the quote is not in {source}")
        holder = next((c for c in self._chunks_of(doc) if c.start <= span[0] < c.end), None)
        return self.assessments.add_link(
            item_id.strip(), author or default_author(), source=doc.source, root=doc.root,
            page=holder.page if holder else None, section=holder.section if holder else None,
            quote=text[span[0]:span[1]], doc_hash=doc.doc_hash)

    def _chunks_of(self, doc):
        return sorted(self.catalog.chunks_by_id(self.catalog.chunk_ids(doc.root, doc.source)).values(),
                      key=lambda c: c.start)

    def suggest_evidence(self, item_id: str, limit: int = 3, role: str = "auditor"):
        """Candidate evidence for one item: its intent and typical evidence searched, best quote per document."""
        from assistant.answering.extractive import locator
        from assistant.checklist.rows import Suggestion

        item = self.item(item_id)
        self.refresh()
        query = f"{item.title}. {item.intent} Evidence: {'; '.join(item.typical_evidence)}"
        found_evidence = self.evidence(query, self.labels_for(role))
        status, margin = found_evidence.verdict.status, self.pipeline.ranker.margin
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

    def checklist_gaps(self):
        """Gaps over all clauses and controls, most severe first."""
        from assistant.checklist.rows import gaps

        return gaps(self.checklist_rows())

    def related_controls(self, question: str, answer: Answer, limit: int = 3,
                         context: list[str] | None = None) -> list[str]:
        """Clause and control IDs an answer relates to: IDs its citations name, then the closest by meaning."""
        import re

        known = self.catalogue.by_id
        found: list[str] = []
        for citation in answer.citations:
            for ident in re.findall(r"\b(A\.\d{1,2}(?:\.\d){1,2})\b", f"{citation.section or ''} {citation.quote}"):
                if ident in known and ident not in found:
                    found.append(ident)
        vectors = self._catalogue_vectors()
        query = self.query_vector(question, context)
        ranked = sorted(((float(v @ query), ident) for ident, v in vectors.items()), reverse=True)
        found += [ident for sim, ident in ranked[:limit] if sim >= self.settings.control_similarity
                  and ident not in found]
        return found[: limit + 2]

    def _catalogue_vectors(self) -> dict:
        cached = self.__dict__.get("_catalogue_vector_cache")
        if cached is None:
            from assistant.core.models import sha256_text

            texts = {ident: f"{item.title}. {item.intent}" for ident, item in self.catalogue.by_id.items()}
            keys = {ident: sha256_text(text) for ident, text in texts.items()}
            stored = self.catalog.cached_vectors(self.embedder.model_id, list(keys.values()))
            missing = [ident for ident in texts if keys[ident] not in stored]
            if missing:
                new = dict(zip([keys[i] for i in missing], self.embedder.encode([texts[i] for i in missing])))
                self.catalog.store_vectors(self.embedder.model_id, {k: (v, v[:0]) for k, v in new.items()})
                stored.update({k: (v, None) for k, v in new.items()})
            cached = {ident: stored[keys[ident]][0] for ident in texts}
            self.__dict__["_catalogue_vector_cache"] = cached
        return cached

    # --- drafting ----------------------------------------------------------------------------------
    @cached_property
    def draft_kinds(self):
        """The kinds of draft in prompts/drafts (schema + template each), validated."""
        from assistant.drafting.kinds import load_kinds

        return load_kinds(self.settings.prompts_dir / "drafts")

    def draft(self, kind_name: str, values: dict[str, str], role: str = "implementer"):
        """Draft a document: template wording, facts as cited spans, the best quotes per section (or verified
        LLM prose), TO COMPLETE markers, and a requirements check when the organisation has one already."""
        from assistant.drafting.make import make_draft

        kind, values, inferred, sources = self._draft_setup(kind_name, values, role)
        documents = {doc.source: doc for doc in self.catalog.documents()}
        prose = (lambda item: self._draft_prose(kind, item, values)) if self.chat_model is not None else None
        return make_draft(kind, values, sources, lambda s: documents[s].doc_hash if s in documents else "",
                          lambda s: documents[s].label if s in documents else None, inferred, prose)

    def draft_review(self, kind_name: str, values: dict[str, str], role: str = "implementer"):
        """The requirements check alone: what the standard asks of a document of this kind, graded against
        the organisation's existing one (every element missing when it has none)."""
        from assistant.drafting.review import review

        kind, values, _, sources = self._draft_setup(kind_name, values, role)
        return review(kind, values, sources)

    def draft_defaults(self, kind_name: str, role: str = "implementer"):
        """Inputs of a kind found in the documents the role may see (name -> `Inferred`), for prefilling."""
        from assistant.drafting.make import find_inputs

        texts, titles = self._draft_texts(role)
        return find_inputs(self.draft_kinds[kind_name], texts, titles)

    def _draft_texts(self, role: str):
        self.refresh()
        labels = set(self.labels_for(role))
        documents = [d for d in self.catalog.documents() if d.label.value in labels]
        return ({d.source: self.catalog.document_text(d.root, d.source) or "" for d in documents},
                {d.source: d.title for d in documents})

    def _draft_setup(self, kind_name: str, values: dict[str, str], role: str):
        from assistant.drafting.build import DraftSources
        from assistant.drafting.doctypes import document_kind
        from assistant.drafting.draft import DraftError
        from assistant.drafting.make import find_inputs, resolve_inputs

        kind = self.draft_kinds.get(kind_name)
        if kind is None:
            raise DraftError(f"unknown kind {kind_name!r}; known: {', '.join(sorted(self.draft_kinds))}")
        labels = self.labels_for(role)
        texts, titles = self._draft_texts(role)
        values, inferred = resolve_inputs(kind, values, lambda: find_inputs(kind, texts, titles))
        sources = DraftSources(search=lambda q: self.evidence(q, labels),
                               status=lambda units, found: self.pipeline.judge.verdict(units, found.query).status,
                               kinds={s: document_kind(titles[s], s, texts[s][:400]) for s in texts},
                               margin=self.pipeline.ranker.margin, titles=titles)
        return kind, values, inferred, sources

    def _draft_prose(self, kind, item, values):
        """A section's evidence written up by the LLM; only sentences the citation verifier supports are kept."""
        from assistant.answering.verify import verify
        from assistant.drafting.draft import Cited, locator
        from assistant.drafting.make import section_prompt
        from assistant.retrieval.llms import LLMUnavailable

        user, chunks = section_prompt(self.prompt("drafts/section_user"), kind, item, values)
        try:
            reply = "".join(self.chat_model.stream(self.prompt("drafts/section_system"), user))
        except LLMUnavailable:
            return None
        verdict, quotes = verify(reply, chunks, self.embedder.encode)
        return [(sentence, [Cited(quotes[(i, k)], chunks[k - 1].source, chunks[k - 1].page, locator(chunks[k - 1]))
                            for k in keys]) for i, (sentence, keys) in enumerate(verdict.kept)]

    # --- session records -------------------------------------------------------------------------
    def log_exchange(self, answer: Answer) -> Path:
        """Append a question and its answer (citations, role) to the audit log in the data dir."""
        import datetime as dt
        import json

        path = self.home / "audit-log.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), **answer.model_dump()}
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path

    def classification_line(self, sources) -> str:
        """The header line for an output quoting these documents: the most sensitive of their labels."""
        from assistant.core.labels import classification_line, highest_label

        wanted = set(sources)
        self.refresh()
        return classification_line(highest_label(d.label for d in self.catalog.documents() if d.source in wanted))

    def status(self) -> StatusReport:
        """The state of the index, without loading the model."""
        self.refresh()
        documents = self.catalog.documents()
        labels: dict[str, int] = {}
        for doc in documents:
            labels[doc.label.value] = labels.get(doc.label.value, 0) + 1
        vectors = self.vectors.count() if (self.home / "chroma").exists() or self.settings.chroma_url else None
        return StatusReport(
            home=str(self.home),
            documents=documents,
            failures=self.catalog.failures(),
            chunks=self.catalog.chunk_count(),
            vectors=vectors,
            model=str(self.embedder.model_path),
            model_id=self.catalog.get_meta("model_id"),
            index_bytes=_dir_size(self.home),
            labels=labels,
            chroma_url=self.settings.chroma_url,
            client_name=self.settings.client_name if self.settings.chroma_url else None,
        )

    def clear(self) -> None:
        """Delete the whole index (the data dir's index files), e.g. before a benchmark."""
        self.close()
        for name in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
            (self.home / name).unlink(missing_ok=True)
        for name in ("chroma", "bm25"):
            shutil.rmtree(self.home / name, ignore_errors=True)
        for name in ("catalog", "vectors", "team", "assessments"):
            self.__dict__.pop(name, None)
        self.__dict__.pop("_lexical", None)

    def close(self) -> None:
        """Release the database connections."""
        for name in ("catalog", "assessments"):
            part = self.__dict__.get(name)
            if part is not None:
                part.close()


def _dir_size(path: Path) -> int:
    total = 0
    if path.exists():
        for item in path.rglob("*"):
            try:
                if item.is_file() and not item.is_symlink():
                    total += item.stat().st_size
            except OSError:
                continue
    return total
