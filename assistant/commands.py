"""The handlers behind each `aims` subcommand, rendering service results for a terminal or as JSON.

Kept apart from `cli.py` so that argument parsing stays importable without the service.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.cli import EXIT_EMPTY_INDEX, EXIT_OK, SAMPLE_CORPUS, Progress, emit_json
from assistant.config import load_settings
from assistant.service import Assistant


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""


def _assistant(args) -> Assistant:
    overrides = {"chroma_url": args.chroma_url} if getattr(args, "chroma_url", None) else {}
    return Assistant(load_settings(index=getattr(args, "index", None), **overrides))


def _assistant_with_an_index(args) -> Assistant | None:
    """The assistant, or None (having said why) when its index holds nothing to answer from.

    A mistyped --index must not look like an index without evidence, and must not leave an empty
    data dir behind: only ingesting creates one.
    """
    settings = load_settings(index=getattr(args, "index", None),
                             **({"chroma_url": args.chroma_url} if getattr(args, "chroma_url", None) else {}))
    home = Path(settings.home)
    if not settings.chroma_url and not (home / "catalog.sqlite").exists():
        _say_empty(home)
        return None
    assistant = Assistant(settings)
    assistant.refresh()  # team mode: the replica catches up with the server first
    if assistant.catalog.chunk_count() == 0:
        assistant.close()
        _say_empty(home)
        return None
    return assistant


def _say_empty(home: Path) -> None:
    print(f"aims: the index at {home} is empty: run aims ingest first (for example: aims ingest "
          f"{SAMPLE_CORPUS})", file=sys.stderr)


def cmd_ingest(args) -> int:
    """`aims ingest PATH...`: add, update and remove documents; 3 when some files failed."""
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    assistant = _assistant(args)
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
        f"renamed {len(report.renamed)}, unchanged {len(report.unchanged)}, failed {len(report.failed)}\n"
        f"chunks: {report.chunks_added} added, {report.chunks_removed} removed, {report.chunks_total} in the index "
        f"({report.chunks_embedded} embedded) in {report.seconds:.1f}s\n"
    )
    for rename in report.renamed:
        out.write(f"  renamed {rename.old} -> {rename.new}\n")
    for failure in report.failed:
        out.write(f"  FAILED {failure.source}: {failure.reason}\n")
    for skipped in report.skipped:
        out.write(f"  skipped {skipped.source}: {skipped.reason}\n")


def cmd_status(args) -> int:
    """`aims status`: documents with labels and chunk counts, failures, model, index size."""
    status = _assistant(args).status()
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


def _render_answer(answer) -> str:
    from assistant.core.chunks import display_quote

    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources:" if answer.status == "answered" else "Closest passages (not an answer):")
        for c in answer.citations:
            where = ", ".join(x for x in (f"page {c.page}" if c.page else "", c.section or "") if x)
            lines.append(f"  [{c.n}] {c.source}" + (f" ({where})" if where else ""))
            lines.append(f"      \"{display_quote(c.quote, c.section)}\"")
    return "\n".join(lines) + "\n"


def cmd_ask(args) -> int:
    """`aims ask "QUESTION"` or `aims ask --batch FILE.jsonl`: cited answers, one JSON object each with --json."""
    import json

    if bool(args.question) == bool(args.batch):
        raise UsageError("give either a QUESTION or --batch FILE.jsonl")
    if args.k is not None and not 1 <= args.k <= 20:
        raise UsageError("-k must be between 1 and 20")
    assistant = _assistant_with_an_index(args)
    if assistant is None:
        return EXIT_EMPTY_INDEX
    if args.question:
        answer = assistant.ask(args.question, role=args.role, k=args.k, history=args.after or None)
        if args.json:
            emit_json(answer.model_dump())
        else:
            sys.stdout.write(_render_answer(answer))
        return EXIT_OK
    try:
        lines = Path(args.batch).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {args.batch}: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question, role = item["question"], item.get("role") or args.role
            history = item.get("history") or []
            if not isinstance(question, str) or not isinstance(history, list) or not all(
                    isinstance(h, str) for h in history):
                raise TypeError("question and history must be text")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            expected = '{"id", "question", "role"} (and optionally "history": [earlier questions])'
            raise UsageError(f"{args.batch} line {number}: expected {expected} ({exc})") from exc
        if args.after:
            raise UsageError("--after is for one QUESTION; give a batch line its own \"history\"")
        answer = assistant.ask(question, role=role, k=args.k, history=list(history) or None)
        if args.json:
            emit_json({"id": item.get("id"), **answer.model_dump()})
        else:
            sys.stdout.write(f"# {item.get('id')}: {question}\n" + _render_answer(answer) + "\n")
    return EXIT_OK


def cmd_bench(args) -> int:
    """`aims bench ingest [PATH...]`, `query`, `scale`, `ui`, `team` or `memory`: measured figures, printed."""
    from assistant.bench import bench_ingest, bench_query

    if args.what == "query":
        bench_query(target_chunks=args.chunks)
    elif args.what == "ui":
        from assistant.bench import bench_ui

        if args.runs < 1:
            raise UsageError("--runs must be at least 1")
        bench_ui(Path(args.index) if args.index else None, runs=args.runs)
    elif args.what == "team":
        from assistant.bench_team import bench_team

        bench_team(copies=args.copies)
    elif args.what == "scale":
        from assistant.bench_scale import bench_scale

        sizes = tuple(int(s) for s in (args.sizes or "10000,100000").split(",") if s.strip())
        bench_scale(sizes, tuple(m.strip() for m in args.modes.split(",") if m.strip()))
    elif args.what == "memory":
        from assistant.bench_scale import bench_memory

        sizes = tuple(int(s) for s in (args.sizes or "10000,40000").split(",") if s.strip())
        bench_memory(sizes, Path(args.index) if args.index else None)
    else:
        bench_ingest([Path(p) for p in args.paths], Path(args.index) if args.index else None)
    return EXIT_OK


def cmd_config(args) -> int:
    """`aims config`: the settings in force (JSON with --json), or `--reference` for the README table."""
    from assistant.config import reference_markdown, user_config_file

    if args.reference:
        sys.stdout.write(reference_markdown())
        return EXIT_OK
    settings = load_settings(index=args.index)
    if args.json:
        emit_json({"config_file": str(user_config_file()), **settings.model_dump(mode="json")})
    else:
        sys.stdout.write(f"config file: {user_config_file()}\n")
        for name, value in settings.model_dump(mode="json").items():
            sys.stdout.write(f"{name} = {value!r}\n")
    return EXIT_OK


def cmd_eval(args) -> int:
    """`aims eval`: the metrics of `aims ask` and of a plain llama-index baseline on the gold questions."""
    from assistant.eval_command import run_eval

    return run_eval(args)


def cmd_team(args) -> int:
    """`aims team status|forget|import-assessment`: the server's corpus per client; withdraw a gone machine's
    documents; bring an embedded data dir's assessment into the shared one."""
    from assistant.team_command import run_team

    assistant = _assistant(args)
    try:
        return run_team(args, assistant)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        assistant.close()


def cmd_checklist(args) -> int:
    """`aims checklist show|set|link|gaps|crosswalk`."""
    from assistant.checklist_command import run_checklist

    if not args.action:
        raise UsageError("checklist needs an action: show, set, link, gaps or crosswalk")
    try:
        return run_checklist(args, _assistant(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def cmd_draft(args) -> int:
    """`aims draft KIND ... --out PATH` or `aims draft --list`."""
    from assistant.drafting.draft import DraftError, write

    assistant = _assistant(args)
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
