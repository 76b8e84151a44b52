"""Text in a document that tries to instruct the reader (or a model): data, never an answer.

One pattern, shared by the feature stage (such spans never become quotable units) and the composer
(never joined into a quote as a gap between two sentences).
"""

from __future__ import annotations

import re

INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|all|your|earlier)\b.{0,30}"
    r"\b(instructions?|rules|prompts?|guidelines)\b|\byou are now\b|\bsystem prompt\b|\bnew instructions?\b",
    re.IGNORECASE,
)
