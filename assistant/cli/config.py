"""`aims config`: the settings in force, or the configuration reference.

The settings class is the authority; this module only prints it.
"""

from __future__ import annotations

import sys

from assistant.cli.output import EXIT_OK, emit_json
from assistant.config import load_settings


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
