"""Parsing, embedding, the vector store and BM25: the only layer that imports the heavy libraries.

llama-index, chromadb and sentence-transformers are imported inside this package and nowhere else.
"""
