"""`python -m assistant` runs the same entry point as the `aims` console script."""

from assistant.cli.main import main

raise SystemExit(main())
