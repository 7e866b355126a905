"""A corpus of awkward and hostile files through ``routemap check --json``.

Each file's expected exit code and row counts live in tests/data/awkward/EXPECTED.json
with a one-line reason; the corpus is rebuilt by tests/data/make_awkward.py.
"""

from __future__ import annotations

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
