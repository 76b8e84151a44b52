"""What the benchmarks share: the corpus they read, percentiles, timed asks, copies, a Chroma server.

Public so that each benchmark module imports it, not another benchmark's private helpers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from assistant import resources

REPO = Path(__file__).resolve().parent.parent.parent
DEFAULT_PATHS = [resources.sample_corpus(), REPO.parent / "shared" / "reference-texts"]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """(p50, p95, max) of the samples."""
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return pick(0.5), pick(0.95), ordered[-1]


def time_asks(assistant, questions: list[tuple[str, str]], rounds: int) -> list[float]:
    """Seconds per `ask` (extractive, model warm), over every question and role, `rounds` times."""
    assistant.ask("warm up: who approves AI systems?", role="auditor")
    samples = []
    for _ in range(rounds):
        for question, role in questions:
            started = time.perf_counter()
            assistant.ask(question, role=role)
            samples.append(time.perf_counter() - started)
    return samples


def replicate(sources: list[Path], target: Path, copies: int) -> None:
    """Copies of the corpus in numbered folders: identical texts, so cached vectors are re-used."""
    import shutil

    for number in range(copies):
        folder = target / f"copy-{number:04d}"
        folder.mkdir(parents=True)
        for source in sources:
            for path in sorted(source.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    shutil.copy2(path, folder / path.name)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """A `chroma run` server on loopback over `folder`, once it accepts connections: (process, URL)."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma run did not start")
