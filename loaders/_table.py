"""The ``Table`` every reader returns, and the steps all readers share after parsing.

Shared steps: finding the header row below title lines, naming columns (blank names,
duplicates, the CTDC terms-of-use notice), dropping columns that hold nothing, and
truncating runaway cells. Each step reports what it changed as a kept ``Problem``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.limits import Limits
from loaders.report import Problem

DICT_STRING = pa.dictionary(pa.int32(), pa.string())
HEADER_SCAN_ROWS = 20
NOTICE_MIN_CHARS = 60  # a first header cell this long is a notice (old CTDC), not a name

_NUMBER = re.compile(r"^[\s+\-−$€£%(]*\d[\d\s,.'%)eE+\-]*$")


@dataclass
class Table:
    """One uploaded file as a table of strings, with where each row came from.

    ``data``: every column is ``dictionary<int32, string>`` (or plain ``string``), in one
    chunk with one dictionary (:func:`finish` merges the blocks of a parallel CSV read).
    ``lines``: 1-based line (spreadsheet row, record number) where each row starts, or
    None when row ``i`` starts at line ``i + header_line + 1``.
    """

    data: pa.Table
    lines: np.ndarray | None
    header_line: int
    rows_read: int
    rejected: int
    problems: list[Problem]
    file_format: str
    sheet: str | None = None
    other_sheets: tuple[str, ...] = ()  # a workbook's other non-empty sheets, largest first
    encoding: str | None = field(default=None, kw_only=True)
    delimiter: str | None = field(default=None, kw_only=True)

    def line_of(self, row_index: np.ndarray) -> np.ndarray:
        """1-based file line of the given row positions of ``data``."""
        idx = np.asarray(row_index, dtype=np.int64)
        if self.lines is None:
            return idx + (self.header_line + 1)
        return self.lines[idx]

    @property
    def columns(self) -> list[str]:
        return list(self.data.column_names)


def is_number(text: str) -> bool:
    """Whether a cell reads as a number (``1,234``, ``-99``, ``12.5%``, ``1e5``)."""
    return bool(_NUMBER.match(text)) if text else False


def looks_like_header(row: Sequence[str], width: int) -> bool:
    """A header row is mostly filled and mostly non-numeric."""
    filled = [c for c in row if c.strip()]
    need = max(1 if width < 2 else 2, math.ceil(0.5 * width))
    if len(filled) < min(need, width):
        return False
    numeric = sum(is_number(c.strip()) for c in filled)
    return numeric <= 0.5 * len(filled)


def find_header_row(rows: Sequence[Sequence[str]]) -> int:
    """Index of the header among the first rows: 0 unless title lines sit above it.

    Rows above the chosen header must look like titles or notes (at most a third as many
    filled cells as the header); otherwise the first row is taken, so a header with some
    blank names is never mistaken for a title.
    """
    scan = list(rows[:HEADER_SCAN_ROWS])
    widths = Counter(len(r) for r in scan if any(c.strip() for c in r))
    if not widths:
        return 0
    width = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0]
    for k, row in enumerate(scan):
        if not looks_like_header(row, width):
            continue
        if k == 0:
            return 0
        filled_k = sum(1 for c in row if c.strip())
        above_ok = all(
            sum(1 for c in r if c.strip()) <= max(1, filled_k // 3) for r in scan[:k]
        )
        return k if above_ok else 0
    return 0


def name_columns(raw: Sequence[str], header_line: int | None) -> tuple[list[str], list[Problem]]:
    """Clean header names: strip, ``column_N`` for blanks, ``name_2`` for repeats, notice.

    The first cell of old CTDC exports is a long terms-of-use notice; it becomes ``notice``.
    """
    problems: list[Problem] = []
    names = [str(n).strip() for n in raw]
    if names and len(names[0]) >= NOTICE_MIN_CHARS:
        problems.append(
            Problem(header_line, "notice", "the first header cell is a long notice"
                    f" ({names[0][:60]!r}...); that column is named 'notice'", kept=True)
        )
        names[0] = "notice"
    for i, n in enumerate(names):
        if not n:
            names[i] = f"column_{i + 1}"
    seen = set(names)
    counts: Counter[str] = Counter()
    out: list[str] = []
    for n in names:
        counts[n] += 1
        if counts[n] == 1:
            out.append(n)
            continue
        k = counts[n]
        new = f"{n}_{k}"
        while new in seen:
            k += 1
            new = f"{n}_{k}"
        seen.add(new)
        out.append(new)
        problems.append(
            Problem(header_line, new, f"duplicate column name {n!r} renamed to {new!r}", kept=True)
        )
    return out, problems


def _all_empty(col: pa.ChunkedArray) -> bool:
    if len(col) == 0:
        return True
    lengths = pc.binary_length(col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col)
    return pc.max(lengths).as_py() in (0, None)


def drop_empty_columns(
    table: pa.Table, raw_names: Sequence[str], header_line: int | None
) -> tuple[pa.Table, list[Problem]]:
    """Drop columns with a blank (or notice) header and no value in any row; report them.

    Trailing delimiters and formatted-but-empty spreadsheet columns produce these; the
    CTDC notice column is empty on every row. Nothing is lost by dropping them.
    """
    problems: list[Problem] = []
    drop: list[int] = []
    for i, name in enumerate(table.column_names):
        blank = not str(raw_names[i]).strip() or name == "notice"
        if blank and len(drop) < table.num_columns - 1 and _all_empty(table.column(i)):
            drop.append(i)
            what = "the notice column" if name == "notice" else f"column {i + 1} (no name)"
            problems.append(Problem(header_line, name, f"{what} is empty in every row and was"
                                    " dropped", kept=True))
    if not drop:
        return table, problems
    return table.select([i for i in range(table.num_columns) if i not in drop]), problems


def truncate_long_cells(
    table: pa.Table, line_of: np.ndarray | None, first_line: int, limits: Limits
) -> tuple[pa.Table, list[Problem]]:
    """Cut cells longer than ``limits.max_cell_chars`` and report each one (kept=True)."""
    limit = limits.max_cell_chars
    problems: list[Problem] = []
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        # Byte length bounds character length from above: a cheap first test.
        if pa.types.is_dictionary(col.type):
            over = any(
                len(ch.dictionary) and pc.max(pc.binary_length(ch.dictionary)).as_py() > limit
                for ch in col.chunks
            )
        else:
            over = len(col) > 0 and (pc.max(pc.binary_length(col)).as_py() or 0) > limit
        if not over:
            continue
        plain = col.cast(pa.string())
        lengths = pc.utf8_length(plain)
        rows = np.flatnonzero(pc.greater(lengths, limit).to_numpy(zero_copy_only=False))
        if not len(rows):
            continue
        lens = lengths.to_numpy()
        for r in rows:
            line = int(line_of[r]) if line_of is not None else int(r) + first_line
            problems.append(Problem(line, name, f"value of {int(lens[r]):,} characters"
                                    f" truncated to {limit:,}", kept=True))
        cut = pc.utf8_slice_codeunits(plain, 0, limit)
        new = cut.dictionary_encode() if pa.types.is_dictionary(col.type) else cut
        table = table.set_column(i, name, new)
    return table, problems


def strings_to_arrow(columns: Sequence[Sequence[str]], names: Sequence[str]) -> pa.Table:
    """Build a dictionary-encoded string table from Python column lists."""
    arrays = [pa.array(c, pa.string()).dictionary_encode() for c in columns]
    return pa.Table.from_arrays(arrays, names=list(names)) if arrays else pa.table({})


def finish(
    table: pa.Table,
    raw_names: Sequence[str],
    *,
    lines: np.ndarray | None,
    header_line: int,
    rows_read: int,
    rejected: int,
    problems: list[Problem],
    file_format: str,
    limits: Limits,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Name the columns, drop empty unnamed ones, truncate long cells: the shared last steps.

    ``table`` arrives with any column names (positions matter); ``raw_names`` are the header
    cells as written.
    """
    names, name_problems = name_columns(raw_names, header_line or None)
    # one chunk and one dictionary per column, done here on the reading thread so the
    # layouts take each column's codes without unifying a dozen block dictionaries
    table = table.unify_dictionaries().combine_chunks().rename_columns(names)
    table, drop_problems = drop_empty_columns(table, raw_names, header_line or None)
    table, cut_problems = truncate_long_cells(table, lines, header_line + 1, limits)
    return Table(
        data=table,
        lines=lines,
        header_line=header_line,
        rows_read=rows_read,
        rejected=rejected,
        problems=[*problems, *name_problems, *drop_problems, *cut_problems],
        file_format=file_format,
        sheet=sheet,
        encoding=encoding,
        delimiter=delimiter,
    )
