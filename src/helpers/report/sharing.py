"""Before sharing a run folder: scan every file it holds for the enterprise names, credit codes and
project names of a data folder (``make scan``). Text drawn into PNG pixels is not searchable, which is
why names are replaced at load (``helpers.io.privacy``), before any chart is drawn.
"""

from __future__ import annotations

import base64
import html
import json
import re
import zipfile
from pathlib import Path

SCAN_LIMIT_BYTES = 200_000_000
_DATA_URI = re.compile(rb"data:([a-z]+)/[a-z+.-]+;base64,([A-Za-z0-9+/=]+)")


def _texts(path: Path):
    """Every text a file can show a reader: the file itself, each member of a ZIP (XLSX), each
    base64 data URI inside it (embedded maps), HTML-unescaped."""
    data = path.read_bytes()[:SCAN_LIMIT_BYTES]
    blobs = [data]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            blobs += [z.read(n) for n in z.namelist()]
    for blob in list(blobs):
        for m in _DATA_URI.finditer(blob):
            if m.group(1) != b"image":  # pixels hold no searchable text
                try:
                    blobs.append(base64.b64decode(m.group(2)))
                except ValueError:
                    continue
    for blob in blobs:
        text = _DATA_URI.sub(b"", blob).decode("utf-8", errors="ignore")
        yield text
        yield html.unescape(text)


def _finder(needles: set[str]):
    """A function text → the needles it contains (plain or JSON-escaped), fast for thousands of
    needles: candidate positions are those of a needle's first character."""
    variants = {}
    for n in needles:
        variants[n] = n
        variants[json.dumps(n)[1:-1]] = n
    lengths: dict[str, set[int]] = {}
    for v in variants:
        lengths.setdefault(v[0], set()).add(len(v))
    starts = re.compile("[" + "".join(re.escape(c) for c in lengths) + "]")

    def find(text: str) -> set[str]:
        hits = set()
        for m in starts.finditer(text):
            i = m.start()
            for length in lengths[text[i]]:
                v = variants.get(text[i : i + length])
                if v is not None:
                    hits.add(v)
        return hits

    return find


def sensitive_strings(dataset) -> set[str]:
    """Names and credit codes of the enterprises, parcel codes, and project names, of a dataset
    loaded as is."""
    out = set(dataset.enterprises["credit_code"].dropna()) | set(dataset.enterprises["name"].dropna())
    out |= set(dataset.parcels["parcel_id"].dropna().astype(str))
    if "projects" in dataset.records:
        out |= set(dataset.records["projects"]["name"].dropna())
    return {s for s in map(str, out) if len(s) >= 4}


def scan_for_leaks(folder: Path, needles: set[str]) -> list[tuple[str, str]]:
    """(file, string) for every sensitive string found in any file under ``folder``. Strings in
    JSON (\\uXXXX) and HTML (&#…;) escapes are found too; text drawn into PNG pixels is not
    searchable, which is why names are replaced at load, before any chart is drawn."""
    find = _finder(needles)
    leaks = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        found = set()
        for text in _texts(path):
            found |= find(text)
        leaks += [(str(path), n) for n in sorted(found)]
    return leaks


def main(argv: list[str] | None = None) -> int:
    """python -m helpers.report.sharing REPORT_FOLDER DATA_FOLDER: exit 1 if any name or code of the
    data folder appears in any file of the report folder."""
    import argparse

    from helpers.core import paths
    from helpers.io.dataset import load_dataset

    ap = argparse.ArgumentParser(description="Scan a report folder for enterprise names and credit codes before sharing it.")
    ap.add_argument("report_dir")
    ap.add_argument("data_dir")
    a = ap.parse_args(argv)
    needles = sensitive_strings(load_dataset(paths.resolve(a.data_dir, Path.cwd())))
    leaks = scan_for_leaks(paths.resolve(a.report_dir, Path.cwd()), needles)
    for file, s in leaks[:50]:
        print(f"LEAK {file}: {s}")
    print(f"{len(leaks)} leak(s) of {len(needles):,} names and codes in {a.report_dir}")
    return 1 if leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
