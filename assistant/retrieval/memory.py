"""Hand freed heap back to the operating system after large transient allocations.

Ingesting, syncing and rebuilding BM25 allocate and free hundreds of MiB (parsed texts, tokens,
request payloads, Chroma's insert buffers); glibc keeps most of that freed memory in the process,
so its resident size kept growing with the corpus although the live data did not (measured, see
README). `malloc_trim` returns the free pages. Elsewhere (no glibc) this does nothing.
"""

from __future__ import annotations

import ctypes
import functools


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Give free heap pages back to the OS (glibc's malloc_trim), if the platform has it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
