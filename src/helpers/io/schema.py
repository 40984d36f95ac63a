"""Table schemas (data/reference/input_schema.yaml) and the checks of one table against them.

Every failed check is a ``Problem`` naming the file, the column and the rows, and saying what was
expected; checks go on after a failure so that one pass lists every problem. Rows carry their
number as a person finds them (``_row``: CSV or sheet line, header included; feature number in a
layer) and their file (``_source``), so rows from several files or sheets stay traceable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from helpers.core import paths
from helpers.core.credit_code import valid_mask as valid_credit_codes
from helpers.core.errors import Problem
from helpers.core.fingerprints import fixed_cells, large_text, large_text_chunks, repeated_rows, text_positions
from helpers.core.yamlfile import load_yaml

SCHEMA_FILE = paths.DATA_DIR / "reference" / "input_schema.yaml"
TRUE_WORDS = {"true", "1", "1.0", "yes", "y", "是", "t"}
FALSE_WORDS = {"false", "0", "0.0", "no", "n", "否", "f"}


@dataclass(frozen=True)
class TableSpec:
    name: str
    file: str
    title: str
    key: list[str]
    columns: dict[str, dict]
    geometry: bool = False
    optional: bool = False

    def label(self, column: str) -> str:
        zh = self.columns.get(column, {}).get("zh")
        return f"{column} ({zh})" if zh else column


@cache
def table_specs() -> dict[str, TableSpec]:
    raw = load_yaml(SCHEMA_FILE)["tables"]
    return {
        name: TableSpec(
            name=name,
            file=t["file"],
            title=t["title"],
            key=list(t["key"]),
            columns=t["columns"],
            geometry=bool(t.get("geometry", False)),
            optional=bool(t.get("optional", False)),
        )
        for name, t in raw.items()
    }


ROW = "_row"  # the row's number as a person finds it in its file (CSV/sheet line, feature number)
SOURCE = "_source"  # the file (and sheet) the row came from
TRACE = [ROW, SOURCE]


INVISIBLE = "[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]"  # zero-width, direction marks, word joiner, BOM, soft hyphen


def source_column(label: str, n_rows: int) -> pd.Categorical:
    """``SOURCE`` for ``n_rows`` rows of the file (or sheet) ``label``: categorical, the label held
    once and a one-byte code per row. As text, a folder of a million parcels held its files' paths
    seven million times (536 MiB, each page of it touched fresh, and hashed again for the cache)."""
    return pd.Categorical.from_codes(np.zeros(n_rows, dtype=np.int8), categories=pd.Index([label], dtype="str"))


def concat_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)``, ``SOURCE`` kept categorical across files (pandas
    makes text of categoricals whose categories differ); the files in the order their rows come."""
    out = pd.concat(frames, ignore_index=True)
    sources = [f[SOURCE] for f in frames if SOURCE in f]
    if len(frames) > 1 and len(sources) == len(frames) and all(isinstance(s.dtype, pd.CategoricalDtype) for s in sources):
        out[SOURCE] = union_categoricals(sources)
    return out


def problems_at(
    df: pd.DataFrame, mask, problem: str, column: str | None = None, expected: str | None = None, severity: str = "error"
) -> list[Problem]:
    """One ``Problem`` per source file for the rows of ``df`` where ``mask`` is true."""
    hit = df.loc[np.asarray(mask, dtype=bool)]
    return [
        Problem(str(src), problem, column, tuple(int(r) for r in g[ROW]), expected, severity)
        for src, g in hit.groupby(SOURCE, sort=False)
    ]


def is_typed_number(raw: pd.Series) -> bool:
    """Whether ``raw`` holds numbers already (a layer's attribute, a workbook's typed column): ints or
    floats, not yes/no, text or objects. Such a column is typed without being written out as text
    (at a million parcels 0.1-0.2 s a column)."""
    return pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)


def to_number(raw: pd.Series) -> pd.Series:
    """``pd.to_numeric(raw, errors="coerce")`` as float64: NaN where a cell is empty or not a number.
    Arrow text (rectangular CSV files) is cast by Arrow in one pass when it reads every filled cell;
    Arrow reads no cell that pandas rejects, and a cell it cannot read sends the whole column to
    ``pd.to_numeric``, which then decides (so the same cells are numbers either way)."""
    if isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow":
        text = pa.array(raw)
        chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
        try:
            numbers = pa.chunked_array([pc.cast(_empty_as_missing(c), pa.float64()) for c in chunks], type=pa.float64())
            return pd.Series(numbers.to_numpy(), index=raw.index)
        except pa.ArrowInvalid:
            raw = raw.astype(object)
    return pd.to_numeric(raw, errors="coerce").astype(float)


_CODE_BYTES = np.zeros(256, dtype=bool)  # the bytes of [0-9A-Z]: a code needs no rewriting when all 18 are
_CODE_BYTES[[*range(ord("0"), ord("9") + 1), *range(ord("A"), ord("Z") + 1)]] = True


def _empty_as_missing(text: pa.Array) -> pa.Array:
    """Arrow text with its empty cells missing, for a cast to numbers: the array itself when no cell
    is empty (the common case), else the same offsets and bytes under a validity that leaves out the
    empty cells (no copy of a million cells), or, for a slice, a copy without them."""
    empty = pc.equal(text, "")
    if not pc.any(empty).as_py():
        return text
    if text.offset:
        return pc.if_else(empty, pa.scalar(None, text.type), text)
    filled = pc.fill_null(pc.invert(empty), False)  # missing or empty: left out
    return pa.Array.from_buffers(text.type, len(text), [filled.buffers()[1], *text.buffers()[1:]])


_THOUSANDS = r"(?<=\d),(?=\d{3}(?!\d))"


def written_numbers(raw: pd.Series) -> pd.Series:
    """Cells that are numbers once written plainly: full-width characters made half-width (NFKC),
    surrounding spaces dropped, commas between groups of three digits (thousands separators)
    removed. Anything else stays unread (NaN)."""
    text = raw.astype("string").str.normalize("NFKC").str.strip().str.replace(_THOUSANDS, "", regex=True)
    return pd.to_numeric(text, errors="coerce").astype(float)


def boolean_words(c_spec: dict) -> tuple[set[str], set[str]]:
    """The words read as true and as false in a yes/no column: 是/否, true/false, 1/0 and the
    column's own ``words`` (input_schema.yaml; e.g. 规上/规下 for 是否规上企业)."""
    words = c_spec.get("words", {})
    return (
        TRUE_WORDS | {str(w).lower() for w in words.get(True, [])},
        FALSE_WORDS | {str(w).lower() for w in words.get(False, [])},
    )


def has_invisible(values: pd.Series) -> pd.Series:
    """``values.str.contains(INVISIBLE)`` (False where missing) for text ``values``. Every invisible
    character is outside ASCII: the pattern is searched only in the cells that are not plain ASCII
    (a column of a million codes has none), which Arrow tells without a regular expression."""
    out = pd.Series(False, index=values.index)
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        ascii_only = pc.string_is_ascii(pa.array(values.array)).fill_null(True).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(~ascii_only)
    else:
        rows = np.arange(len(values))
    if len(rows):
        out.iloc[rows] = values.iloc[rows].str.contains(INVISIBLE, regex=True).fillna(False).to_numpy(dtype=bool)
    return out


def missing_columns(df: pd.DataFrame, spec: TableSpec, file: str, hint: Callable[[str], str] | None = None) -> list[Problem]:
    """A problem naming the required columns ``df`` lacks; ``hint(column)`` says how to give one
    (the dataset.yaml line)."""
    missing = [c for c, c_spec in spec.columns.items() if c_spec.get("required") and c not in df.columns]
    if not missing:
        return []
    how = "; ".join(f"{spec.label(c)}: {hint(c)}" for c in missing) if hint else ""
    return [
        Problem(
            file,
            f"missing required column(s): {', '.join(spec.label(c) for c in missing)}",
            expected=f"columns {', '.join(spec.label(c) for c in spec.columns if spec.columns[c].get('required'))}"
            " (see docs/data-contract.md; header aliases in data/reference/column_aliases.yaml)"
            + (f"; or, if the file has them under other names or not at all, {how}" if how else ""),
        )
    ]


def coerce_source(
    df: pd.DataFrame,
    spec: TableSpec,
    streets: dict[str, str],
    factors: dict[str, float] | None = None,
    in_place: bool = False,
    trimmed: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, list[Problem]]:
    """Type the columns of one source's rows (text cells, ``_row`` and ``_source`` columns) and check
    each cell against ``spec``. ``streets`` maps codes and names of 街道/镇 to their code; ``factors``
    multiplies numeric columns into the schema unit. Bad cells become missing; every one is a problem.
    ``in_place``: ``df`` itself gets the typed columns (and is returned), so each text column is let
    go as soon as it is typed; for a caller that holds ``df`` alone (the folder check). ``trimmed``:
    columns whose cells Arrow has trimmed already (``TableSource.trimmed``), not trimmed again."""
    factors = factors or {}
    problems: list[Problem] = []
    out = df if in_place else df.copy()
    for col, c_spec in spec.columns.items():
        if col not in out.columns:
            continue
        label = spec.label(col)

        def flag(mask, problem, expected, severity="error"):
            problems.extend(problems_at(out, mask, problem, label, expected, severity))  # noqa: B023 (called in this loop)

        raw = out[col]
        kind = c_spec["type"]
        if kind in ("number", "integer") and is_typed_number(raw):  # a layer's numbers: no text to test
            blank = raw.isna()  # a number is never ""
        else:
            cells = raw.astype("string")
            stripped = cells if col in trimmed else cells.str.strip()  # once for the blank test, text and yes/no
            # numpy's booleans: Arrow's (what text compares to) would send every mask below through Arrow
            blank = pd.Series((raw.isna() | (stripped == "")).to_numpy(dtype=bool), index=raw.index)
        rules = c_spec.get("rules", [])
        must_fill = (
            c_spec.get("not_null")
            or col in spec.key
            or "references" in c_spec
            or any(r in rules for r in ("unique", "credit_code", "in_streets"))
        )
        if must_fill and blank.any():
            flag(blank, "empty cells", "a value in every row")
        if kind == "text":
            values = stripped
            hidden = has_invisible(values)
            if hidden.any():  # a code copied from a web page or a chat: looks the same, joins with nothing
                values = values.str.replace(INVISIBLE, "", regex=True).str.strip()
                flag(
                    hidden,
                    "invisible characters (zero-width space, BOM or similar) in the text; read without them",
                    "text without invisible characters; nothing to fix, listed so that you can check them",
                    severity="warning",
                )
            if "credit_code" in rules or str(c_spec.get("references", "")).endswith(".credit_code"):
                # as offices type them: spaces, lower case. Only cells not already 18 capitals or digits
                # are rewritten (a million codes are not each passed through Python)
                plain = fixed_cells(values, 18) if isinstance(values.array, pd.arrays.ArrowStringArray) else None
                if plain is not None:  # 18 bytes each, looked at in place
                    odd = pd.Series(~_CODE_BYTES[plain].all(axis=1), index=values.index)
                else:
                    odd = ~values.str.fullmatch(r"[0-9A-Z]{18}").fillna(True)
                written = values.copy()
                if odd.any():
                    written[odd] = values[odd].str.replace(r"\s+", "", regex=True).str.upper()
                changed = (written != values).fillna(False) if odd.any() else odd  # none rewritten: none changed
                if changed.any():
                    flag(
                        changed,
                        "统一社会信用代码 with spaces or lower-case letters; read without spaces, in upper case",
                        "18 characters, digits and upper-case letters; nothing to fix, listed so that you can check them",
                        severity="warning",
                    )
                    values = written
        elif kind in ("number", "integer"):
            values = to_number(raw)
            unread = values.isna() & ~blank
            if unread.any():  # numbers as offices type them: "1,234.5", full-width "１２３", " 42 "
                written = written_numbers(raw[unread])
                if written.notna().any():
                    values.loc[written.index[written.notna()]] = written[written.notna()]
                    flag(
                        unread & values.notna(),
                        "numbers written as text (thousands separators, full-width digits or spaces around them); read as numbers",
                        "plain numbers; nothing to fix, listed so that you can check them",
                        severity="warning",
                    )
            infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
            if infinite.any():  # "inf", "-Infinity", "1e999": never a measurement
                flag(infinite, "infinite value", "a finite number" + (f" in {c_spec['unit']}" if c_spec.get("unit") else ""))
                values = values.where(~infinite)
            bad = values.isna() & ~blank & ~infinite
            if bad.any():
                flag(
                    bad,
                    "not a number",
                    f"{'whole ' if kind == 'integer' else ''}numbers" + (f" in {c_spec['unit']}" if c_spec.get("unit") else ""),
                )
            if kind == "integer":
                frac = values.notna() & (values != values.round())
                if frac.any():
                    flag(frac, "not a whole number", "whole numbers")
                values = values.where(~frac).astype("Int64")
            else:
                values = values.astype(float)
                if factors.get(col, 1.0) != 1.0:  # × 1.0 changes no bit: not a fresh column of a million numbers
                    values = values * factors[col]
        elif kind == "boolean":
            text = stripped.str.lower()
            yes, no = boolean_words(c_spec)
            is_true, is_false = text.isin(yes), text.isin(no)
            odd = ~(is_true | is_false) & ~blank
            if odd.any():  # full-width forms (ＴＲＵＥ, １): normalised only where a cell is not read as it is
                text[odd] = text[odd].str.normalize("NFKC").str.lower()
                is_true, is_false = text.isin(yes), text.isin(no)
            bad = ~(is_true | is_false) & ~blank
            if bad.any():
                words = c_spec.get("words", {})
                extra = words.get(True, [])[:2] + words.get(False, [])[:2]
                flag(bad, "not a yes/no value", "true/false, 1/0 or 是/否" + (f" (or {', '.join(extra)} …)" if extra else ""))
            values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
            values[is_true.fillna(False).to_numpy()] = True
            values[is_false.fillna(False).to_numpy()] = False
        else:  # pragma: no cover - schema file error
            raise ValueError(f"{SCHEMA_FILE}: unknown type {kind!r} for {spec.name}.{col}")
        present = values.notna()
        if "positive" in rules and (present & ~(values > 0)).any():
            flag(present & ~(values > 0), "zero or negative values", "values greater than 0")
        if "non_negative" in rules and (present & (values < 0)).any():
            flag(present & (values < 0), "negative values", "values of 0 or more")
        if "share" in rules:
            bad = present & ~((values > 0) & (values <= 1))
            if bad.any():
                flag(bad, "share outside (0, 1]", "a fraction greater than 0 and at most 1")
        if "credit_code" in rules:
            bad = present & ~valid_credit_codes(values)
            if bad.any():
                flag(bad, "invalid 统一社会信用代码", "18 characters whose last is the GB 32100-2015 check character")
        if "in_streets" in rules:
            mapped = looked_up(values, streets)
            bad = present & mapped.isna()
            if bad.any():
                codes = sorted(set(streets.values()))
                flag(bad, "unknown 街道/镇", f"a code ({', '.join(codes)}) or a name such as 星桥街道")
            values = mapped.astype("string")
        if "pattern" in c_spec:
            rx = re.compile(c_spec["pattern"])
            bad = present & ~values.astype("string").str.match(rx).fillna(False)
            if bad.any():
                flag(bad, "malformed value", f"text matching {c_spec['pattern']}")
        out[col] = values
    return out, problems


def looked_up(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values.map(mapping, na_action="ignore").astype("string")``: each value's entry in
    ``mapping``, missing where it has none or the value is missing; looked up once per distinct
    value (eight 街道 among a million parcels), not once per cell."""
    codes, distinct = pd.factorize(values)
    found = pd.Series(distinct).map(mapping).astype("string").array
    return pd.Series(found.take(codes, allow_fill=True), index=values.index, name=values.name)


def repeated_keys(df: pd.DataFrame, spec: TableSpec) -> np.ndarray:
    """Rows whose key (the key columns ``df`` has) another row repeats; every row when it has none
    (``core.fingerprints.repeated_rows``: ``df.duplicated(subset=key, keep=False)``, hashed faster)."""
    key = [c for c in spec.key if c in df.columns]
    return repeated_rows(df, key) if key else np.ones(len(df), dtype=bool)


def exact_copies(df: pd.DataFrame, spec: TableSpec, repeated: np.ndarray | None = None) -> pd.Series:
    """Rows that repeat an earlier row in every column of the table (the later copies). A copy
    repeats the key too, so only rows whose key repeats are compared column by column
    (``repeated``: ``repeated_keys`` of ``df`` when already found)."""
    cols = [c for c in spec.columns if c in df.columns]
    out = pd.Series(False, index=df.index)
    candidates = repeated_keys(df, spec) if repeated is None else repeated
    if not candidates.any():
        return out
    frame = df.loc[candidates, cols].copy()
    if spec.geometry and "geometry" in df:
        frame["_wkb"] = df.geometry[candidates].to_wkb()
    out[candidates] = frame.duplicated(keep="first").to_numpy()
    return out


def duplicate_keys(df: pd.DataFrame, spec: TableSpec, repeated: np.ndarray | None = None) -> list[Problem]:
    """Rows sharing a key (after exact copies are set aside): every such row is named.
    ``repeated``: ``repeated_keys`` of ``df`` when already found (a table without exact copies
    has the key repeats found before they were looked for)."""
    repeats = df.duplicated(subset=spec.key, keep=False) if repeated is None else pd.Series(repeated, index=df.index)
    dup = repeats & df[spec.key].notna().all(axis=1)
    if not dup.any():
        return []
    return problems_at(
        df,
        dup,
        "duplicate ids with different values",
        " + ".join(spec.label(k) for k in spec.key),
        "each id once" if len(spec.key) == 1 else "each combination once",
    )


def found_rows(columns: list[pd.Series], target: pd.Series) -> list[np.ndarray]:
    """For each of ``columns``, each value's row number in ``target`` as text (-1 where absent or
    missing; the first row where ``target`` repeats the value). Codes of one length (a column and
    a target without missing cells) are looked up by their fingerprints (``core.fingerprints``, confirmed
    cell by cell); other columns by Arrow's hash table (several times faster than pandas on large text
    columns): one table of ``target``'s values for all of them (the columns are looked up in one pass
    over their concatenation). ``rows >= 0`` is ``isin``; the
    rows themselves are the joins an evaluation starts with (``helpers.io.positions``). The columns
    are handed to Arrow as the chunks of one array, not copied into one. Unlike
    ``core.keys.positions`` (a merge's semantics), a missing value finds no row even where ``target``
    has a missing value: a blank reference is an empty cell (``coerce_source``), not a link to a blank
    key. The two agree on a folder that passes the check (its keys are never missing)."""
    fast = text_positions(columns, target) or [None] * len(columns)
    slow = [c for c, rows in zip(columns, fast) if rows is None]
    if not slow:
        return [rows for rows in fast if rows is not None]
    texts = [large_text_chunks(c) for c in slow]
    chunks = pa.chunked_array([chunk for text in texts for chunk in text], type=pa.large_string())  # not copied into one
    rows = pc.index_in(chunks, value_set=large_text(target), skip_nulls=True)
    found = np.asarray(rows.fill_null(-1), dtype=np.int64)
    ends = np.cumsum([sum(map(len, text)) for text in texts])
    looked_up = iter(np.split(found, ends[:-1]))
    return [next(looked_up) if rows is None else rows for rows in fast]


def check_reference(
    df: pd.DataFrame, column: str, target: pd.Series, spec: TableSpec, target_name: str, found: np.ndarray | None = None
) -> list[Problem]:
    """Every value of ``df[column]`` must exist in ``target``; ``found``: whether each does, when
    already looked up (``found_rows`` ≥ 0)."""
    if found is None:
        found = found_rows([df[column]], target)[0] >= 0
    bad = df[column].notna() & ~found
    if not bad.any():
        return []
    return problems_at(
        df, bad, f"refers to {target_name} that do not exist", spec.label(column), f"values present in {target_name}"
    )
