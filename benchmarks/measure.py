"""Wall time, CPU time (user + system, of the process and its children) and peak memory (resident
set size, sampled every 5 ms) per stage."""

from __future__ import annotations

import gc
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.005
HUGE_PAGES = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def memory_state() -> str:
    """How this machine hands out memory when the benchmark starts, for its note: total, free and
    page-cache memory (GiB), and when Linux backs memory with 2 MiB pages (``always``, on request:
    ``madvise``, ``never``). First touches of fresh memory are most of a large run's system time, and
    their cost moved from one hour to the next on the build machine (docs/scale.md)."""
    memory = psutil.virtual_memory()
    gib = 2**30
    text = f"{memory.total / gib:.0f} GiB, {memory.free / gib:.1f} free"
    if hasattr(memory, "cached"):  # Linux and BSD
        text += f", {memory.cached / gib:.1f} page cache"
    if HUGE_PAGES.is_file():
        mode = HUGE_PAGES.read_text().split("[")[-1].split("]")[0]
        text += f"; transparent huge pages: {mode}"
    return text


class PeakRSS:
    """The largest RSS of this process (and its children, e.g. dask workers) while running."""

    def __init__(self, children: bool = False):
        self.process = psutil.Process()
        self.children = children
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of this process (and of its live children, e.g. dask workers)."""
        t = self.process.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        if self.children:
            for child in self.process.children(recursive=True):
                try:
                    c = child.cpu_times()
                    total += c.user + c.system
                except psutil.Error:
                    pass
        return total

    def rss(self) -> int:
        total = self.process.memory_info().rss
        if self.children:
            for child in self.process.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> PeakRSS:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


class Stages:
    """Records of ``stage`` blocks: name, seconds, peak RSS in MB, and any notes."""

    def __init__(self, engine: str, n_parcels: int, children: bool = False):
        self.engine, self.n_parcels, self.children = engine, n_parcels, children
        self.records: list[dict] = []

    @contextmanager
    def stage(self, name: str, in_total: bool = True):
        gc.collect()
        note: dict = {}
        with PeakRSS(self.children) as mem:
            cpu0 = mem.cpu_seconds()
            t0 = time.perf_counter()
            yield note
            seconds = time.perf_counter() - t0
            cpu = mem.cpu_seconds() - cpu0
        self.records.append(
            {
                "engine": self.engine,
                "n_parcels": self.n_parcels,
                "stage": name,
                "seconds": round(seconds, 3),
                "cpu_s": round(cpu, 3),
                "peak_mb": round(mem.peak / 2**20),
                "in_total": in_total,
                **note,
            }
        )
