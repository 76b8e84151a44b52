"""Opening the façade's parts from the settings: the manifest, the model, Chroma, the team store, the
catalogue, the assessment store, and the question pipeline wired over them.

Kept apart from `service.py` so the façade holds no construction detail; each function is called
once per data dir, on first use, by the `Assistant` property of the same name.
"""

from __future__ import annotations

from pathlib import Path

from assistant import resources
from assistant.config import Settings, SettingsError


def open_manifest(home: Path):
    """The manifest (SQLite)."""
    from assistant.retrieval.manifest import Manifest

    return Manifest(home / "catalog.sqlite")


def open_embedder(settings: Settings):
    """The embedding model (weights load on first encode)."""
    from assistant.retrieval.embedder import Embedder
    from assistant.retrieval.question_tuning import shipped_tuning

    try:
        return Embedder(settings.model_path, settings.embed_dtype, settings.embed_batch_size,
                        question_tuning=shipped_tuning() if settings.question_tuning else None)
    except (FileNotFoundError, ValueError) as exc:  # a model path or a precision this machine cannot use
        raise SettingsError(f"{exc} (AIMS_MODEL_PATH, AIMS_EMBED_DTYPE; see aims config --reference)") from exc


def open_vectors(settings: Settings):
    """The Chroma collection."""
    from assistant.retrieval.vectors import VectorIndex

    return VectorIndex(Path(settings.home) / "chroma", url=settings.chroma_url, token=settings.chroma_token)


def open_team(settings: Settings, vectors):
    """Team mode's shared records in the Chroma server, or None with the embedded store."""
    if not settings.chroma_url:
        return None
    from assistant.retrieval.team import TeamStore

    return TeamStore(vectors, settings.client_name)


def open_catalogue(settings: Settings):
    """The ISO/IEC 42001 catalogue (clauses, Annex A, crosswalks), validated."""
    from assistant.checklist.catalogue import load_catalogue

    return load_catalogue(settings.standard_dir)


def open_assessments(home: Path, team):
    """The organisation's assessment store: SQLite in the data dir, or in team mode the server's shared log."""
    if team is not None:
        from assistant.checklist.assessment import SharedAssessmentStore

        return SharedAssessmentStore(team.assessment_log())
    from assistant.checklist.assessment import AssessmentStore

    return AssessmentStore(home / "assessment.sqlite")


def question_pipeline(settings: Settings, manifest, vectors, lexical, embedder):
    """The question pipeline (candidates, features, ranker, judge) over this data dir's index."""
    from assistant.answering.judge import judge_from
    from assistant.answering.pipeline import QuestionPipeline
    from assistant.answering.ranker import ranker_from
    from assistant.answering.thesaurus import Thesaurus
    from assistant.retrieval.sources import IndexSources

    sources = IndexSources(manifest, vectors, lexical, embedder)
    calibration = resources.load_calibration(Path(settings.home))
    pipeline = QuestionPipeline(sources, ranker_from(calibration), judge_from(calibration),
                                thesaurus=Thesaurus.load(embedder.encode)
                                if settings.vocabulary_bridge else None, pool=settings.answer_passages,
                                stages=frozenset(settings.recall_stages))
    if settings.refusal_threshold is not None:
        pipeline.judge.answered = settings.refusal_threshold
    return pipeline


def open_chat_model(settings: Settings):
    """The LLM the settings name, or None; built on the first answer that could use it."""
    from assistant.retrieval.llms import build_chat_model

    return build_chat_model(settings)
