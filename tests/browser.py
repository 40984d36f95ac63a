"""Open a page in Debian's headless chromium with the network cut, and report what it drew.

The page is loaded from a file with every network request sent to a dead proxy and every host
name unresolvable; an error listener records script errors into the DOM, which chromium dumps."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from helpers.report.pdf import OFFLINE_FLAGS

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


def offline_flags(profile: str) -> list[str]:
    """Headless chromium with every network request sent to a dead proxy and no host resolvable."""
    return [need_chromium(), *OFFLINE_FLAGS, "--hide-scrollbars", f"--user-data-dir={profile}"]


def page_requests(page: Path, budget_ms: int = 5000) -> list[str]:
    """The network requests (http, https, ws) that loading ``page`` made chromium attempt, read from
    its net log: those of the page and its frames (initiated from file:// or an opaque origin),
    not the browser's own background traffic."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "net.json"
        cmd = [*offline_flags(f"{tmp}/profile"), f"--log-net-log={log}", f"--virtual-time-budget={budget_ms}", "--dump-dom"]
        subprocess.run([*cmd, page.resolve().as_uri()], capture_output=True, timeout=180)
        events = json.loads(log.read_text(encoding="utf-8"))["events"]
    urls = set()
    for e in events:
        p = e.get("params", {})
        url = p.get("url", "")
        from_page = p.get("initiator") == "null" or str(p.get("network_isolation_key", "")).startswith("file://")
        if from_page and re.match(r"(https?|wss?)://", url):
            urls.add(url)
    return sorted(urls)


def screenshot(page: Path, out: Path, width: int = 1300, height: int = 3000, env: dict | None = None) -> bytes:
    """A PNG of ``page`` at the given window size (``env``: e.g. FONTCONFIG_FILE for a machine with
    other fonts); returns its bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            *offline_flags(f"{tmp}/profile"),
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ]
        subprocess.run(cmd, capture_output=True, timeout=180, env={**os.environ, **(env or {})})
    return out.read_bytes()


def fontconfig_without_cjk(folder: Path) -> dict:
    """Environment for chromium on a machine with no Chinese font: fontconfig sees only
    matplotlib's bundled DejaVu and STIX fonts."""
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    conf = folder / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>{fonts}</dir>'
        f"<cachedir>{folder / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return {"FONTCONFIG_FILE": str(conf)}


def render_offline(html: str, budget_ms: int = 8000) -> tuple[str, str | None]:
    """Load ``html`` with no network; return the DOM after scripts ran, and the first script error."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(html.replace("<head>", "<head>" + ERROR_HOOK, 1), encoding="utf-8")
        cmd = [
            *offline_flags(f"{tmp}/profile"),
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
