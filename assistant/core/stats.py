"""The Wilson score interval of a share: one formula for the judge's thresholds and the eval's reports.

Why: the judge bounds the share of answerable questions a threshold may hold back on unseen questions
(one-sided, `answering.judge.allowed_below`), and `aims eval` says how sure each figure of a few dozen
questions is (`evaluation.wilson`); both read the same interval.
"""

from __future__ import annotations


def wilson_bounds(successes: int, n: int, z: float) -> tuple[float, float]:
    """The lower and upper Wilson score bounds of successes / n at normal quantile z (n must be positive)."""
    p = successes / n
    spread = z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    return ((p + z * z / (2 * n) - spread) / (1 + z * z / n),
            (p + z * z / (2 * n) + spread) / (1 + z * z / n))
