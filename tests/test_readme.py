"""README.md's configuration reference is the one the settings class generates."""

from assistant.config import reference_markdown

from .conftest import REPO


def test_readme_config_reference_is_generated():
    text = (REPO / "README.md").read_text()
    start = text.index("<!-- config-reference:start -->\n") + len("<!-- config-reference:start -->\n")
    end = text.index("<!-- config-reference:end -->")
    assert text[start:end] == reference_markdown(), "run: aims config --reference, and paste it into README.md"


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in readme
