"""A corpus of awkward and hostile files through ``routemap check --json``.

Each file's expected exit code and row counts live in tests/data/awkward/EXPECTED.json
with a one-line reason; the corpus is rebuilt by tests/data/make_awkward.py.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from dashboard.cli import main

AWKWARD = Path(__file__).parent / "data" / "awkward"
EXPECTED = json.loads((AWKWARD / "EXPECTED.json").read_text(encoding="utf-8"))["files"]


@pytest.fixture(autouse=True)
def _no_user_aliases(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTEMAP_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_json_on_awkward_file(name, capsys):
    expected = EXPECTED[name]
    code = main(["check", str(AWKWARD / name), "--json"])
    out, err = capsys.readouterr()
    assert code == expected["exit"], f"{name}: {expected['reason']} -- stderr: {err}"
    assert "Traceback" not in err
    if code == 2:
        assert out == ""
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("routemap: ")
        return
    report = json.loads(out)
    rows = report["rows"]
    assert rows["read"] == rows["kept"] + rows["rejected"]
    assert rows == expected["rows"], expected["reason"]
    if "layout" in expected:
        assert report["layout"] == expected["layout"]
    rejected_lines = [p["row"] for p in report["problems"] if not p["kept"]]
    assert len(rejected_lines) >= rows["rejected"] - len(report["set_aside"])
    assert all(isinstance(line, int) and line >= 1 for line in rejected_lines)


def test_corpus_covers_every_file():
    on_disk = {p.name for p in AWKWARD.iterdir() if p.name != "EXPECTED.json"}
    assert on_disk == set(EXPECTED)


def test_hostile_text_is_kept_verbatim_as_data(capsys):
    assert main(["check", str(AWKWARD / "hostile_text.csv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    queries = {u["query"] for u in report["places"]["unresolved"]}
    assert any("<script>" in q for q in queries)


def test_a_notes_first_workbook_previews_and_overrides_its_data_sheet():
    """The Data page previewed the notes, offered only their one column to override, and
    'Reload with these columns' failed: 'found columns: Notes'."""
    from loaders.load import load_dataset, table_as_loaded

    data = (AWKWARD / "notes_sheet_first.xlsx").read_bytes()
    assert table_as_loaded(data, name="n.xlsx").columns == ["origin", "destination", "count",
                                                            "year"]
    ds = load_dataset(data, name="n.xlsx", aliases=None, layout="routes",
                      columns={"origin": "destination", "destination": "origin"})
    assert len(ds.records) == 3
    assert ds.report.problems[0].message.startswith("read sheet 'Cases'")


def test_a_workbook_whose_largest_sheet_is_notes_reads_its_data_sheet(capsys, tmp_path):
    """A notes sheet longer than the data used to be read, and the file refused as 'no
    layout fits' with no word of sheets; the analyst had no way to pick another."""
    assert main(["check", str(AWKWARD / "notes_sheet_first.xlsx"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["problems"][0]["message"] == (
        "read sheet 'Cases': the largest sheet, 'Notes', fits no layout")
    # the same from an open file, which the first read leaves at its end
    from loaders.load import load_dataset

    with (AWKWARD / "notes_sheet_first.xlsx").open("rb") as fh:
        assert len(load_dataset(fh, name="notes_sheet_first.xlsx", aliases=None).records) == 3
    spec = importlib.util.spec_from_file_location("make_awkward",
                                                  AWKWARD.parent / "make_awkward.py")
    make_awkward = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_awkward)
    notes_only = tmp_path / "notes.xlsx"
    notes_only.write_bytes(make_awkward.workbook_bytes({
        "Notes": [["About this workbook"], ["Collected by the field office"], ["Checked"]],
        "More notes": [["Version"], ["Second draft"]]}))
    assert main(["check", str(notes_only), "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("routemap: no sheet fits a layout ('Notes', 'More notes');")
    assert len(err.splitlines()) == 1
