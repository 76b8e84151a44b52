"""A local HTTP server that speaks the OpenAI chat-completions protocol with scripted replies.

Each reply is a function of the request's messages (or a fixed string), so tests can write
replies about the very passages the assistant numbered. Streams as server-sent events. Requests to
choose evidence (the `choose_system` prompt) take their replies from `choice_replies`, the rest
from `replies`; a request with no scripted reply left is answered with an HTTP error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = str | Callable[[list[dict]], str]


class FakeOpenAI:
    """Serve scripted chat completions on 127.0.0.1; `base_url` goes into the assistant's settings."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.choice_replies: list[Reply] = []  # for the evidence-choice prompt
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                fake.requests.append(body)
                queue = fake.choice_replies if is_choice_request(body["messages"]) else fake.replies
                if not self.path.endswith("/chat/completions") or not queue:
                    self.send_error(404 if queue else 500, "no scripted reply")
                    return
                reply = queue.pop(0)
                text = reply(body["messages"]) if callable(reply) else reply
                if body.get("stream"):
                    self._stream(text, body.get("model", "fake"))
                else:
                    self._whole(text, body.get("model", "fake"))

            def _whole(self, text: str, model: str) -> None:
                payload = {"id": "c1", "object": "chat.completion", "created": 0, "model": model,
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = text.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                for index, piece in enumerate(pieces):
                    delta = {"content": piece} if index else {"role": "assistant", "content": piece}
                    self._event({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                                 "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (ends in /v1)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def passages_in_prompt(messages: list[dict]) -> dict[int, str]:
    """The numbered evidence passages of the user message: {n: text}."""
    import re

    user = next(m["content"] for m in messages if m["role"] == "user")
    found = {}
    pattern = r"^\[(\d+)\] \(([^\n]*)\)\n(.*?)(?=\n\n\[\d+\] \(|\n\nAnswer the question)"
    for match in re.finditer(pattern, user, re.S | re.M):
        found[int(match.group(1))] = match.group(3)
    return found


CHOICE_SYSTEM_START = "You pick evidence"


def is_choice_request(messages: list[dict]) -> bool:
    """Whether the request asks the model to choose evidence (the `choose_system` prompt)."""
    return messages[0]["role"] == "system" and messages[0]["content"].startswith(CHOICE_SYSTEM_START)


def sentences_in_prompt(messages: list[dict]) -> dict[int, tuple[str, str]]:
    """The numbered sentences of an evidence-choice request: {n: (where, sentence)}."""
    import re

    user = next(m["content"] for m in messages if m["role"] == "user")
    pattern = r"^\[(\d+)\] \(([^\n]*?)\) (.*)$"
    return {int(m.group(1)): (m.group(2), m.group(3)) for m in re.finditer(pattern, user, re.M)}
