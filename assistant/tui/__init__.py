"""The Textual terminal UI: ask, documents, checklist and drafting over the service façade.

The only package that imports Textual; it receives its service object, so tests can pass a fake.
"""
