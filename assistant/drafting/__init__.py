"""Drafting AIMS documents from evidence: kinds (schema + template), assembly, Markdown and DOCX output.

Imports no model or store library: the service supplies the cited answers for each section.
"""
