"""Optional LLM backends through llama-index's LLM interfaces: Ollama, OpenAI-compatible, local GGUF.

Always built explicitly from our settings and passed around, never taken from llama-index's global
`Settings.llm` (which resolves to a network default). Contacted only when `llm` is configured.
A backend is one factory registered in `BACKENDS` with `@backend(name)`; the `llm` setting's
choices are read from that registry, so a new backend touches this module alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from assistant.core.models import LLMUnavailable

__all__ = ["BACKENDS", "ChatModel", "LLMUnavailable", "backend", "build_chat_model"]


class ChatModel:
    """A chat LLM that streams its reply as text pieces."""

    def __init__(self, llm, name: str) -> None:
        self.llm = llm
        self.name = name

    def stream(self, system: str, user: str) -> Iterator[str]:
        """Yield the reply's text as it arrives."""
        from llama_index.core.llms import ChatMessage, MessageRole

        messages = [ChatMessage(role=MessageRole.SYSTEM, content=system),
                    ChatMessage(role=MessageRole.USER, content=user)]
        try:
            for response in self.llm.stream_chat(messages):
                if response.delta:
                    yield response.delta
        except Exception as exc:  # noqa: BLE001 - any client error means: answer without the LLM
            raise LLMUnavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc


Backend = Callable[[object], ChatModel]
BACKENDS: dict[str, Backend] = {}  # the `llm` setting's name -> the factory that builds it from the settings


def backend(name: str) -> Callable[[Backend], Backend]:
    """Register a factory under the `llm` setting's value; the setting's choices are these names."""
    def register(factory: Backend) -> Backend:
        BACKENDS[name] = factory
        return factory

    return register


def build_chat_model(settings) -> ChatModel | None:
    """The LLM named by the settings, or None when `llm` is "none"."""
    if settings.llm == "none":
        return None
    return BACKENDS[settings.llm](settings)


@backend("ollama")
def _ollama(settings) -> ChatModel:
    from llama_index.llms.ollama import Ollama

    llm = Ollama(model=settings.llm_model, base_url=settings.llm_base_url, request_timeout=settings.llm_timeout,
                 temperature=0.0)
    return ChatModel(llm, f"ollama {settings.llm_model} at {settings.llm_base_url}")


@backend("openai")
def _openai(settings) -> ChatModel:
    from llama_index.llms.openai_like import OpenAILike

    key = settings.llm_api_key or os.environ.get("OPENAI_API_KEY", "") or "not-needed"
    llm = OpenAILike(model=settings.llm_model, api_base=settings.llm_base_url, api_key=key, is_chat_model=True,
                     context_window=8192, timeout=settings.llm_timeout, max_retries=0, temperature=0.0)
    return ChatModel(llm, f"openai-compatible {settings.llm_model} at {settings.llm_base_url}")


GGUF_CONTEXT = 4096  # tokens: the choice prompt (8 sentences) and the prose prompt (6 passages) fit
GGUF_REPLY = 512  # tokens a reply may run to (a choice is a few; prose a paragraph or two)


@backend("gguf")
def _gguf(settings) -> ChatModel:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LLMUnavailable("llm = gguf needs the optional extra: pip install 'aims-assistant[gguf]'") from exc
    if not settings.llm_gguf_path or not settings.llm_gguf_path.exists():
        raise LLMUnavailable(f"no GGUF model file at {settings.llm_gguf_path}")
    from llama_cpp.llama_chat_format import LlamaChatCompletionHandlerNotFoundException, get_chat_completion_handler

    name, chat_format = settings.llm_gguf_path.name, settings.llm_gguf_chat_format
    if chat_format:
        try:
            get_chat_completion_handler(chat_format)  # its error lists the names llama.cpp knows
        except LlamaChatCompletionHandlerNotFoundException as exc:
            raise LLMUnavailable(f"{name}: unknown chat format {chat_format!r} ({exc})") from exc
    try:
        llm = Llama(model_path=str(settings.llm_gguf_path), n_ctx=GGUF_CONTEXT, n_threads=os.cpu_count() or 1,
                    chat_format=chat_format, verbose=False)
    except (ValueError, RuntimeError) as exc:  # not a GGUF file, or one llama.cpp cannot load
        raise LLMUnavailable(f"{name}: {exc}") from exc
    problem = chat_layout_problem(llm.metadata, chat_format)
    if problem:
        llm.close()
        raise LLMUnavailable(f"{name}: {problem}")
    return GGUFChatModel(llm, f"gguf {name}")


def chat_layout_problem(metadata: dict[str, str], chat_format: str | None) -> str | None:
    """Why a GGUF file cannot be prompted as a chat model, or None when it can.

    A file with no chat template is a base model's (or an instruct model saved without its template):
    llama.cpp would silently lay the prompt out as Llama 2's, and a base model echoes it back (Gemma 3
    270M: 74 of 76 replies unreadable). Saying so beats spending seconds a question on unusable replies.
    """
    if chat_format or metadata.get("tokenizer.chat_template"):
        return None
    return ("the file carries no chat template, so it is most likely a base model, which cannot follow "
            "the prompts; use an instruction-tuned (chat) GGUF, or name its layout in "
            "AIMS_LLM_GGUF_CHAT_FORMAT (for example chatml) if it was saved without one")


class GGUFChatModel(ChatModel):
    """A local GGUF model, prompted through the chat template the file carries.

    llama-index's `LlamaCPP` wraps every model's messages in one generic "system: / user:" text, which
    an instruction-tuned model was not trained on; llama.cpp's chat completion applies the template
    stored in the GGUF (ChatML for Qwen, Gemma's turns for an instruction-tuned Gemma), as the model
    expects. A file that carries none is refused (`chat_layout_problem`) unless a layout is named.
    """

    def stream(self, system: str, user: str) -> Iterator[str]:
        """Yield the reply's text as it arrives (greedy: the same question gets the same reply)."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            for part in self.llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=GGUF_REPLY,
                                                        stream=True):
                piece = part["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        except Exception as exc:  # noqa: BLE001 - any failure means: answer without the LLM
            raise LLMUnavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
