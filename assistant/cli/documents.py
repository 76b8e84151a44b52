"""`aims ingest` and `aims status`: bring documents into the index, and show what it holds.

Render the façade's ingest and status reports for a terminal or as one JSON object.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.cli.opening import open_assistant
from assistant.cli.output import EXIT_OK, SAMPLE_CORPUS, Progress, UsageError, emit_json


def cmd_ingest(args) -> int:
    """`aims ingest PATH...`: add, update and remove documents; 3 when some files failed."""
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    assistant = open_assistant(args)
    progress = Progress(enabled=not args.json)
    try:
        report = assistant.ingest(paths, progress=progress)
    finally:
        progress.close()
    if args.json:
        emit_json(report.model_dump(by_alias=True))
    else:
        _print_ingest(report)
    return report.exit_code


def _print_ingest(report) -> None:
    out = sys.stdout
    out.write(
        f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"renamed {len(report.renamed)}, unchanged {len(report.unchanged)}, failed {len(report.failed)}"
        + (f", withheld {len(report.withheld)}" if report.withheld else "") + "\n"
        f"chunks: {report.chunks_added} added, {report.chunks_removed} removed, {report.chunks_total} in the index "
        f"({report.chunks_embedded} embedded) in {report.seconds:.1f}s\n"
    )
    for rename in report.renamed:
        out.write(f"  renamed {rename.old} -> {rename.new}\n")
    for failure in report.failed:
        out.write(f"  FAILED {failure.source}: {failure.reason}\n")
    for held in report.withheld:
        out.write(f"  WITHHELD {held.source}: {held.reason}\n")
    for skipped in report.skipped:
        out.write(f"  skipped {skipped.source}: {skipped.reason}\n")


def cmd_status(args) -> int:
    """`aims status`: documents with labels and chunk counts, failures, model, index size."""
    status = open_assistant(args).status()
    if args.json:
        emit_json(status.model_dump(mode="json"))
        return EXIT_OK
    out = sys.stdout
    out.write(f"data dir: {status.home}\nmodel:    {status.model}\n")
    if status.chroma_url:
        out.write(f"server:   {status.chroma_url} (this client files its folders as {status.client_name}:/...)\n")
    out.write(f"index:    {len(status.documents)} documents, {status.chunks} chunks, "
              f"{status.vectors if status.vectors is not None else 0} vectors, {status.index_bytes / 1048576:.1f} MB\n")
    if status.labels:
        out.write("labels:   " + ", ".join(f"{k} {v}" for k, v in sorted(status.labels.items())) + "\n")
    if status.documents:
        width = max(len(d.source) for d in status.documents)
        out.write(f"\n{'document'.ljust(width)}  {'label':12}  {'chunks':>6}  {'format':8}  label from\n")
        for doc in status.documents:
            out.write(f"{doc.source.ljust(width)}  {doc.label.value:12}  {doc.chunk_count:>6}  {doc.format:8}  "
                      f"{doc.label_origin}\n")
    else:
        out.write(f"\nThe index is empty. Try: aims ingest {SAMPLE_CORPUS}\n")
    for failure in status.failures:
        out.write(f"FAILED {failure.source}: {failure.reason}\n")
    return EXIT_OK
