"""Repeated keys and key lookups of large tables by 64-bit fingerprints, confirmed exactly.

The folder check hashes every key column of every table: whether a key repeats (a credit code and year
of the panel, a parcel id) and where each reference sits in the table it names (each panel row's
enterprise). On text, pandas and Arrow build a hash table of the strings themselves, which at a million
enterprises and three million panel rows took most of four seconds of the first check's CPU.

Keys as offices and platforms export them are codes of one length (the 18 characters of a 统一社会信用代码,
a 不动产单元号, a parcel id of fixed width). The bytes of such a column lie in Arrow's buffer at equal
steps, so each cell can be read as a few 64-bit words in place and mixed into one 64-bit fingerprint
with a handful of vectorised numpy operations; whole numbers hash by pandas' table for integers, which
is several times faster than one for text.

Equal text gives equal words and so an equal fingerprint; the converse fails only for a collision, which
is why no answer here rests on a fingerprint alone:

- ``repeated_rows``: the rows whose fingerprint repeats hold every row whose key repeats (and, after a
  collision, a few more); pandas decides among those rows alone, exactly as on the whole table.
- ``text_positions``: a fingerprint found in the target is confirmed by comparing the words of the two
  cells (equal length and equal words are equal text); a cell whose fingerprint matched another text is
  looked up again by Arrow's hash table of the strings.

A column of cells of different lengths, or with a missing cell, is hashed as before (pandas' or Arrow's
table of the strings): the result never depends on which way was taken (``tests/test_fingerprints.py``
forces collisions to show it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MIX = np.uint64(0x9E3779B97F4A7C15)  # odd multipliers of a multiply–xor-shift mix (splitmix64's)
COMBINE = np.uint64(0xBF58476D1CE4E5B9)
SHIFT = np.uint64(31)
WORD_BYTES = 8


@dataclass(frozen=True)
class FixedText:
    """A text column whose every cell has ``length`` bytes, as the words that cover each cell (word
    k: bytes 8k…8k+7; for a length that is not a multiple of 8, the last word is the last 8 bytes; a
    cell shorter than 8 bytes is one word of its bytes) and the cells' fingerprints."""

    length: int
    words: list[np.ndarray]
    fingerprints: np.ndarray


def _arrow_text(values: pd.Series | pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """The Arrow chunks of a text column (no copy for pandas' Arrow-backed text)."""
    array = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values.astype("string"))
    return list(array.chunks) if isinstance(array, pa.ChunkedArray) else [array]


def large_text_chunks(values: pd.Series | pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """A text column as large text: the chunks Arrow holds it in, not concatenated (for ``pc.index_in``,
    which compares the same type on both sides)."""
    return [pc.cast(chunk, pa.large_string()) for chunk in _arrow_text(values)]


def large_text(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
    """A text column as one Arrow array of large text."""
    chunks = large_text_chunks(values)
    return chunks[0] if len(chunks) == 1 else pa.chunked_array(chunks, type=pa.large_string()).combine_chunks()


def _fixed_layout(chunk: pa.Array) -> tuple[int, int, pa.Buffer] | None:
    """(length, first byte, data buffer) of a chunk of text cells of one byte length, none missing
    or empty: its cells lie in the buffer one after another at equal steps. None otherwise."""
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)) or chunk.null_count or not len(chunk):
        return None
    n = len(chunk)
    _, offset_buffer, data_buffer = chunk.buffers()
    wide = pa.types.is_large_string(chunk.type)
    offsets = np.frombuffer(offset_buffer, dtype=np.int64 if wide else np.int32)[chunk.offset : chunk.offset + n + 1]
    length = int(offsets[1] - offsets[0])
    if length == 0 or int(offsets[-1] - offsets[0]) != length * n or (np.diff(offsets) != length).any():
        return None
    return length, int(offsets[0]), data_buffer


def fixed_cells(values: pd.Series | pa.Array | pa.ChunkedArray, length: int) -> np.ndarray | None:
    """The bytes of a text column whose every cell has ``length`` bytes (none missing), as an
    (n, ``length``) array of uint8 read in place from Arrow's buffer (one chunk: no copy); None for any
    other column. For checks of codes' characters without a Python string per cell."""
    parts = []
    for chunk in _arrow_text(values):
        layout = _fixed_layout(chunk)
        if layout is None or layout[0] != length:
            return None
        n, (_, start, data_buffer) = len(chunk), layout
        parts.append(np.ndarray((n, length), dtype=np.uint8, buffer=data_buffer, offset=start, strides=(length, 1)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _chunk_words(chunk: pa.Array) -> tuple[int, list[np.ndarray]] | None:
    """(length, words) of a chunk of text cells of one length with none missing; None otherwise."""
    layout = _fixed_layout(chunk)
    if layout is None:
        return None
    n = len(chunk)
    length, start, data_buffer = layout
    if length >= WORD_BYTES:
        starts = [*range(0, length - WORD_BYTES + 1, WORD_BYTES)] + ([length - WORD_BYTES] if length % WORD_BYTES else [])
        words = [np.ndarray((n,), dtype="<u8", buffer=data_buffer, offset=start + s, strides=(length,)) for s in starts]
        return length, words
    cells = np.ndarray((n, length), dtype=np.uint8, buffer=data_buffer, offset=start, strides=(length, 1))
    shifts = np.arange(length, dtype=np.uint64) * np.uint64(8)
    return length, [(cells.astype(np.uint64) << shifts).sum(axis=1, dtype=np.uint64)]


def fixed_text(values: pd.Series | pa.Array | pa.ChunkedArray) -> FixedText | None:
    """``values`` as ``FixedText`` when every cell is text of one byte length and none is missing; else None."""
    parts = [_chunk_words(chunk) for chunk in _arrow_text(values)]
    if not parts or any(p is None for p in parts) or len({p[0] for p in parts if p}) != 1:
        return None
    chunks = [p for p in parts if p is not None]
    n_words = len(chunks[0][1])
    # one chunk: the words stay views into Arrow's buffer (read in place, no copy of a million cells)
    words = [np.concatenate([c[1][k] for c in chunks]) if len(chunks) > 1 else chunks[0][1][k] for k in range(n_words)]
    return FixedText(chunks[0][0], words, _mix(words))


def _mix(words: list[np.ndarray]) -> np.ndarray:
    """One 64-bit fingerprint per cell from its words (multiply and xor-shift, word by word)."""
    mixed = np.zeros(len(words[0]), dtype=np.uint64)
    for word in words:
        mixed ^= word
        mixed *= MIX
        mixed ^= mixed >> SHIFT
    return mixed


def _column_hashes(values: pd.Series) -> np.ndarray:
    """A number per cell, equal for equal cells (pandas' sense: missing cells are equal): the
    fingerprint of fixed-length text, the value of a whole number (missing: the smallest int64),
    else the code ``pd.factorize`` gives."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        text = fixed_text(values)
        if text is not None:
            return text.fingerprints
    elif pd.api.types.is_integer_dtype(values.dtype):
        return values.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).min).view(np.uint64)
    return pd.factorize(values, use_na_sentinel=True)[0].astype(np.int64).view(np.uint64)


def repeated_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``frame.duplicated(subset=columns, keep=False).to_numpy()``: the rows whose values in
    ``columns`` another row repeats. The rows whose combined hashes repeat are found first (a
    superset: equal rows hash alike), then pandas compares those rows alone."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    for column in columns:
        combined *= COMBINE
        combined ^= _column_hashes(frame[column])
    maybe = pd.Series(combined, copy=False).duplicated(keep=False).to_numpy()
    out = np.zeros(len(frame), dtype=bool)
    if maybe.any():
        out[maybe] = frame.loc[maybe, columns].duplicated(keep=False).to_numpy()
    return out


def text_positions(columns: list, target: pd.Series | pa.Array | pa.ChunkedArray) -> list[np.ndarray | None] | None:
    """For each of ``columns`` (text), each cell's row in ``target`` (the first row that holds the same
    text; -1 where none does), as ``pc.index_in`` gives it; None for a column that is not text of
    one length without missing cells, and None for all when ``target`` is not. A cell whose
    fingerprint is found but whose words differ from the row's (a collision) is looked up by Arrow."""
    held = fixed_text(target)
    if held is None:
        return None
    first = ~pd.Series(held.fingerprints, copy=False).duplicated().to_numpy()
    index = pd.Index(held.fingerprints[first])
    rows = None if first.all() else np.flatnonzero(first)
    out: list[np.ndarray | None] = []
    for column in columns:
        text = fixed_text(column)
        if text is None:
            out.append(None)
            continue
        if text.length != held.length:  # no cell has the target's length: none is in it
            out.append(np.full(len(text.fingerprints), -1, dtype=np.int64))
            continue
        found = index.get_indexer(text.fingerprints).astype(np.int64)
        if rows is not None:
            found = np.where(found >= 0, rows[np.maximum(found, 0)], -1)
        hit = found >= 0
        at = np.where(hit, found, 0)
        same = hit.copy()
        for word, held_word in zip(text.words, held.words):
            same &= word == held_word.take(at)
        clash = hit & ~same
        if clash.any():  # a fingerprint shared by different text: asked of the strings themselves
            cells = large_text(column).take(pa.array(np.flatnonzero(clash)))
            again = pc.index_in(cells, value_set=large_text(target))
            found[clash] = np.asarray(again.fill_null(-1), dtype=np.int64)
        out.append(found)
    return out


__all__ = ["FixedText", "fixed_cells", "fixed_text", "large_text", "large_text_chunks", "repeated_rows", "text_positions"]
