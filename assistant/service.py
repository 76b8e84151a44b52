"""The one façade every front end calls: ingest, status, ask, the checklist, drafts, team administration.

Thin: it opens the parts lazily (Chroma, the model, BM25 load on first use, not at construction)
and composes the objects that do the work: the question pipeline's `Answerer`, the `Checklist`,
`TeamAdministration`, the `Drafter`. One guard brings a team replica up to date before every entry point that
reads the index (`READS_INDEX`, `NEEDS_TEAM`), so no method does it by hand.
"""

from __future__ import annotations

import functools
import shutil
import threading
from functools import cached_property
from pathlib import Path

from assistant import parts
from assistant.config import Settings
from assistant.core.files import dir_size
from assistant.core.models import Answer, IngestReport, StatusReport
from assistant.freshness import guarded

__all__ = ["Assistant", "StatusReport"]


@guarded
class Assistant:
    """The assistant over one data dir (`settings.home`)."""

    def __init__(self, settings: Settings, embedder=None) -> None:
        self.settings = settings
        self.home = Path(settings.home)
        self._guard = threading.local()  # the guard's call depth, per thread
        if embedder is not None:  # a loaded model shared by several assistants (tests, benchmarks)
            self.__dict__["embedder"] = embedder

    # --- parts, opened lazily ---------------------------------------------------------------------
    @cached_property
    def manifest(self):
        """The manifest (SQLite): documents, their text, chunks, cached vectors, failures."""
        return parts.open_manifest(self.home)

    @cached_property
    def embedder(self):
        """The embedding model (weights load on first encode)."""
        return parts.open_embedder(self.settings)

    @cached_property
    def vectors(self):
        """The Chroma collections (embedded, or the server's)."""
        return parts.open_vectors(self.settings)

    @cached_property
    def team(self):
        """Team mode's shared records in the Chroma server, or None with the embedded store."""
        return parts.open_team(self.settings, self.vectors)

    def _sync(self):
        """Team mode: bring the local manifest (and with it BM25) up to the server's corpus, if it changed.

        One read of the server's generation marker when nothing changed; refuses a server whose
        vectors come from another model. Returns what the sync changed (None for an embedded index).
        Called by the guard before an entry point that reads the index, and after this client's own writes.
        """
        team = self.team
        if team is None:
            if self.manifest.get_meta("team_corpus"):
                from assistant.core.models import TeamModeError

                raise TeamModeError(f"{self.home} is a replica of a Chroma server's corpus; use --chroma-url "
                                    "(or AIMS_CHROMA_URL), or another data dir for an embedded index")
            return None
        from assistant.retrieval.team_sync import sync

        if not self.__dict__.get("_compatible"):
            team.check_compatible(self.embedder.model_id, self.settings.chunk_words)
            self.__dict__["_compatible"] = True
        return sync(self.manifest, team, self.embedder.model_id)

    def refresh(self):
        """Bring a team replica up to the server's corpus now (what the guard does before each entry point).

        Inside an entry point it was already done, so it does nothing there and returns None.
        """
        if getattr(self._guard, "depth", 0):
            return None
        return self._sync()

    def lexical(self):
        """The BM25 index, rebuilt first if it does not cover exactly the committed chunks."""
        from assistant.retrieval.lexical import current_index

        self.__dict__["_lexical"] = current_index(self.manifest, self.home / "bm25", self.__dict__.get("_lexical"))
        return self.__dict__["_lexical"]

    # --- operations -----------------------------------------------------------------------------
    def ingest(self, paths: list[Path], progress=None) -> IngestReport:
        """Bring the index up to date with `paths`; BM25 is rebuilt when the chunks changed."""
        from assistant.retrieval.ingest import Ingestor
        from assistant.retrieval.lexical import fingerprint

        ingestor = Ingestor(
            self.manifest, lambda: self.vectors, self.embedder, chunk_words=self.settings.chunk_words,
            max_file_mb=self.settings.max_file_mb, labels_file=self.settings.labels_file, progress=progress,
            team=self.team, root_prefix=f"{self.settings.client_name}:" if self.team is not None else "",
        )
        report = ingestor.run(paths)
        self._sync()  # the replica takes in what this client just committed
        report.chunks_total = self.manifest.chunk_count()
        changed = report.added or report.updated or report.removed or report.renamed
        if changed or not (self.home / "bm25" / "chunks.json").exists():
            self.manifest.set_meta("chunks_fp", fingerprint(sorted(self.manifest.all_chunk_ids())))
            self.lexical()
        return report

    def labels_for(self, role: str) -> list[str]:
        """The classification labels a role may see (a setting)."""
        try:
            return list(self.settings.role_labels[role])
        except KeyError as exc:
            raise ValueError(f"unknown role {role!r}; known: {', '.join(self.settings.role_labels)}") from exc

    # --- the objects that do the work --------------------------------------------------------------
    @cached_property
    def pipeline(self):
        """The question pipeline (candidates, features, ranker, judge) over this data dir's index."""
        return parts.question_pipeline(self.settings, self.manifest, self.vectors, self.lexical, self.embedder)

    @cached_property
    def answerer(self):
        """The question pipeline's answering front: evidence, then the extractive or verified LLM answer."""
        from assistant.answering.answerer import Answerer

        return Answerer(self.pipeline, top_k=self.settings.top_k, llm_passages=self.settings.llm_passages,
                        chat_model=functools.partial(parts.open_chat_model, self.settings), prompt=self.prompt,
                        encode=self.embedder.encode, choose_evidence=self.settings.llm_choose_evidence,
                        choice_sentences=self.settings.llm_choice_sentences, context=self.settings.answer_context,
                        prose=self.settings.llm_prose)

    @property
    def chat_model(self):
        """The configured LLM, or None (the default: answers are extractive)."""
        return self.answerer.chat_model

    @cached_property
    def catalogue(self):
        """The ISO/IEC 42001 catalogue (clauses, Annex A, crosswalks), validated."""
        return parts.open_catalogue(self.settings)

    @cached_property
    def assessments(self):
        """The assessment store: SQLite in the data dir, or in team mode the server's shared log."""
        return parts.open_assessments(self.home, self.team)

    @cached_property
    def checklist(self):
        """The organisation's checklist over the catalogue, with its assessment and evidence."""
        from assistant.checklist.checklist import Checklist

        return Checklist(lambda: self.catalogue, lambda: self.assessments, lambda: self.manifest,
                         evidence=self.evidence, margin=lambda: self.pipeline.ranker.margin,
                         query_vector=self.query_vector, encoder=lambda: self.embedder,
                         control_similarity=self.settings.control_similarity)

    @cached_property
    def team_admin(self):
        """Team mode's administration (the guard refuses it with the embedded store)."""
        from assistant.service_team import TeamAdministration

        return TeamAdministration(self.team, self.manifest, lambda: self.assessments, self.settings.client_name)

    # --- questions -------------------------------------------------------------------------------
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
        labels = self.labels_for(role)
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        if self.manifest.chunk_count() == 0:
            return self.answerer.empty(question, role), None
        thread = self.answerer.thread(question, history)
        answer, found = self.answerer.answer(thread, role, labels, k, on_token)
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

    def evidence(self, question: str, labels: list[str], context: list[str] | None = None):
        """Every stage of the question pipeline for a question among the allowed labels (an `Evidence`)."""
        from assistant.answering.followup import ThreadQuery

        return self.answerer.evidence(ThreadQuery(question, list(context or [])), labels)

    def query_vector(self, question: str, context: list[str] | None = None):
        """The question's vector (with a follow-up's context), shared by retrieval and related controls."""
        from assistant.answering.followup import ThreadQuery

        return self.answerer.query_vector(ThreadQuery(question, list(context or [])))

    def _generate(self, question: str, role: str, scored, extractive: Answer, on_token,
                  asked: str | None = None) -> Answer:
        return self.answerer.generate(question, role, scored, extractive, on_token, asked=asked)

    def prompt(self, name: str) -> str:
        """A prompt template from the prompts dir."""
        return (self.settings.prompts_dir / f"{name}.md").read_text(encoding="utf-8")

    def baseline(self, corpus: Path, k: int = 5, exclude: tuple[str, ...] | None = None,
                 node_tokens: int | None = None):
        """A plain llama-index VectorStoreIndex over the same files, as a (question, role) -> Answer function
        (`node_tokens`: its node size, llama-index's default when None)."""
        from assistant.retrieval.baseline import baseline_answerer

        return baseline_answerer(corpus, self.embedder, k=k, exclude=exclude or (self.settings.labels_file,),
                                 node_tokens=node_tokens)

    def document_texts(self) -> dict[str, tuple[str, str]]:
        """source -> (label, extracted text) of every indexed document, for checks such as leak detection."""
        return {doc.source: (doc.label.value, self.manifest.document_text(doc.root, doc.source) or "")
                for doc in self.manifest.documents()}

    def chunk_count(self) -> int:
        """How many chunks the index holds (0: nothing ingested yet)."""
        return self.manifest.chunk_count()

    def warm_up(self) -> None:
        """Load the embedding model now (the UI does it in the background after its first frame)."""
        self.embedder.encode(["warm up"])

    # --- checklist ---------------------------------------------------------------------------------
    def item(self, item_id: str):
        """A clause or control of the catalogue; a clear error for an unknown ID."""
        return self.checklist.item(item_id)

    def crosswalk(self, item_id: str):
        """NIST AI RMF and EU AI Act pairs of a 42001 ID, or of an external one."""
        return self.catalogue.crosswalk_for(item_id)

    def controls(self) -> list[str]:
        """The IDs of the Annex A controls, in catalogue order."""
        return [c.id for c in self.catalogue.controls]

    def checklist_rows(self):
        """Every clause and control with its assessment and evidence freshness."""
        return self.checklist.rows()

    def checklist_row(self, item_id: str):
        """One item's row, built alone (the TUI's detail pane asks for it on every cursor move)."""
        return self.checklist.row(item_id)

    def checklist_set(self, item_id: str, author: str | None = None, **changes):
        """Change an item's applicability, justification, status, owner, dates or notes (audited)."""
        return self.checklist.set(item_id, author, **changes)

    def checklist_link(self, item_id: str, source: str, quote: str, author: str | None = None, root: str | None = None):
        """Pin evidence: the quote must be found (verbatim, whitespace aside) in the indexed document."""
        return self.checklist.link(item_id, source, quote, author=author, root=root)

    def suggest_evidence(self, item_id: str, limit: int = 3, role: str = "auditor"):
        """Candidate evidence for one item: its intent and typical evidence searched, best quote per document."""
        return self.checklist.suggest(item_id, self.labels_for(role), limit=limit)

    def checklist_gaps(self):
        """Gaps over all clauses and controls, most severe first."""
        return self.checklist.gaps()

    def related_controls(self, question: str, answer: Answer, limit: int = 3,
                         context: list[str] | None = None) -> list[str]:
        """Clause and control IDs an answer relates to: IDs its citations name, then the closest by meaning."""
        return self.checklist.related_controls(question, answer, limit=limit, context=context)

    def audit_trail(self) -> list[dict]:
        """Every recorded assessment change, with time and author."""
        return self.assessments.audit_trail()

    # --- team mode ---------------------------------------------------------------------------------
    def team_overview(self):
        """What the Chroma server holds per client, the ingests under way, the generation marker."""
        return self.team_admin.overview()

    def team_filed_by(self, client: str):
        """The documents filed under a client (what `aims team forget` would withdraw)."""
        return self.team_admin.filed_by(client)

    def team_forget(self, client: str):
        """Withdraw the documents filed under a client that is gone; the replica follows. Returns them."""
        gone = self.team_admin.forget(client)
        self._sync()
        return gone

    def import_assessment(self, source: Path) -> dict:
        """Copy an embedded data dir's assessment into the shared one; importing it again adds nothing."""
        return self.team_admin.import_assessment(source)

    # --- drafting ----------------------------------------------------------------------------------
    @cached_property
    def drafter(self):
        """Drafts, their inputs found in the documents, and the requirements check."""
        from assistant.service_drafts import Drafter

        return Drafter(self.settings.prompts_dir / "drafts", lambda: self.manifest, self.labels_for, self.evidence,
                       lambda: self.pipeline, lambda: self.chat_model, self.prompt,
                       lambda texts: self.embedder.encode(texts))

    @property
    def draft_kinds(self):
        """The kinds of draft in prompts/drafts (schema + template each), validated."""
        return self.drafter.kinds

    def draft(self, kind_name: str, values: dict[str, str], role: str = "implementer"):
        """Draft a document: template wording, facts as cited spans, the best quotes per section (or verified
        LLM prose), TO COMPLETE markers, and a requirements check when the organisation has one already."""
        return self.drafter.draft(kind_name, values, role)

    def draft_review(self, kind_name: str, values: dict[str, str], role: str = "implementer"):
        """The requirements check alone: what the standard asks of a document of this kind, graded against
        the organisation's existing one (every element missing when it has none)."""
        return self.drafter.review(kind_name, values, role)

    def draft_defaults(self, kind_name: str, role: str = "implementer"):
        """Inputs of a kind found in the documents the role may see (name -> `Inferred`), for prefilling."""
        return self.drafter.defaults(kind_name, role)

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
        return classification_line(highest_label(d.label for d in self.manifest.documents() if d.source in wanted))

    def status(self) -> StatusReport:
        """The state of the index, without loading the model."""
        documents = self.manifest.documents()
        labels: dict[str, int] = {}
        for doc in documents:
            labels[doc.label.value] = labels.get(doc.label.value, 0) + 1
        vectors = self.vectors.count() if (self.home / "chroma").exists() or self.settings.chroma_url else None
        return StatusReport(
            home=str(self.home),
            documents=documents,
            failures=self.manifest.failures(),
            chunks=self.manifest.chunk_count(),
            vectors=vectors,
            model=str(self.embedder.model_path),
            model_id=self.manifest.get_meta("model_id"),
            index_bytes=dir_size(self.home),
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
        for name in ("manifest", "vectors", "team", "assessments", "team_admin", "drafter"):
            self.__dict__.pop(name, None)
        self.__dict__.pop("_lexical", None)

    def close(self) -> None:
        """Release the database connections."""
        for name in ("manifest", "assessments"):
            part = self.__dict__.get(name)
            if part is not None:
                part.close()
