"""`aims draft`: list the kinds of draft, or write one from the indexed evidence.

The draft comes from the façade; this module reads the inputs and reports what was written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.cli.opening import open_assistant
from assistant.cli.output import EXIT_OK, UsageError, emit_json


def cmd_draft(args) -> int:
    """`aims draft KIND ... --out PATH` or `aims draft --list`."""
    from assistant.drafting.draft import DraftError, write

    assistant = open_assistant(args)
    if args.list:
        kinds = assistant.draft_kinds
        if args.json:
            emit_json({"kinds": [{"kind": k.kind, "description": k.description,
                                  "inputs": [i.model_dump() for i in k.inputs]} for k in kinds.values()]})
        else:
            for kind in kinds.values():
                needs = ", ".join(f"{i.name}{'' if i.required else '?'}" for i in kind.inputs)
                sys.stdout.write(f"{kind.kind:28} {kind.description} (inputs: {needs})\n")
        return EXIT_OK
    if args.review:
        return _draft_review(assistant, args)
    if not args.kind or not args.out:
        raise UsageError("give a KIND and --out PATH (or --list, or --review)")
    values = _draft_values(args)
    fmt = args.format or ("docx" if args.out.lower().endswith(".docx") else "md")
    try:
        draft = assistant.draft(args.kind, values, role=args.role)
        path = write(draft, Path(args.out), fmt, force=args.force)
    except DraftError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        emit_json({"written": str(path), "kind": draft.kind, "title": draft.title,
                   "classification": draft.classification, "coverage": draft.coverage.model_dump(),
                   "citations": len(draft.citations)})
    else:
        cov = draft.coverage
        for item in draft.inferred:
            sys.stdout.write(f"{item.name}: {item.value} (found in {item.documents} documents, e.g. {item.source}: "
                             f"\"{' '.join(item.quote.split())[:120]}\")\n")
        sys.stdout.write(f"wrote {path}: {len(cov.filled)} sections from evidence, {len(cov.to_complete)} to "
                         f"complete ({', '.join(cov.to_complete) or 'none'}), {len(cov.facts_found)} facts found, "
                         f"{len(cov.facts_to_complete)} to complete, {len(draft.citations)} citations; "
                         f"supports {', '.join(cov.controls) or 'no controls yet'}; "
                         f"classified {draft.classification}\n")
    return EXIT_OK


def _draft_review(assistant, args) -> int:
    """`aims draft KIND --review`: only the requirements check, as text or JSON."""
    from assistant.drafting.draft import DraftError
    from assistant.drafting.review import review_markdown

    if not args.kind:
        raise UsageError("give the KIND to review, e.g. aims draft ai-policy --review")
    try:
        checked = assistant.draft_review(args.kind, _draft_values(args), role=args.role)
    except DraftError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        emit_json({**checked.model_dump(), "counts": checked.counts()})
    else:
        sys.stdout.write(review_markdown(checked))
    return EXIT_OK


def _draft_values(args) -> dict[str, str]:
    values: dict[str, str] = {}
    if args.answers:
        import yaml

        try:
            loaded = yaml.safe_load(Path(args.answers).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"cannot read {args.answers}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise UsageError(f"{args.answers} must map input names to values")
        values.update({str(k): str(v) for k, v in loaded.items()})
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        values[name.strip()] = value
    if args.system:
        values["system"] = args.system
    if getattr(args, "organisation", None):
        values["organisation"] = args.organisation
    return values
