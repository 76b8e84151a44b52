"""The question side of MiniLM, tuned: stored as low-rank weight changes, applied over the shipped model.

Why: MiniLM places a question near the sentences that share its topic, not near the one that answers
it. A copy of the model, tuned on questions written over other documents (`evals/training/`, never
an eval set) to move the question towards its answering sentence and away from the ones the ranker
wrongly preferred, gives the ranker one more feature (`tuned_sim`). Documents are never embedded with
it: the index and its sentence vectors stay the shipped model's, so turning it off changes nothing
stored. `evals/train_question_tuning.py` makes the file; only this module reads it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

TUNING_FILE = Path(__file__).with_name("question_tuning.npz")
FACTOR_U, FACTOR_V = "@u", "@v"  # a matrix change stored as u @ v


def shipped_tuning() -> Path | None:
    """The tuning shipped in the package, or None when this checkout has none."""
    return TUNING_FILE if TUNING_FILE.exists() else None


def save_deltas(base: dict, tuned: dict, path: Path, rank: int, meta: dict) -> dict:
    """Store tuned - base for every changed weight: matrices as rank-`rank` factors, the rest whole, in float16.

    A low rank keeps the file small (about 3 MB at rank 32, against 42 MB for the weights whole); the
    trainer measures the truncated model's fit beside the whole one's. Returns what was stored.
    """
    arrays: dict[str, np.ndarray] = {}
    for name, tuned_tensor in tuned.items():
        delta = (tuned_tensor.float() - base[name].float()).numpy()
        if not np.any(delta):
            continue
        if delta.ndim == 2 and rank < min(delta.shape):
            u, s, vt = np.linalg.svd(delta, full_matrices=False)
            arrays[name + FACTOR_U] = (u[:, :rank] * s[:rank]).astype(np.float16)
            arrays[name + FACTOR_V] = vt[:rank].astype(np.float16)
        else:
            arrays[name] = delta.astype(np.float16)
    info = dict(meta, rank=rank, tensors=len({k.split("@")[0] for k in arrays}),
                stored_values=int(sum(a.size for a in arrays.values())))
    np.savez_compressed(path, __meta__=np.frombuffer(json.dumps(info).encode(), dtype=np.uint8), **arrays)
    return info


def load_deltas(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """(weight name -> float32 change, metadata) from a stored tuning."""
    with np.load(path) as data:
        meta = json.loads(bytes(data["__meta__"]).decode())
        stored = {k: data[k] for k in data.files if k != "__meta__"}
    deltas: dict[str, np.ndarray] = {}
    for key, value in stored.items():
        if key.endswith(FACTOR_U):
            name = key[: -len(FACTOR_U)]
            deltas[name] = value.astype(np.float32) @ stored[name + FACTOR_V].astype(np.float32)
        elif not key.endswith(FACTOR_V):
            deltas[key] = value.astype(np.float32)
    return deltas, meta


class TunedQuestionEncoder:
    """Encodes questions with the tuned copy of the model (built on first use: a second copy in memory)."""

    def __init__(self, model_path: Path, tuning: Path, plain_model=None) -> None:
        """`plain_model`: a callable returning the plain model in float32, loaded already, to copy instead of
        reading the model from disk again (a copy in memory takes a tenth of the time)."""
        self.model_path = Path(model_path)
        self.tuning = Path(tuning)
        self._plain_model = plain_model
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                import copy

                import torch
                from sentence_transformers import SentenceTransformer

                plain = self._plain_model() if self._plain_model is not None else None
                model = (copy.deepcopy(plain) if plain is not None else
                         SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True))
                deltas, _ = load_deltas(self.tuning)
                body = model[0].auto_model
                state = body.state_dict()
                unknown = sorted(set(deltas) - set(state))
                if unknown:
                    raise ValueError(f"{self.tuning.name} was made for another model (no weight {unknown[0]})")
                with torch.no_grad():
                    for name, delta in deltas.items():
                        state[name].add_(torch.from_numpy(delta).reshape(state[name].shape))
                model.eval()
                self._model = model
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised tuned vectors of questions, shape (n, dim)."""
        model = self._load()
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
