"""The dataset library: round trip, rename, delete, concurrent saves, crash safety, views."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from pathlib import Path

import pandas as pd
import pytest

from loaders.library import Library, LibraryError, report_from_dict, report_to_dict
from loaders.model import ROLE_DTYPE, Dataset, DatasetMeta
from loaders.report import LoadReport, Problem, UnresolvedPlace

ORIGINAL = b"origin,destination,count\nDhaka,Karachi,3\nBishkek,NA,1\nAtlantis,Dubai,\n"


def small_dataset(n: int = 3) -> Dataset:
    """Three routes: Dhaka -> Karachi, Bishkek -> Namibia, an unresolved place -> Dubai."""
    records = pd.DataFrame({
        "record_id": pd.array(range(n), dtype="int64"),
        "count": pd.array([3, 1, None][:n], dtype="Int64"),
        "year": pd.array([2019, None, 2021][:n], dtype="Int64"),
        "line": pd.array(range(2, n + 2), dtype="int64"),
        "gender": pd.Categorical(["female", "male", "female"][:n]),
    })
    stops = pd.DataFrame({
        "record_id": pd.array([0, 0, 1, 1, 2, 2], dtype="int64"),
        "seq": pd.array([0, 1] * 3, dtype="int16"),
        "role": pd.Categorical(["origin", "destination"] * 3, dtype=ROLE_DTYPE),
        "place_id": pd.array([0, 1, 2, 3, 4, 5], dtype="int32"),
    })
    places = pd.DataFrame({
        "place_id": pd.array(range(6), dtype="int32"),
        "query": ["Dhaka", "Karachi", "Bishkek", "NA", "Atlantis", "Dubai"],
        "country_hint": [""] * 6,
        "name": ["Dhaka", "Karachi", "Bishkek", "Namibia", "", "Dubai"],
        "kind": ["city", "city", "city", "country", "", "city"],
        "iso3": ["BGD", "PAK", "KGZ", "NAM", "", "ARE"],
        "lat": [23.7, 24.86, 42.87, -22.0, float("nan"), 25.2],
        "lon": [90.4, 67.01, 74.59, 17.0, float("nan"), 55.3],
        "match": ["exact", "exact", "exact", "code", "unresolved", "fuzzy"],
        "score": [100.0, 100.0, 100.0, 100.0, float("nan"), 88.0],
        "key": ["city:1", "city:2", "city:3", "country:NAM", "unresolved:atlantis", "city:4"],
        "suggestion": ["", "", "", "", "Antalya", ""],
        "members": [""] * 6,
    })
    report = LoadReport(
        layout="routes", file_format="csv", rows_read=4, rows_kept=3, rows_rejected=1,
        records=n, places_unique=6, places_resolved=5,
        by_method={"exact": 3, "code": 1, "fuzzy": 1, "unresolved": 1},
        unresolved=[UnresolvedPlace("Atlantis", 1, "Antalya", 71.0)],
        problems=[Problem(5, "origin", "no place in this row"),
                  Problem(3, "year", "blank year", kept=True)],
        columns={"origin": ["origin"], "destination": ["destination"], "count": "count"},
    )
    return Dataset(records, stops, places, report, DatasetMeta(name="x", description="d"))


def test_round_trip_keeps_tables_report_and_meta(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    ds = small_dataset()
    e = lib.save(ds, ORIGINAL, "cases 2019.csv", name="Cases 2019", source="IOM",
                 licence="CC BY 4.0", synthetic=True)
    assert e.id.startswith("cases-2019-")
    assert (e.name, e.source, e.licence, e.synthetic) == ("Cases 2019", "IOM", "CC BY 4.0", True)
    assert e.original_name == "cases 2019.csv"
    assert len(e.checksum) == 64
    assert e.layout == "routes"
    assert e.rows == {"read": 4, "kept": 3, "rejected": 1}

    again = Library(tmp_path)  # a new process sees the same files
    assert [x.id for x in again.list()] == [e.id]
    back = again.open(e.id)
    pd.testing.assert_frame_equal(back.records, ds.records)
    pd.testing.assert_frame_equal(back.stops, ds.stops)
    pd.testing.assert_frame_equal(back.places, ds.places)
    assert back.places["query"].tolist()[3] == "NA"  # Namibia stays a code, not a missing value
    assert back.report == ds.report
    assert back.meta.name == "Cases 2019"
    assert back.meta.synthetic is True
    assert back.meta.extra["library_id"] == e.id
    assert again.original(e.id) == ("cases 2019.csv", ORIGINAL)


@pytest.mark.parametrize("saved_as", ["str", "unordered categories"])
def test_a_role_column_saved_as_text_opens_as_roles(tmp_path: Path, saved_as: str) -> None:
    """Files saved otherwise (text, or categories without order) open with the role
    dtype; the usual file keeps its column as saved, without a pass through text."""
    lib = Library(tmp_path)
    ds = small_dataset()
    e = lib.save(ds, ORIGINAL, "cases.csv", name="Cases")
    path = lib.entry(e.id).path / "stops.parquet"
    stops = pd.read_parquet(path)
    stops["role"] = (stops["role"].astype(str) if saved_as == "str"
                     else pd.Categorical(stops["role"].astype(str)))
    stops.to_parquet(path, index=False)
    back = lib.open(e.id)
    assert back.stops["role"].dtype == ROLE_DTYPE
    pd.testing.assert_frame_equal(back.stops, ds.stops)


def test_report_dict_round_trip() -> None:
    report = small_dataset().report
    assert report_from_dict(json.loads(json.dumps(report_to_dict(report)))) == report


def test_report_dict_round_trip_keeps_the_guessed_places() -> None:
    """Saved reports came back with plain dicts for their guesses: to_dict() raised."""
    from dataclasses import replace

    from loaders.report import GuessedPlace

    report = replace(small_dataset().report, guessed=[
        GuessedPlace("Hyderabad", 3, "Hyderabad (city, IND)", score=100.0,
                     also="Hyderabad (city, PAK)")])
    back = report_from_dict(json.loads(json.dumps(report_to_dict(report))))
    assert back == report
    assert back.to_dict()["places"]["guessed"][0]["also"] == "Hyderabad (city, PAK)"


def test_rename_keeps_id_and_tables(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    e = lib.save(small_dataset(), ORIGINAL, "a.csv", name="Old")
    renamed = lib.rename(e.id, "  New   name ")
    assert renamed.id == e.id
    assert renamed.name == "New name"
    assert renamed.cache_key != e.cache_key  # cached copies of the old name are dropped
    assert lib.open(e.id).meta.name == "New name"
    with pytest.raises(LibraryError):
        lib.rename(e.id, "   ")


def test_delete_removes_everything(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    keep = lib.save(small_dataset(), ORIGINAL, "a.csv", name="Keep")
    gone = lib.save(small_dataset(), ORIGINAL, "b.csv", name="Gone")
    lib.delete(gone.id)
    assert [x.id for x in lib.list()] == [keep.id]
    assert not (lib.root / gone.id).exists()
    with pytest.raises(LibraryError):
        lib.open(gone.id)
    with pytest.raises(LibraryError):
        lib.delete(gone.id)


@pytest.mark.parametrize("bad", ["../etc", "", "A B", "x/y", ".tmp-x", ".lock"])
def test_ids_from_links_cannot_escape_the_library(tmp_path: Path, bad: str) -> None:
    with pytest.raises(LibraryError):
        Library(tmp_path).open(bad)


def _save_in_child(home: str, name: str) -> None:
    Library(Path(home)).save(small_dataset(), ORIGINAL, f"{name}.csv", name=name)


def test_two_processes_saving_at_once(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_save_in_child, args=(str(tmp_path), "Same name"))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0, 0]
    lib = Library(tmp_path)
    entries, skipped = lib.scan()
    assert len(entries) == 2
    assert len({e.id for e in entries}) == 2
    assert skipped == []
    for e in entries:
        assert len(lib.open(e.id).records) == 3


def _crash_after_tables(home: str) -> None:
    """Die the hard way (no cleanup, no finally) once the tables are on disk."""

    def die(self, folder, manifest):
        assert (folder / "records.parquet").is_file()
        os._exit(3)

    Library._write_manifest = die
    Library(Path(home)).save(small_dataset(), ORIGINAL, "c.csv", name="Crash")


def test_crash_mid_save_leaves_library_consistent(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    ok = lib.save(small_dataset(), ORIGINAL, "a.csv", name="Complete")
    p = mp.get_context("spawn").Process(target=_crash_after_tables, args=(str(tmp_path),))
    p.start()
    p.join()
    assert p.exitcode == 3
    leftovers = [x for x in lib.root.iterdir() if x.name.startswith(".tmp-")]
    assert len(leftovers) == 1  # the crash really left a half-written save behind
    assert [e.id for e in lib.list()] == [ok.id]
    lib.open(ok.id)  # the next open sweeps the leftover
    assert not [x for x in lib.root.iterdir() if x.name.startswith(".tmp-")]


def test_error_mid_save_cleans_up_at_once(tmp_path: Path, monkeypatch) -> None:
    lib = Library(tmp_path)

    def boom(folder, manifest):
        raise OSError("disk full")

    monkeypatch.setattr(lib, "_write_manifest", boom)
    with pytest.raises(OSError, match="disk full"):
        lib.save(small_dataset(), ORIGINAL, "a.csv", name="Broken")
    assert lib.list() == []
    assert not [x for x in lib.root.iterdir() if x.name.startswith(".tmp-")]


def test_incomplete_folder_is_skipped_and_reported(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    ok = lib.save(small_dataset(), ORIGINAL, "a.csv", name="Fine")
    (lib.root / "half-done").mkdir()
    (lib.root / "half-done" / "records.parquet").write_bytes(b"")
    broken = lib.save(small_dataset(), ORIGINAL, "b.csv", name="Table lost")
    (lib.root / broken.id / "places.parquet").unlink()
    entries, skipped = lib.scan()
    assert [e.id for e in entries] == [ok.id]
    assert len(skipped) == 2
    assert any("no manifest" in s for s in skipped)
    assert any("places" in s for s in skipped)


def test_saved_views_persist(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    e = lib.save(small_dataset(), ORIGINAL, "a.csv", name="Views")
    assert lib.saved_views(e.id) == []
    views = [{"name": "Corridors 2019", "state": {"years": "2019-2019", "top": "20"}},
             {"name": "Transit hubs", "state": {"role": "transit"}}]
    lib.save_views(e.id, views)
    assert Library(tmp_path).saved_views(e.id) == views
    with pytest.raises(LibraryError):
        lib.save_views(e.id, [{"name": "no state"}])
    assert Library(tmp_path).saved_views(e.id) == views
