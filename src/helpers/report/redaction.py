"""What the data check says, made fit for an anonymised run: no folder path, file, sheet or parcel code.

The check's notes, warnings and exclusions name the files and sheets they come from (a file name
may carry an enterprise's name: "某某公司用地.xlsx") and sometimes parcel codes (the parcels whose
shares were split). In an anonymised run ``redactor(dataset)`` replaces the folder's path by
``<数据>``, each file of the folder by ``文件N`` (its extension kept), each sheet by ``表N`` and each
parcel code by its pseudonym (``io.privacy.parcel_pseudonym``, as the anonymised dataset names it);
in any other run it changes nothing. Sheets are numbered once, in the order the check's texts name
them, so ``表2`` is the same sheet in every section and file of a run. Used by the data overview
and the run's ``tables/`` CSVs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from helpers.io.privacy import parcel_pseudonym, pseudonym_key

_SHEET = re.compile(r"(文件\d+(?:\.\w+)?) \[([^\]]+)\]")
_TOKEN = re.compile(r"[0-9A-Za-z_\-]+")  # every run of code characters: a parcel may be coded "P7" or "12"


@dataclass
class Redactor:
    """A text → text function (identity when ``active`` is False), and the same on table columns."""

    active: bool = False
    paths: list[tuple[str, str]] = field(default_factory=list)  # (original, replacement), longest first
    parcel_alias: Callable[[str], str | None] = lambda _: None
    sheets: dict[str, str] = field(default_factory=dict)

    def _paths(self, text: str) -> str:
        for original, replacement in self.paths:
            text = text.replace(original, replacement)
        return text

    def __call__(self, text: object) -> str:
        out = str(text)
        if not self.active:
            return out
        out = _SHEET.sub(
            lambda m: f"{m.group(1)} [{self.sheets.setdefault(m.group(2), f'表{len(self.sheets) + 1}')}]", self._paths(out)
        )
        return _TOKEN.sub(lambda m: self.parcel_alias(m.group(0)) or m.group(0), out)

    def frame(self, table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """``table`` with the text of ``columns`` redacted (a copy; the check's own tables are kept)."""
        if not self.active:
            return table
        return table.assign(**{c: table[c].map(self, na_action="ignore") for c in columns if c in table})


def redactor(dataset) -> Redactor:
    """The redaction of ``dataset``'s check texts: active only for an anonymised dataset."""
    check = dataset.check
    if not dataset.anonymized or check is None:
        return Redactor()
    folder = check.folder
    files = sorted(p for p in folder.iterdir()) if folder.is_dir() else []
    paths = [(str(p), f"文件{i}{p.suffix}") for i, p in enumerate(files, 1)]
    paths += [(p.name, f"文件{i}{p.suffix}") for i, p in enumerate(files, 1)]
    paths.append((str(folder), "<数据>"))
    paths.sort(key=lambda pair: -len(pair[0]))
    key, _ = pseudonym_key(dataset.synthetic)
    parcels = check.tables.get("parcels")
    codes = set(parcels["parcel_id"].dropna().astype(str)) if parcels is not None else set()

    def parcel_alias(token: str) -> str | None:
        return parcel_pseudonym(token, key) if token in codes else None  # as the anonymised dataset names it

    redact = Redactor(True, paths, parcel_alias)
    texts = [*check.notes, *check.ignored, *check.excluded["file"].astype(str), *(p.file for p in check.problems)]
    for text in texts:  # number the sheets once, in the check's order
        for m in _SHEET.finditer(redact._paths(text)):
            redact.sheets.setdefault(m.group(2), f"表{len(redact.sheets) + 1}")
    return redact


__all__ = ["Redactor", "redactor"]
