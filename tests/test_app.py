"""The dashboard through Streamlit's AppTest: every page runs, links set the sidebar, and
the Data page uploads, overrides columns, fixes places, saves, renames and deletes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_library import small_dataset

from dashboard import review
from loaders.library import Library

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = ["views/routes.py", "views/hotspots.py", "views/insights.py", "views/data.py",
         "views/present.py", "views/about.py"]
CSV = (b"origin,transit,destination,count,year,gender\n"
       b"Dhaka,Kolkata,Karachi,3,2019,female\n"
       b"Bishkek,,Moscow,1,2020,male\n"
       b"Atlantiss,,Dubai,2,2021,female\n"
       b"Karachie,,Kuala Lumpur,,2002,\n")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROUTEMAP_HOME", str(tmp_path))
    return tmp_path


def app(**params: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def records_help(at: AppTest) -> str:
    """The Records figure's help ("of N in the dataset"): the dataset's size even where
    the figure itself is withheld below K."""
    return next(m.proto.help for m in at.metric if m.label == "Records")


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def test_every_page_runs_on_the_demo() -> None:
    at = app()
    assert not at.exception
    assert metrics(at)["Records"] == "4,000"
    assert any("SYNTHETIC" in w.value for w in at.warning)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        if page in ("views/data.py", "views/about.py"):
            assert not at.sidebar.selectbox, page  # no view filters where they mean nothing
        else:
            assert metrics(at)["Records"] == "4,000", page


def test_link_sets_the_sidebar_and_survives_page_switches() -> None:
    at = app(ds="seed", years="2002", level="place", k="10", basemap="dark")
    assert not at.exception
    assert not at.sidebar.warning
    assert at.sidebar.selectbox(key="vs_ds").value == "seed"
    assert at.sidebar.number_input(key="vs_k").value == 10
    assert at.sidebar.radio(key="vs_basemap").value == "dark"
    assert at.query_params["k"] == "10"
    at.switch_page("views/hotspots.py").run()
    assert at.query_params["ds"] == "seed"
    assert at.query_params["level"] == "place"


def test_the_sidebar_shows_the_view_on_every_page() -> None:
    """Streamlit keys a widget by the page that draws it, so each page's sidebar is new
    widgets. Every other page switch they came up empty (minimum 0, top 1, K 0) while
    the map still showed the view, and the next change wrote those values into it:
    suppression off."""
    at = app(min="40", k="7", level="region")
    for page in ["views/present.py", "views/hotspots.py", "views/insights.py",
                 "views/routes.py", "views/data.py", "views/present.py"]:
        at.switch_page(page).run()
        assert not at.exception, page
        if page == "views/data.py":
            continue
        shown = {k: at.sidebar.number_input(key=f"vs_{k}").value for k in ("min", "top", "k")}
        assert shown == {"min": 40, "top": 100, "k": 7}, page
        assert at.sidebar.radio(key="vs_level").value == "region", page
    at.sidebar.radio(key="vs_basemap").set_value("dark").run()
    assert at.query_params["k"] == "7"  # a change on this page kept the rest of the view
    assert at.query_params["min"] == "40"


def test_link_filters_select_records() -> None:
    at = app(years="2010-2015", **{"f.gender": "female"})
    assert at.sidebar.slider(key="vs_years").value == (2010, 2015)
    assert at.sidebar.multiselect(key="vs_f.gender").value == ["female"]
    records = int(metrics(at)["Records"].replace(",", ""))
    assert 0 < records < 4000


def test_bad_link_values_give_notices_not_errors() -> None:
    at = app(ds="no-such-set", top="lots", focus="<script>x</script>", colour="[x](http://e)")
    assert not at.exception
    shown = " ".join(w.value for w in at.sidebar.warning)
    assert len(at.sidebar.warning) == 4
    assert "no such dataset" in shown
    assert "top=" in shown
    assert "](http" not in shown  # link text is made inert before it reaches markdown
    assert at.sidebar.selectbox(key="vs_ds").value == "demo"
    assert at.query_params == {"ds": "demo"}


def test_sidebar_change_writes_the_link() -> None:
    at = app()
    at.sidebar.number_input(key="vs_top").set_value(25).run()
    at.sidebar.selectbox(key="vs_focus").set_value("country:PAK").run()
    assert not at.exception
    assert at.query_params["top"] == "25"
    assert at.query_params["focus"] == "country:PAK"
    assert int(metrics(at)["Records"].replace(",", "")) < 4000


def upload(at: AppTest, data: bytes = CSV, name: str = "cases.csv") -> AppTest:
    at.switch_page("views/data.py").run()
    at.file_uploader(key="data_file").upload(name, data, "text/csv")
    return at.run()


def test_upload_shows_report_and_review() -> None:
    at = upload(app())
    assert not at.exception
    m = metrics(at)
    assert (m["Rows read"], m["Rows kept"], m["Rows rejected"]) == ("4", "4", "0")
    todo = next(df.value for df in at.dataframe if "suggestion" in df.value.columns)
    assert set(todo["text"]) == {"Atlantiss", "Karachie"}


def test_unusable_upload_is_one_clear_error() -> None:
    at = upload(app(), b"\x00\x01\x02binary", "x.csv")
    assert not at.exception
    assert at.error
    assert "Traceback" not in at.error[0].value


def test_column_override_reloads() -> None:
    at = upload(app())
    assert metrics(at)["Places"] == "9"
    at.multiselect(key="map_transit").set_value([])
    at = click(at, "Reload with these columns")
    assert not at.exception
    assert metrics(at)["Places"] == "8"  # Kolkata is no longer read as a transit
    at = click(at, "Back to the detected layout")
    assert metrics(at)["Places"] == "9"


def test_place_fixes_are_saved_as_aliases_and_applied(home: Path) -> None:
    at = upload(app())
    pick = at.selectbox(key="fix_pick")
    assert pick.value is not None
    assert pick.format_func(pick.value).startswith("Atlantiss")  # unresolved come first
    at.text_input(key=f"fix_q_{pick.value}").set_value("Dubai").run()
    at = click(at, "Use this place")
    assert not at.exception
    aliases = json.loads((home / "aliases.json").read_text())["aliases"]
    assert aliases["atlantiss"]["key"].startswith("city:")
    assert metrics(at)["Places resolved"] == "9"

    pick = at.selectbox(key="fix_pick")
    assert pick.format_func(pick.value).startswith("Karachie")  # the only one left
    at.text_input(key=f"fix_name_{pick.value}").set_value("Karachi port")
    at.number_input(key=f"fix_lat_{pick.value}").set_value(24.84)
    at.number_input(key=f"fix_lon_{pick.value}").set_value(66.98)
    at = click(at, "Use these coordinates")
    assert not at.exception
    aliases = json.loads((home / "aliases.json").read_text())["aliases"]
    assert aliases["karachie"]["name"] == "Karachi port"
    assert not any("suggestion" in df.value.columns for df in at.dataframe)  # nothing left


def test_a_namesake_guess_is_searched_as_written_and_fixed_to_the_other_city(home: Path
                                                                            ) -> None:
    """The search box opened on "Hyderabad (city, PAK)", which found neither city, and
    its first result, India's, was one click from being the fix."""
    at = upload(app(), b"origin,destination,count\nHyderabad,Dubai,3\n", "h.csv")
    pick = at.selectbox(key="fix_pick")
    assert "Hyderabad" in pick.format_func(pick.value)
    assert any("is the name of more than one place" in m.value for m in at.markdown)
    assert at.text_input(key=f"fix_q_{pick.value}").value == "Hyderabad"
    from loaders.gazetteer import get_gazetteer

    hits = get_gazetteer().search("Hyderabad", 10)
    pakistan = hits.loc[(hits["name"] == "Hyderabad") & (hits["iso3"] == "PAK"), "key"].iat[0]
    results = next(r for r in at.radio if r.key.startswith(f"fix_hit_{pick.value}_"))
    assert any("Hyderabad (city, PAK)" in o for o in results.options)
    results.set_value(pakistan).run()
    at = click(at, "Use this place")
    assert not at.exception
    fix = json.loads((home / "aliases.json").read_text())["aliases"]["hyderabad"]
    assert fix["key"] == pakistan


def test_a_huge_place_name_is_shown_short_in_the_review() -> None:
    """A 100,000-character cell was printed whole in the review, many screens long."""
    huge = "Y" * 100_000
    at = upload(app(), f"origin,destination,count\n{huge},Dubai,3\n".encode(), "h.csv")
    assert not at.exception
    pick = at.selectbox(key="fix_pick")
    assert len(pick.format_func(pick.value)) < 200
    said = [m.value for m in at.markdown if "YYYY" in m.value]
    assert said
    assert all(len(m) < 600 for m in said)
    assert "100,000 characters" in said[0]


def test_a_fix_after_saving_says_the_saved_copy_keeps_its_places(home: Path) -> None:
    """'Fixed: ... here and in every later upload', and the saved dataset's map still
    lacked the place: nothing said a saved copy keeps the places it was saved with."""
    at = upload(app())
    at.text_input(key="save_name").set_value("Saved first")
    at = click(at, "Save")
    pick = at.selectbox(key="fix_pick")
    at.text_input(key=f"fix_q_{pick.value}").set_value("Dubai").run()
    at = click(at, "Use this place")
    assert not at.exception
    said = " ".join(s.value for s in at.success)
    assert "save this file again" in said


def test_save_rename_delete_in_the_library(home: Path) -> None:
    at = upload(app())
    at.text_input(key="save_name").set_value("Cases 2019-21")
    at.text_input(key="save_source").set_value("field office")
    at = click(at, "Save")
    assert not at.exception
    [entry] = Library(home).list()
    assert (entry.name, entry.source, entry.original_name) == ("Cases 2019-21", "field office",
                                                               "cases.csv")
    assert any("Saved" in s.value for s in at.success)

    at.text_input(key=f"rename_{entry.id}").set_value("Renamed set")
    at = click(at, "Rename")
    assert Library(home).entry(entry.id).name == "Renamed set"

    at.switch_page("views/routes.py").run()  # the saved dataset is now the one shown
    assert at.sidebar.selectbox(key="vs_ds").value == entry.id
    assert metrics(at)["Records"] == "fewer than 5"  # 4, withheld at K=5
    assert records_help(at) == "of 4 in the dataset"
    assert at.query_params["ds"] == entry.id

    at.switch_page("views/data.py").run()
    at = click(at, "Delete")
    assert entry.id in Library(home)  # not without the confirmation
    at.checkbox(key=f"confirm_{entry.id}").check()
    at = click(at, "Delete")
    assert Library(home).list() == []
    at.switch_page("views/routes.py").run()  # a view of a deleted dataset falls back
    assert not at.exception
    assert at.sidebar.selectbox(key="vs_ds").value == "demo"


def test_saved_dataset_opens_from_a_link(home: Path) -> None:
    entry = Library(home).save(small_dataset(), CSV, "small.csv", name="Small")
    at = app(ds=entry.id, k="0", **{"f.gender": "male"})
    assert not at.exception
    assert metrics(at)["Records"] == "1"


def test_two_datasets_saved_under_one_name_stay_apart(home: Path) -> None:
    """An analyst uploads a corrected file under the same name. The picker sends back
    the label it shows, so with two equal labels the sidebar read the older dataset,
    called that a dataset change, and the map setting changed with it raised."""
    lib = Library(home)
    old = lib.save(small_dataset(), CSV, "cases.csv", name="Cases")
    new = lib.save(small_dataset(), CSV, "cases.csv", name="Cases")
    at = app(ds=new.id)
    picker = at.sidebar.selectbox(key="vs_ds")
    labels = [picker.format_func(o) for o in picker.options]
    assert len(set(labels)) == len(labels)
    at.sidebar.number_input(key="vs_min").set_value(2).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="vs_ds").value == new.id != old.id
    assert at.query_params["ds"] == new.id
    assert at.query_params["min"] == "2"


def test_a_dataset_change_and_a_setting_change_in_one_run(home: Path) -> None:
    """Changes made while the page is busy reach the server together: the dataset
    picker's callback resets the widgets, and the other widget's callback then found
    its own value gone and raised. The dataset change wins, without an error."""
    entry = Library(home).save(small_dataset(), CSV, "small.csv", name="Small")
    at = app()
    at.sidebar.selectbox(key="vs_ds").set_value(entry.id)
    at.sidebar.number_input(key="vs_top").set_value(25)
    at.run()
    assert not at.exception
    assert at.query_params["ds"] == entry.id
    assert records_help(at) == f"of {len(small_dataset().records):,} in the dataset"


def test_review_helpers_order_unresolved_first() -> None:
    todo = review.review_frame(small_dataset())
    assert todo["text"].tolist() == ["Atlantis", "Dubai"]
    assert review.override_columns({"origin": ["a"], "transit": []},
                                   {"count": review.NONE, "year": "y"}) == {
        "origin": ["a"], "transit": [], "year": "y"}


def test_the_save_form_starts_afresh_for_each_uploaded_file(home: Path) -> None:
    """A second upload in one session was saved under the first file's name, source,
    licence and synthetic flag: the form's fields kept what was typed."""
    at = upload(app())
    at.text_input(key="save_name").set_value("Field cases")
    at.text_input(key="save_source").set_value("field office")
    at.text_input(key="save_licence").set_value("internal")
    at.checkbox(key="save_synthetic").check()
    at = click(at, "Save")
    other = CSV.replace(b"Dhaka", b"Sylhet")
    at.file_uploader(key="data_file").upload("other cases.csv", other, "text/csv")
    at.run()
    assert at.text_input(key="save_name").value == "other cases"
    assert at.text_input(key="save_source").value == ""
    assert at.text_input(key="save_licence").value == ""
    assert at.checkbox(key="save_synthetic").value is False
    at = click(at, "Save")
    assert not at.exception
    saved = {e.original_name: e for e in Library(home).list()}
    second = saved["other cases.csv"]
    assert (second.name, second.source, second.licence, second.synthetic) == (
        "other cases", "", "", False)
    assert saved["cases.csv"].synthetic is True


@pytest.mark.parametrize("text", ["https://evil.example/x", "see www.evil.com",
                                  "mail a@evil.com", "FTP://x.org", "[x](https://e.org)"])
def test_dataset_text_in_markdown_reads_as_no_address(text: str) -> None:
    """Streamlit's markdown links bare addresses, escaped or not (seen in Chromium: a
    dataset's source https://... became a live link in the library and the caveat)."""
    from dashboard.views.sidebar import md

    shown = md(text)
    plain = shown.replace("\\", "")
    for joined in ("http:", "https:", "ftp:", "www.", "@e"):
        assert joined not in plain.lower()
    assert plain.replace("\u2060", "") == text  # the same text, to the eye
