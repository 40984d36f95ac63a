"""Before sharing a run folder: scan every file it holds for what identifies the data or the machine
(``make scan``): the enterprise names, credit codes, parcel codes and project names of a data folder,
the names of its files and sheets (a file may be named after an enterprise), and local paths (the
data folder, the project, the home folder, any ``/home/<user>`` or ``C:\\Users\\<user>``). Exit 1 on a
find. Text drawn into PNG pixels is not searchable, which is why names are replaced at load
(``helpers.io.privacy``), before any chart is drawn.
"""

from __future__ import annotations

import base64
import html
import json
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path

SCAN_LIMIT_BYTES = 200_000_000
_DATA_URI = re.compile(rb"data:([a-z]+)/[a-z+.-]+;base64,([A-Za-z0-9+/=]+)")


def _pdf_text(path: Path) -> bytes:
    """The text of every page of a PDF (its streams are compressed and its CJK text is glyph codes:
    a byte search finds nothing), with the document's metadata."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = [str(v) for v in (reader.metadata or {}).values()]
    except Exception as exc:  # noqa: BLE001 - an unreadable PDF is reported, not skipped silently
        return f"[unreadable PDF: {exc}]".encode()
    return "\n".join(pages + meta).encode("utf-8")


def _texts(path: Path):
    """Every text a file can show a reader: the file itself, each member of a ZIP (XLSX, DOCX), the
    pages of a PDF, each base64 data URI inside it (embedded maps), HTML-unescaped."""
    data = path.read_bytes()[:SCAN_LIMIT_BYTES]
    blobs = [data]
    if path.suffix.lower() == ".pdf":
        blobs.append(_pdf_text(path))
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


GENERIC_SHEET = re.compile(r"(?i)(sheet|表|工作表)\s*\d*|\d{4}\s*年?度?")  # names every workbook has
ONE_WORD = re.compile(r"[A-Za-z]+")
USER_FOLDER = re.compile(r"(?:/home/|/Users/|[A-Za-z]:\\{1,2}(?:Users|Documents and Settings)\\{1,2})[^/\\\s\"'<>]+")


def contract_file_names() -> set[str]:
    """The file names the data contract itself uses (``enterprises.csv`` …): not sensitive."""
    from helpers.io.manifest import MANIFEST
    from helpers.io.schema import table_specs

    return {spec.file for spec in table_specs().values()} | {MANIFEST, "sample_info.yaml", "SOURCE.md"}


def source_names(check) -> set[str]:
    """The data folder's file names (and their stems) and sheet names, except the contract's own
    file names, files named by one plain word (``README.md``, ``data.xlsx``) or by words the contract
    itself prints (a file named after its table, ``工业用地宗地.shp``: they name no one) and sheet names
    every workbook has (``Sheet1``, ``2023年``)."""
    from helpers.io.schema import SCHEMA_FILE, SOURCE

    standard = contract_file_names()
    vocabulary = SCHEMA_FILE.read_text(encoding="utf-8")
    folder = Path(check.folder)
    entries = list(folder.rglob("*")) if folder.is_dir() else []
    files = [p for p in entries if p.is_file() and p.name not in standard]
    files = [p for p in files if not ONE_WORD.fullmatch(p.stem) and p.stem not in vocabulary]
    out = {p.name for p in files} | {p.stem for p in files if len(p.stem) >= 4}
    subfolders = [p.name for p in entries if p.is_dir()]
    out |= {  # subfolders named like an enterprise, not like a year or a plain word
        n
        for n in subfolders
        if len(n) >= 4 and not ONE_WORD.fullmatch(n) and not GENERIC_SHEET.fullmatch(n) and n not in vocabulary
    }
    sources = {str(s) for t in check.tables.values() if SOURCE in t for s in t[SOURCE].dropna().unique()}
    sources |= set(check.ignored)
    for text in sources:
        for sheet in re.findall(r"\[([^\]]+)\]", text):
            if len(sheet) >= 4 and not GENERIC_SHEET.fullmatch(sheet.strip()) and sheet not in vocabulary:
                out.add(sheet)
    return out


def local_paths(data_dir: Path) -> set[str]:
    """The absolute paths an output must not name: the data folder, the project, the home folder."""
    from helpers.core import paths

    out = {str(Path(data_dir).resolve()), str(paths.PROJECT_ROOT), str(Path.home())}
    return {p for p in out if len(p) > 4}


def scan_for_leaks(folder: Path, needles: set[str]) -> list[tuple[str, str]]:
    """(file, string) for every sensitive string found in any file under ``folder``. Strings in
    JSON (\\uXXXX) and HTML (&#…;) escapes are found too; text drawn into PNG pixels is not
    searchable, which is why names are replaced at load, before any chart is drawn."""
    find = _finder(needles)
    leaks = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        found = set()
        for text in _texts(path):
            found |= find(text) | set(USER_FOLDER.findall(text))
        leaks += [(str(path), n) for n in sorted(found)]
    return leaks


def needles_of(data_dir: Path) -> dict[str, str]:
    """Every string ``make scan`` looks for, with what it is (名称或代码 name or code, 文件或表名 file
    or sheet name, 本地路径 local path)."""
    from helpers.io.dataset import load_dataset

    dataset = load_dataset(data_dir)
    kinds = {s: "本地路径 local path" for s in local_paths(data_dir)}
    if dataset.check is not None:
        kinds |= {s: "文件或表名 file or sheet name" for s in source_names(dataset.check)}
    kinds |= {s: "名称或代码 name or code" for s in sensitive_strings(dataset)}
    return kinds


def main(argv: list[str] | None = None) -> int:
    """python -m helpers.report.sharing REPORT_FOLDER DATA_FOLDER: exit 1 if any name or code of the
    data folder, any name of its files or sheets, or any local path appears in any file of the
    report folder; exit 2 when the report folder does not exist."""
    import argparse

    from helpers.core import paths
    from helpers.core.errors import InputError

    ap = argparse.ArgumentParser(
        description="Scan a report folder for names, codes, file names and local paths before sharing it."
    )
    ap.add_argument("report_dir")
    ap.add_argument("data_dir")
    a = ap.parse_args(argv)
    report_dir = paths.resolve(a.report_dir, Path.cwd())
    if not a.report_dir or not report_dir.is_dir():
        print(f"error: no run folder {a.report_dir!r}; give it as RUN=reports/<run>", file=sys.stderr)
        return 2
    try:
        kinds = needles_of(paths.resolve(a.data_dir, Path.cwd()))
    except InputError as exc:
        print(f"error: cannot read the data folder to know what to look for: {exc}", file=sys.stderr)
        return 2
    leaks = scan_for_leaks(report_dir, set(kinds))
    for file, s in leaks[:50]:
        print(f"LEAK {paths.display(file)}: {kinds.get(s, '本地路径 local path')}: {s}")
    counts = ", ".join(f"{n:,} {k}" for k, n in sorted(Counter(kinds.values()).items()))
    print(f"{len(leaks)} leak(s) in {a.report_dir}; looked for {counts} and any user folder")
    return 1 if leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
