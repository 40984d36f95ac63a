"""PDFs of a run's pages, printed by a headless Chromium (Debian's ``chromium`` where present; CI
installs it) with the network cut, after the HTML is complete: a machine without a browser still gets
the whole HTML report, and the run says how to get the PDFs.

    print_pdfs(run_dir, ["index.html", "00_task_tracker.html", ...])  # -> run_dir/pdf/*.pdf
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PDF_DIR = "pdf"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_BROWSER = (
    "PDF: no Chromium found, so no PDF was written; the HTML report is complete. For PDFs, install Debian's "
    "chromium (apt-get install chromium) and run again, or open a page and print it to PDF."
)
TIMEOUT_S = 180


def find_browser() -> str | None:
    """A headless-capable Chromium on PATH (``MUJUN_CHROMIUM`` names another), or None."""
    named = os.environ.get("MUJUN_CHROMIUM")
    if named:
        return shutil.which(named)
    return next((found for b in BROWSERS if (found := shutil.which(b))), None)


# headless Chromium with every request sent to a dead proxy and no host resolvable (tests use it too)
OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def print_command(browser: str, page: Path, out: Path, profile: Path) -> list[str]:
    """Chromium printing ``page`` to ``out`` with no network and without the browser's own header and
    footer (each page carries its own)."""
    return [
        browser,
        *OFFLINE_FLAGS,
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        "--virtual-time-budget=5000",
        f"--print-to-pdf={out}",
        page.resolve().as_uri(),
    ]


def print_pdfs(run_dir: Path, page_files: list[str], jobs: int = 2) -> tuple[list[Path], str | None]:
    """Print each page of ``page_files`` (names in ``run_dir``) to ``run_dir/pdf/<name>.pdf``, ``jobs``
    at a time; returns the PDFs written and, when some could not be, a message saying why."""
    browser = find_browser()
    if browser is None:
        return [], NO_BROWSER
    out_dir = run_dir / PDF_DIR
    out_dir.mkdir(exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:

        def print_one(k: int, name: str) -> Path | None:
            out = out_dir / (Path(name).stem + ".pdf")
            cmd = print_command(browser, run_dir / name, out, Path(tmp) / f"profile{k}")
            try:
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return None
            return out if out.is_file() and out.stat().st_size > 0 else None

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            printed = list(pool.map(print_one, range(len(page_files)), page_files))
    written = [p for p in printed if p is not None]
    failed = [name for name, p in zip(page_files, printed, strict=True) if p is None]
    message = f"PDF: {len(failed)} page(s) could not be printed with {browser}: {', '.join(failed)}" if failed else None
    return written, message
