"""Saved views as slides: edits, stepping, links, restoring, and storage that survives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_library import small_dataset

from dashboard import slides as sl
from dashboard.state import Facets, ViewState
from loaders.library import Library, LibraryError

FACETS = Facets(years=(2010, 2020), attributes={"gender": ("female", "male")},
                places={"country:PAK": "Pakistan (country)"})
A = ViewState(years=(2010, 2014))
B = ViewState(years=(2015, 2020), filters={"gender": ("female",)}, basemap="dark", k=10)


def test_add_rename_move_delete_return_new_lists() -> None:
    s0: list = []
    s1 = sl.add_slide(s0, A)
    s2 = sl.add_slide(s1, B, "  Women,\n 2015 on  ")
    assert s0 == []
    assert len(s1) == 1
    assert [s["name"] for s in s2] == ["2010–2014", "Women, 2015 on"]
    assert s2[1]["state"] == {"ds": "demo", "years": "2015-2020", "f.gender": ["female"],
                              "k": "10", "basemap": "dark"}
    s3 = sl.rename_slide(s2, 0, "Early years")
    assert [s["name"] for s in s3] == ["Early years", "Women, 2015 on"]
    assert s2[0]["name"] == "2010–2014"
    s4 = sl.move_slide(s3, 1, -1)
    assert [s["name"] for s in s4] == ["Women, 2015 on", "Early years"]
    assert sl.move_slide(s4, 0, -5) == s4  # clamped at the top
    assert [s["name"] for s in sl.move_slide(s4, 0, 9)] == ["Early years", "Women, 2015 on"]
    assert [s["name"] for s in sl.delete_slide(s4, 0)] == ["Early years"]
    s5 = sl.update_slide(s4, 1, B)
    assert s5[1]["name"] == "Early years"
    assert s5[1]["state"]["years"] == "2015-2020"


@pytest.mark.parametrize("name", ["", "   ", "x" * (sl.MAX_NAME + 1)])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(sl.SlideError):
        sl.add_slide([], A, name)
    with pytest.raises(sl.SlideError):
        sl.rename_slide(sl.add_slide([], A), 0, name)


def test_missing_slides_are_refused_with_a_clear_message() -> None:
    slides = sl.add_slide([], A)
    for edit in (lambda: sl.delete_slide(slides, 1), lambda: sl.rename_slide(slides, -1, "x"),
                 lambda: sl.move_slide(slides, 3, 1), lambda: sl.update_slide([], 0, A)):
        with pytest.raises(sl.SlideError, match="no slide"):
            edit()


def test_too_many_slides() -> None:
    slides = [sl.make_slide(A)] * sl.MAX_SLIDES
    with pytest.raises(sl.SlideError, match="at most"):
        sl.add_slide(slides, A)


def test_default_name_says_what_is_selected() -> None:
    assert sl.default_name(ViewState()) == "All years"
    assert sl.default_name(B) == "2015–2020 · gender: female"
    assert sl.default_name(ViewState(years=(2019, 2019), focus="country:PAK")) == \
        "2019 · focus PAK"
    # a city's key is a number ("focus 1185241" read as an internal id): its name instead
    assert sl.default_name(ViewState(focus="city:1185241"), "Dhaka (city, BGD)") == \
        "All years · focus Dhaka"


def test_step_stops_at_the_ends() -> None:
    assert sl.step(None, 3, 1) == 0
    assert sl.step(None, 3, -1) == 2
    assert sl.step(0, 3, 1) == 1
    assert sl.step(2, 3, 1) == 2
    assert sl.step(0, 3, -1) == 0
    assert sl.step(1, 0, 1) is None
    assert sl.position(2, 7) == "3 / 7"
    assert sl.position(None, 7) == "– / 7"


@pytest.mark.parametrize(("raw", "count", "index", "noticed"), [
    (None, 3, None, False), ("2", 3, 1, False), (["1", "3"], 3, 2, False),
    ("0", 3, None, True), ("4", 3, None, True), ("two", 3, None, True),
    ("-1", 3, None, True), ("1", 0, None, True), ("9" * 40, 3, None, True),
])
def test_slide_param_from_a_link(raw, count: int, index: int | None, noticed: bool) -> None:
    got, notices = sl.parse_slide_param(raw, count)
    assert got == index
    assert bool(notices) == noticed
    assert all(len(n) < 120 for n in notices)


def test_slide_param_round_trip() -> None:
    assert sl.slide_param(None) == {}
    assert sl.parse_slide_param(sl.slide_param(4)["slide"], 5) == (4, [])


def test_restore_validates_like_a_link_and_keeps_the_dataset() -> None:
    slide = sl.make_slide(B.with_(dataset="other-abc123"), "Women")
    state, notices = sl.restore_slide(slide, FACETS, "demo")
    assert notices == []
    assert state == B.with_(dataset="demo")
    stale = {"name": "Old", "state": {"years": "1990-1995", "f.gender": ["nobody"], "k": "2"}}
    state, notices = sl.restore_slide(stale, FACETS, "demo")
    assert state.years is None
    assert state.filters == {}
    assert state.k == 2
    assert len(notices) == 2
    assert all(n.startswith("Slide 'Old': Ignored") for n in notices)


def test_present_k_is_at_least_five() -> None:
    assert sl.present_k(10) == (10, None)
    k, notice = sl.present_k(2)
    assert k == 5
    assert "K=2" in notice
    assert sl.present_k(0)[0] == 5


def test_same_view() -> None:
    assert sl.same_view(A, ViewState(years=(2010, 2014)))
    assert not sl.same_view(A, B)


def test_sample_slides_survive_a_new_library_object(tmp_path: Path) -> None:
    slides = sl.add_slide(sl.add_slide([], A), B, "Women")
    sl.store_slides(Library(tmp_path), "demo", slides)
    assert sl.load_slides(Library(tmp_path), "demo") == slides
    assert sl.load_slides(Library(tmp_path), "seed") == []
    body = json.loads((tmp_path / "views" / "demo.json").read_text("utf-8"))
    assert body["views"] == slides
    assert not list((tmp_path / "views").glob("*.tmp"))


def test_library_dataset_slides_live_in_its_manifest(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    entry = lib.save(small_dataset(), b"a,b\n", "x.csv", name="Saved")
    slides = sl.add_slide([], A, "First")
    sl.store_slides(lib, entry.id, slides)
    assert sl.load_slides(Library(tmp_path), entry.id) == slides
    assert Library(tmp_path).entry(entry.id).views == slides


def test_storage_refuses_unknown_and_damaged(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    with pytest.raises(LibraryError):
        sl.load_slides(lib, "no-such-set")
    with pytest.raises(LibraryError):
        lib.save_sample_views("../etc", [])
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "demo.json").write_text("{not json", "utf-8")
    with pytest.raises(LibraryError, match="cannot be read"):
        sl.load_slides(lib, "demo")
    (tmp_path / "views" / "demo.json").write_text('{"views": [{"name": 3}]}', "utf-8")
    with pytest.raises(LibraryError):
        sl.load_slides(lib, "demo")
