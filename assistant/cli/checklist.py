"""The `aims checklist` front end: renders checklist rows, item details, gaps and crosswalks.

Every rendering starts from the same rows the service builds from the catalogue declaration.
"""

from __future__ import annotations

import sys

from assistant.cli.opening import open_assistant
from assistant.cli.output import EXIT_OK, UsageError, emit_json, place


def cmd_checklist(args) -> int:
    """`aims checklist show|set|link|gaps|crosswalk`."""
    if not args.action:
        raise UsageError("checklist needs an action: show, set, link, gaps or crosswalk")
    try:
        return run_checklist(args, open_assistant(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def run_checklist(args, assistant) -> int:
    """Dispatch one checklist action; ValueErrors become usage errors in the caller."""
    handler = {"show": _show, "set": _set, "link": _link, "gaps": _gaps, "crosswalk": _crosswalk,
               "suggest": _suggest, "export": _export, "audit-trail": _audit}[args.action]
    return handler(args, assistant)


def _show(args, assistant) -> int:
    if args.item:
        item = assistant.item(args.item)
        row = assistant.checklist_row(item.id)
        pairs = assistant.crosswalk(item.id)
        if args.json:
            emit_json({"item": item.model_dump(), "row": row.model_dump(),
                       "crosswalk": [p.model_dump() for p in pairs]})
            return EXIT_OK
        out = sys.stdout
        out.write(f"{item.id} {item.title}\n\n{item.intent}\n\nAudit questions:\n")
        out.writelines(f"  - {q}\n" for q in item.audit_questions)
        out.write("Typical evidence:\n" + "".join(f"  - {e}\n" for e in item.typical_evidence))
        out.write(f"Related: {', '.join(item.related) or '-'}\n\n")
        out.write(f"Applicable: {_yes_no(row.applicable)}   Status: {row.status}   Owner: {row.owner or '-'}\n")
        if row.justification:
            out.write(f"Justification: {row.justification}\n")
        for link in row.links:
            flag = f"  [STALE: {link.stale_reason}]" if link.stale else ""
            where = place(link.page, link.section)
            out.write(f"  evidence #{link.id}: {link.source} ({where}) \"{' '.join(link.quote.split())}\"{flag}\n")
        if pairs:
            out.write(f"Crosswalk: {', '.join(sorted({p.external_id for p in pairs}))}\n")
        return EXIT_OK
    rows = assistant.checklist_rows()
    if args.json:
        emit_json({"rows": [r.model_dump() for r in rows]})
        return EXIT_OK
    out = sys.stdout
    out.write(f"{'ID':9} {'applicable':10} {'status':13} {'evidence':>8} {'stale':>5}  title\n")
    for row in rows:
        out.write(f"{row.id:9} {_yes_no(row.applicable):10} {row.status:13} {row.evidence:>8} {row.stale:>5}  "
                  f"{row.title}\n")
    return EXIT_OK


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


def _set(args, assistant) -> int:
    changes = {name: getattr(args, name) for name in ("status", "justification", "owner", "due", "review", "notes")}
    if args.applicable:
        changes["applicable"] = args.applicable == "yes"
    if all(v is None for v in changes.values()):
        raise ValueError("nothing to set: give --status, --applicable, --justification, --owner, --due, --review "
                         "or --notes")
    assessment = assistant.checklist_set(args.item, author=args.author, **changes)
    if args.json:
        emit_json(assessment.model_dump(mode="json"))
    else:
        sys.stdout.write(f"{assessment.item_id}: applicable {_yes_no(assessment.applicable)}, "
                         f"status {assessment.status.value}, by {assessment.updated_by}\n")
    return EXIT_OK


def _link(args, assistant) -> int:
    link = assistant.checklist_link(args.item, args.source, args.quote, author=args.author)
    if args.json:
        emit_json(link.model_dump())
    else:
        sys.stdout.write(f"linked evidence #{link.id} to {link.item_id}: {link.source} "
                         f"(page {link.page or '-'}, {link.section or '-'})\n")
    return EXIT_OK


def _gaps(args, assistant) -> int:
    from assistant.checklist.rows import SEVERITIES

    found = assistant.checklist_gaps()
    if args.json:
        emit_json({"gaps": [g.model_dump() for g in found], "severities": {str(k): v for k, v in SEVERITIES.items()}})
        return EXIT_OK
    out = sys.stdout
    out.write("Severity (1 is the most serious):\n")
    out.writelines(f"  [{level}] {meaning}\n" for level, meaning in SEVERITIES.items())
    out.write("\n")
    for gap in found:
        out.write(f"[{gap.severity}] {gap.item_id:9} {gap.problem} ({gap.title})\n")
    counts = ", ".join(f"{sum(g.severity == level for g in found)} at [{level}]" for level in SEVERITIES)
    out.write(f"{len(found)} gaps: {counts}\n")
    return EXIT_OK


def _crosswalk(args, assistant) -> int:
    pairs = assistant.crosswalk(args.item)
    if not pairs:
        raise ValueError(f"no crosswalk entries for {args.item!r}")
    if args.json:
        emit_json({"item": args.item, "pairs": [p.model_dump() for p in pairs]})
        return EXIT_OK
    for pair in pairs:
        flag = " (indicative)" if pair.indicative else ""
        sys.stdout.write(f"{pair.framework}{flag}: {pair.external_id} <-> {pair.iso_id}  {pair.external_title[:90]}\n")
    return EXIT_OK


def _suggest(args, assistant) -> int:
    items = [args.item] if args.item else assistant.controls()
    proposals = {item: assistant.suggest_evidence(item, limit=args.n) for item in items}
    if args.json:
        emit_json({"suggestions": {k: [s.model_dump() for s in v] for k, v in proposals.items()}})
        return EXIT_OK
    for item, suggestions in proposals.items():
        sys.stdout.write(f"{item} {assistant.item(item).title}\n")
        for s in suggestions:
            where = place(s.page, s.section)
            sys.stdout.write(f"  [{s.confidence}] {s.source} ({where}): \"{' '.join(s.quote.split())[:160]}\"\n")
        sys.stdout.write(f"  accept with: aims checklist link {item} --source SOURCE --quote \"...\"\n")
    return EXIT_OK


def _export(args, assistant) -> int:
    from assistant.checklist.export import export

    path = export(assistant.checklist_rows(), args.kind, args.format, args.out, force=args.force)
    if args.json:
        emit_json({"written": str(path), "format": args.format, "kind": args.kind})
    else:
        sys.stdout.write(f"wrote {path}\n")
    return EXIT_OK


def _audit(args, assistant) -> int:
    trail = assistant.audit_trail()
    if args.json:
        emit_json({"audit_trail": trail})
        return EXIT_OK
    for entry in trail:
        sys.stdout.write(f"{entry['at']} {entry['author']:12} {entry['item_id']:9} {entry['field']}: "
                         f"{entry['old'] or '-'} -> {entry['new'] or '-'}\n")
    return EXIT_OK
