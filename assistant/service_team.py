"""Team mode's administration: the shared records, a gone machine's documents, and an embedded
assessment brought into the shared one.

An object the façade composes (no mixin), built with the parts it reads (the team store, the
manifest, the shared assessment, this client's name); the façade's guard refuses the embedded store
and brings the replica up to date before any of these runs.
"""

from __future__ import annotations

from pathlib import Path


class TeamAdministration:
    """`aims team` operations (team mode only)."""

    def __init__(self, team, manifest, assessments, client_name: str) -> None:
        self.team = team
        self.manifest = manifest
        self.assessments = assessments  # a callable: the shared assessment is opened on first use
        self.client_name = client_name

    def overview(self):
        """What the server holds per client, the ingests under way, the generation marker."""
        return self.team.overview()

    def filed_by(self, client: str):
        """The documents filed under a client."""
        return self.team.filed_by(client)

    def forget(self, client: str):
        """Withdraw the documents filed under a client that is gone. Returns them."""
        import uuid

        return self.team.forget(client, run=f"forget-{uuid.uuid4().hex}")

    def import_assessment(self, source: Path) -> dict:
        """Team mode: copy an embedded data dir's assessment (its changes and evidence links, with their
        times and authors) into the shared log; importing it again adds nothing."""
        from assistant.checklist.assessment import AssessmentStore, import_records

        path = source / "assessment.sqlite" if source.is_dir() else source
        if not path.is_file():
            raise ValueError(f"no assessment at {path} (give the old data dir or its assessment.sqlite)")
        shared = self.assessments()
        docs = self.manifest.documents()

        def root_for(root: str | None, name: str) -> str | None:
            mine = f"{self.client_name}:{root}"
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
