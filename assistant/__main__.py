"""`python -m assistant` runs the same entry point as the `aims` console script."""

from assistant.cli import main

raise SystemExit(main())
