"""JSON records, newline-delimited JSON and GeoJSON as tables of strings.

Numbers are kept exactly as written (``1.0`` stays ``1.0``, ``007`` cannot occur in JSON):
the parser hands them over as text. Nested values become compact JSON text. Row numbers
are 1-based record (feature) indexes, so ``header_line`` is 0.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from loaders._table import Table, finish, strings_to_arrow
from loaders.errors import LimitExceededError, UnreadableFileError
from loaders.limits import Limits
from loaders.report import Problem

GEOMETRY = "__geometry__"
RECORD_KEYS = ("data", "records", "rows", "items", "results")


class _Num(str):
    """A JSON number kept as the text it was written as."""

    __slots__ = ()


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=_Num, parse_int=_Num,
                      parse_constant=_Num)


def _dump(v: Any) -> str:
    """Compact JSON of a parsed value, numbers written back exactly."""
    if isinstance(v, _Num):
        return str.__str__(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ",".join(_dump(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + _dump(x)
                              for k, x in v.items()) + "}"
    return json.dumps(v)


def _text(v: Any) -> str:
    if isinstance(v, str):  # _Num included
        return str.__str__(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    listed = places_listed(v)
    return listed if listed is not None else _dump(v)


def places_listed(v: Any) -> str | None:
    """A list of plain texts ("transit": ["Karachi", "Muscat"]) as the places of a route,
    "Karachi; Muscat", as a column of lists would be written in a CSV; None for anything
    else. Read as JSON text it was one unresolved place, '["Karachi","Muscat"]'; an empty
    list is no stop at all, as null is."""
    if not (isinstance(v, list) and all(isinstance(x, str) or x is None for x in v)):
        return None
    return "; ".join(str.__str__(x) for x in v if x)


def _error(name: str, e: json.JSONDecodeError, line_offset: int = 0) -> UnreadableFileError:
    return UnreadableFileError(f"{name} is not valid JSON: {e.msg} at line"
                               f" {e.lineno + line_offset}, column {e.colno}")


def parse_json(text: str, name: str, ndjson: bool = False) -> Any:
    """The parsed document; newline-delimited JSON becomes a list of its lines' values."""
    if not ndjson:
        try:
            return _loads(text)
        except json.JSONDecodeError as e:
            if e.msg != "Extra data":
                raise _error(name, e) from None
    out: list[Any] = []
    first_error = None
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            out.append(_loads(line))
        except json.JSONDecodeError as e:
            # one broken line is one rejected row, not a lost file
            out.append(_BrokenLine(f"line {i + 1} is not valid JSON: {e.msg}"))
            first_error = first_error or _error(name, e, i)
    if first_error is not None and all(isinstance(r, _BrokenLine) for r in out):
        raise first_error
    return out


class _BrokenLine:
    """A line of newline-delimited JSON that did not parse, kept to be reported."""

    def __init__(self, message: str) -> None:
        self.message = message


def is_geojson(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature")


def read_json(text: str, name: str, limits: Limits, *, ndjson: bool = False,
              geojson: bool = False) -> Table:
    """Read records from a JSON document (see module docstring for the shapes)."""
    doc = parse_json(text, name, ndjson)
    if geojson or is_geojson(doc):
        return _geojson(doc, name, limits)
    records = _records(doc, name)
    return _from_records(records, name, limits, "json", [])


def _records(doc: Any, name: str) -> list[Any]:
    if isinstance(doc, dict):
        for key in RECORD_KEYS:
            if isinstance(doc.get(key), list):
                return doc[key]
        lists = [k for k, v in doc.items() if isinstance(v, list) and v
                 and all(isinstance(x, dict) for x in v[:10])]
        if len(lists) == 1:
            return doc[lists[0]]
        if doc and all(not isinstance(v, dict | list) for v in doc.values()):
            return [doc]  # one record
        raise UnreadableFileError(f"{name}: the JSON holds no list of records (expected a list,"
                                  f" or an object with a 'data', 'records' or 'rows' list)")
    if isinstance(doc, list):
        return doc
    raise UnreadableFileError(f"{name}: the JSON holds a single value, not records")


def _from_records(records: list[Any], name: str, limits: Limits, file_format: str,
                  problems: list[Problem]) -> Table:
    if not records:
        raise UnreadableFileError(f"{name}: the file has no data rows (an empty list)")
    if len(records) > limits.max_rows:
        raise LimitExceededError(f"{name} has {len(records):,} records; the limit is"
                                 f" {limits.max_rows:,}")
    if all(isinstance(r, list) for r in records):  # [[header...], [row...], ...]
        header = [_text(c) for c in records[0]]
        rows = [dict(zip(header, r, strict=False)) for r in records[1:]]
        if not rows:
            raise UnreadableFileError(f"{name}: the file has a header but no data rows")
        return _from_records(rows, name, limits, file_format, problems)
    keys: dict[str, None] = {}
    kept = []
    rejected = 0
    problems = list(problems)
    lines = []
    for i, r in enumerate(records, start=1):
        if isinstance(r, _BrokenLine):
            rejected += 1
            problems.append(Problem(i, None, f"{r.message}; rejected"))
            continue
        if not isinstance(r, dict):
            rejected += 1
            problems.append(Problem(i, None, f"record {i} is {_dump(r)[:40]!r}, not an object;"
                                    " rejected"))
            continue
        keys.update(dict.fromkeys(r))
        kept.append(r)
        lines.append(i)
    names = list(keys)
    columns = [[_text(r.get(k)) for r in kept] for k in names]
    table = strings_to_arrow(columns, [f"c{j}" for j in range(len(names))])
    arr = np.asarray(lines, dtype=np.int64)
    return finish(table, names, lines=None if rejected == 0 else arr, header_line=0,
                  rows_read=len(records), rejected=rejected, problems=problems,
                  file_format=file_format, limits=limits)


def _geojson(doc: Any, name: str, limits: Limits) -> Table:
    """Feature properties as columns, the geometry as GeoJSON text in ``__geometry__``."""
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, dict) and isinstance(doc.get("features"), list):
        features = doc["features"]
    else:
        raise UnreadableFileError(f"{name} is not a GeoJSON FeatureCollection")
    records: list[Any] = []
    for f in features:
        if not isinstance(f, dict):
            records.append(f)
            continue
        props = f.get("properties") or {}
        rec = dict(props) if isinstance(props, dict) else {"properties": props}
        if "id" in f and "id" not in rec:
            rec["id"] = f["id"]
        geom = f.get("geometry")
        rec[GEOMETRY] = _Num(_dump(geom)) if geom is not None else ""
        records.append(rec)
    return _from_records(records, name, limits, "geojson", [])
