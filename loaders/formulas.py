"""Text a spreadsheet would run as a formula, made safe for CSV and GeoJSON exports.

A cell that starts with ``= + - @``, a tab or a carriage return can run as a formula
when the file is opened in a spreadsheet (CSV injection). Such a cell gets a leading
apostrophe, unless it is a plain number ("-3.5", "+44", "1e-3"): those are data, and an
apostrophe would change them. One rule for every file routemap writes: ``routemap
geocode`` (Arrow columns, :func:`neutralise_column`) and the map exports (Python values,
:func:`neutralise`).
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_STARTS = r"^[=+\-@\t\r]"
_NUMBER_BODY = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_NUMBER = f"^{_NUMBER_BODY}$"
_IS_NUMBER = re.compile(_NUMBER_BODY)


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe if it is text a spreadsheet would run."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    return value if _IS_NUMBER.fullmatch(value) else "'" + value


def neutralise_column(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`neutralise` over an Arrow column; a dictionary column is fixed on its
    distinct values only, and a column of anything but text is returned as it is."""
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([neutralise_column(c) for c in column.chunks], column.type)
    if pa.types.is_dictionary(column.type):
        return pa.DictionaryArray.from_arrays(
            column.indices, neutralise_column(pc.cast(column.dictionary, pa.string()))
        )
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    starts = pc.match_substring_regex(column, _STARTS)
    if not pc.any(starts).as_py():
        return column
    risky = pc.and_(starts, pc.invert(pc.match_substring_regex(column, _NUMBER)))
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
