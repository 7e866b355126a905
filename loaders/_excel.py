"""Spreadsheets (xlsx, xlsm, xls, ods) through python-calamine, after a zip-bomb check.

Line numbers are spreadsheet row numbers. Numbers become text as a person reads them
(``3``, not ``3.0``), dates ISO (``2020-01-02``), booleans ``TRUE``/``FALSE``.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import numpy as np

from loaders._table import Table, find_header_row, finish, strings_to_arrow
from loaders.errors import LimitExceededError, UnreadableFileError
from loaders.limits import Limits
from loaders.report import Problem


def check_zip(data: bytes, name: str, limits: Limits) -> None:
    """Refuse a zip whose members would expand beyond the limits (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFileError(
            f"{name} is not a readable Excel workbook (the zip container is damaged)"
        ) from None
    total = sum(i.file_size for i in infos)
    if total > limits.max_xlsx_uncompressed:
        raise LimitExceededError(
            f"{name} expands to {total / 2**20:,.0f} MB when unzipped; the limit is"
            f" {limits.max_xlsx_uncompressed / 2**20:,.0f} MB"
        )
    for i in infos:
        if i.file_size >= limits.zip_ratio_floor:
            ratio = i.file_size / max(i.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                raise LimitExceededError(
                    f"{name} looks like a zip bomb: {i.filename} expands {ratio:,.0f} times"
                    f" (limit {limits.max_zip_ratio:,.0f})"
                )


def cell_text(v: Any) -> str:
    """A spreadsheet value as text, the way the sheet shows it."""
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0):
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def read_excel(data: bytes, name: str, limits: Limits, file_format: str = "xlsx",
               sheet: str | None = None) -> Table:
    """Read the sheet that holds the data (the largest, unless ``sheet`` names one)."""
    from python_calamine import CalamineWorkbook

    if data[:4] == b"PK\x03\x04":
        check_zip(data, name, limits)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [m.name for m in wb.sheets_metadata
                 if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith("Visible")]
        names = names or list(wb.sheet_names)
        if sheet is not None:
            if sheet not in wb.sheet_names:
                raise UnreadableFileError(f"{name} has no sheet named {sheet!r}"
                                          f" (sheets: {', '.join(wb.sheet_names)})")
            names = [sheet]
        sheets = [wb.get_sheet_by_name(n) for n in names]
    except UnreadableFileError:
        raise
    except Exception as e:  # calamine raises several unrelated types for damaged files
        reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise UnreadableFileError(f"{name} is not a readable Excel workbook ({reason})") from None
    sizes = [(s.height * s.width if s.start is not None else 0) for s in sheets]
    if not sizes or max(sizes) == 0:
        raise UnreadableFileError(f"{name}: the file is empty (no sheet holds any cell)")
    pick = int(np.argmax(sizes))
    chosen = sheets[pick]
    problems: list[Problem] = []
    if sum(1 for z in sizes if z) > 1:
        problems.append(Problem(None, None, f"read sheet {chosen.name!r}, the largest of"
                                f" {len(sizes)} sheets", kept=True))
    if chosen.height > limits.max_rows + 50:
        raise LimitExceededError(f"{name} sheet {chosen.name!r} has {chosen.height:,} rows;"
                                 f" the limit is {limits.max_rows:,}")
    try:
        grid = chosen.to_python(skip_empty_area=True)
    except Exception as e:
        raise UnreadableFileError(f"{name} is not a readable Excel workbook ({e})") from None
    row0 = chosen.start[0] + 1  # spreadsheet row number of grid[0]
    rows = [[cell_text(v) for v in r] for r in grid]
    table = _table_from_rows(rows, row0, name, limits, file_format, chosen.name, problems)
    # the largest sheet may be notes longer than the data: the loader tries these next
    table.other_sheets = tuple(s.name for z, s in sorted(zip(sizes, sheets, strict=True),
                                                         key=lambda zs: -zs[0])
                               if z and s is not chosen)
    return table


def _table_from_rows(rows: list[list[str]], row0: int, name: str, limits: Limits,
                     file_format: str, sheet: str, problems: list[Problem]) -> Table:
    filled = [i for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not filled:
        raise UnreadableFileError(f"{name}: the file is empty")
    k = filled[find_header_row([rows[i] for i in filled])]
    header = rows[k]
    if filled[0] < k:
        problems.append(Problem(None, None, f"rows {row0 + filled[0]}-{row0 + k - 1} above the"
                                f" header were skipped (title: {rows[filled[0]][0][:80]!r})",
                                kept=True))
    body = [i for i in filled if i > k]
    if not body:
        raise UnreadableFileError(f"{name}: the sheet {sheet!r} has a header but no data rows")
    if len(body) > limits.max_rows:
        raise LimitExceededError(f"{name} has {len(body):,} rows; the limit is"
                                 f" {limits.max_rows:,}")
    width = len(header)
    columns = [[rows[i][j] for i in body] for j in range(width)]
    table = strings_to_arrow(columns, [f"c{j}" for j in range(width)])
    lines = np.asarray(body, dtype=np.int64) + row0
    if len(lines) and np.array_equal(lines, np.arange(row0 + k + 1, row0 + k + 1 + len(lines))):
        lines = None
    return finish(table, header, lines=lines, header_line=row0 + k, rows_read=len(body),
                  rejected=0, problems=problems, file_format=file_format, limits=limits,
                  sheet=sheet)
