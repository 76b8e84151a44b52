"""The façade's one freshness guard: a team replica is brought up to date before any entry point reads the index.

Declared once, here, rather than called by hand in each method: every public method of `Assistant`
is in exactly one of the sets below (tests/test_layers.py checks), so a new entry point that reads
the index cannot forget it, and one that calls another refreshes once, at the outermost call.
"""

from __future__ import annotations

import functools

# Every public method is in exactly one of these (tests/test_layers.py checks): a new entry point
# cannot read a stale team replica by forgetting a call.
READS_INDEX = frozenset({
    "ingest", "ask", "ask_traced", "evidence", "document_texts", "chunk_count", "checklist_rows", "checklist_row",
    "checklist_link", "checklist_gaps", "suggest_evidence", "related_controls", "draft", "draft_review",
    "draft_defaults", "classification_line", "status"})
NEEDS_TEAM = frozenset({"team_overview", "team_filed_by", "team_forget", "import_assessment"})
LOCAL = frozenset({  # read no index: the catalogue, the settings, the assessment alone, files of their own
    "refresh", "lexical", "labels_for", "query_vector", "prompt", "baseline", "item", "crosswalk", "controls",
    "checklist_set", "audit_trail", "warm_up", "log_exchange", "clear", "close"})


def guarded(cls):
    """Wrap each entry point of READS_INDEX and NEEDS_TEAM in the freshness guard: the outermost call
    (per thread) refuses the embedded store where a team is needed, then brings the replica up to date."""
    def guard(method, team: bool):
        @functools.wraps(method)
        def fresh(self, *args, **kwargs):
            state = self._guard
            depth = getattr(state, "depth", 0)
            if depth == 0:
                if team:
                    require_team(self.team)
                self._sync()
            state.depth = depth + 1
            try:
                return method(self, *args, **kwargs)
            finally:
                state.depth = depth

        return fresh

    for name in READS_INDEX | NEEDS_TEAM:
        setattr(cls, name, guard(getattr(cls, name), name in NEEDS_TEAM))
    return cls


def require_team(team) -> None:
    """Refuse the embedded store: `aims team` commands need a Chroma server."""
    if team is None:
        from assistant.core.models import TeamModeError

        raise TeamModeError("team commands need a Chroma server: --chroma-url URL or AIMS_CHROMA_URL")
