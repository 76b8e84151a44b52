"""Settings precedence: --index beats AIMS_HOME beats the TOML file beats the platform default."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.config import Settings, load_settings, reference_rows


def test_index_flag_beats_env(tmp_path, monkeypatch):
    monkeypatch.setenv("AIMS_HOME", str(tmp_path / "from-env"))
    assert load_settings(index=tmp_path / "from-flag").home == tmp_path / "from-flag"
    assert load_settings().home == tmp_path / "from-env"


def test_platform_default_when_nothing_set(monkeypatch):
    monkeypatch.delenv("AIMS_HOME", raising=False)
    home = load_settings().home
    assert "aims-assistant" in str(home)


def test_toml_file_is_read_and_env_beats_it(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('top_k = 7\nmax_file_mb = 3.5\nhome = "/tmp/from-toml"\n')
    monkeypatch.setenv("AIMS_CONFIG", str(config))
    monkeypatch.delenv("AIMS_HOME", raising=False)
    settings = Settings()
    assert settings.top_k == 7 and settings.max_file_mb == 3.5 and settings.home == Path("/tmp/from-toml")
    monkeypatch.setenv("AIMS_TOP_K", "3")
    assert Settings().top_k == 3


def test_unknown_keys_and_bad_values_are_rejected(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("no_such_setting = 1\n")
    monkeypatch.setenv("AIMS_CONFIG", str(config))
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("AIMS_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ValidationError):
        Settings(top_k=0)
    with pytest.raises(ValidationError):  # folders are filed as NAME:/path, so a name holds no colon
        Settings(client_name="team:a")


def test_reference_rows_cover_every_setting():
    names = {row[0] for row in reference_rows()}
    assert {f"AIMS_{name.upper()}" for name in Settings.model_fields} == names


def test_a_saved_setting_is_read_back_and_the_rest_of_the_file_kept(tmp_path, monkeypatch):
    from assistant.config import save_user_setting

    config = tmp_path / "sub" / "config.toml"
    monkeypatch.setenv("AIMS_CONFIG", str(config))
    assert save_user_setting("theme", "nord") == config  # the file and its folder are created
    assert Settings().theme == "nord"
    config.write_text('# mine\ntheme = "nord"\ntop_k = 6\n\n[role_labels]\ntheme = ["kept"]\n'
                      'staff = ["public"]\nimplementer = ["public"]\nauditor = ["public"]\n')
    save_user_setting("theme", "dracula")
    text = config.read_text()
    assert text.count('theme = "dracula"') == 1 and 'theme = ["kept"]' in text and text.startswith("# mine\n")
    settings = Settings()
    assert settings.theme == "dracula" and settings.top_k == 6
    monkeypatch.setenv("AIMS_THEME", "gruvbox")
    assert Settings().theme == "gruvbox"  # the environment still beats the file


def test_a_broken_settings_file_is_never_overwritten(tmp_path, monkeypatch):
    from assistant.config import save_user_setting

    config = tmp_path / "config.toml"
    config.write_text("top_k = [unclosed\n")
    monkeypatch.setenv("AIMS_CONFIG", str(config))
    with pytest.raises(ValueError, match="not valid TOML"):
        save_user_setting("theme", "nord")
    assert config.read_text() == "top_k = [unclosed\n"
    with pytest.raises(ValueError, match="unknown setting"):
        save_user_setting("no_such_setting", "x")


def test_the_first_frame_theme_agrees_with_the_settings(tmp_path, monkeypatch):
    """The UI's pydantic-free read of the theme gives what the settings class will (which then wins)."""
    from assistant.settings_file import first_frame_theme

    def agree() -> str | None:
        theme = first_frame_theme()
        assert (theme or "textual-dark") == Settings().theme
        return theme

    config = tmp_path / "config.toml"
    monkeypatch.setenv("AIMS_CONFIG", str(config))
    monkeypatch.delenv("AIMS_THEME", raising=False)
    assert agree() is None  # no file: the default
    config.write_text('top_k = 5\ntheme = "nord"\n[role_labels]\ntheme = ["not this one"]\n'
                      'staff = ["public"]\nimplementer = ["public"]\nauditor = ["public"]\n')
    assert agree() == "nord"
    monkeypatch.setenv("AIMS_THEME", "dracula")
    assert agree() == "dracula"
    monkeypatch.delenv("AIMS_THEME")
    config.write_text("theme = [broken\n")
    assert first_frame_theme() is None  # the settings class reports the broken file itself


def test_a_bad_setting_is_a_clear_usage_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    from assistant.cli import main

    monkeypatch.setenv("AIMS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIMS_TOP_K", "0")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert "AIMS_TOP_K" in err and "Traceback" not in err
