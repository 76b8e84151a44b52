"""The `aims` command line: stdout carries results (or one JSON object), stderr diagnostics.

Exit codes: 0 success, 2 usage errors (and `aims` with no command and no terminal), 3 when some files
failed to ingest, 4 when `aims ask` finds the index empty (nothing ingested there yet).
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from assistant import __version__
from assistant.cli.output import EXIT_OK, EXIT_USAGE, UsageError
from assistant.settings_file import ROLES

NO_TERMINAL_HINT = """\
aims: the terminal UI needs a terminal (stdin and stdout are not one here).
Without a terminal, use the commands, for example:
  aims ingest corpus/sample
  aims ask "May I make a marketing flyer with an AI image generator?"
"""
# Each command's handler, `cmd_<command>`, lives in the module of its group.
COMMAND_MODULES = {"ingest": "documents", "status": "documents", "config": "config", "ask": "ask",
                   "checklist": "checklist", "draft": "draft", "eval": "eval", "team": "team", "bench": "bench"}


def _parser() -> argparse.ArgumentParser:
    """Every command, its arguments and their help (`aims --help`)."""
    parser = argparse.ArgumentParser(prog="aims", description="Cited answers from your AIMS documents.")
    parser.add_argument("--version", action="version", version=f"aims {__version__}")
    parser.add_argument("--index", metavar="DIR", dest="top_index",
                        help="data dir, before the command or after it (beats AIMS_HOME and the platform default)")
    sub = parser.add_subparsers(dest="command")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", metavar="DIR", help="data dir (beats AIMS_HOME and the platform default)")
        p.add_argument("--chroma-url", metavar="URL", help="use a Chroma server instead of the embedded store")
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    ingest = sub.add_parser("ingest", help="add or update documents in the index")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    common(ingest)

    status = sub.add_parser("status", help="documents, labels, failures, model and index size")
    common(status)

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--role", choices=list(ROLES), default="staff")
    ask.add_argument("-k", type=int, default=None, help="number of citations")
    ask.add_argument("--batch", metavar="FILE.jsonl", help="answer every line {id, question, role[, history]}")
    ask.add_argument("--after", action="append", default=[], metavar="EARLIER",
                     help="an earlier question of the thread (repeat, oldest first): a follow-up such as "
                          "\"and who approves it?\" is searched together with them")
    common(ask)

    checklist = sub.add_parser("checklist", help="Annex A checklist, Statement of Applicability, evidence, gaps")
    actions = checklist.add_subparsers(dest="action")
    show = actions.add_parser("show", help="all clauses and controls, or one in detail")
    show.add_argument("item", nargs="?", metavar="ID")
    common(show)
    change = actions.add_parser("set", help="set status, applicability, justification, owner, dates, notes")
    change.add_argument("item", metavar="ID")
    change.add_argument("--status", choices=["not assessed", "not started", "partial", "implemented"])
    change.add_argument("--applicable", choices=["yes", "no"])
    change.add_argument("--justification")
    change.add_argument("--owner")
    change.add_argument("--due", metavar="DATE")
    change.add_argument("--review", metavar="DATE")
    change.add_argument("--notes")
    change.add_argument("--author", help="who made the change (default: AIMS_AUTHOR or the login name)")
    common(change)
    link = actions.add_parser("link", help="pin evidence: a quote from an indexed document")
    link.add_argument("item", metavar="ID")
    link.add_argument("--source", required=True, help="the document's path as aims status shows it")
    link.add_argument("--quote", required=True, help="words found verbatim in the document")
    link.add_argument("--author")
    common(link)
    gaps = actions.add_parser("gaps", help="gaps ordered by severity")
    common(gaps)
    suggest = actions.add_parser("suggest", help="propose evidence from the index (nothing is linked until you do)")
    suggest.add_argument("item", nargs="?", metavar="ID", help="one item; default: every control")
    suggest.add_argument("-n", type=int, default=3, help="documents per item")
    common(suggest)
    export = actions.add_parser("export", help="Statement of Applicability or audit checklist")
    export.add_argument("--format", choices=["md", "csv", "xlsx", "docx"], required=True)
    export.add_argument("--out", required=True, metavar="PATH")
    export.add_argument("--kind", choices=["soa", "checklist"], default="soa")
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
    common(export)
    audit = actions.add_parser("audit-trail", help="every recorded change, with time and author")
    common(audit)
    crosswalk = actions.add_parser("crosswalk", help="NIST AI RMF and (indicative) EU AI Act mappings, both ways")
    crosswalk.add_argument("item", metavar="ID", help='a 42001 ID ("A.9.2") or an external one ("MAP 1.1", "Art. 9")')
    common(crosswalk)

    draft = sub.add_parser("draft", help="draft an AIMS document from the indexed evidence")
    draft.add_argument("kind", nargs="?", metavar="KIND")
    draft.add_argument("--list", action="store_true", help="list the kinds of draft")
    draft.add_argument("--system", help="the AI system, for kinds about one system")
    draft.add_argument("--organisation", help="the organisation's name (default: found in the documents)")
    draft.add_argument("--review", action="store_true",
                       help="print only the requirements check of the organisation's existing document of KIND")
    draft.add_argument("--answers", metavar="FILE.yaml", help="values for the kind's inputs")
    draft.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="one input value")
    draft.add_argument("--out", metavar="PATH")
    draft.add_argument("--format", choices=["md", "docx"], default=None, help="default: from --out's suffix")
    draft.add_argument("--role", choices=list(ROLES), default="implementer")
    draft.add_argument("--force", action="store_true", help="overwrite an existing file")
    common(draft)

    evaluate = sub.add_parser("eval", help="measure answers against the gold question sets (evals/sets.toml)")
    evaluate.add_argument("--set", action="append", default=[], metavar="NAME",
                          help="only this question set (repeatable; default: every set whose corpus is present)")
    evaluate.add_argument("--questions", metavar="FILE.jsonl", help="an ad-hoc question set instead of the sets")
    evaluate.add_argument("--corpus", metavar="DIR", help="the ad-hoc set's corpus (default: corpus/sample)")
    evaluate.add_argument("--split", choices=["all", "test", "calibration"], default="all")
    evaluate.add_argument("--ids", action="append", default=[], metavar="GLOB",
                          help="measure only questions whose id matches GLOB (repeatable; for example '*-n0*' for a "
                          "batch); no targets or floors are read on such a subset, and --calibrate still fits on "
                          "every calibration question")
    evaluate.add_argument("--calibrate", action="store_true",
                          help="fit the ranker and the judge on every set's calibration split (the judge's weights "
                               "also on evals/training's questions) and save them")
    evaluate.add_argument("--out", metavar="FILE.json", help="with --calibrate: where to save the fit "
                          "(default: the ranker.json the package reads)")
    evaluate.add_argument("--no-baseline", action="store_true", help="skip the llama-index baseline")
    evaluate.add_argument("--work-dir", metavar="DIR", help="keep each set's index in DIR/SET between runs "
                          "(default: a temporary dir per run)")
    evaluate.add_argument("--bridge", action="store_true", help="measure with the vocabulary bridge on")
    evaluate.add_argument("--with", dest="with_stages", action="append", default=[],
                          choices=["parts", "key_terms", "sections"],
                          help="measure with an extra recall stage on (repeatable; see AIMS_RECALL_STAGES)")
    evaluate.add_argument("--diagnose", action="store_true",
                          help="also print the stage table: gold in candidates @20/@50, ranked @1/@4, cited")
    evaluate.add_argument("--gate", action="store_true",
                          help="exit 1 on any leak or a fall below the floors in evals/gate.json")
    common(evaluate)

    team = sub.add_parser("team", help="team mode: what the Chroma server holds per client; forget a gone machine")
    team_actions = team.add_subparsers(dest="action", required=True)
    team_status = team_actions.add_parser("status", help="clients, their documents, ingests under way, the marker")
    common(team_status)
    forget = team_actions.add_parser("forget", help="withdraw every document filed under a client that is gone")
    forget.add_argument("client", metavar="CLIENT", help="the AIMS_CLIENT_NAME the folders are filed under")
    forget.add_argument("--yes", action="store_true", help="do it (without: list what would be withdrawn)")
    common(forget)
    imported = team_actions.add_parser("import-assessment",
                                       help="copy an embedded data dir's checklist assessment into the shared one")
    imported.add_argument("source", metavar="DIR", help="the old data dir (or its assessment.sqlite)")
    common(imported)

    config = sub.add_parser("config", help="show the settings in force, or the reference table")
    config.add_argument("--reference", action="store_true", help="print the configuration reference (Markdown)")
    common(config)

    tui = sub.add_parser("tui", help="open the terminal UI (also: aims with no arguments)")
    tui.add_argument("--index", metavar="DIR", help="data dir (beats AIMS_HOME and the platform default)")
    tui.add_argument("--first-paint-report", metavar="FILE",
                     help="quit at the first painted frame and write its time as JSON to FILE (aims bench ui)")

    bench = sub.add_parser("bench", help="benchmarks that print measured figures")
    bench.add_argument("what", choices=["ingest", "query", "scale", "ui", "team", "memory"])
    bench.add_argument("--sizes", default=None,
                       help="scale and memory: chunk counts, comma separated (default 10000,100000 and 10000,40000)")
    bench.add_argument("--modes", default="embedded,server", help="scale: embedded and/or server")
    bench.add_argument("--chunks", type=int, default=50_000, help="query: size of the large index")
    bench.add_argument("--runs", type=int, default=5, help="ui: fresh processes per data dir")
    bench.add_argument("--copies", type=int, default=1, help="team: copies of the sample and reference texts")
    bench.add_argument("paths", nargs="*", metavar="PATH")
    bench.add_argument("--index", metavar="DIR",
                       help="ingest: scratch data dir; memory: a seed data dir to re-use; ui: a data dir with an "
                            "index to start on (default: a temporary one; for ui, the sample organisation is "
                            "ingested into it)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.top_index is not None and args.command not in (None, "tui"):
        # `aims --index DIR status` used to be read as `aims status`: the command's own --index default won
        if not hasattr(args, "index"):
            print(f"aims: --index does not apply to aims {args.command}", file=sys.stderr)
            return EXIT_USAGE
        if args.index is None:
            args.index = args.top_index
        elif args.index != args.top_index:
            print(f"aims: two data dirs given: --index {args.top_index} and --index {args.index}", file=sys.stderr)
            return EXIT_USAGE
    if args.command is None or args.command == "tui":
        report = getattr(args, "first_paint_report", None)
        if report is None and not _on_terminal():
            # Textual would start anyway, read an empty stdin and spin at full CPU forever
            parser.print_usage(sys.stderr)
            sys.stderr.write(NO_TERMINAL_HINT)
            return EXIT_USAGE
        from assistant.tui.app import run

        return run(getattr(args, "index", None) or args.top_index, getattr(args, "first_paint_report", None))
    from assistant.config import SettingsError
    from assistant.core.models import TeamModeError

    handler = getattr(import_module(f"assistant.cli.{COMMAND_MODULES[args.command]}"), f"cmd_{args.command}")
    try:
        return handler(args)
    except (UsageError, TeamModeError, SettingsError) as exc:
        print(f"aims: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `aims status | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("httpx", "httpcore"):
            raise
        # the Chroma server went away mid-command: nothing half-done is committed (see README, team mode)
        print(f"aims: lost the Chroma server: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _on_terminal() -> bool:
    """Whether both ends of the UI (keys in, screen out) are a terminal."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False

