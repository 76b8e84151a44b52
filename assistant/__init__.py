"""aims-assistant: cited answers and AIMS paperwork from an organisation's own documents.

Nothing is imported eagerly here, so `import assistant` stays cheap for every front end.
"""

__version__ = "0.1.0"
