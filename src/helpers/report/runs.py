"""Run folders: confined, locked and atomic.

A run's name is a plain name (letters of any script, digits, ``-`` and ``_``; no path, no leading
dot or dash) and its folder is ``<reports>/<name>``, never anywhere else. ``RunFolder`` takes a
lock (``<reports>/.<name>.lock``, created exclusively, so a second runner on the same name fails at
once; a lock whose process no longer exists, left by a killed run, is taken over), has the run
write into a staging folder (``<reports>/.<name>.partial-<pid>``) and moves it into place only when
the run is done: an interrupted or failed-to-finish run leaves nothing a later run
could mistake for a result. ``--overwrite`` replaces the whole folder, after the new one is complete.
Nothing outside the run's own folder (and its staging folder and lock) is ever written or deleted.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

NAME = re.compile(r"^[^\W_][\w\-]{0,99}$")  # a letter or digit first; then letters, digits, "_" and "-" (any script)


class RunError(ValueError):
    """A run that cannot start: the message says why and what to do."""


def check_name(name: str, what: str = "run name") -> str:
    """``name`` if it is a plain run name, else a ``RunError`` saying what a name may be."""
    text = str(name)
    if not NAME.match(text) or text in (".", ".."):
        raise RunError(
            f"{what} {text!r} is not a plain name: use letters (中文 too), digits, '-' and '_' (at most 100, "
            "starting with a letter or digit); a run always goes into the reports folder, --reports-dir moves that"
        )
    return text


@dataclass
class RunFolder:
    """The folder of run ``name`` under ``reports_dir``, written atomically (see the module)."""

    reports_dir: Path
    name: str
    overwrite: bool = False
    staging: Path = field(init=False)
    final: Path = field(init=False)
    lock: Path = field(init=False)

    def __post_init__(self) -> None:
        check_name(self.name)
        self.reports_dir = Path(self.reports_dir).resolve()
        self.final = self.reports_dir / self.name
        self.lock = self.reports_dir / f".{self.name}.lock"
        self.staging = self.reports_dir / f".{self.name}.partial-{os.getpid()}"
        if self.final.resolve().parent != self.reports_dir:  # a symlink named like the run points elsewhere
            raise RunError(f"{self.final} leads outside {self.reports_dir}; remove it or choose another name")

    def __enter__(self) -> Path:
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        if self.final.exists() and not self.overwrite and (not self.final.is_dir() or any(self.final.iterdir())):
            raise RunError(f"{self.final} exists; choose another --run, or pass --overwrite to replace the whole folder")
        try:
            fd = self._take_lock()
        except FileExistsError:
            raise RunError(
                f"another run named {self.name!r} is in progress ({self.lock} exists); wait for it, choose another "
                "--run, or delete the lock file if no run is going on"
            ) from None
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        try:
            if self.staging.exists():  # left by an earlier process with the same pid: ours to clear
                shutil.rmtree(self.staging)
            self.staging.mkdir()
        except BaseException:
            self.lock.unlink(missing_ok=True)  # a run that could not start holds no lock
            raise
        return self.staging

    def _take_lock(self) -> int:
        """The lock, created exclusively; a lock left by a process of this machine that no longer
        exists (a killed run) is taken over and that run's staging folder cleared."""
        try:
            return os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pid = _lock_owner(self.lock)
            if pid is None or _alive(pid):
                raise
            shutil.rmtree(self.reports_dir / f".{self.name}.partial-{pid}", ignore_errors=True)
            self.lock.unlink(missing_ok=True)
            return os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # a racing runner may win: FileExistsError

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self._place()
            elif self.staging.exists():
                shutil.rmtree(self.staging)
        finally:
            self.lock.unlink(missing_ok=True)

    def _place(self) -> None:
        old = None
        if self.final.exists() or self.final.is_symlink():
            old = self.reports_dir / f".{self.name}.old-{os.getpid()}"
            os.replace(self.final, old)
        os.replace(self.staging, self.final)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()


def _lock_owner(lock: Path) -> int | None:
    """The process id written in ``lock`` (None when it holds none: another runner is writing it)."""
    try:
        text = lock.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["RunError", "RunFolder", "check_name"]
