"""Team mode's administration on the service façade: the shared records, a gone machine's documents,
and an embedded assessment brought into the shared one.

A mixin of `Assistant`, kept apart so the façade stays readable; it uses the same parts (`team`,
`manifest`, `assessments`, `refresh`).
"""

from __future__ import annotations

from pathlib import Path


class TeamAdministration:
    """`aims team` operations (team mode only)."""

    def team_store(self):
        """The shared records for `aims team` commands; refused with the embedded store."""
        if self.team is None:
            from assistant.core.models import TeamModeError

            raise TeamModeError("team commands need a Chroma server: --chroma-url URL or AIMS_CHROMA_URL")
        self.refresh()  # also refuses a server built with another model
        return self.team

    def team_forget(self, client: str):
        """Withdraw the documents filed under a client that is gone; the replica follows. Returns them."""
        import uuid

        gone = self.team_store().forget(client, run=f"forget-{uuid.uuid4().hex}")
        self.refresh()
        return gone

    def import_assessment(self, source: Path) -> dict:
        """Team mode: copy an embedded data dir's assessment (its changes and evidence links, with their
        times and authors) into the shared log; importing it again adds nothing."""
        from assistant.checklist.assessment import AssessmentStore, import_records

        path = source / "assessment.sqlite" if source.is_dir() else source
        if not path.is_file():
            raise ValueError(f"no assessment at {path} (give the old data dir or its assessment.sqlite)")
        self.team_store()  # refuses the embedded store; brings the replica up to date
        shared = self.assessments
        docs = self.manifest.documents()

        def root_for(root: str | None, name: str) -> str | None:
            mine = f"{self.settings.client_name}:{root}"
            same_name = [d.root for d in docs if d.source == name]
            return mine if mine in same_name or len(same_name) != 1 else same_name[0]

        local = AssessmentStore(path)
        try:
            records = import_records(local, root_for)
        finally:
            local.close()
        added = shared.import_records(records)
        links = [meta for _, meta in records if meta["kind"] == "link"]
        unmatched = sorted({m["source"] for m in links if not any(d.root == m["root"] and d.source == m["source"]
                                                                   for d in docs)})
        return {"records": len(records), "added": added, "changes": len(records) - len(links), "links": len(links),
                "links_without_document": unmatched}
