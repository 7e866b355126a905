"""Delimited text (CSV/TSV): encoding, delimiter, header row, then a fast or an exact parse.

The fast path is ``pyarrow.csv`` (multithreaded, every column a dictionary string column).
It cannot report true line numbers of bad rows nor pad short ones, so any file where it
meets a ragged row, or a blank line inside the data, is re-read by the exact path (the
``csv`` module, tracking ``line_num``). Such files are rare and small in practice.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders._table import (
    DICT_STRING,
    HEADER_SCAN_ROWS,
    Table,
    find_header_row,
    finish,
    strings_to_arrow,
)
from loaders.errors import LimitExceededError, UnreadableFileError
from loaders.limits import Limits
from loaders.report import Problem, quoted

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 200
BLOCK_BYTES = 4 * 1024 * 1024
_NON_SPACE = re.compile(rb"\S")


# --- encoding -------------------------------------------------------------------------

class Decoded(NamedTuple):
    """A file's text as UTF-8 bytes, and how it was written."""

    data: bytes
    encoding: str
    # a UTF-8 file with a few lines in a legacy code page (pasted from another file):
    # those lines (1-based) and the code page they were read in
    legacy_lines: tuple[int, ...] = ()
    legacy: str = ""


def to_utf8(data: bytes, name: str) -> Decoded:
    """Return the content as UTF-8 bytes (no BOM) and the encoding it was written in."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            if enc == "utf-8-sig":
                out = data[len(bom):]
                _check_utf8(out, name)
                return Decoded(out, enc)
            return Decoded(_decode(data, enc, name).encode("utf-8"), enc)
    enc16 = _utf16_without_bom(data[:4096])
    if enc16:
        return Decoded(_decode(data, enc16, name).encode("utf-8"), enc16)
    if b"\x00" in data[:SAMPLE_BYTES]:
        raise UnreadableFileError(f"{name} holds binary data, not text: it is not a CSV file")
    if data.isascii() or is_utf8(data):
        return Decoded(data, "utf-8")
    mixed = _mostly_utf8(data)
    if mixed is not None:
        return mixed
    enc = _guess_legacy(data)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        enc = "cp1252"
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            enc, text = "latin-1", data.decode("latin-1")
    return Decoded(text.encode("utf-8"), enc)


# a UTF-8 encoded character of two to four bytes; a legacy code page's accented letter
# is one high byte, which almost never starts a valid one of these
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                             rb"|[\xf0-\xf4][\x80-\xbf]{3}")
_NOT_UTF8 = re.compile("[\udc80-\udcff]+")


def _mostly_utf8(data: bytes) -> Decoded | None:
    """A UTF-8 file with some lines in a legacy code page, decoded line by line.

    One Latin-1 line in a UTF-8 file made the whole file read as cp1250: every accented
    name of the other lines came out wrong ('München' as 'MĂĽnchen') and stopped
    resolving. When more of the file is UTF-8 text than not, the lines that are not are
    read in the legacy code page alone. None when the file is not that.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    bad = [m.start() for m in _NOT_UTF8.finditer(text)]
    good = len(_UTF8_MULTIBYTE.findall(data))
    if not bad or good <= len(bad):
        return None
    starts = sorted({text.rfind("\n", 0, i) + 1 for i in bad})
    enc = _guess_legacy(b"\n".join(_line_bytes(text, s) for s in starts))
    parts, last, lines = [], 0, []
    for s in starts:
        end = text.find("\n", s)
        end = len(text) if end < 0 else end
        raw = text[s:end].encode("utf-8", errors="surrogateescape")
        try:
            fixed = raw.decode(enc)
        except UnicodeDecodeError:
            fixed = raw.decode("latin-1")
        parts += [text[last:s], fixed]
        last = end
        lines.append(text.count("\n", 0, s) + 1)
    parts.append(text[last:])
    return Decoded("".join(parts).encode("utf-8"), "utf-8", tuple(lines), enc)


def _line_bytes(text: str, start: int) -> bytes:
    end = text.find("\n", start)
    return text[start:None if end < 0 else end].encode("utf-8", errors="surrogateescape")


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow (~10x faster than bytes.decode)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _check_utf8(data: bytes, name: str) -> None:
    if is_utf8(data):
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnreadableFileError(
            f"{name} starts with a UTF-8 mark but byte {e.start} is not UTF-8"
        ) from None


def _decode(data: bytes, enc: str, name: str) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError as e:
        raise UnreadableFileError(
            f"{name} is not valid {enc.upper()} text (byte {e.start})"
        ) from None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of ASCII-range characters has a zero in every other byte."""
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _guess_legacy(data: bytes) -> str:
    """charset-normalizer's guess when it reads as a non-Latin script, else Windows-1250
    where that reads more letters than Windows-1252, else Windows-1252.

    On short samples it often names some other Latin code page (cp775, cp850, latin-1)
    for Western text; Windows-1252 is the common legacy case. A guess that turns the
    bytes into Cyrillic, Greek, Arabic, Hebrew, Thai or CJK letters is trusted.
    """
    from charset_normalizer import from_bytes

    sample = data[:SAMPLE_BYTES]
    best = from_bytes(sample).best()
    if best is None:
        return "cp1252"
    try:
        text = sample.decode(best.encoding, errors="ignore")
    except LookupError:
        return "cp1252"
    high = [c for c in text if ord(c) > 127]
    scripts = sum(1 for c in high if c.isalpha() and ord(c) >= 0x370)
    if high and scripts > 0.5 * len(high):
        return best.encoding
    # Central European text (Łódź, Wrocław, Śląsk, Iaşi): Windows-1252 turns its letters
    # into symbols (£, ³, ¹), so Windows-1250 wins only where it reads more letters
    if _letters(sample, "cp1250") > _letters(sample, "cp1252"):
        return "cp1250"
    return "cp1252"


def _letters(sample: bytes, encoding: str) -> int:
    """How many of the sample's non-ASCII bytes decode to letters in ``encoding``."""
    text = sample.decode(encoding, errors="replace")
    return sum(1 for c in text if ord(c) > 127 and c.isalpha())


# --- dialect and header -----------------------------------------------------------------

def _sample_text(data: bytes, size: int) -> str:
    head = data[:size]
    if len(data) > size:
        cut = head.rfind(b"\n")
        head = head[: cut + 1] if cut > 0 else head
    return head.decode("utf-8", errors="replace")


def detect_delimiter(sample: str, prefer: str | None = None) -> str:
    """The delimiter that splits the sample's rows into the most fields, most consistently.

    Counting fields with the csv module respects quotes, so ``"transit; transit"`` in a
    comma file does not vote for ``;``. ``csv.Sniffer`` alone misjudges such files.
    """
    best: tuple[tuple[bool, int, float], str] | None = None
    for d in DELIMITERS:
        rows = [r for r in _rows(sample, d, SAMPLE_ROWS) if r]
        if len(rows) > 2:
            rows = rows[:-1] if len(rows) >= SAMPLE_ROWS else rows
        counts = Counter(len(r) for r in rows)
        if not counts:
            continue
        width, n = counts.most_common(1)[0]
        if width < 2:
            continue
        share = n / len(rows)
        key = (share >= 0.8, width if share >= 0.8 else 0, share + (0.01 if d == prefer else 0))
        if best is None or key > best[0]:
            best = (key, d)
    if best is not None:
        return best[1]
    if prefer:
        return prefer
    try:
        return csv.Sniffer().sniff(sample[:65536], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _rows(text: str, delimiter: str, limit: int) -> list[list[str]]:
    out = []
    with contextlib.suppress(csv.Error):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            out.append(row)
            if len(out) >= limit:
                break
    return out


def _records_with_lines(
    text: str, delimiter: str, newline: str = "\n"
) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of each record; blank lines yield empty fields.

    Lines end at "\n" only, as in the fast path's count: a lone "\r" inside a quoted field
    does not start a line.
    """
    reader = csv.reader(io.StringIO(text, newline=newline), delimiter=delimiter, strict=False)
    prev = 0
    for rec in reader:
        yield prev + 1, reader.line_num, rec
        prev = reader.line_num


LINES_FOUND_ONE_BY_ONE = 1000  # further down, every line break is found at once


def _line_offset(data: bytes, line: int) -> int:
    """Byte offset where 1-based ``line`` starts (len(data) if the file is shorter).

    A header's line is found break by break; a line far down a big file (a stray quote
    on its millionth line) from every break at once, as a loop took seconds there."""
    if line > LINES_FOUND_ONE_BY_ONE:
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
        return int(ends[line - 2]) + 1 if line - 2 < len(ends) else len(data)
    pos = 0
    for _ in range(line - 1):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


def _is_blank(rec: list[str]) -> bool:
    return not rec or (len(rec) == 1 and not rec[0].strip())


# --- reading ------------------------------------------------------------------------------

@contextlib.contextmanager
def _field_limit(n: int) -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, min(n, sys.maxsize)))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def read_delimited(data: bytes, name: str, limits: Limits, file_format: str = "csv", *,
                   threads: bool = True) -> Table:
    """Read CSV/TSV bytes into a :class:`Table` of strings (see module docstring)."""
    decoded = to_utf8(data, name)
    data, encoding = decoded.data, decoded.encoding
    if b"\n" not in data and b"\r" in data:  # classic Mac line ends
        data = data.replace(b"\r", b"\n")
    if not _NON_SPACE.search(data):
        raise UnreadableFileError(f"{name}: the file is empty")
    with _field_limit(len(data) + 1):
        return _read(data, name, limits, file_format, encoding, threads, decoded)


def _read(data: bytes, name: str, limits: Limits, file_format: str, encoding: str,
          threads: bool = True, decoded: Decoded | None = None) -> Table:
    prefer = "\t" if file_format == "tsv" else None
    size = SAMPLE_BYTES
    while True:
        sample = _sample_text(data, size)
        delim = detect_delimiter(sample, prefer)
        # only the first rows are scanned for the header: stop parsing the sample there
        try:
            recs = list(islice(_records_with_lines(sample, delim), HEADER_SCAN_ROWS + 5))
        except csv.Error:  # a lone "\r" outside quotes
            recs = list(islice(_records_with_lines(sample, delim, ""), HEADER_SCAN_ROWS + 5))
        if len(data) <= size or sum(not _is_blank(r[2]) for r in recs) >= 2 or size > 1 << 28:
            break
        size *= 8  # a huge header or first row: widen the sample
    recs = [r for r in recs if not _is_blank(r[2])]
    if not recs:
        raise UnreadableFileError(f"{name}: the file is empty")
    k = find_header_row([r[2] for r in recs])
    header_start, header_end, header = recs[k]
    problems: list[Problem] = []
    if k:
        problems.append(Problem(None, None, f"lines 1-{header_start - 1} above the header"
                                f" were skipped (title: {recs[0][2][0][:80]!r})", kept=True))
    if encoding not in ("utf-8", "utf-8-sig"):
        problems.append(Problem(None, None, f"the file was read as {encoding} text", kept=True))
    for line in decoded.legacy_lines if decoded else ():
        problems.append(Problem(line, None, f"line is not UTF-8 like the rest of the file: "
                                f"read as {decoded.legacy} text", kept=True))
    first_line = header_end + 1
    offset = _line_offset(data, first_line)
    if not _NON_SPACE.search(data, offset):
        if header_end > header_start:  # the header ran over lines: a quote left open
            raise UnreadableFileError(
                f"{name}: a quote mark (\") in the header, line {header_start}, never closes,"
                " so the whole file was read as the header: fix that quote and load it again")
        raise UnreadableFileError(f"{name}: the file has a header but no data rows")
    kw = {"name": name, "header": header, "header_line": header_start,
          "first_line": first_line, "delim": delim, "limits": limits, "problems": problems,
          "file_format": file_format, "encoding": encoding}
    table = _fast(data, offset, threads=threads, **kw)
    if table is None:
        table = _exact(data[offset:].decode("utf-8"), **kw)
    set_aside = 0
    while (line := _unclosed_quote_line(data, table, delim)) is not None:
        # a quote that never closes swallows every line after it into one value: the
        # line it opens on is set aside and the rest read again as the rows they are
        data = _blank_line(data, line)
        set_aside += 1
        problems.append(Problem(line, None, 'a quote mark (") opens a value that never '
                                "closes, which would have read every line after it as that "
                                "one value: this line was set aside, any lines after it "
                                "read as rows"))
        table = _exact(data[offset:].decode("utf-8"), **kw)
    table.rows_read += set_aside
    table.rejected += set_aside
    table.problems.extend(_rows_inside_values(table, delim, len(header)))
    if table.data.num_rows == 0 and table.rejected == 0:
        raise UnreadableFileError(f"{name}: the file has a header but no data rows")
    return table


def _unclosed_quote_line(data: bytes, table: Table, delim: str) -> int | None:
    """The line where the last row starts when a quote opened in it never closes: it ran
    to the end of the file, every line after it read as one value of that row."""
    n = table.data.num_rows
    if n == 0:
        return None
    if table.lines is None:  # no value holds a line break: only the last line can be open
        start, last = data.rfind(b"\n", 0, _content_end(data)) + 1, None
    else:
        last = int(table.lines[n - 1])
        start = _line_offset(data, last)
    tail = data[start:]
    if b'"' not in tail:
        return None
    try:
        for _ in csv.reader(io.StringIO(tail.decode("utf-8"), newline=""), delimiter=delim,
                            strict=True):
            pass
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            # counted only now: the lines of a whole big file, for its last line's number
            return last if last is not None else data.count(b"\n", 0, start) + 1
    return None


def _rows_inside_values(table: Table, delim: str, width: int) -> list[Problem]:
    """A note for each row whose quoted value runs over lines that look like rows of the
    file (as many fields as the header): a stray quote that closes further down swallows
    the rows between, read as one value. The row is kept as read; a person checks it."""
    if table.lines is None or width < 2:
        return []
    notes = []
    for column in table.data.columns:
        column = column.combine_chunks()
        dictionary = column.dictionary if pa.types.is_dictionary(column.type) else column
        for value_at in pc.indices_nonzero(pc.match_substring(dictionary, "\n")).to_pylist():
            inner = str(dictionary[value_at].as_py()).split("\n")[1:]
            rowlike = [t for t in inner if t.count(delim) >= width - 1]
            if not rowlike:
                continue
            rows = ([value_at] if dictionary is column else
                    pc.indices_nonzero(pc.equal(column.indices, value_at)).to_pylist())
            notes += [Problem(int(table.lines[i]), None, "a quoted value runs over "
                              f"{len(inner) + 1} lines, with what looks like a row of the "
                              f"file in it ({quoted(rowlike[0])}): check for a stray quote "
                              "mark", kept=True) for i in rows]
    return sorted(notes, key=lambda p: p.row or 0)


def _blank_line(data: bytes, line: int) -> bytes:
    """``data`` with the text of 1-based ``line`` removed, its line break kept (so every
    later line keeps its number)."""
    start = _line_offset(data, line)
    end = data.find(b"\n", start)
    return data[:start] + (data[end:] if end >= 0 else b"")


def _content_end(data: bytes) -> int:
    """Offset just past the last non-blank byte (trailing blank lines excluded)."""
    tail = data[-65536:]
    kept = len(tail.rstrip())
    if kept:
        return len(data) - len(tail) + kept
    return len(data.rstrip())


def _fast(data: bytes, offset: int, *, name: str, header: list[str], header_line: int,
          first_line: int, delim: str, limits: Limits, problems: list[Problem],
          file_format: str, encoding: str, threads: bool = True) -> Table | None:
    """pyarrow read; None when a ragged row, a blank line or a parse error calls for the
    exact path.

    pyarrow skips blank lines without saying where; the newline count of the data proves
    there were none: rows are separated by n - 1 newlines plus those inside quoted fields.
    """
    body = memoryview(data)[offset:]
    positional = [f"c{i}" for i in range(len(header))]
    invalid: list[object] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    # Threads: about four blocks for the two cores (merging a dozen block dictionaries of
    # a column with 300,000 distinct values took 0.24 s, four of them 0.06 s). One
    # thread: one block, so there are no block dictionaries to merge at all.
    block = max(BLOCK_BYTES, len(body) // 4 + 1) if threads else len(body) + 1
    while True:
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(body)),
                read_options=pacsv.ReadOptions(column_names=positional, block_size=block,
                                               use_threads=threads),
                parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True,
                                                 invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(positional, DICT_STRING),
                    strings_can_be_null=False, quoted_strings_can_be_null=False,
                    null_values=[], check_utf8=False),
            )
            break
        except pa.ArrowInvalid as e:
            if "straddling" in str(e) and block < len(body):
                block = min(block * 8, len(body) + 1)
                continue
            return None
    if invalid:
        return None
    n = table.num_rows
    if n > limits.max_rows:
        raise LimitExceededError(f"{name} has {n:,} rows; the limit is {limits.max_rows:,}")
    newlines = data.count(b"\n", offset, _content_end(data))
    lines = None
    if newlines != max(n - 1, 0):
        lines, inner = _lines_with_newlines(table, first_line)
        if newlines != max(n - 1, 0) + inner:
            return None
    if lines is None and first_line != header_line + 1:
        lines = np.arange(first_line, first_line + n, dtype=np.int64)
    return finish(table, header, lines=lines, header_line=header_line, rows_read=n, rejected=0,
                  problems=problems, file_format=file_format, limits=limits,
                  encoding=encoding, delimiter=delim)


def _lines_with_newlines(table: pa.Table, first_line: int) -> tuple[np.ndarray | None, int]:
    """Exact start lines when quoted fields hold newlines (None if none do), and the
    number of newlines inside fields.

    Newlines are counted once per dictionary value and gathered by index, so this costs
    little even for a million rows.
    """
    extra = None
    for col in table.columns:
        counts = [pc.count_substring(ch.dictionary, "\n") for ch in col.chunks]
        if not any(len(c) and pc.max(c).as_py() for c in counts):
            continue
        parts = [pc.take(c, ch.indices).to_numpy(zero_copy_only=False)
                 for c, ch in zip(counts, col.chunks, strict=True)]
        arr = np.concatenate(parts).astype(np.int64)
        extra = arr if extra is None else extra + arr
    if extra is None:
        return None, 0
    n = len(extra)
    starts = np.arange(first_line, first_line + n, dtype=np.int64)
    starts[1:] += np.cumsum(extra[:-1])
    return starts, int(extra.sum())


def _collect(text: str, delim: str, width: int, first_line: int, name: str, limits: Limits,
             newline: str) -> tuple[list[list[str]], list[int], int, int, list[Problem]]:
    """Rows padded to ``width``, their start lines, rows read, rows rejected, problems."""
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    read = rejected = 0
    for start, _end, rec in _records_with_lines(text, delim, newline):
        if _is_blank(rec):
            continue
        read += 1
        if read > limits.max_rows:
            raise LimitExceededError(f"{name} has more than {limits.max_rows:,} rows")
        line = start + first_line - 1
        if len(rec) < width:
            problems.append(Problem(line, None, f"row has {len(rec)} fields, expected"
                                    f" {width}; padded with empty values", kept=True))
            rec = rec + [""] * (width - len(rec))
        elif len(rec) > width:
            extra = rec[width:]
            if any(f.strip() for f in extra):
                rejected += 1
                problems.append(Problem(line, None, f"row has {len(rec)} fields, expected"
                                        f" {width}; row rejected"))
                continue
            problems.append(Problem(line, None, f"row has {len(extra)} extra empty"
                                    " fields at its end; they were ignored", kept=True))
            rec = rec[:width]
        rows.append(rec)
        lines.append(line)
    return rows, lines, read, rejected, problems


def _exact(text: str, *, name: str, header: list[str], header_line: int, first_line: int,
           delim: str, limits: Limits, problems: list[Problem], file_format: str,
           encoding: str) -> Table:
    """csv-module read with true line numbers: pads short rows, rejects long ones."""
    width = len(header)
    try:
        rows, lines, read, rejected, found = _collect(text, delim, width, first_line, name,
                                                      limits, "\n")
    except csv.Error:
        # A lone "\r" outside quotes ends a line for pyarrow and for newline="" mode.
        try:
            rows, lines, read, rejected, found = _collect(text, delim, width, first_line,
                                                          name, limits, "")
        except csv.Error as e:
            raise UnreadableFileError(f"{name} is not valid CSV: {e}") from None
    problems = [*problems, *found]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(width)]
    table = strings_to_arrow(columns, [f"c{i}" for i in range(width)])
    return finish(table, header, lines=np.asarray(lines, dtype=np.int64), header_line=header_line,
                  rows_read=read, rejected=rejected, problems=problems, file_format=file_format,
                  limits=limits, encoding=encoding, delimiter=delim)
