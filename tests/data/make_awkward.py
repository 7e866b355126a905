"""Write the awkward and hostile input corpus in tests/data/awkward/, with EXPECTED.json.

Each file is one thing an analyst's upload can get wrong, or one thing an attacker can try:
wrong encodings and delimiters, ragged rows, a PNG named .csv, a truncated workbook, a
zip bomb, a 1 MB cell, script and spreadsheet-formula text in place names, and the real
layouts routemap must recognise (CTDC old and new, an OD matrix, legs, coordinates).

EXPECTED.json states, for each file, what ``routemap check --json FILE`` must do
(DESIGN.md §8): ``exit`` 0 when the file loads (unresolved places and rejected rows are
reported, not fatal) or 2 when it cannot be used; where it loads, ``rows`` read, kept and
rejected (read = kept + rejected). ``reason`` says why in one line; ``layout`` is the
layout we expect detection to pick (informative: a test may check it).

Row rules (DESIGN §2, §8): blank lines are not rows; a row with no usable place is rejected
("", "-99" and similar missing markers are no place; unresolvable text is a place, kept
and reported unresolved); a non-numeric, negative or fractional count rejects the row, a
blank count keeps it (a route reported without a number); a bad year is blanked and the
row kept; a short row is padded and kept, a long row (extra non-empty fields) rejected.

The output is deterministic (fixed zip timestamps, no random data): run
``python tests/data/make_awkward.py`` and git shows no change.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

OUT = Path(__file__).resolve().parent / "awkward"
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
BOMB_CLAIMED_BYTES = 0xE8000000  # ~3.9 GB, under the 4 GiB a plain (non-zip64) header holds

HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "`whoami`",
    "C:\\Windows\\System32\\",
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "@SUM(1)",
)


# --- helpers ------------------------------------------------------------------------------


def csv_text(rows: Sequence[Sequence[object]], delimiter: str = ",", newline: str = "\n") -> str:
    """Rows as CSV text, quoting only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue()


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    """A minimal valid workbook (one sheet, inline strings, numbers as numbers).

    Built by hand rather than with openpyxl so the bytes do not carry a creation time.
    """
    return _zip(_xlsx_parts(_sheet_xml(rows)))


def workbook_bytes(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    """A minimal valid workbook with these sheets, in this order."""
    return _zip(_xlsx_parts(*(_sheet_xml(rows) for rows in sheets.values()),
                            names=tuple(sheets)))


def _sheet_xml(rows: Sequence[Sequence[object]], padding: int = 0) -> bytes:
    cells = []
    for r, row in enumerate(rows, start=1):
        out = []
        for c, value in enumerate(row):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, int | float):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value != "":
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    # XML whitespace between elements is legal: the zip-ratio bomb is made of it.
    pad = " " * padding
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData>{pad}{"".join(cells)}</sheetData></worksheet>'
    ).encode()


def _xlsx_parts(*sheets: bytes, names: Sequence[str] = ("cases",)) -> list[tuple[str, bytes]]:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    numbers = range(1, len(sheets) + 1)
    return [
        ("[Content_Types].xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{pkg}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType='
                      '"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                      'worksheet+xml"/>' for i in numbers)
            + '</Types>').encode()),
        ("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>').encode()),
        ("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" '
            f'xmlns:r="{rel}"><sheets>'
            + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, n in zip(numbers, names, strict=True))
            + '</sheets></workbook>').encode()),
        ("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in numbers)
            + '</Relationships>').encode()),
        *((f"xl/worksheets/sheet{i}.xml", sheet) for i, sheet in zip(numbers, sheets,
                                                                     strict=True)),
    ]


def _zip(parts: Sequence[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def claim_size(data: bytes, member: str, claimed: int) -> bytes:
    """Rewrite the uncompressed size a zip records for ``member`` (local and central headers).

    The data and its CRC stay true; only the declared size lies, as in a zip bomb that
    announces gigabytes. A reader must refuse on the declared size before inflating.
    """
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", out, info.header_offset + 22, claimed)  # local file header
    name = member.encode()
    central = out.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46: central + 46 + name_len] == name:
            struct.pack_into("<I", out, central + 24, claimed)
            return bytes(out)
        central = out.find(b"PK\x01\x02", central + 4)
    raise ValueError(f"{member} not in the central directory")


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00", 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def parquet_bytes() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "origin": ["Dhaka", "NA", None, "Kabul", "Yangon"],
        "transit": ["Kolkata; Dubai", "", None, "Tehran", "Bangkok"],
        "destination": ["Riyadh", "South Africa", None, "Istanbul", "Kuala Lumpur"],
        "count": pa.array([3, 1, 2, None, 5], pa.int64()),
        "year": pa.array([2019, 2020, 2021, 2022, 2023], pa.int32()),
        "exploitation": ["forced labour", "sexual", "sexual", "begging", "forced labour"],
    })
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


# --- the corpus -----------------------------------------------------------------------------

ROUTES_HEADER = ["origin", "transit", "destination", "count", "year"]
GOOD_ROUTES = [
    ["Dhaka", "Kolkata", "Dubai", "2", "2019"],
    ["Kathmandu", "", "Delhi", "1", "2020"],
    ["Yangon", "Bangkok", "Kuala Lumpur", "4", "2018"],
]
NOTICE = (
    "Disclaimer: the data are provided by the Counter Trafficking Data Collaborative (CTDC)"
    " under its terms of use; they may not be used to identify individuals, re-hosted or"
    " redistributed without permission"
)


def _ctdc_old() -> bytes:
    header = [NOTICE, "yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus",
              "citizenship", "isForcedLabour", "isSexualExploit", "isOtherExploit",
              "typeOfLabourDomesticWork", "typeOfSexProstitution", "meansOfControlDebtBondage",
              "recruiterRelationFriend", "CountryOfExploitation"]
    rows = [
        ["", "2016", "Case Management", "Female", "18--20", "Adult", "UA",
         "0", "1", "0", "0", "1", "0", "1", "RU"],
        ["", "2017", "Case Management", "Female", "9--17", "Minor", "NA",
         "1", "0", "0", "1", "0", "1", "0", "ZA"],
        ["", "2018", "Case Management", "Male", "30--38", "Adult", "PH",
         "1", "0", "0", "0", "0", "1", "0", ""],
        ["", "2019", "Case Management", "Female", "-99", "-99", "-99",
         "0", "1", "0", "0", "1", "0", "0", "US"],
        ["", "2015", "Hotline", "Male", "-99", "-99", "-99",
         "1", "0", "0", "0", "0", "0", "0", "-99"],
        ["", "-99", "Case Management", "Female", "18--20", "Adult", "ZW",
         "0", "1", "0", "0", "1", "0", "1", "NA"],
        ["", "2020", "Case Management", "Female", "18--20", "Adult", "",
         "0", "1", "0", "0", "1", "0", "0", ""],
    ]
    return csv_text([header, *rows], delimiter=";").encode()


def _ctdc_new() -> bytes:
    header = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation",
              "isForcedLabour", "isSexualExploit", "isOtherExploit", "typeOfLabourConstruction",
              "meansOfControlThreats", "recruiterRelationFamily"]
    rows = [
        ["2021", "Woman", "18--20", "UKR", "POL", "1", "0", "0", "1", "1", "0"],
        ["2022", "Girl", "9--17", "NAM", "ZAF", "0", "1", "0", "0", "1", "1"],
        ["2022", "Man", "30--38", "PHL", "", "1", "0", "0", "1", "0", "0"],
        ["2023", "Woman", "", "", "USA", "0", "1", "0", "0", "0", "0"],
        ["2023", "Man", "", "", "", "1", "0", "0", "0", "0", "0"],
        ["2024", "Woman", "18--20", "MMR", "THA", "1", "0", "0", "0", "1", "0"],
    ]
    return csv_text([header, *rows]).encode()


def _od_matrix() -> bytes:
    header = ["Year", "MajorArea", "Total", "Other North", "Other South",
              "Bangladesh", "India", "Nepal", "Pakistan"]
    rows = [
        ["2017", "WORLD", "257715425", "2531640", "6473591", "7500000", "16587720", "2000000",
         "5979407"],
        ["2017", "More developed regions", "146000000", "1200000", "3100000", "900000",
         "5000000", "300000", "1900000"],
        ["2017", "India", "5188550", "0", "0", "3096000", "0", "542000", "1078000"],
        ["2017", "Pakistan", "3398154", "0", "0", "0", "1596000", "0", "0"],
        ["2017", "Saudi Arabia", "12185284", "0", "0", "1246000", "2245000", "376000",
         "1125000"],
    ]
    return csv_text([header, *rows]).encode()


def _geojson() -> bytes:
    def line(coords: list[list[float]], **props: object) -> dict:
        return {"type": "Feature", "properties": props,
                "geometry": {"type": "LineString", "coordinates": coords}}
    doc = {"type": "FeatureCollection", "features": [
        line([[90.4074, 23.7104], [55.3093, 25.0772]], origin="Dhaka", destination="Dubai",
             count=2, year=2019),
        line([[96.1561, 16.8053], [100.5018, 13.7540], [101.6865, 3.1412]], origin="Yangon",
             transit="Bangkok", destination="Kuala Lumpur", count=5, year=2020),
        line([[67.0100, 24.8600], [101.6865, 3.1412]], origin="Karachi",
             destination="Malaysia", count=11, year=2002),
    ]}
    return (json.dumps(doc, indent=1) + "\n").encode()


def _hostile() -> bytes:
    header = ["origin", "transit", "destination", "count", "year", "exploitation", "note"]
    h = HOSTILE
    rows = [
        [h[0], "", "Pakistan", "1", "2019", h[1], h[2]],
        ["Pakistan", h[3], h[1], "1", "2019", h[0], h[4]],
        [h[5], "", "Malaysia", "2", "2020", h[6], h[7]],
        [h[6], h[4], h[7], "1", "2021", h[5], "' OR 1=1; DROP TABLE cases; --"],
        [h[2], "", h[3], "1", "2022", "{{7*7}}", '"quoted" & <b>bold</b>'],
        ["Karachi", "", "Dubai", "3", "2023", "sexual", "\u202egnp.exe"],
    ]
    return csv_text([header, *rows]).encode()


def _all_files() -> list[tuple[str, Callable[[], bytes], dict]]:
    """(file name, bytes maker, expectation) for every file of the corpus."""
    good = csv_text([ROUTES_HEADER, *GOOD_ROUTES])
    xlsx_rows = [["origin", "destination", "count", "year"],
                 ["Dhaka", "Dubai", 2, 2019], ["Karachi", "Kuala Lumpur", 11, 2002],
                 ["Bishkek", "Moscow", 1, 2021]]
    latin = csv_text([["origin", "destination", "count", "year"],
                      ["Côte d’Ivoire", "France", "3", "2017"], ["Bénin", "Gabon", "2", "2018"],
                      ["Nigeria", "Côte d'Ivoire", "1", "2019"]])

    def ok(read: int, kept: int, layout: str, reason: str) -> dict:
        return {"exit": 0, "rows": {"read": read, "kept": kept, "rejected": read - kept},
                "layout": layout, "reason": reason}

    def refused(reason: str) -> dict:
        return {"exit": 2, "reason": reason}

    return [
        ("empty.csv", lambda: b"", refused("zero bytes: the file is empty")),
        ("blank_lines.csv", lambda: b"\n \r\n\t\n\n",
         refused("only whitespace and line ends: empty")),
        ("header_only.csv", lambda: b"origin,transit,destination,count,year\n",
         refused("a header but no data rows: nothing to load")),
        ("png_named.csv", png_bytes, refused("PNG image bytes named .csv: binary, not a table")),
        ("xlsx_renamed.csv", lambda: xlsx_bytes(xlsx_rows),
         ok(3, 3, "routes", "a valid workbook named .csv: the zip+xl/workbook.xml content is"
            " unambiguous, so it is read as Excel with a kept note (loaders/readers.py)")),
        ("utf16.csv", lambda: codecs.BOM_UTF16_LE + latin.encode("utf-16-le"),
         ok(3, 3, "routes", "UTF-16 LE with BOM (Excel 'Unicode text'): decoded, not binary")),
        ("cp1252.csv", lambda: latin.encode("cp1252"),
         ok(3, 3, "routes", "Windows-1252 (Côte d’Ivoire, Bénin): decoded as cp1252")),
        ("utf8_bom.csv", lambda: codecs.BOM_UTF8 + good.encode(),
         ok(3, 3, "routes", "UTF-8 BOM must not stick to the first header name 'origin'")),
        ("semicolon.csv", lambda: csv_text([ROUTES_HEADER, *GOOD_ROUTES], ";").encode(),
         ok(3, 3, "routes", "';'-delimited (European Excel export)")),
        ("tab_delimited.csv", lambda: csv_text([ROUTES_HEADER, *GOOD_ROUTES], "\t").encode(),
         ok(3, 3, "routes", "tab-delimited text named .csv")),
        ("crlf.csv", lambda: csv_text([ROUTES_HEADER, *GOOD_ROUTES], newline="\r\n").encode(),
         ok(3, 3, "routes", "Windows CRLF line ends")),
        ("quoted_newlines.csv", lambda: csv_text([
            ["origin", "destination", "count", "note"],
            ["Dhaka", "Dubai", "2", "first line\nsecond line"],
            ["Karachi", "Malaysia", "11", 'said "babies"\r\nthird line'],
            ["Bishkek", "Moscow", "1", "plain"]]).encode(),
         ok(3, 3, "routes", "newlines inside quoted fields: 3 records over 6 lines")),
        ("ragged.csv", lambda: (
            b"origin,transit,destination,count,year\n"
            b"Dhaka,,Dubai,2,2019\n"
            b"Kathmandu,,Delhi\n"
            b"Karachi,Dubai,Riyadh,1,2020,unexpected\n"
            b"Yangon,Bangkok,Kuala Lumpur,4,2018\n"),
         ok(4, 3, "routes", "line 3 short: padded and kept (blank count = no number);"
            " line 4 has an extra non-empty field: rejected")),
        ("duplicate_headers.csv", lambda: csv_text([
            ["origin", "destination", "count", "note", "note"],
            ["Dhaka", "Dubai", "2", "a", "b"], ["Karachi", "Doha", "1", "c", "d"],
            ["Kabul", "Tehran", "3", "e", ""]]).encode(),
         ok(3, 3, "routes", "two 'note' columns: the second is renamed and reported")),
        ("no_place_columns.csv", lambda: b"id,value,colour\n1,10,red\n2,20,blue\n",
         refused("no origin, destination, from/to, CTDC, matrix or coordinate column")),
        ("malformed.json", lambda: (
            b'[{"origin": "Dhaka", "destination": "Dubai", "count": 3},\n'
            b' {"origin": "Karachi", "destination": '),
         refused("JSON cut off mid-record")),
        ("records.json", lambda: (json.dumps([
            {"origin": "Dhaka", "transit": "Kolkata; Dubai", "destination": "Riyadh",
             "count": 3, "year": 2019},
            {"origin": "Karachi", "destination": "Malaysia", "count": "11", "year": "2002"},
            {"origin": "", "destination": None, "count": 2, "year": 2020},
            {"origin": "Bishkek", "destination": "Moscow", "year": 2021},
        ], indent=1) + "\n").encode(),
         ok(4, 3, "routes", "a JSON list of records; the third names no place: rejected")),
        ("lines.geojson", _geojson,
         ok(3, 3, "coordinates", "GeoJSON LineStrings with names: coordinates win")),
        ("valid.xlsx", lambda: xlsx_bytes(xlsx_rows),
         ok(3, 3, "routes", "a plain workbook, the baseline for the broken ones")),
        ("notes_sheet_first.xlsx", lambda: workbook_bytes({
            "Notes": [["About this workbook"], *[[f"Note {i}: how the cases were collected",
                                                   "by the field office", 2024]
                                                  for i in range(40)]],
            "Cases": xlsx_rows}),
         ok(3, 3, "routes", "a notes sheet larger than the data: the largest sheet fits no"
            " layout, so the next one is read and the report says so")),
        ("corrupt.xlsx", lambda: xlsx_bytes(xlsx_rows)[:400],
         refused("workbook truncated mid-zip: corrupt")),
        ("zip_bomb.xlsx", lambda: claim_size(xlsx_bytes(xlsx_rows), "xl/worksheets/sheet1.xml",
                                             BOMB_CLAIMED_BYTES),
         refused("the sheet claims ~3.9 GB uncompressed, over the decompressed-size limit:"
                 " refused before inflating (the real content would load)")),
        ("zip_ratio_bomb.xlsx", lambda: _zip(_xlsx_parts(
            _sheet_xml(xlsx_rows, padding=8 * 1024 * 1024))),
         refused("8 MB of sheet XML from ~8 KB of zip (ratio ~1000): over the"
                 " compression-ratio limit (loaders/limits.py max_zip_ratio)")),
        ("bad_counts.csv", lambda: csv_text([
            ["origin", "destination", "count", "year"],
            ["Dhaka", "Dubai", "3", "2019"], ["Karachi", "Riyadh", "abc", "2019"],
            ["Lahore", "Doha", "-3", "2019"], ["Kathmandu", "Delhi", "1.5", "2019"],
            ["Yangon", "Bangkok", "", "2019"], ["Tashkent", "Moscow", "2.0", "2019"]]).encode(),
         ok(6, 6, "routes", "'abc', '-3', '1.5' kept as reported without a number, each"
            " noted; blank kept (no number); '2.0' kept as 2")),
        ("bad_years.csv", lambda: csv_text([
            ["origin", "destination", "count", "year"],
            ["Dhaka", "Dubai", "1", "2019"], ["Karachi", "Riyadh", "1", "20x5"],
            ["Lahore", "Doha", "1", "3024"], ["Kabul", "Tehran", "1", ""]]).encode(),
         ok(4, 4, "routes", "'20x5' and '3024' are blanked and reported; rows kept")),
        ("huge_cell.csv", lambda: csv_text([
            ["origin", "destination", "count", "note"],
            ["Dhaka", "Dubai", "1", "A" * (1024 * 1024)],
            ["Karachi", "Malaysia", "11", "short"]]).encode(),
         ok(2, 2, "routes", "a 1 MB note cell (over csv's default field limit): truncated and"
            " reported, row kept")),
        ("hostile_text.csv", _hostile,
         ok(6, 6, "routes", "script, template, formula and bidi text in places and attributes:"
            " kept as data (unresolved places), never executed")),
        ("ctdc_old.csv", _ctdc_old,
         ok(7, 5, "ctdc", "old CTDC: ';', empty first field under a notice header, ISO2,"
            " 'NA' = Namibia, '-99' missing; two rows with no country at all rejected")),
        ("ctdc_new.csv", _ctdc_new,
         ok(6, 5, "ctdc", "new CTDC with ISO3; blank CountryOfExploitation kept (origin only);"
            " the row with neither country rejected")),
        ("od_matrix.csv", _od_matrix,
         ok(5, 3, "matrix", "UN DESA style: WORLD and 'More developed regions' set aside"
            " (counted rejected, listed in set_aside); 3 destination rows kept")),
        ("legs_route_ids.csv", lambda: csv_text([
            ["route_id", "leg", "from", "to", "count", "year"],
            ["R1", "1", "Dhaka", "Kolkata", "3", "2019"],
            ["R1", "2", "Kolkata", "Dubai", "3", "2019"],
            ["R1", "3", "Dubai", "Riyadh", "3", "2019"],
            ["R2", "1", "Kathmandu", "Delhi", "1", "2020"],
            ["R3", "2", "Tehran", "Istanbul", "2", "2021"],
            ["R3", "1", "Kabul", "Tehran", "2", "2021"]]).encode(),
         ok(6, 6, "legs", "legs chained by route_id and leg order (R3 listed out of order):"
            " 6 rows, 3 records")),
        ("latlon.csv", lambda: csv_text([
            ["origin", "origin_lat", "origin_lon", "destination", "destination_lat",
             "destination_lon", "count", "year"],
            ["Dhaka", "23.7104", "90.4074", "Dubai", "25.0772", "55.3093", "2", "2019"],
            ["Border camp 7", "20.6", "92.3", "Kuala Lumpur", "3.1412", "101.6865", "1", "2020"],
            ["Karachi", "", "", "Muscat", "23.5841", "58.4078", "1", "2021"],
            ["Lahore", "123.0", "74.3", "Doha", "25.2854", "51.5310", "1", "2021"]]).encode(),
         ok(4, 4, "coordinates", "given coordinates win; blank ones fall back to the name;"
            " an impossible latitude (123) is reported and the name used")),
        ("routes.parquet", parquet_bytes,
         ok(5, 4, "routes", "typed Parquet with nulls; 'NA' is Namibia, not missing;"
            " the all-null row rejected; a null count kept (no number)")),
        ("transit_separators.csv", lambda: csv_text([
            ["origin", "transit", "destination", "count"],
            ["Dhaka", "Kolkata; Mumbai", "Dubai", "2"],
            ["Kathmandu", "Delhi | Mumbai", "Muscat", "1"],
            ["Yangon", "Bangkok > Hat Yai", "Kuala Lumpur", "3"],
            ["Kabul", "Herat → Tehran → Tabriz", "Istanbul", "1"]]).encode(),
         ok(4, 4, "routes", "transit lists split on ';', '|', '>' and '→' (up to 3 stops)")),
        ("transit_columns.csv", lambda: csv_text([
            ["origin", "transit_1", "transit_2", "transit_3", "destination", "count"],
            ["Dhaka", "Kolkata", "Karachi", "Dubai", "Riyadh", "2"],
            ["Tashkent", "Almaty", "", "", "Moscow", "1"],
            ["Kabul", "Herat", "Tehran", "", "Istanbul", "4"]]).encode(),
         ok(3, 3, "routes", "transit_1..3 columns, blanks skipped")),
        ("city_country.csv", lambda: csv_text([
            ["origin_city", "origin_country", "destination_city", "destination_country",
             "count"],
            ["Hyderabad", "Pakistan", "Dubai", "United Arab Emirates", "2"],
            ["Hyderabad", "India", "Riyadh", "Saudi Arabia", "1"],
            ["", "Nepal", "", "India", "3"],
            ["Lahore", "", "Doha", "Qatar", "1"]]).encode(),
         ok(4, 4, "routes", "<role>_city + <role>_country; the country disambiguates"
            " Hyderabad; country alone is enough")),
        ("namibia_na.csv", lambda: b"origin,destination,count\n"
                                   b"NA,South Africa,2\nBotswana,NA,1\nNA,,1\n",
         ok(3, 3, "routes", "'NA' is Namibia's code, not missing: the last row has a place")),
        ("all_rejected.csv", lambda: b"origin,destination,count,year\n,,3,2019\n  ,\t,1,2020\n",
         ok(2, 0, "routes", "loads, but no row names a place: both rejected and listed"
            " (exit 0: the report is the useful answer)")),
    ]


def expected() -> dict:
    """The contents of EXPECTED.json."""
    return {
        "about": (
            "For each file: the exit code of `routemap check --json FILE` (0 = loaded,"
            " possibly with problems; 2 = cannot be used) and, when it loads, rows read/kept/"
            "rejected (read = kept + rejected). 'layout' is the layout detection should pick."
            " Written by tests/data/make_awkward.py; rules in its docstring."
        ),
        "files": {name: spec for name, _, spec in _all_files()},
    }


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make, _ in _all_files():
        (OUT / name).write_bytes(make())
    text = json.dumps(expected(), indent=2, ensure_ascii=False) + "\n"
    (OUT / "EXPECTED.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(_all_files())} files and EXPECTED.json to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
