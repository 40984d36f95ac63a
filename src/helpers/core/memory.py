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
polars' and DuckDB's own allocators do. Such a process (a command whose peak is what matters) also keeps
what it frees between its stages: ``release_freed_memory`` then gives nothing back, since trimming after the
check and after the cache's writes made the next stage find and zero those pages again (a first run of a million
parcels, six pairs: 0.87 million page faults and 5.8 s of system time with the trims, 0.81 million and 5.0 s
without them, median; peak 2.20 against 2.24 GiB).

numpy, for its part, asks Linux for 2 MiB pages (``madvise(MADV_HUGEPAGE)``) for every array of 4 MiB
or more, so that each is mapped in fewer, larger pages. Where the system gives huge pages only on such
a request (``/sys/kernel/mm/transparent_hugepage/enabled`` set to ``madvise``, as on this project's
build machine), each one must be found whole and zeroed whole when first touched, and on a virtual
machine that costs more than the 512 small pages it replaces: in fresh processes, interleaved, six
re-runs of a million parcels took 3.8–4.9 s with numpy's request and 1.6–2.9 s without it (system
time most of the difference). ``reuse_freed_memory`` therefore also turns numpy's request off
(``numpy_huge_pages``), unless ``NUMPY_MADVISE_HUGEPAGE`` is set, which is numpy's own switch and wins.

Creating a million objects is a cost of its own when they are Python objects that CPython's cyclic
garbage collector tracks, as shapely's geometries are. The collector runs every 700 new tracked objects
and, every so often, walks every tracked object alive; decoding, projecting and encoding the outlines of a
million parcels set it off thousands of times, and its walks took 1.5–2 s of a first run's CPU, holding
Python's lock, so the other thread waited meanwhile. A geometry refers to no other object, so none can
be part of a cycle: ``collector_paused`` stops the collector while such a piece of work runs (the
objects are freed as always, when the last reference goes) and starts it again afterwards.

None of this changes any data. Elsewhere than glibc (macOS, Windows, musl) the glibc settings do
nothing, and numpy asks for huge pages only on Linux.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


_state = {"keep": False}  # reuse_freed_memory was called: freed memory is kept for the next stage


def release_freed_memory() -> bool:
    """Return the memory this process has freed to the operating system, after a large piece of work
    (a notebook's kernel lives on); True when glibc released any. A process that called
    ``reuse_freed_memory`` keeps it for its next stage instead (False, nothing done; see the module)."""
    trim = _malloc_trim()
    if trim is None or _state["keep"]:
        return False
    return bool(trim(0))


def numpy_huge_pages(wanted: bool) -> bool | None:
    """Whether numpy asks for huge pages for its large arrays from now on (see the module); returns
    the previous setting, None where this numpy has no such switch. ``NUMPY_MADVISE_HUGEPAGE`` in the
    environment is numpy's own choice and is left as it is (None)."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return None
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1.x
        try:
            switch = getattr(importlib.import_module(module), "_set_madvise_hugepage", None)
        except ImportError:
            continue
        if switch is not None:
            return bool(switch(wanted))
    return None


def reuse_freed_memory() -> bool:
    """From now on, serve blocks below ``REUSE_BELOW_BYTES`` from glibc's heaps, keep freed memory
    there for the next blocks, and map numpy's arrays in small pages (see the module); True when
    glibc took both of its settings. For a command that loads, checks or evaluates a large folder
    (``make evaluate``, the benchmark's runs of ours). ``release_freed_memory`` gives nothing back
    from then on."""
    numpy_huge_pages(False)
    _state["keep"] = True
    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, REUSE_BELOW_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREED_BYTES))


_pause_lock = threading.Lock()
_pause = {"depth": 0, "was_enabled": False}  # pieces of work under way (any thread); the collector's state before them


@contextmanager
def collector_paused() -> Iterator[None]:
    """CPython's cyclic garbage collector stopped while the block runs, for work that creates many
    objects holding no references (shapely geometries: decoding, projecting, coarsening a layer; see
    the module). Usable as a decorator. Blocks may nest and run in several threads at once: the collector
    starts again when the last one ends, and only if it ran before the first began (a caller who
    switched it off keeps it off). Objects are still freed when their last reference goes; only
    cycles wait for the collector."""
    with _pause_lock:
        if _pause["depth"] == 0:
            _pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["was_enabled"]:
                gc.enable()


__all__ = ["collector_paused", "numpy_huge_pages", "release_freed_memory", "reuse_freed_memory"]
