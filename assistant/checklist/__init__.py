"""The standard as structured data (clauses 4-10, Annex A, crosswalks) and the organisation's position on it.

Imports no model or store library: it asks the service for evidence and renders one declaration many ways.
"""
