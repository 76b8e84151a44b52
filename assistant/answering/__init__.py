"""Composing answers from retrieved passages: extractive by default, every sentence cited.

Receives vectors through a function argument, so it never imports the model libraries itself.
"""
