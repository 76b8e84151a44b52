"""The baseline a user would otherwise build: llama-index's VectorStoreIndex with default settings.

SimpleDirectoryReader's default readers and SentenceSplitter, an in-memory vector store, top-k
retrieval, no role filter and no refusal; only the embedding model is ours (the default is a
network model). DOCX and XLSX get our extracted text, because without the optional docx2txt and
pandas packages the default readers return the zip archive's raw bytes, which would be a straw man.
Each file's `file_path` metadata is its path within the corpus, not on this machine: llama-index
embeds that path with every node and sizes its nodes around it, so an absolute path made the
baseline's figures depend on where the corpus was checked out (two fresh clones differed by up to
0.05 hit@any).
"""

from __future__ import annotations

from pathlib import Path

from assistant.core.models import Answer, Citation
from assistant.retrieval.embedder import Embedder
from assistant.retrieval.parsing import parse_bytes


def baseline_answerer(corpus: Path, embedder: Embedder, k: int = 5, exclude: tuple[str, ...] = (),
                      node_tokens: int | None = None):
    """A function (question, role) -> Answer whose citations are the top-k retrieved nodes.

    `node_tokens` sets the SentenceSplitter's node size (its overlap in the default's proportion, 200 in
    1024); None keeps llama-index's default of 1024 tokens, whose five nodes quote some 2,300 to 2,900
    words an answer on our sets: small nodes are the same baseline read at about our answers' length.
    """
    from llama_index.core import Document, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.readers.base import BaseReader
    from llama_index.core.readers.file.base import default_file_metadata_func

    class LocalEmbedding(BaseEmbedding):
        """Our MiniLM behind llama-index's embedding interface."""

        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.encode([query])[0].tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.encode(texts).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    class ExtractedText(BaseReader):
        """Our parser's text for the formats the default readers cannot open without extras."""

        def load_data(self, file: Path, extra_info: dict | None = None) -> list[Document]:
            doc = parse_bytes(Path(file).read_bytes(), Path(file).name)
            return [Document(text=doc.text, metadata=extra_info or {})]

    def file_metadata(path: str) -> dict:
        """llama-index's default metadata, with the path as the corpus names it."""
        return default_file_metadata_func(path) | {"file_path": Path(path).relative_to(corpus).as_posix()}

    corpus = Path(corpus).resolve()
    reader = SimpleDirectoryReader(str(corpus), exclude=list(exclude), raise_on_error=False,
                                   file_metadata=file_metadata,
                                   file_extractor={".docx": ExtractedText(), ".xlsx": ExtractedText()})
    transformations = None
    if node_tokens is not None:
        transformations = [SentenceSplitter(chunk_size=node_tokens, chunk_overlap=node_tokens * 200 // 1024)]
    index = VectorStoreIndex.from_documents(reader.load_data(), embed_model=LocalEmbedding(),
                                            transformations=transformations)
    retriever = index.as_retriever(similarity_top_k=k)

    def ask(question: str, role: str) -> Answer:
        citations = []
        for n, hit in enumerate(retriever.retrieve(question), start=1):
            page = str(hit.node.metadata.get("page_label", ""))
            citations.append(Citation(n=n, source=hit.node.metadata.get("file_name", "?"),
                                      page=int(page) if page.isdigit() else None, section=None,
                                      quote=hit.node.get_content(), score=float(hit.score or 0.0)))
        text = "\n".join(f"{' '.join(c.quote.split())[:200]} [{c.n}]" for c in citations)
        return Answer(question=question, role=role, answer=text, grounded=bool(citations), citations=citations)

    return ask

