"""`aims ask`: one cited answer, or a batch of them, for a terminal or as JSON.

The answer comes from the façade; this module only renders it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.cli.opening import open_with_an_index
from assistant.cli.output import EXIT_EMPTY_INDEX, EXIT_OK, UsageError, emit_json, place


def _render_answer(answer) -> str:
    from assistant.core.chunks import display_quote

    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources:" if answer.status == "answered" else "Closest passages (not an answer):")
        for c in answer.citations:
            where = place(c.page, c.section)
            lines.append(f"  [{c.n}] {c.source}" + (f" ({where})" if where else ""))
            lines.append(f"      \"{display_quote(c.quote, c.section)}\"")
            if c.focus:  # a quote read with its neighbouring sentences: which one the answer rests on
                lines.append(f"      best-ranked sentence: \"{display_quote(c.focus, c.section)}\"")
    return "\n".join(lines) + "\n"


def cmd_ask(args) -> int:
    """`aims ask "QUESTION"` or `aims ask --batch FILE.jsonl`: cited answers, one JSON object each with --json."""
    import json

    if bool(args.question) == bool(args.batch):
        raise UsageError("give either a QUESTION or --batch FILE.jsonl")
    if args.k is not None and not 1 <= args.k <= 20:
        raise UsageError("-k must be between 1 and 20")
    assistant = open_with_an_index(args)
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
