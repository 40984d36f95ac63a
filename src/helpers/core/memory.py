"""How a large run uses the memory it frees: given back after a large piece of work, reused within one.

Reading and checking a folder in threads frees gigabytes of text cells and transient arrays; glibc's
allocator keeps what threads freed in their own arenas, so the process's resident size stays near
its high-water mark for whatever comes next (the evaluation of a million parcels rose by some 250 MiB
that way). ``release_freed_memory`` asks glibc to hand the free pages back (``malloc_trim``).

Within a piece of work the opposite serves: glibc maps every block from 128 KiB up (an array of
16,000 numbers) afresh and unmaps it when freed, so the next array of that size is new memory that the
system must find and zero page by page. On a virtual machine whose host takes freed pages back, that
first touch is slow and its cost wanders: one evaluation of a million enterprises spent 0.16 s of system
time on its 45,000 page faults in one minute and 1.2–1.7 s in another. ``reuse_freed_memory`` has glibc
serve blocks below 32 MiB from its heaps and keep what is freed there for the next ones (``mallopt``), as
polars' and DuckDB's own allocators do; ``release_freed_memory`` still gives it all back when asked.
Neither changes any data. Elsewhere than glibc (macOS, Windows, musl) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (glibc's malloc.h)
REUSE_BELOW_BYTES = 32 * 2**20  # glibc's largest mmap threshold on 64-bit: blocks below come from its heaps
KEEP_FREED_BYTES = 2**31 - 1  # free memory at a heap's top kept up to this (mallopt takes an int)


@cache
def _glibc(name: str, *argtypes):
    """glibc's function ``name`` taking ``argtypes`` and giving an int, typed once; None where the C
    library has none."""
    try:
        function = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_int
    return function


def _malloc_trim():
    return _glibc("malloc_trim", ctypes.c_size_t)


def release_freed_memory() -> bool:
    """Return the memory this process has freed to the operating system; True when glibc released any."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


def reuse_freed_memory() -> bool:
    """From now on, serve blocks below ``REUSE_BELOW_BYTES`` from glibc's heaps and keep freed memory
    there for the next blocks (see the module); True when glibc took both settings. For a command
    that loads, checks or evaluates a large folder (``make evaluate``, the benchmark's runs of ours)."""
    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, REUSE_BELOW_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREED_BYTES))


__all__ = ["release_freed_memory", "reuse_freed_memory"]
