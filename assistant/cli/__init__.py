"""The `aims` command line: the parser and `main`, one module per command group, and their output helpers.

`assistant.cli:main` is the console script's entry point; the command modules import `output` and
`opening`, never this package's `main`.
"""

from assistant.cli.main import main

__all__ = ["main"]
