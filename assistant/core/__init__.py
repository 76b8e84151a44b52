"""The domain: documents, chunks, labels and reports as plain pydantic models.

Imports only the standard library and pydantic, so every layer can depend on it cheaply
(a test checks that importing it loads no Textual, torch, chromadb or llama-index).
"""
