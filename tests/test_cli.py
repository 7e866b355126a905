"""The ``routemap`` command's contract (DESIGN §8): exit codes, JSON fields, columns.

Checks outside the project call this command, so these tests pin what it promises.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main

ROUTEMAP = Path(sys.executable).with_name("routemap")
UN_DESA = Path(__file__).resolve().parents[2] / "shared" / "data" / (
    "un_desa_migrant_stock_2017_od_matrix.csv"
)
AWKWARD = Path(__file__).parent / "data" / "awkward"


def check_json(capsys, path) -> tuple[int, dict | None, str]:
    code = main(["check", str(path), "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def test_console_script_check_json_contract(tmp_path):
    source = tmp_path / "cases.csv"
    source.write_text(
        "origin,transit,destination,count,year\n"
        "Dhaka,Karachi; Dubai,Riyadh,3,2019\n"
        "Karachi,,Kuala Lumpur,11,2002\n"
        "Xyzzyville,,Doha,2,2020\n"
        ",,,4,2021\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [str(ROUTEMAP), "check", str(source), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["layout"] == "routes"
    assert report["rows"] == {"read": 4, "kept": 3, "rejected": 1}
    assert report["places"]["unique"] >= 6
    unresolved = {u["query"]: u for u in report["places"]["unresolved"]}
    assert set(unresolved) == {"Xyzzyville"}
    assert unresolved["Xyzzyville"]["rows"] == 1
    assert "suggestion" in unresolved["Xyzzyville"]
    [problem] = report["problems"]
    assert problem["row"] == 5
    assert set(problem) >= {"row", "column", "message"}


def test_map_says_which_rows_and_places_it_left_out(tmp_path, capsys):
    """The map shows only what it could use: the command says what it could not, and
    where to find the reasons, instead of a silent success."""
    source = tmp_path / "my cases.csv"
    source.write_text("origin,destination,count,year\n"
                      "Dhaka,Karachi,12,2019\n"
                      ",,two,2020\n"  # no place at all: rejected
                      "Kathmandu,Xyzzyville,7,2021\n", encoding="utf-8")
    assert main(["map", str(source), "-o", str(tmp_path / "m.html")]) == 0
    err = capsys.readouterr().err.splitlines()
    # its one record reads "fewer than 5": "no count below 5" beside it was not true
    assert err[0].endswith("1 corridor drawn; no case count below 5 withheld; records "
                           "below 5 read 'fewer than 5'.")
    assert err[1] == (f"routemap: 1 of 3 rows rejected, 1 of 4 places not located, so not "
                      f"on the map: `routemap check '{source}'` lists them")
    years = tmp_path / "years.csv"
    years.write_text("origin,destination,count,year\nDhaka,Karachi,12,20x9\n", "utf-8")
    assert main(["map", str(years), "-o", str(tmp_path / "y.html")]) == 0
    assert capsys.readouterr().err.splitlines()[1].startswith(
        "routemap: 1 problem noted in rows kept: `routemap check")
    clean = tmp_path / "clean.csv"
    clean.write_text("origin,destination,count,year\nDhaka,Karachi,12,2019\n", "utf-8")
    assert main(["map", str(clean), "-o", str(tmp_path / "c.html")]) == 0
    assert len(capsys.readouterr().err.splitlines()) == 1  # nothing left out, nothing said


def test_unusable_file_exits_2_with_one_line_and_no_traceback(tmp_path):
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    result = subprocess.run(
        [str(ROUTEMAP), "check", str(source), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2(capsys, tmp_path):
    assert main(["check", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("sample", ["demo", "seed"])
def test_bundled_samples_load_by_name(capsys, sample):
    code, report, err = check_json(capsys, sample)
    assert code == 0, err
    assert report["rows"]["read"] == report["rows"]["kept"] + report["rows"]["rejected"]
    assert report["rows"]["rejected"] == 0
    assert report["places"]["unresolved"] == []


def test_human_report_names_the_numbers(capsys):
    assert main(["check", "seed"]) == 0
    out = capsys.readouterr().out
    assert "layout" in out
    assert "read" in out
    assert "kept" in out


@pytest.mark.skipif(not UN_DESA.exists(), reason="shared UN DESA matrix not present")
def test_un_desa_matrix_is_recognised_and_resolved(capsys):
    code, report, err = check_json(capsys, UN_DESA)
    assert code == 0, err
    assert report["layout"] == "matrix"
    rows = report["rows"]
    assert rows["read"] == rows["kept"] + rows["rejected"]
    assert rows["rejected"] >= 7  # at least a WORLD row for each of the seven years
    assert any("WORLD" in s for s in report["set_aside"])
    places = report["places"]
    assert places["resolved"] / places["unique"] >= 0.95
    # people of no named origin ("Other North", 4% of the 2017 total) are in no map:
    # the terminal report says which columns it did not read, as the JSON does
    assert main(["check", str(UN_DESA)]) == 0
    out = capsys.readouterr().out
    assert "not read  Total, Other North, Other South" in out


def test_geocode_writes_contract_columns(tmp_path):
    source = tmp_path / "places.csv"
    source.write_text(
        "city,country,note\nHyderabad,Pakistan,a\nHyderabad,India,b\nKSA,,c\nNA,,d\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    code = main(["geocode", str(source), "-o", str(out), "--column", "city",
                 "--country-column", "country"])
    assert code == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    suffixes = ["name", "kind", "iso3", "lat", "lon", "match", "score"]
    assert list(rows[0]) == ["city", "country", "note"] + [f"city_{s}" for s in suffixes]
    assert [r["city_iso3"] for r in rows[:2]] == ["PAK", "IND"]
    assert abs(float(rows[0]["city_lat"]) - 25.39) < 0.4
    assert abs(float(rows[1]["city_lat"]) - 17.38) < 0.4
    assert rows[3]["note"] == "d"


def test_geocode_without_column_uses_detected_place_columns(tmp_path):
    out = tmp_path / "seed_geo.csv"
    assert main(["geocode", "seed", "-o", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert "origin_iso3" in header
    assert "destination_lat" in header


def test_geocode_neutralises_spreadsheet_formulas(tmp_path):
    source = tmp_path / "hostile.csv"
    source.write_text(
        'origin,destination,note\nPakistan,Malaysia,"=HYPERLINK(""http://x"",""y"")"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert main(["geocode", str(source), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text
    assert ",=HYPERLINK" not in text


def test_geocode_command_on_real_spellings(tmp_path):
    """The held-out style check: real spellings through the command land in their country."""
    spellings = Path(__file__).parent / "data" / "place_spellings.csv"
    out = tmp_path / "spellings_geo.csv"
    assert main(["geocode", str(spellings), "-o", str(out), "--column", "text",
                 "--country-column", "country_hint"]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    placed = [r for r in rows if r["kind"] in ("country", "city")]
    right = [r for r in placed if r["text_iso3"] == r["iso3"]]
    assert len(right) / len(placed) >= 0.95, [r["text"] for r in placed if r not in right]
    near = [
        r for r in placed
        if r["kind"] == "city"
        and abs(float(r["text_lat"]) - float(r["lat"])) < 0.4
        and abs(float(r["text_lon"]) - float(r["lon"])) < 0.6
    ]
    assert len(near) / sum(r["kind"] == "city" for r in placed) >= 0.95


@pytest.mark.parametrize(
    "argv",
    [["check"], ["map", "demo", "-o", "x.html", "--years", "abc"], ["geocode", "demo"]],
)
def test_argument_errors_are_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("routemap")


@pytest.mark.skipif(not UN_DESA.exists(), reason="shared UN DESA matrix not present")
def test_a_reader_that_stops_early_is_no_error():
    """`routemap check FILE | head` printed "routemap: Broken pipe" and exit 2."""
    with subprocess.Popen([str(ROUTEMAP), "check", str(UN_DESA)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as check:
        assert check.stdout is not None
        assert check.stderr is not None
        check.stdout.close()  # gone before the report is written, as a head that is done
        err = check.stderr.read()
        assert check.wait(timeout=60) == 0
    assert err == b""


def _geocode(tmp_path, text: str, *args: str) -> tuple[int, str, Path]:
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    done = subprocess.run([str(ROUTEMAP), "geocode", str(source), *args],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    return done.returncode, done.stderr, source


ROUTES_CSV = "origin,destination,count\nKarachi,Dubai,5\nLahore,Riyadh,3\n"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_geocode_never_writes_over_its_input(tmp_path):
    code, err, source = _geocode(tmp_path, ROUTES_CSV, "-o", "in.csv")
    assert code == 2
    assert err.count("\n") == 1
    assert "the input file itself" in err
    assert source.read_text(encoding="utf-8") == ROUTES_CSV


@pytest.mark.parametrize(("out", "said"), [("out.xlsx", "give -o a .csv name"),
                                           (".", "not a folder")])
def test_geocode_refuses_an_output_it_cannot_write_as_csv(tmp_path, out, said):
    code, err, _ = _geocode(tmp_path, ROUTES_CSV, "-o", out)
    assert code == 2
    assert said in err
    assert not (tmp_path / "out.xlsx").exists()


def test_geocode_makes_the_output_folder_as_map_does(tmp_path):
    code, err, _ = _geocode(tmp_path, ROUTES_CSV, "-o", "new/folder/out.csv")
    assert code == 0, err
    assert len(_rows(tmp_path / "new/folder/out.csv")) == 2


def test_geocode_says_which_rows_it_could_not_write(tmp_path):
    """A row with too many fields was dropped without a word (4 rows in, 3 out)."""
    code, err, _ = _geocode(
        tmp_path, "origin,destination,count\nKarachi,Dubai,5\nDhaka,Kuala Lumpur,7,extra\n"
        "Kathmandu,Almaty,2\n", "-o", "out.csv")
    assert code == 0
    assert "1 of 3 rows not written" in err
    assert "`routemap check" in err
    assert len(_rows(tmp_path / "out.csv")) == 2


def test_geocode_reads_a_transit_column_as_check_and_map_do(tmp_path):
    """It split "Hyderabad, Pakistan" at the comma, into Hyderabad (India) and Pakistan,
    where check and map read one place in Pakistan."""
    code, err, _ = _geocode(
        tmp_path, 'origin,transit,destination\nKarachi,"Hyderabad, Pakistan",Riyadh\n'
        'Dhaka,"Kolkata, India",Dubai\nLahore,Muscat,Riyadh\n', "-o", "out.csv")
    assert code == 0, err
    rows = _rows(tmp_path / "out.csv")
    assert [(r["transit_name"], r["transit_iso3"]) for r in rows] == [
        ("Hyderabad", "PAK"), ("Kolkata", "IND"), ("Muscat", "OMN")]


def test_a_list_column_named_with_column_is_still_split(tmp_path):
    code, err, _ = _geocode(
        tmp_path, "origin,transit,destination\nKarachi,Dubai;Muscat,Riyadh\n"
        "Dhaka,Dubai|Muscat,Dubai\n", "-o", "out.csv", "--column", "transit",
        "--column", "transit")
    assert code == 0, err
    rows = _rows(tmp_path / "out.csv")
    assert [r["transit_iso3"] for r in rows] == ["ARE; OMN", "ARE; OMN"]
    assert list(rows[0]).count("transit_iso3") == 1


def test_geocode_refuses_in_one_line_to_write_a_column_twice(tmp_path):
    code, err, _ = _geocode(
        tmp_path, "origin,origin_lat,origin_lon,destination\nKarachi,24.86,67.01,Dubai\n",
        "-o", "out.csv")
    assert code == 2
    assert err.count("\n") == 1
    assert "already has 'origin_lat'" in err


def test_geocode_neutralises_formulas_in_the_header_too(tmp_path):
    code, err, _ = _geocode(tmp_path, 'origin,destination,=HYPERLINK("x";"y"),@cmd\n'
                            "Karachi,Dubai,a,b\n", "-o", "out.csv")
    assert code == 0, err
    header = _header(tmp_path / "out.csv")
    assert header[2:4] == ["'=HYPERLINK(\"x\";\"y\")", "'@cmd"]


def test_geocode_reads_missing_markers_as_no_place(tmp_path):
    """CTDC writes -99 for a redacted country: it counted as a place not found."""
    code, err, _ = _geocode(tmp_path, "citizenship,CountryOfExploitation,yearOfRegistration\n"
                            "PH,-99,2019\nUA,PL,2020\n-99,US,2018\n", "-o", "out.csv")
    assert code == 0, err
    assert "4 of 4 distinct places resolved" in err  # PH, UA; PL, US: no -99
    rows = _rows(tmp_path / "out.csv")
    assert [r["CountryOfExploitation_match"] for r in rows] == ["", "code", "code"]
    assert rows[2]["citizenship"] == "-99"  # the input's own value stays


def _map(tmp_path: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run([str(ROUTEMAP), "map", *args], capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    return done.returncode, done.stderr


@pytest.mark.parametrize(("args", "said"), [
    (["in.csv", "-o", "m.html", "--flows-csv", "in.csv"], "--flows-csv names the input file"),
    (["in.csv", "-o", "m.html", "--places-csv", "./in.csv"], "--places-csv names the input"),
    (["in.csv", "-o", "in.csv"], "-o names the input file itself"),
    (["in.csv", "-o", "m.html", "--flows-csv", "t.csv", "--places-csv", "t.csv"],
     "--flows-csv and --places-csv name the same file (t.csv)"),
    (["in.csv", "-o", "m.html", "--png", "m.html"], "-o and --png name the same file"),
])
def test_map_never_writes_over_its_input_or_one_output_over_another(tmp_path, args, said):
    """`--flows-csv data.csv` on data.csv replaced the data with the flows, exit 0."""
    source = tmp_path / "in.csv"
    source.write_text(ROUTES_CSV, encoding="utf-8")
    code, err = _map(tmp_path, *args)
    assert code == 2
    assert err.count("\n") == 1
    assert said in err
    assert source.read_text(encoding="utf-8") == ROUTES_CSV
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # nothing written


def test_map_follows_a_link_and_writes_through_a_pipe(tmp_path):
    """The temp-file-and-rename replaced a symlink with a file (its target never got the
    map) and a device or pipe with a file (`-o /dev/stdout` as root replaced the node)."""
    import os
    import threading

    target = tmp_path / "real.html"
    target.write_text("old", encoding="utf-8")
    (tmp_path / "link.html").symlink_to(target)
    code, err = _map(tmp_path, "demo", "-o", "link.html")
    assert code == 0, err
    assert (tmp_path / "link.html").is_symlink()
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    pipe = tmp_path / "pipe.html"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()))
    reader.start()
    code, err = _map(tmp_path, "demo", "-o", "pipe.html")
    reader.join(timeout=60)
    assert code == 0, err
    assert got[0].startswith(b"<!DOCTYPE html>")
    assert pipe.is_fifo()  # still the pipe: written through, not replaced


def test_a_rejected_row_is_never_called_kept_and_its_value_is_quoted_short(capsys, tmp_path):
    """A 150,000-character count: the cut at the size limit said '(row kept)' of the row
    then rejected, and the rejection printed all 100,000 characters kept."""
    source = tmp_path / "huge.csv"
    source.write_text("origin,destination,count,note\nKarachi,Dubai," + "x" * 150_000 + ",\n"
                      ",,7," + "y" * 150_000 + "\n"  # no place at all: rejected
                      "Lahore,Riyadh,7,\n", encoding="utf-8")
    code, report, _ = check_json(capsys, source)
    assert code == 0
    assert report["rows"] == {"read": 3, "kept": 2, "rejected": 1}
    line2 = [p for p in report["problems"] if p["row"] == 2]  # kept, without a number
    assert [p["kept"] for p in line2] == [True, True]
    assert line2[-1]["message"] == ("count '" + "x" * 60 + "…' (100,000 characters) in "
                                    "'count' is not a whole number ≥ 0; kept as reported "
                                    "without a number")
    line3 = [p for p in report["problems"] if p["row"] == 3]
    assert line3
    assert not any(p["kept"] for p in line3)  # its cut cell is not '(row kept)' either


def test_every_problem_has_a_row_number_zero_for_the_file(capsys, tmp_path):
    """DESIGN §8 promises {"row": n}: a note on the whole file (its encoding) had null."""
    source = tmp_path / "latin.csv"
    source.write_bytes(b"origin,destination,count\nM\xfcnchen,Dubai,5\n")
    code, report, _ = check_json(capsys, source)
    assert code == 0
    assert report["problems"] == [{"row": 0, "column": None, "kept": True,
                                   "message": "the file was read as cp1252 text"}]
    assert all(isinstance(p["row"], int) for p in report["problems"])


def test_a_year_long_before_the_rest_is_kept_and_noted(capsys, tmp_path):
    """1850 in a file of 2019 cases stretched every year range to 1850-2019 silently."""
    source = tmp_path / "early.csv"
    source.write_text("origin,destination,count,year\nKarachi,Dubai,5,1850\n"
                      "Lahore,Dubai,5,2019\nDhaka,Dubai,5,1951\n", encoding="utf-8")
    code, report, _ = check_json(capsys, source)
    assert code == 0
    assert report["rows"]["kept"] == 3
    assert report["problems"] == [{"row": 2, "column": "year", "kept": True, "message":
                                   "year '1850' is before 1950: kept as written, please "
                                   "check it"}]


def test_check_lists_the_places_it_guessed_for_review(capsys, tmp_path):
    """A misspelling and a city in another country than the one written beside it are
    drawn as found; the Data page listed them for review, `check` did not."""
    source = tmp_path / "guess.csv"
    source.write_text("origin,origin_country,destination,count\nKarachii,Pakistan,Dubai,5\n"
                      "Karachi,India,Dubai,3\nKarachi,India,Doha,3\n", encoding="utf-8")
    code, report, _ = check_json(capsys, source)
    assert code == 0
    guessed = report["places"]["guessed"]
    assert [(g["query"], g["rows"], g["found"], g["country"], g["elsewhere"])
            for g in guessed] == [("Karachi", 2, "Karachi (city, PAK)", "India", True),
                                  ("Karachii", 1, "Karachi (city, PAK)", "Pakistan", False)]
    assert main(["check", str(source)]) == 0
    text = capsys.readouterr().out
    assert "guessed places (drawn as found; please check):" in text
    assert "'Karachi' next to 'India' in 2 rows: found as Karachi (city, PAK), not in India" \
        in text


def test_a_hotspot_map_says_which_flow_options_it_does_not_use(tmp_path):
    code, err = _map(tmp_path, "demo", "-o", "h.html", "--kind", "hotspots",
                     "--colour-by", "gender", "--top", "10")
    assert code == 0
    assert err.splitlines()[0] == ("routemap: --colour-by and --top shape flow maps only: "
                                   "the hotspot map does not use them")
    code, err = _map(tmp_path, "demo", "-o", "h.html", "--kind", "hotspots")
    assert "flow maps only" not in err


def test_a_row_of_zero_cases_is_rejected_with_its_reason(capsys, tmp_path):
    """DESIGN §2: a count is 1 or more. A row of 0 counted as a record, and its corridor
    as '1 corridor withheld'."""
    source = tmp_path / "zero.csv"
    source.write_text("origin,destination,count\nDhaka,Sylhet,0\nKarachi,Dubai,6\n",
                      encoding="utf-8")
    code, report, _ = check_json(capsys, source)
    assert code == 0
    assert report["rows"] == {"read": 2, "kept": 1, "rejected": 1}
    assert report["problems"][0]["row"] == 2
    assert report["problems"][0]["message"].startswith("count '0' in 'count' is no case")


def test_a_json_files_problems_are_numbered_by_record(tmp_path):
    """A pretty-printed file's bad records, starting on lines 7 and 12, were reported as
    "line 2" and "line 3"."""
    doc = [{"origin": "Dhaka", "destination": "Dubai", "count": 3},
           {"origin": "", "destination": "", "count": 1},
           {"origin": "Lahore", "destination": "Doha", "count": "many"}]
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(doc, indent=2))
    out = subprocess.run([str(ROUTEMAP), "check", str(path)], capture_output=True, text=True)
    assert "  record 2: " in out.stdout
    assert "  record 3 [count]: " in out.stdout
    assert " line " not in out.stdout


@pytest.mark.parametrize(("command", "collects"), [("check", False), ("--version", True)])
def test_one_off_commands_run_without_the_cycle_collector(command, collects):
    """check, geocode and map end in seconds: the collector's passes cost a million-row
    map 30-45 ms and freed nothing that the exit does not. Anything else (the server)
    keeps it."""
    probe = ("import gc, sys\nfrom dashboard import cli\nrun = cli.main\n"
             "def main():\n    print('collects', gc.isenabled(), file=sys.stderr)\n"
             "    return run()\n"
             f"cli.main = main\nsys.argv = ['routemap', {command!r}, 'demo']\n"
             "cli.console_main()\n")
    if command == "--version":
        probe = probe.replace(", 'demo']", "]")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False)
    assert f"collects {collects}" in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
