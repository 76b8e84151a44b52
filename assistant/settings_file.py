"""Where the TOML settings file is, the UI theme it names, and the default roles, without importing pydantic.

The terminal UI draws its first frame before the settings class (pydantic-settings, about a third
of a second of imports here) is loaded: `first_frame_theme` tells it which theme to draw that frame
in, by the same precedence (`AIMS_THEME`, then the file). Once the settings are loaded the UI applies
`Settings.theme`, so the settings class stays the authority. The roles (the keys of the
`role_labels` setting's default) are stated here once for the CLI's choices and the UI's role picker.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "aims-assistant"
DEFAULT_ROLE_LABELS: dict[str, list[str]] = {
    "staff": ["public", "internal"],
    "implementer": ["public", "internal", "confidential"],
    "auditor": ["public", "internal", "confidential", "restricted"],
}
ROLES = tuple(DEFAULT_ROLE_LABELS)  # the roles `aims ask --role` and the UI offer, least privileged first


def user_config_file() -> Path:
    """Where the TOML settings file is read from: `AIMS_CONFIG`, else the platform config dir."""
    explicit = os.environ.get("AIMS_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def first_frame_theme() -> str | None:
    """`AIMS_THEME`, else the settings file's top-level `theme`, else None (the default theme)."""
    import tomllib

    if os.environ.get("AIMS_THEME"):
        return os.environ["AIMS_THEME"]
    try:
        theme = tomllib.loads(user_config_file().read_text(encoding="utf-8")).get("theme")
    except (OSError, ValueError):  # no file, or one the settings class will report on
        return None
    return theme if isinstance(theme, str) and theme else None
