"""Readers: every upload becomes one table of strings, with true lines and nothing lost."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.errors import LimitExceededError, UnreadableFileError
from loaders.limits import DEFAULT_LIMITS, Limits
from loaders.readers import read_table

UN_DESA = Path("/work/shared/data/un_desa_migrant_stock_2017_od_matrix.csv")


def rows(t) -> list[dict[str, str]]:
    return t.data.to_pylist()


def col(t, name: str) -> list[str]:
    return t.data.column(name).to_pylist()


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, grid in sheets.items():
        ws = wb.create_sheet(title)
        for r in grid:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- CSV: encodings, delimiters, strings stay strings ------------------------------------

TEXT = "origin,destination,count\nCôte d’Ivoire,São Tomé,3\nNA,Zürich,-99\n"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # with BOM, native order
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_transcoded(encoded: bytes, encoding: str) -> None:
    t = read_table(encoded, name="f.csv")
    assert t.data.column_names == ["origin", "destination", "count"]
    assert col(t, "origin") == ["Côte d’Ivoire", "NA"]
    assert col(t, "destination") == ["São Tomé", "Zürich"]
    assert t.encoding == encoding
    legacy = [p for p in t.problems if "read as" in p.message]
    assert bool(legacy) == (encoding not in ("utf-8", "utf-8-sig"))


def test_cyrillic_legacy_encoding() -> None:
    text = "город,страна\n" + "Бишкек,Кыргызстан\nКарачи,Пакистан\nДакка,Бангладеш\n" * 20
    t = read_table(text.encode("cp1251"), name="f.csv")
    assert col(t, "город")[:3] == ["Бишкек", "Карачи", "Дакка"]



def test_a_utf8_file_with_one_legacy_line_keeps_its_utf8_names() -> None:
    """One Latin-1 line (pasted from another file) made the whole file read as cp1250:
    'München' became 'MĂĽnchen' and stopped resolving. Only that line is read as a
    legacy code page now, and it is named."""
    data = ("origin,destination,count\nMünchen,Karachi,3\n".encode()
            + "Düsseldorf,Karachi,7\n".encode("cp1252") + "Zürich,Lahore,5\n".encode())
    t = read_table(data, name="f.csv")
    assert col(t, "origin") == ["München", "Düsseldorf", "Zürich"]
    assert t.encoding == "utf-8"
    assert [(p.row, p.message) for p in t.problems] == [
        (3, "line is not UTF-8 like the rest of the file: read as cp1252 text")]
    # a legacy file whose every accented letter is one byte stays a legacy file
    assert read_table(TEXT.encode("cp1252"), name="f.csv").encoding == "cp1252"

@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_every_delimiter(delim: str) -> None:
    lines = [["origin", "transit", "destination", "count"],
             ["PK", "AE; OM", "MY", "4"], ["BD", "", "PK", "1"]]
    text = "\n".join(delim.join(f'"{c}"' if ";" in c or delim in c else c for c in r)
                     for r in lines) + "\n"
    t = read_table(text.encode(), name="f.csv")
    assert t.delimiter == delim
    assert rows(t) == [dict(zip(lines[0], r, strict=True)) for r in lines[1:]]


def test_tsv_extension_and_semicolon_inside_comma_file() -> None:
    t = read_table(b"a\tb\n1;2\t3\n", name="f.tsv")
    assert t.file_format == "tsv"
    assert rows(t) == [{"a": "1;2", "b": "3"}]
    # unquoted "x; y" in every row must not make ';' the delimiter
    text = "o,transit,d,count,year\n" + "PK,AE; OM,MY,4,2020\n" * 30
    t = read_table(text.encode(), name="f.csv")
    assert t.delimiter == ","
    assert col(t, "transit")[0] == "AE; OM"


def test_strings_stay_strings() -> None:
    t = read_table(b"iso2,n,code,x,empty\nNA,-99,007,1e5,\n", name="f.csv")
    assert rows(t) == [{"iso2": "NA", "n": "-99", "code": "007", "x": "1e5", "empty": ""}]
    for field in t.data.schema:
        assert field.type == pa.dictionary(pa.int32(), pa.string())


def test_hostile_text_is_kept_verbatim() -> None:
    evil = ['<script>alert(1)</script>', '=HYPERLINK("http://x","y")', "+1", "@SUM(A1)"]
    buf = io.StringIO()
    csv.writer(buf).writerows([["a"], *[[e] for e in evil]])
    t = read_table(buf.getvalue().encode(), name="f.csv")
    assert col(t, "a") == evil


# --- lines, ragged rows, headers -------------------------------------------------------

def test_quoted_newlines_keep_exact_lines() -> None:
    text = 'a,b\n"x\ny\nz",1\nplain,2\n"p\r\nq",3\nlast,4\n'
    t = read_table(text.encode(), name="f.csv")
    assert col(t, "a") == ["x\ny\nz", "plain", "p\r\nq", "last"]
    assert t.line_of(np.arange(4)).tolist() == [2, 5, 6, 8]


def test_a_quote_that_never_closes_on_the_last_line_sets_it_aside_too() -> None:
    t = read_table(b'origin,destination,count,year\nDhaka,Dubai,5,2020\nKarachi,"Dubai,5,2020\n',
                   name="f.csv")
    assert col(t, "origin") == ["Dhaka"]
    assert (t.rows_read, t.rejected) == (2, 1)
    assert [(p.row, p.kept) for p in t.problems] == [(3, False)]


@pytest.mark.parametrize("stray", ['Karachi,"Dubai,5,2020', 'Karachi,Dubai,5,"2020'])
def test_a_quote_that_never_closes_sets_aside_its_line_not_the_rest(stray: str) -> None:
    """An unclosed quote read every later line as one value: 50 rows vanished, and the
    report said 1 row read and kept (with the quote in the last field, not a word)."""
    later = "".join(f"Lahore,Doha,{i},2020\n" for i in range(1, 51))
    t = read_table(f"origin,destination,count,year\n{stray}\n{later}".encode(), name="f.csv")
    assert col(t, "count") == [str(i) for i in range(1, 51)]
    assert t.line_of(np.array([0, 49])).tolist() == [3, 52]
    assert (t.rows_read, t.rejected) == (51, 1)
    [problem] = t.problems
    assert (problem.row, problem.kept) == (2, False)
    assert "never closes" in problem.message


def test_a_quote_left_open_in_the_header_is_named() -> None:
    """'the file has a header but no data rows', of a file of 50 rows, said nothing of
    the quote on line 1 that had swallowed them."""
    text = 'origin,"transit,destination,count\n' + "Dhaka,Karachi,Dubai,5\n" * 50
    with pytest.raises(UnreadableFileError, match=r"in the header, line 1, never closes"):
        read_table(text.encode(), name="f.csv")
    t = read_table(b'"origin\nnote",destination\nDhaka,Dubai\n', name="f.csv")  # closed
    assert t.data.num_rows == 1


def test_a_quoted_value_holding_rows_is_kept_and_noted() -> None:
    text = ('origin,destination,count\n"Note: see below,,\nLahore,Doha,1\nMultan,"Doha,2\n'
            'Quetta,Doha,3\n"Dubai\nUAE",Doha,4\n')
    t = read_table(text.encode(), name="f.csv")
    assert col(t, "origin") == ["Note: see below,,\nLahore,Doha,1\nMultan,Doha", "Quetta",
                                "Dubai\nUAE"]
    notes = [p for p in t.problems if "stray quote" in p.message]
    assert [(p.row, p.kept) for p in notes] == [(2, True)]  # not the real two-line name
    assert "'Lahore,Doha,1'" in notes[0].message


def test_a_list_of_places_in_json_or_parquet_reads_as_the_stops_of_a_route() -> None:
    """"transit": ["Karachi", "Muscat"] was one unresolved place, '["Karachi","Muscat"]'."""
    doc = [{"origin": "Dhaka", "transit": ["Karachi", "Muscat"], "destination": "Dubai"},
           {"origin": "Lahore", "transit": [], "destination": "Doha"},
           {"origin": "Quetta", "transit": [{"city": "Tehran"}], "destination": "Van"}]
    t = read_table(json.dumps(doc).encode(), name="f.json")
    assert col(t, "transit") == ["Karachi; Muscat", "", '[{"city":"Tehran"}]']  # [] is no stop
    buf = io.BytesIO()
    pq.write_table(pa.table({"origin": ["Dhaka"], "transit": [["Kolkata", None, "Mumbai"]],
                             "destination": ["Dubai"]}), buf)
    t = read_table(buf.getvalue(), name="f.parquet")
    assert col(t, "transit") == ["Kolkata; Mumbai"]
    from loaders.load import load_dataset

    ds = load_dataset(io.BytesIO(json.dumps(doc[:1]).encode()), name="f.json")
    assert ds.report.places_resolved == ds.report.places_unique == 4


def test_plain_file_lines_are_implicit() -> None:
    t = read_table(b"a,b\n1,2\n3,4\n\n\n", name="f.csv")
    assert t.lines is None
    assert t.line_of(np.array([0, 1])).tolist() == [2, 3]
    assert t.rows_read == 2
    assert t.problems == []


def test_ragged_rows_are_padded_or_rejected_with_their_lines() -> None:
    text = 'a,b,c\n1,2,3\n4,5\n"multi\nline",7,8\n9,10,11,12\n13,14,15\n\n16,17,18\n'
    t = read_table(text.encode(), name="f.csv")
    assert col(t, "a") == ["1", "4", "multi\nline", "13", "16"]
    assert col(t, "c") == ["3", "", "8", "15", "18"]
    assert t.line_of(np.arange(5)).tolist() == [2, 3, 4, 7, 9]
    assert t.rows_read == 6
    assert t.rejected == 1
    short = [p for p in t.problems if "padded" in p.message]
    long = [p for p in t.problems if "rejected" in p.message]
    assert [(p.row, p.kept) for p in short] == [(3, True)]
    assert [(p.row, p.kept) for p in long] == [(6, False)]
    assert t.rows_read == t.data.num_rows + t.rejected


def test_trailing_empty_fields_are_not_a_rejection() -> None:
    t = read_table(b"a,b\n1,2,,\n3,4\n", name="f.csv")
    assert rows(t) == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert t.rejected == 0
    assert [p.row for p in t.problems if p.kept] == [2]


def test_duplicate_and_blank_headers() -> None:
    t = read_table(b"count,,count,count_2\n1,2,3,4\n", name="f.csv")
    assert t.data.column_names == ["count", "column_2", "count_3", "count_2"]
    renamed = [p for p in t.problems if "duplicate" in p.message]
    assert [(p.column, p.kept) for p in renamed] == [("count_3", True)]


def test_old_ctdc_export() -> None:
    notice = ("The Counter Trafficking Data Collaborative (CTDC) data are provided under terms"
              " of use: no attempt to identify individuals")
    text = (f"{notice};yearOfRegistration;citizenship;CountryOfExploitation\n"
            ";2016;NA;\n;2017;PH;MY\n")
    t = read_table(text.encode(), name="ctdc.csv")
    assert t.data.column_names == ["yearOfRegistration", "citizenship", "CountryOfExploitation"]
    assert rows(t)[0] == {"yearOfRegistration": "2016", "citizenship": "NA",
                          "CountryOfExploitation": ""}
    assert any(p.column == "notice" and p.kept for p in t.problems)
    # a notice column that does hold values is kept, as "notice"
    t = read_table((text + "x;2018;BD;PK\n").encode(), name="ctdc.csv")
    assert t.data.column_names[0] == "notice"
    assert col(t, "notice") == ["", "", "x"]


def test_title_lines_above_header() -> None:
    text = "Table 1. Migrants by origin,,\n,,\norigin,destination,count\nPK,MY,3\nBD,PK,1\n"
    t = read_table(text.encode(), name="f.csv")
    assert t.data.column_names == ["origin", "destination", "count"]
    assert t.header_line == 3
    assert t.line_of(np.arange(2)).tolist() == [4, 5]
    assert any("skipped" in p.message and p.kept for p in t.problems)


def test_header_with_numeric_names_is_not_skipped() -> None:
    t = read_table(b"country,1990,1995\nPK,1,2\nBD,3,4\n", name="f.csv")
    assert t.data.column_names == ["country", "1990", "1995"]
    assert t.header_line == 1


def test_one_megabyte_cell_is_truncated_and_reported() -> None:
    big = "x" * 1_000_000
    t = read_table(f"a,b\nPK,{big}\nBD,short\n".encode(), name="f.csv",
                   limits=Limits(max_cell_chars=1000))
    assert col(t, "b") == ["x" * 1000, "short"]
    [p] = t.problems
    assert (p.row, p.column, p.kept) == (2, "b", True)
    # with the default limit (100,000) it is cut too, and nothing crashes
    t = read_table(f"a,b\nPK,{big}\n".encode(), name="f.csv")
    assert len(col(t, "b")[0]) == DEFAULT_LIMITS.max_cell_chars


# --- limits and bad files --------------------------------------------------------------

def test_empty_and_header_only() -> None:
    with pytest.raises(UnreadableFileError, match="empty"):
        read_table(b"", name="f.csv")
    with pytest.raises(UnreadableFileError, match="empty"):
        read_table(b" \r\n\n", name="f.csv")
    with pytest.raises(UnreadableFileError, match="no data rows"):
        read_table(b"a,b,c\n\n", name="f.csv")


def test_binary_and_mislabelled_files(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with pytest.raises(UnreadableFileError, match="PNG image"):
        read_table(png, name="photo.csv")
    with pytest.raises(UnreadableFileError, match="binary"):
        read_table(b"a,b\n\x00\x01\x02\x03garbage\xff", name="f.csv")
    # an xlsx named .csv is read as Excel, and the report says so
    t = read_table(xlsx_bytes({"S": [["a", "b"], ["1", "2"]]}), name="data.csv")
    assert t.file_format == "xlsx"
    assert rows(t) == [{"a": "1", "b": "2"}]
    assert t.problems[0].kept
    assert t.problems[0].row is None
    assert "Excel" in t.problems[0].message
    # a text file named .xlsx is refused clearly
    with pytest.raises(UnreadableFileError, match="not a readable Excel workbook"):
        read_table(b"a,b\n1,2\n", name="data.xlsx")
    # a path and a file object work as well as bytes
    p = tmp_path / "f.csv"
    p.write_bytes(b"a\nNA\n")
    assert col(read_table(p), "a") == ["NA"]
    with p.open("rb") as fh:
        assert col(read_table(fh), "a") == ["NA"]


def test_limits_bytes_and_rows(tmp_path: Path) -> None:
    data = b"a,b\n" + b"1,2\n" * 100
    with pytest.raises(LimitExceededError, match="MB"):
        read_table(data, name="f.csv", limits=Limits(max_bytes=100))
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    with pytest.raises(LimitExceededError):
        read_table(p, limits=Limits(max_bytes=100))
    with pytest.raises(LimitExceededError, match="rows"):
        read_table(data, name="f.csv", limits=Limits(max_rows=50))
    with pytest.raises(LimitExceededError, match="rows"):  # exact path too
        read_table(data + b"1\n", name="f.csv", limits=Limits(max_rows=50))


# --- Excel --------------------------------------------------------------------------

def test_xlsx_values_sheet_choice_and_row_numbers() -> None:
    import datetime as dt

    data = xlsx_bytes({
        "notes": [["read me"]],
        "cases": [["Case counts 2020"], [], ["origin", "count", "date", "share", "code"],
                  ["NA", 3, dt.datetime(2020, 1, 2), 0.25, "007"],
                  [],
                  ["PK", -99, dt.date(2021, 5, 6), 1.5, "1e5"]],
    })
    t = read_table(data, name="book.xlsx")
    assert t.sheet == "cases"
    assert t.file_format == "xlsx"
    assert rows(t) == [
        {"origin": "NA", "count": "3", "date": "2020-01-02", "share": "0.25", "code": "007"},
        {"origin": "PK", "count": "-99", "date": "2021-05-06", "share": "1.5", "code": "1e5"},
    ]
    assert t.header_line == 3
    assert t.line_of(np.arange(2)).tolist() == [4, 6]
    assert any("skipped" in p.message for p in t.problems)
    with pytest.raises(UnreadableFileError, match="no data rows"):
        read_table(data, name="book.xlsx", sheet="notes")


def test_corrupt_xlsx() -> None:
    good = xlsx_bytes({"S": [["a"], ["1"]]})
    with pytest.raises(UnreadableFileError, match="not a readable Excel workbook"):
        read_table(good[: len(good) // 2], name="book.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<not really xml")
    with pytest.raises(UnreadableFileError, match="not a readable Excel workbook"):
        read_table(buf.getvalue(), name="book.xlsx")


def test_zip_bomb_guard() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 2**20))
    bomb = buf.getvalue()
    assert len(bomb) < 100_000
    with pytest.raises(LimitExceededError, match="zip bomb"):
        read_table(bomb, name="bomb.xlsx")
    with pytest.raises(LimitExceededError, match="unzipped"):
        read_table(bomb, name="bomb.xlsx", limits=Limits(max_xlsx_uncompressed=2**20))


def _understate(data: bytes, member: str, size: int) -> bytes:
    """``data`` (a zip) with ``member``'s uncompressed size written as ``size`` in both
    its local header and the central directory, as a crafted bomb would."""
    raw, name = bytearray(data), member.encode()
    for sig, size_at, name_at, len_at in ((b"PK\x03\x04", 22, 30, 26),
                                          (b"PK\x01\x02", 24, 46, 28)):
        at = raw.find(sig)
        while at >= 0:
            n = int.from_bytes(raw[at + len_at:at + len_at + 2], "little")
            if raw[at + name_at:at + name_at + n] == name:
                raw[at + size_at:at + size_at + 4] = size.to_bytes(4, "little")
            at = raw.find(sig, at + 4)
    return bytes(raw)


def test_a_zip_that_understates_its_sizes_is_refused_not_expanded() -> None:
    # the bomb guard reads the sizes a zip declares; this holds only because the reader
    # stops at a member's declared size instead of inflating what follows
    rows = [["origin", "destination"], *[["Dhaka", "Karachi"]] * 5000]
    liar = _understate(xlsx_bytes({"S": rows}), "xl/worksheets/sheet1.xml", 200)
    assert zipfile.ZipFile(io.BytesIO(liar)).getinfo("xl/worksheets/sheet1.xml").file_size == 200
    with pytest.raises(UnreadableFileError, match="larger than its declared"):
        read_table(liar, name="liar.xlsx")


# --- JSON, GeoJSON, Parquet ---------------------------------------------------------

@pytest.mark.parametrize(
    "doc",
    [
        '[{"origin": "NA", "count": 3}, {"origin": "PK", "via": ["AE", "OM"]}]',
        '{"data": [{"origin": "NA", "count": 3}, {"origin": "PK", "via": ["AE", "OM"]}]}',
        '{"records": [{"origin": "NA", "count": 3}, {"origin": "PK", "via": ["AE", "OM"]}]}',
        '{"origin": "NA", "count": 3}\n{"origin": "PK", "via": ["AE", "OM"]}\n',
    ],
)
def test_json_shapes(doc: str) -> None:
    t = read_table(doc.encode(), name="f.json")
    assert rows(t) == [{"origin": "NA", "count": "3", "via": ""},
                       {"origin": "PK", "count": "", "via": "AE; OM"}]  # a list of places
    assert t.header_line == 0
    assert t.line_of(np.arange(2)).tolist() == [1, 2]


def test_json_numbers_kept_as_written() -> None:
    t = read_table(b'[{"a": 1.0, "b": 1e5, "c": null, "d": true, "e": {"x": 2.50}}]',
                   name="f.json")
    assert rows(t) == [{"a": "1.0", "b": "1e5", "c": "", "d": "true", "e": '{"x":2.50}'}]


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(UnreadableFileError, match=r"line 3, column 10") as e:
        read_table(b'[\n {"a": 1},\n {"a": 2,,}\n]', name="f.json")
    assert "\n" not in str(e.value)
    with pytest.raises(UnreadableFileError, match=r"line 1"):
        read_table(b'{"a": \nnot json\n', name="f.ndjson")


def test_a_broken_ndjson_line_is_one_rejected_row() -> None:
    t = read_table(b'{"a": 1}\n{"a": \n{"a": 3}\n', name="f.ndjson")
    assert rows(t) == [{"a": "1"}, {"a": "3"}]
    assert (t.rows_read, t.rejected) == (3, 1)
    [problem] = t.problems
    assert problem.row == 2
    assert "line 2 is not valid JSON" in problem.message


def test_geojson() -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"from": "Karachi", "to": "Kuala Lumpur", "n": 3},
         "geometry": {"type": "LineString", "coordinates": [[67.01, 24.86], [101.69, 3.139]]}},
        {"type": "Feature", "properties": {"from": "Dhaka", "to": None},
         "geometry": {"type": "Point", "coordinates": [90.41, 23.81]}},
        {"type": "Feature", "properties": {"from": "x"}, "geometry": None},
    ]}
    for name in ("routes.geojson", "routes.json"):
        t = read_table(json.dumps(doc).encode(), name=name)
        assert t.file_format == "geojson"
        assert col(t, "from") == ["Karachi", "Dhaka", "x"]
        assert col(t, "to") == ["Kuala Lumpur", "", ""]
        geoms = col(t, "__geometry__")
        assert json.loads(geoms[0]) == doc["features"][0]["geometry"]
        assert json.loads(geoms[1])["type"] == "Point"
        assert geoms[2] == ""
        assert t.line_of(np.arange(3)).tolist() == [1, 2, 3]


def test_parquet_cast_to_text() -> None:
    import datetime as dt

    tbl = pa.table({
        "iso2": ["NA", None], "n": pa.array([3, None], pa.int64()),
        "x": [1.0, 2.5], "d": [dt.date(2020, 1, 2), None],
        "cat": pa.array(["a", "b"]).dictionary_encode(), "lst": [[1, 2], None],
    })
    buf = io.BytesIO()
    pq.write_table(tbl, buf)
    t = read_table(buf.getvalue(), name="f.parquet")
    assert rows(t) == [
        {"iso2": "NA", "n": "3", "x": "1", "d": "2020-01-02", "cat": "a", "lst": "[1, 2]"},
        {"iso2": "", "n": "", "x": "2.5", "d": "", "cat": "b", "lst": ""},
    ]
    with pytest.raises(LimitExceededError):
        read_table(buf.getvalue(), name="f.parquet", limits=Limits(max_rows=1))
    with pytest.raises(UnreadableFileError, match="Parquet"):
        read_table(b"PAR1 broken", name="f.parquet")


# --- real data ------------------------------------------------------------------------

@pytest.mark.skipif(not UN_DESA.exists(), reason="shared UN DESA file not present")
def test_un_desa_matrix() -> None:
    with UN_DESA.open(newline="", encoding="utf-8") as fh:
        expected = list(csv.reader(fh))
    t = read_table(UN_DESA)
    assert t.data.column_names == expected[0]
    assert t.data.num_rows == len(expected) - 1 == t.rows_read
    assert t.rejected == 0
    assert col(t, "MajorArea")[:1] == ["WORLD"]
    assert rows(t)[100] == dict(zip(expected[0], expected[101], strict=True))


# --- property: whatever csv.writer writes, read_table reads back exactly ----------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cell = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\tNA-9é<=')), max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=6),
    terminator=st.sampled_from(["\n", "\r\n"]),
    short_row=st.booleans(),
)
def test_round_trip_of_csv_writer_output(
    body: list[list[str]], terminator: str, short_row: bool
) -> None:
    """Both the fast path and the exact one (forced by a short last row) read back."""
    header = ["origin", "transit", "destination"]
    if terminator == "\n":  # csv.writer would leave a lone \r unquoted: not valid CSV
        body = [[c.replace("\r", "") for c in r] for r in body]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=terminator, quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(body)
    if short_row:
        w.writerow(["x", "y"])
    text = buf.getvalue()
    t = read_table(text.encode(), name="f.csv")
    assert t.data.column_names == header
    assert [list(r.values()) for r in rows(t)] == body + ([["x", "y", ""]] if short_row else [])
    # each row's line is where its text starts in the file
    expected, line = [], 1
    for rec in csv.reader(io.StringIO(text, newline="")):
        expected.append(line)
        line += sum(f.count("\n") for f in rec) + 1
    assert t.line_of(np.arange(t.data.num_rows)).tolist() == expected[1:]


def test_header_spanning_two_lines_gives_explicit_lines() -> None:
    t = read_table(b'"origin\n(country)",count\nPK,3\nBD,1\n', name="f.csv")
    assert t.data.column_names == ["origin\n(country)", "count"]
    assert t.line_of(np.arange(2)).tolist() == [3, 4]


def test_lone_carriage_return_files() -> None:
    t = read_table(b"a,b\r1,2\r3,4\r", name="mac.csv")  # classic Mac line ends
    assert rows(t) == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert t.line_of(np.arange(2)).tolist() == [2, 3]


def test_central_european_windows_1250_reads_its_letters() -> None:
    text = "origin,destination\nWrocław,Łódź\nKraków,Gdańsk\nŚląsk,Poznań\nIaşi,Chişinău\n"
    t = read_table(text.encode("cp1250"), name="pl.csv")
    assert t.encoding == "cp1250"
    assert rows(t)[0] == {"origin": "Wrocław", "destination": "Łódź"}
    assert rows(t)[3]["destination"] == "Chişinău"


def test_western_windows_1252_is_not_taken_for_1250() -> None:
    text = "origin,destination\nCôte d’Ivoire,Bénin\nSão Tomé,Zürich\n"
    t = read_table(text.encode("cp1252"), name="fr.csv")
    assert t.encoding == "cp1252"
    assert rows(t)[1] == {"origin": "São Tomé", "destination": "Zürich"}
