"""Open a page in Debian's headless chromium with the network cut, and report what it drew.

The page is loaded from a file with every network request sent to a dead proxy and every host
name unresolvable; an error listener records script errors into the DOM, which chromium dumps."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ERROR_HOOK = (
    "<script>window.addEventListener('error', function (e) {"
    "document.documentElement.setAttribute('data-js-error', String(e.message || e));});</script>"
)


def need_chromium() -> str:
    """The browser path; without one, skip locally but fail in CI (.ci/run installs it)."""
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run should have installed Debian's chromium")
    pytest.skip("chromium not installed (apt-get install chromium) — the browser test runs in CI")


def render_offline(html: str, budget_ms: int = 8000) -> tuple[str, str | None]:
    """Load ``html`` with no network; return the DOM after scripts ran, and the first script error."""
    browser = need_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(html.replace("<head>", "<head>" + ERROR_HOOK, 1), encoding="utf-8")
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp}/profile",
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--virtual-time-budget={budget_ms}",
            "--dump-dom",
            page.as_uri(),
        ]
        dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'data-js-error="([^"]*)"', dom)
    return dom, (m.group(1) if m else None)


def drawn_paths(dom: str) -> int:
    return len(re.findall(r'<path[^>]*class="leaflet-interactive"', dom))


def external_resources(html: str) -> list[str]:
    """Scripts, stylesheets and images the page would fetch from the network."""
    return re.findall(r'<(?:script|link|img)[^>]+(?:src|href)=["\'](https?:)?//[^"\']+', html)
