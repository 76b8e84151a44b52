"""Embedding precision: float32 by default, the same vectors on every CPU; bfloat16 is another index.

Why: `auto` used to embed in bfloat16 on CPUs with native bf16 (AMX, AVX-512 BF16) and in float32 elsewhere.
Its vectors differ by up to about 2e-3 a coordinate, which moved one or two eval questions a set between
machines of one kind, and let an index (or a team's server) mix vectors of both precisions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.test_ingest import DOC_A, DOC_B, DOC_C, _consistent

TEXTS = ["Report any AI incident to the service desk within 24 hours.",
         "The AI Governance Committee approves every new high-risk AI system before it goes live.",
         "Staff may use the approved writing assistant for public and internal information only.",
         # a long text, so that the batch is padded and every attention path runs
         " ".join(["Before a supplier's AI system is approved, Procurement sends the due diligence questionnaire,"
                   " the system owner reviews the answers, and the AIMS Manager records the outcome."] * 6)]

_ENCODE = """
import json, sys
from assistant.retrieval.embedder import Embedder
embedder = Embedder(dtype=sys.argv[1])
print(json.dumps({"precision": embedder.precision, "vectors": embedder.encode(json.loads(sys.argv[2])).tolist()}))
"""


def _encode_in_process(dtype: str, cpu_capability: str | None) -> tuple[str, np.ndarray]:
    """Vectors from a fresh process whose torch kernels are those of `cpu_capability` (None: this CPU's best)."""
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if cpu_capability:
        env["ATEN_CPU_CAPABILITY"] = cpu_capability
    out = subprocess.run([sys.executable, "-c", _ENCODE, dtype, json.dumps(TEXTS)], env=env, capture_output=True,
                         text=True, check=True, timeout=300)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["precision"], np.asarray(result["vectors"], dtype=np.float32)


def _native_bf16() -> bool:
    from assistant.retrieval.embedder import native_bf16

    return native_bf16()


needs_bf16 = pytest.mark.skipif(not _native_bf16(), reason="this CPU has no native bfloat16 (AVX-512 BF16 or AMX)")


def test_the_default_precision_is_float32():
    from assistant.config import load_settings
    from assistant.retrieval.embedder import Embedder, native_bf16

    assert load_settings().embed_dtype == "float32"
    embedder = Embedder()
    assert embedder.precision == "float32" and not embedder.model_id.endswith("-bf16")
    assert Embedder(dtype="auto").precision == ("bfloat16" if native_bf16() else "float32")


def test_bfloat16_on_a_cpu_without_it_is_a_settings_error_not_a_crash_mid_ingest(tmp_path, monkeypatch, capsys):
    """torch's bfloat16 attention on an AVX2 CPU stops with "pack_vnni2 is only supported when avx512 is
    supported" at the first padded batch (seen here with ATEN_CPU_CAPABILITY=avx2): refused up front instead."""
    import assistant.retrieval.embedder as embedder_module
    from assistant.cli import main

    monkeypatch.setattr(embedder_module, "native_bf16", lambda: False)
    with pytest.raises(ValueError, match="native bfloat16"):
        embedder_module.Embedder(dtype="bfloat16")
    assert embedder_module.Embedder(dtype="auto").precision == "float32"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.md").write_text(DOC_C)
    monkeypatch.setenv("AIMS_EMBED_DTYPE", "bfloat16")
    assert main(["--index", str(tmp_path / "home"), "ingest", str(corpus)]) == 2
    assert "native bfloat16" in capsys.readouterr().err
    monkeypatch.setenv("AIMS_EMBED_DTYPE", "float32")
    monkeypatch.setenv("AIMS_MODEL_PATH", str(tmp_path / "no-model"))
    assert main(["--index", str(tmp_path / "home"), "ingest", str(corpus)]) == 2
    assert "no sentence-transformers model" in capsys.readouterr().err


@needs_bf16
def test_each_precision_is_its_own_model_id(embedder):
    from assistant.retrieval.embedder import Embedder

    bf16 = Embedder(dtype="bfloat16")
    assert bf16.precision == "bfloat16" and bf16.model_id == embedder.model_id + "-bf16"


@pytest.mark.model
def test_float32_vectors_are_the_same_with_another_cpus_kernels():
    """The vectors a CPU without AVX-512 computes (torch's AVX2 kernels) are this CPU's, to float32 rounding."""
    precision, here = _encode_in_process("float32", None)
    _, elsewhere = _encode_in_process("float32", "avx2")
    assert precision == "float32"
    assert float(np.abs(here - elsewhere).max()) < 1e-5


@needs_bf16
@pytest.mark.model
def test_bfloat16_vectors_are_near_float32_ones_but_not_the_same(embedder):
    """Why bfloat16 is its own index: close (cosine over 0.99) but a thousand times further apart than float32's."""
    from assistant.retrieval.embedder import Embedder

    exact = embedder.encode(TEXTS)
    rounded = Embedder(dtype="bfloat16").encode(TEXTS)
    assert float((exact * rounded).sum(axis=1).min()) > 0.99
    assert float(np.abs(exact - rounded).max()) > 1e-4


def test_an_index_embedded_in_bfloat16_under_the_float32_id_is_embedded_again_once(tmp_path, make_assistant,
                                                                                   monkeypatch):
    """Before the precision was part of the model id, `auto` on a native-bf16 CPU stored bfloat16 vectors under
    the float32 id; the next ingest finds that (no precision recorded, a CPU that has bf16) and embeds afresh."""
    import assistant.retrieval.embedder as embedder_module

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in (("release.md", DOC_A), ("vendors.md", DOC_B), ("guidance.txt", DOC_C)):
        (corpus / name).write_text(text)
    assistant = make_assistant(tmp_path / "home")
    first = assistant.ingest([corpus])
    assert assistant.manifest.get_meta("embed_precision") == "float32"
    model_id = assistant.embedder.model_id
    chunks = assistant.manifest.chunks_by_id(sorted(assistant.manifest.all_chunk_ids()))
    hashes = {chunk.chunk_hash for chunk in chunks.values()}
    assert assistant.manifest.has_vectors(model_id, sorted(hashes)) == hashes

    assistant.manifest.set_meta("embed_precision", None)  # as an index built before this change records it
    monkeypatch.setattr(embedder_module, "native_bf16", lambda: True)
    again = assistant.ingest([corpus])
    assert sorted(again.added) == ["guidance.txt", "release.md", "vendors.md"]
    assert again.chunks_embedded == first.chunks_embedded  # nothing taken from the bfloat16 cache
    assert assistant.manifest.get_meta("embed_precision") == "float32"
    _consistent(assistant)
    assert sorted(assistant.ingest([corpus]).unchanged) == ["guidance.txt", "release.md", "vendors.md"]

    monkeypatch.setattr(embedder_module, "native_bf16", lambda: False)
    assistant.manifest.set_meta("embed_precision", None)  # an older index from a float32 CPU is kept as it is
    assert sorted(assistant.ingest([corpus]).unchanged) == ["guidance.txt", "release.md", "vendors.md"]
