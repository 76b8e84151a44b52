"""The `aims team` front end: what the Chroma server holds per client, and withdrawing a gone machine's documents.

Renders the service's team overview for a terminal or as JSON; nothing here talks to Chroma itself.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from assistant.cli.opening import open_assistant
from assistant.cli.output import EXIT_OK, UsageError, emit_json


def cmd_team(args) -> int:
    """`aims team status|forget|import-assessment`: the server's corpus per client; withdraw a gone machine's
    documents; bring an embedded data dir's assessment into the shared one."""
    assistant = open_assistant(args)
    try:
        return run_team(args, assistant)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        assistant.close()


def run_team(args, assistant) -> int:
    """Dispatch one `aims team` action."""
    return {"status": _status, "forget": _forget, "import-assessment": _import}[args.action](args, assistant)


def _when(ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ns / 1e9)) if ns else "-"


def _status(args, assistant) -> int:
    view = assistant.team_overview()
    mine = assistant.settings.client_name
    if args.json:
        emit_json({**dataclasses.asdict(view), "server": assistant.settings.chroma_url, "this_client": mine})
        return EXIT_OK
    out = sys.stdout
    out.write(f"server {assistant.settings.chroma_url} (corpus {view.corpus[:12]}), this client: {mine}\n"
              f"model {view.model_id or '-'}, {view.chunk_words}-word chunks\n"
              f"generation {view.generation[:12]}, by {view.generation_by or '-'} at {_when(view.generation_at_ns)}\n")
    out.write(f"\n{'client':24} {'documents':>9} {'chunks':>7}  last commit\n")
    for name, share in view.clients.items():
        out.write(f"{name:24} {share.documents:>9} {share.chunks:>7}  {_when(share.last_commit_ns)}\n")
    if not view.clients:
        out.write("(no documents yet)\n")
    for intent in view.writing:
        state = "under way" if intent.live else "died? older than a day, ignored"
        out.write(f"ingest by {intent.by} since {_when(intent.at_ns)}: {state} (run {intent.run})\n")
    out.write(f"\nshared records: {view.text_records} text parts, {view.sentence_records} sentence-vector sets\n")
    return EXIT_OK


def _forget(args, assistant) -> int:
    if not args.yes:
        docs = assistant.team_filed_by(args.client)
        if args.json:
            emit_json({"client": args.client, "removed": [], "would_remove": [_doc(d) for d in docs]})
            return EXIT_OK
        sys.stdout.write(f"{len(docs)} documents are filed under {args.client}:\n")
        sys.stdout.writelines(f"  {d.record.root}  {d.record.source}\n" for d in docs)
        sys.stdout.write("nothing removed; run again with --yes to withdraw them for every client\n")
        return EXIT_OK
    gone = assistant.team_forget(args.client)
    if args.json:
        emit_json({"client": args.client, "removed": [_doc(d) for d in gone], "would_remove": []})
        return EXIT_OK
    sys.stdout.write(f"withdrew {len(gone)} documents filed under {args.client}\n")
    sys.stdout.writelines(f"  {d.record.root}  {d.record.source}\n" for d in gone)
    return EXIT_OK


def _doc(remote) -> dict:
    rec = remote.record
    return {"root": rec.root, "source": rec.source, "chunks": rec.chunk_count, "label": rec.label.value}


def _import(args, assistant) -> int:
    from pathlib import Path

    report = assistant.import_assessment(Path(args.source))
    if args.json:
        emit_json(report)
        return EXIT_OK
    sys.stdout.write(f"{report['changes']} changes and {report['links']} evidence links read; {report['added']} "
                     f"records added to the shared assessment ({report['records'] - report['added']} were there)\n")
    for source in report["links_without_document"]:
        sys.stdout.write(f"  evidence from {source}: not in the shared corpus, shown as stale until it is ingested\n")
    return EXIT_OK
