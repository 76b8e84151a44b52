"""`aims bench`: pick the benchmark asked for; each one lives in `assistant.bench`.

Kept to argument checks, so the benchmarks' modules load only when one runs.
"""

from __future__ import annotations

from pathlib import Path

from assistant.cli.output import EXIT_OK, UsageError


def cmd_bench(args) -> int:
    """`aims bench ingest [PATH...]`, `query`, `scale`, `ui`, `team` or `memory`: measured figures, printed."""
    from assistant.bench.index import bench_ingest, bench_query

    if args.what == "query":
        bench_query(target_chunks=args.chunks)
    elif args.what == "ui":
        from assistant.bench.ui import bench_ui

        if args.runs < 1:
            raise UsageError("--runs must be at least 1")
        bench_ui(Path(args.index) if args.index else None, runs=args.runs)
    elif args.what == "team":
        from assistant.bench.team import bench_team

        bench_team(copies=args.copies)
    elif args.what == "scale":
        from assistant.bench.scale import bench_scale

        sizes = tuple(int(s) for s in (args.sizes or "10000,100000").split(",") if s.strip())
        bench_scale(sizes, tuple(m.strip() for m in args.modes.split(",") if m.strip()))
    elif args.what == "memory":
        from assistant.bench.scale import bench_memory

        sizes = tuple(int(s) for s in (args.sizes or "10000,40000").split(",") if s.strip())
        bench_memory(sizes, Path(args.index) if args.index else None)
    else:
        bench_ingest([Path(p) for p in args.paths], Path(args.index) if args.index else None)
    return EXIT_OK
