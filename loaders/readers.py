"""Turn any uploaded file into one :class:`Table` of strings, losing nothing silently.

Entry point: :func:`read_table`. The format comes from the file name's extension and is
checked against the content's first bytes; a mislabelled file is read by its true format
when that is unambiguous (noted as a kept Problem), otherwise refused with a clear
``UnreadableFileError``. Every value stays the text it was written as: ``NA`` (Namibia),
``-99``, ``007`` and ``1e5`` are data, never missing values or numbers.

Formats: CSV/TSV (:mod:`loaders._csv`), Excel/ODS (:mod:`loaders._excel`), JSON,
NDJSON and GeoJSON (:mod:`loaders._json`), Parquet (here).
"""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from loaders._csv import read_delimited, to_utf8
from loaders._excel import read_excel
from loaders._json import places_listed, read_json
from loaders._table import DICT_STRING, Table, finish
from loaders.errors import LimitExceededError, UnreadableFileError
from loaders.limits import DEFAULT_LIMITS, Limits
from loaders.report import Problem

__all__ = ["DEFAULT_LIMITS", "Limits", "Table", "detect_format", "read_in_background",
           "read_table"]

EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods",
    ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson",
    ".geojson": "geojson", ".parquet": "parquet", ".pq": "parquet",
}
_BINARY_MAGIC = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"), (b"BZh", "a bzip2 archive"), (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"), (b"SQLite format 3", "an SQLite database"),
)
_FAMILY = {"csv": "text", "tsv": "text", "xlsx": "excel", "xls": "excel", "ods": "excel",
           "json": "json", "ndjson": "json", "geojson": "json", "parquet": "parquet"}


def _load_bytes(source: str | os.PathLike | bytes | BinaryIO, name: str | None,
                limits: Limits) -> tuple[bytes, str]:
    """The file's bytes and its display name, refusing oversize files before reading."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        shown = name or "the uploaded file"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        shown = name or path.name
        try:
            size = path.stat().st_size
        except OSError as e:
            raise UnreadableFileError(f"{shown} cannot be opened: {e.strerror}") from None
        if size > limits.max_bytes:
            raise _too_big(shown, size, limits)
        data = path.read_bytes()
    else:
        shown = name or Path(str(getattr(source, "name", "") or "the uploaded file")).name
        data = source.read(limits.max_bytes + 1)
        if not isinstance(data, bytes | bytearray):
            raise UnreadableFileError(f"{shown} must be opened in binary mode")
        data = bytes(data)
    if len(data) > limits.max_bytes:
        raise _too_big(shown, len(data), limits)
    return data, shown


def _too_big(name: str, size: int, limits: Limits) -> LimitExceededError:
    return LimitExceededError(f"{name} is {size / 2**20:,.1f} MB; the limit is"
                              f" {limits.max_bytes / 2**20:,.0f} MB")


def sniff_content(data: bytes) -> str | None:
    """The format the first bytes prove ("xlsx", "ods", "xls", "parquet", "json", "zip",
    "binary:<what>"), or None for text that could be CSV."""
    head = data[:16]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        # Zip member names sit in plain bytes in the central directory near the end.
        tail = data[-65536:] if len(data) > 65536 else data
        if b"xl/workbook.xml" in tail or b"xl/workbook.bin" in tail:
            return "xlsx"
        if b"opendocument.spreadsheet" in data[:200] or b"content.xml" in tail:
            return "ods"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            return f"binary:{what}"
    stripped = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    return None


def detect_format(data: bytes, name: str) -> tuple[str, list[Problem]]:
    """The format to read ``data`` as, and a kept Problem when the name said otherwise."""
    ext = Path(name).suffix.lower()
    declared = EXTENSIONS.get(ext)
    found = sniff_content(data)
    if found and found.startswith("binary:"):
        raise UnreadableFileError(f"{name} is {found[7:]}, not a table"
                                  " (CSV, Excel, JSON, GeoJSON or Parquet)")
    if found == "zip":
        if declared in ("xlsx", "ods"):
            raise UnreadableFileError(f"{name} is not a readable Excel workbook"
                                      " (a zip archive without a workbook inside)")
        raise UnreadableFileError(f"{name} is a zip archive, not a table; unzip it first")
    if declared is None:
        return found or "csv", []
    if found is None:
        if declared in ("xlsx", "ods"):
            raise UnreadableFileError(f"{name} is not a readable Excel workbook"
                                      " (it is not a zip container)")
        if declared == "xls":
            raise UnreadableFileError(f"{name} is not a readable Excel workbook")
        if declared == "parquet":
            raise UnreadableFileError(f"{name} is not a Parquet file (no PAR1 header)")
        return declared, []  # text as itself; JSON: let the parser say where it breaks
    if _FAMILY.get(found) == _FAMILY[declared]:
        return (declared if found == "json" else found), []
    if found == "json" and _FAMILY[declared] == "text":
        return "json?", []  # a CSV may start with "[": try JSON, fall back to CSV
    note = Problem(None, None, f"{name} is named {ext} but holds {_LABEL[found]};"
                   f" it was read as {_LABEL[found]}", kept=True)
    return found, [note]


_LABEL = {"xlsx": "an Excel workbook", "xls": "an Excel 97 workbook", "ods": "an ODS spreadsheet",
          "parquet": "a Parquet file", "json": "JSON"}


def read_table(source: str | os.PathLike | bytes | BinaryIO, *, name: str | None = None,
               limits: Limits = DEFAULT_LIMITS, sheet: str | None = None,
               threads: bool = True) -> Table:
    """Read an uploaded file into one :class:`Table` of strings.

    ``name`` is the original file name (uploads arrive as bytes): its extension says the
    format, checked against the content. ``sheet`` picks a spreadsheet sheet by name
    (default: the largest). ``threads=False`` parses a CSV on this thread alone, for a
    read that runs beside other work. Raises ``UnreadableFileError`` (empty, binary,
    corrupt, mislabelled beyond repair) or ``LimitExceededError`` with a one-line message.
    """
    data, shown = _load_bytes(source, name, limits)
    if not re.search(rb"\S", data):
        raise UnreadableFileError(f"{shown}: the file is empty")
    fmt, notes = detect_format(data, shown)
    table = _dispatch(data, shown, fmt, limits, sheet, threads)
    if notes:
        table.problems[:0] = notes
    return table


def read_in_background(source: str | os.PathLike | bytes | BinaryIO, *,
                       limits: Limits = DEFAULT_LIMITS) -> Future[Table]:
    """Start reading ``source`` (a path, bytes or a sample's name) on another thread.

    Reading needs only pyarrow, and Arrow parses without holding the interpreter's lock,
    so the command line starts this before importing pandas and the rest of the loaders:
    a million rows take about 0.3 s to parse and those imports about as long. It parses
    on one core, leaving the other to the imports (check on 1M rows: 0.89 s with both
    cores parsing, 0.81 s with one). Pass the future to
    :func:`loaders.load.load_dataset` as ``table``.
    """
    from loaders.samples import source_path

    path, name = source_path(source)
    future: Future[Table] = Future()

    def run() -> None:
        try:
            future.set_result(read_table(path, name=name, limits=limits, threads=False))
        except BaseException as error:  # handed to whoever waits on the result
            future.set_exception(error)

    threading.Thread(target=run, name="routemap-read", daemon=True).start()
    return future


def _dispatch(data: bytes, name: str, fmt: str, limits: Limits, sheet: str | None,
              threads: bool = True) -> Table:
    if fmt in ("xlsx", "xls", "ods"):
        return read_excel(data, name, limits, fmt, sheet)
    if fmt == "parquet":
        return read_parquet(data, name, limits)
    if fmt in ("csv", "tsv"):
        return read_delimited(data, name, limits, fmt, threads=threads)
    text = to_utf8(data, name)[0].decode("utf-8")
    if fmt == "json?":
        try:
            return read_json(text, name, limits)
        except UnreadableFileError:
            return read_delimited(data, name, limits, "csv", threads=threads)
    return read_json(text, name, limits, ndjson=fmt == "ndjson", geojson=fmt == "geojson")


# --- Parquet ------------------------------------------------------------------------------

def read_parquet(data: bytes, name: str, limits: Limits) -> Table:
    """Every column cast to text: integers without ``.0``, nulls to ``""``, dates ISO."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        n = pf.metadata.num_rows
        if n > limits.max_rows:
            raise LimitExceededError(f"{name} has {n:,} rows; the limit is {limits.max_rows:,}")
        raw = pf.read()
    except LimitExceededError:
        raise
    except (pa.ArrowException, OSError, ValueError) as e:
        reason = str(e).splitlines()[0][:120]
        raise UnreadableFileError(f"{name} is not a readable Parquet file ({reason})") from None
    if raw.num_rows == 0:
        raise UnreadableFileError(f"{name}: the file has no data rows")
    names = list(raw.column_names)
    cols = [_as_text(raw.column(i)) for i in range(raw.num_columns)]
    table = pa.Table.from_arrays(cols, names=[f"c{i}" for i in range(len(cols))])
    return finish(table, names, lines=None, header_line=0, rows_read=raw.num_rows, rejected=0,
                  problems=[], file_format="parquet", limits=limits)


def _as_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = col.cast(t.value_type), t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = col.cast(pa.string())
    elif pa.types.is_timestamp(t):
        out = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
    elif pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        out = pa.chunked_array([pa.array([_nested(v) for v in col.to_pylist()], pa.string())])
    else:
        try:
            out = col.cast(pa.string())
        except pa.ArrowNotImplementedError:
            out = pa.chunked_array([pa.array([None if v is None else str(v)
                                              for v in col.to_pylist()], pa.string())])
    return pc.dictionary_encode(pc.fill_null(out, "")).cast(DICT_STRING)


def _nested(v: object) -> str | None:
    if v is None:
        return None
    listed = places_listed(v)  # a Parquet list of strings: the stops of a route
    if listed is not None:
        return listed
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.hex()
    return json.dumps(v, ensure_ascii=False, default=str)

