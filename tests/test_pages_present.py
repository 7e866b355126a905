"""The Insights and Present pages through Streamlit's AppTest.

Each test opens its page first (a two-page navigation over the real page files), so the
widgets are those of that page from the first run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import slides as sl
from dashboard.state import ViewState
from loaders.library import Library

VIEWS = Path(__file__).resolve().parents[1] / "dashboard" / "views"
ROOT = Path(__file__).resolve().parents[1]


def page_app(page: str) -> str:
    """A Streamlit script that opens ``page`` (with Routes beside it) like app.py does."""
    return f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
st.set_page_config(layout="wide", page_title="routemap")
pages = [st.Page({str(VIEWS / page)!r}, default=True),
         st.Page({str(VIEWS / "about.py")!r})]
st.navigation(pages).run()
"""


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROUTEMAP_HOME", str(tmp_path))
    return tmp_path


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_string(page_app(page), default_timeout=60)
    at.query_params.update(params)
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at: AppTest) -> dict[str, dict]:
    """Plotly charts by key suffix -> their figure spec."""
    out = {}
    for el in at.get("plotly_chart"):
        out[el.proto.id.rsplit("-", 1)[-1]] = json.loads(el.proto.spec)
    return out


# ---- Insights -----------------------------------------------------------------------------


def test_insights_draws_sankey_trend_and_breakdowns_on_the_demo() -> None:
    at = open_page("insights.py")
    assert not at.exception
    got = charts(at)
    assert {"insights_sankey", "insights_trend"} <= set(got)
    assert any(k.startswith("insights_bd_") for k in got)
    sankey = got["insights_sankey"]["data"][0]
    assert sankey["type"] == "sankey"
    assert 0 < len(sankey["link"]["value"]) <= 30
    assert min(sankey["link"]["value"]) >= 5  # the sidebar's K
    assert "Pakistan" in sankey["node"]["label"]
    assert any("withheld (counts below 5)" in plain(c.value) for c in at.caption)
    years = got["insights_trend"]["data"][0]["x"]
    assert years[0] == 2000
    assert years[-1] == 2024


def test_insights_follow_the_year_filter() -> None:
    at = open_page("insights.py")
    before = charts(at)
    at.sidebar.slider(key="vs_years").set_value((2010, 2012)).run()
    assert not at.exception
    after = charts(at)
    assert after["insights_trend"]["data"][0]["x"] == [2010, 2011, 2012]
    total = sum(v for v in after["insights_trend"]["data"][0]["y"] if v is not None)
    assert metrics(at)["Cases"] == f"{total:,}"
    assert sum(after["insights_sankey"]["data"][0]["link"]["value"]) < \
        sum(before["insights_sankey"]["data"][0]["link"]["value"])


def test_insights_from_a_link_with_an_attribute_filter() -> None:
    at = open_page("insights.py", years="2015-2016", **{"f.gender": "female"})
    assert not at.exception
    bars = {k: v for k, v in charts(at).items() if k.startswith("insights_bd_")}
    gender = next(v["data"][0] for v in bars.values() if "female" in v["data"][0]["y"])
    assert gender["y"] == ["female"]


# ---- Present ------------------------------------------------------------------------------


def add_slide(at: AppTest, years: tuple[int, int], name: str) -> AppTest:
    at.sidebar.slider(key="vs_years").set_value(years).run()
    at.text_input(key="present_new_name").input(name).run()
    return at.button(key="present_add").click().run()


def title(at: AppTest) -> str:
    return plain(at.title[0].value)


def plain(text: str) -> str:
    """Markdown text without the escapes ``md`` adds (what a reader sees)."""
    return text.replace("\\", "")


def test_present_steps_through_saved_slides_and_the_figures_follow(home: Path) -> None:
    at = open_page("present.py")
    assert not at.exception
    assert title(at) == "Current view: All years"
    add_slide(at, (2010, 2012), "Early years")
    add_slide(at, (2020, 2024), "Recent years")
    assert not at.exception
    assert title(at) == "Recent years"
    assert at.query_params["slide"] == "2"
    recent = metrics(at)
    assert recent["Years"] == "2020–2024"

    at.button(key="present_prev").click().run()
    assert title(at) == "Early years"
    assert at.query_params["slide"] == "1"
    assert at.query_params["years"] == "2010-2012"
    assert at.sidebar.slider(key="vs_years").value == (2010, 2012)
    early = metrics(at)
    assert early["Years"] == "2010–2012"
    assert early["Cases"] != recent["Cases"]
    assert any(md.value == "### 1 / 2" for md in at.markdown)
    assert at.button(key="present_prev").disabled

    at.button(key="present_next").click().run()
    assert title(at) == "Recent years"
    assert metrics(at) == recent
    assert at.button(key="present_next").disabled
    stored = json.loads((home / "views" / "demo.json").read_text("utf-8"))["views"]
    assert [s["name"] for s in stored] == ["Early years", "Recent years"]

    # a fresh AppTest is a restart: only ROUTEMAP_HOME carries the slides
    again = open_page("present.py", slide="2")
    assert not again.exception
    assert title(again) == "Recent years"
    assert metrics(again) == recent


def test_present_forces_k_to_at_least_five() -> None:
    at = open_page("present.py", k="2")
    assert not at.exception
    assert at.sidebar.number_input(key="vs_k").value == 2
    assert any("counts below 5 are withheld" in plain(i.value) and "K=2" in plain(i.value)
               for i in at.info)
    assert any("(counts below 5)" in plain(m.value) for m in at.markdown)
    at = open_page("present.py", k="10")
    assert not any("always on when presenting" in plain(i.value) for i in at.info)
    assert any("(counts below 10)" in plain(m.value) for m in at.markdown)


def store(*slides: tuple[str, tuple[int, int]]) -> None:
    """Save slides for the demo as the page would (names and year ranges)."""
    sl.store_slides(Library(), "demo", [sl.make_slide(ViewState(years=y), name)
                                         for name, y in slides])


def test_present_link_opens_a_slide_and_a_bad_one_is_ignored() -> None:
    store(("Early years", (2010, 2012)), ("Recent years", (2020, 2024)))
    at = open_page("present.py", slide="1")
    assert not at.exception
    assert title(at) == "Early years"
    assert metrics(at)["Years"] == "2010–2012"
    assert at.query_params["slide"] == "1"
    assert not at.sidebar.warning  # slide= is not an unknown setting
    at = open_page("present.py", slide="9")
    assert title(at).startswith("Current view")
    assert any("slide='9'" in plain(w.value) for w in at.warning)


def test_present_rename_reorder_delete() -> None:
    store(("Early", (2010, 2012)), ("Recent", (2020, 2024)))
    at = open_page("present.py", slide="2")
    at.text_input(key="present_rename").input("Most recent")
    at.button(key="present_do_rename").click().run()
    assert title(at) == "Most recent"
    at.button(key="present_up").click().run()
    assert at.query_params["slide"] == "1"
    assert any(m.value == "1. **Most recent**\n2. Early" for m in at.markdown)
    at.button(key="present_delete").click().run()
    assert not at.exception
    assert title(at) == "Early"
    assert any(m.value == "### 1 / 1" for m in at.markdown)
    # the slide now shown is shown with its own view, not the deleted slide's
    assert metrics(at)["Years"] == "2010–2012"
    assert at.query_params["years"] == "2010-2012"
    at.button(key="present_delete").click().run()
    assert title(at).startswith("Current view")
    assert "slide" not in at.query_params
    assert any("no slides yet" in c.value for c in at.caption)
    assert sl.load_slides(Library(), "demo") == []


def test_present_update_slide_with_a_changed_view() -> None:
    store(("Early", (2010, 2012)))
    at = open_page("present.py", slide="1")
    at.sidebar.slider(key="vs_years").set_value((2011, 2013)).run()
    assert any("changed since" in c.value for c in at.caption)
    at.button(key="present_update").click().run()
    assert sl.load_slides(Library(), "demo")[0]["state"]["years"] == "2011-2013"


def test_present_blank_slide_name_takes_the_view_description() -> None:
    at = open_page("present.py", years="2019")
    at.text_input(key="present_new_name").input("   ")
    at.button(key="present_add").click().run()
    assert not at.exception
    assert title(at) == "2019"


def test_the_current_view_is_titled_with_the_focus_place_by_name() -> None:
    at = open_page("present.py", focus="city:1185241")
    assert not at.exception
    assert title(at) == "Current view: All years · focus Dhaka"
    at.button(key="present_add").click().run()
    assert sl.load_slides(Library(), "demo")[0]["name"] == "All years · focus Dhaka"


def test_the_slides_panel_stays_open_for_the_next_edit() -> None:
    store(("Early", (2010, 2012)), ("Recent", (2020, 2024)))
    at = open_page("present.py", slide="1")

    def slides_panel_open() -> bool:
        return next(e for e in at.expander if e.label == "Slides").proto.expanded

    assert not slides_panel_open()  # slides exist: the map comes first
    at.text_input(key="present_rename").input("First")
    at.button(key="present_do_rename").click().run()
    assert title(at) == "First"
    assert slides_panel_open()
    at.button(key="present_down").click().run()
    assert slides_panel_open()


def test_present_offers_the_views_exports_withheld_as_presented() -> None:
    """Present had no export: the slide PNG came only from Routes or the command line."""
    at = open_page("present.py", k="0", years="2010-2012")
    assert not at.exception
    names = [b.proto.help for b in at.get("download_button")]
    assert any(n.endswith(".png") for n in names)
    assert any("flows-by-" in n and n.endswith(".csv") for n in names)
    assert all("_k5" in n for n in names)  # K=0 asked, 5 used: as the map shows
