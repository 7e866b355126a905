"""Present and Insights as a presenter sees them: ``routemap serve`` in headless Chromium.

The library home is prepared before the server starts: two saved slides on the demo (the
second asks for a dark basemap and K=2) and a small saved dataset whose place names hold
markup. Debian's /usr/bin/chromium through Playwright (never a downloaded browser); every
request off this machine is aborted and recorded. Screenshots at 1920x1080 go to
/tmp/shots/present_*.png, to be looked at: they must read from across a room.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _browser import (
    EXCEPTION,
    MAP_IFRAME,
    NEEDS_SERVER,
    metric,
    offline_page,
    open_page,
    serve,
    settle,
    shot,
    wait_for_map,
    wait_until,
)

from dashboard import slides as sl
from dashboard.state import ViewState
from loaders.library import Library
from loaders.load import load_dataset

SLIDES = [("Early years: 2010–2012", ViewState(years=(2010, 2012))),
          ("Recent years on a dark map", ViewState(years=(2020, 2024), basemap="dark", k=2))]
MARKUP_CSV = (b"origin,destination,count,year\n"
              b"<b>Atlantis</b>,Dubai,9,2019\n"
              b"Dhaka,<i>Karachi</i>,7,2020\n")

pytestmark = NEEDS_SERVER

OUTSIDE: list[str] = []  # every request a page tried to send off this machine


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A library home with the demo's two slides and a saved dataset with markup names."""
    home = tmp_path_factory.mktemp("routemap_home")
    lib = Library(home)
    sl.store_slides(lib, "demo", [sl.make_slide(s, name) for name, s in SLIDES])
    entry = lib.save(load_dataset(MARKUP_CSV, name="markup.csv", aliases=None), MARKUP_CSV,
                     "markup.csv", name="Markup names")
    return home, entry.id


@pytest.fixture(scope="module")
def server(browser, home, tmp_path_factory: pytest.TempPathFactory):
    """``routemap serve --port N`` on the prepared home; its base URL once healthy."""
    with serve(browser, home[0], tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


@pytest.fixture
def page(browser, server):
    """A 1920x1080 page (a shared screen) whose requests off this machine are aborted."""
    with offline_page(browser, OUTSIDE, 1920, 1080) as pg:
        yield pg


def wait_for_url(page, part: str) -> str:
    """The page's URL once it holds ``part`` (or after ~10 s, for the assertion to show)."""
    wait_until(page, lambda: part in page.url, 40)
    return page.url


def title(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def font_px(locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_present_steps_through_two_saved_views(page, server) -> None:
    open_page(page, server, "present", "slide=1")
    assert page.locator(EXCEPTION).count() == 0
    assert title(page) == SLIDES[0][0]
    assert page.get_by_text("1 / 2", exact=True).count() == 1
    assert wait_for_map(page) >= 10
    frame = page.frame_locator(MAP_IFRAME).first
    legend, caveat = frame.locator(".rm-legend"), frame.locator(".rm-caveat")
    assert legend.is_visible()
    assert caveat.is_visible()
    assert "not prevalence" in caveat.inner_text()
    assert "withheld (counts below 5)" in caveat.inner_text()
    assert frame.locator(".rm-banner").is_visible()  # SYNTHETIC
    assert font_px(legend) >= 20  # large type for a shared screen
    assert font_px(page.locator("h1").first) >= 36
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box["height"] >= 700
    assert box["width"] >= 1400
    # the large legend sits in two columns, so it leaves most of the map's height clear
    assert legend.bounding_box()["height"] < 0.35 * box["height"]
    # the caveat box is on screen without scrolling
    cbox = caveat.bounding_box()
    assert cbox["y"] + cbox["height"] <= 1080
    early_years = metric(page, "Years")
    shot(page, "present_1_early", full_page=False)  # the screen as shared

    page.get_by_role("button", name="Next ▶").click()
    settle(page)
    assert wait_until(page, lambda: metric(page, "Years") == "2020–2024")
    assert title(page) == SLIDES[1][0]
    assert "slide=2" in wait_for_url(page, "slide=2")
    assert page.get_by_text("2 / 2", exact=True).count() == 1
    assert metric(page, "Years") != early_years
    # the slide asked for K=2: presenting uses 5 and says so
    assert page.get_by_text("Suppression is always on when presenting").count() == 1
    wait_for_map(page)
    frame = page.frame_locator(MAP_IFRAME).first
    assert "withheld (counts below 5)" in frame.locator(".rm-caveat").inner_text()
    sea = frame.locator(".leaflet-container").first.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    assert sea == "rgb(31, 38, 48)"  # the dark basemap, drawn offline
    shot(page, "present_2_recent_dark", full_page=False)

    page.get_by_role("button", name="◀ Previous").click()
    settle(page)
    assert wait_until(page, lambda: metric(page, "Years") == early_years)
    assert title(page) == SLIDES[0][0]
    assert "slide=1" in wait_for_url(page, "slide=1")
    assert page.locator(EXCEPTION).count() == 0


def test_the_clicker_steps_slides_after_the_map_was_dragged(page, server) -> None:
    """A presenter drags the map, then presses the clicker (it sends Page Down): the keys
    went to the map's frame and the slide stayed. The map now passes them on."""
    open_page(page, server, "present", "slide=1")
    wait_for_map(page)
    box = page.locator(MAP_IFRAME).first.bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 360, box["y"] + 240)
    page.mouse.up()
    assert page.evaluate("() => document.activeElement.tagName") == "IFRAME"
    page.keyboard.press("PageDown")
    assert wait_until(page, lambda: title(page) == SLIDES[1][0])
    page.keyboard.press("PageUp")  # the map keeps the keyboard: its frame is the same
    assert wait_until(page, lambda: title(page) == SLIDES[0][0])
    assert page.locator(EXCEPTION).count() == 0


def test_a_folded_legend_stays_folded_on_the_next_slide(page, server) -> None:
    """A presenter folds the legend to uncover the map; the next slide's legend used to
    open again over the map."""
    open_page(page, server, "present", "slide=1")
    wait_for_map(page)
    frame = page.frame_locator(MAP_IFRAME).first
    frame.locator(".rm-legend h4").click()
    assert "rm-folded" in frame.locator(".rm-legend").get_attribute("class")
    page.get_by_role("button", name="Next ▶").click()
    assert wait_until(page, lambda: title(page) == SLIDES[1][0])
    assert wait_until(page, lambda: "2020–2024" in frame.locator(".rm-caveat").inner_text())
    legend = frame.locator(".rm-legend")
    assert legend.count() == 1
    assert "rm-folded" in legend.get_attribute("class")
    assert legend.locator("h4").get_attribute("aria-expanded") == "false"
    legend.locator("h4").click()  # and it opens again on a click
    assert "rm-folded" not in legend.get_attribute("class")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1280, 600)])
def test_the_whole_map_fits_a_small_screen(browser, server, width, height) -> None:
    """On a laptop shared in a meeting, the map, its legend and its caveat box are all on
    screen without scrolling (the map used to be 760 px tall whatever the screen)."""
    with offline_page(browser, OUTSIDE, width, height) as page:
        open_page(page, server, "present", "slide=1")
        wait_for_map(page)
        frame = page.frame_locator(MAP_IFRAME).first
        page.wait_for_timeout(500)
        box = page.locator(MAP_IFRAME).first.bounding_box()
        assert box["y"] + box["height"] <= height
        assert box["height"] >= 0.6 * height  # most of the screen, not a thumbnail
        leaflet = frame.locator(".leaflet-container").first.bounding_box()
        assert abs(leaflet["height"] - box["height"]) <= 1  # the map fills its frame
        for selector in (".rm-legend", ".rm-caveat", ".rm-banner"):
            inner = frame.locator(selector).bounding_box()
            assert box["y"] <= inner["y"]
            assert inner["y"] + inner["height"] <= box["y"] + box["height"]
        assert title(page) == SLIDES[0][0]
        assert page.get_by_role("button", name="Next ▶").is_visible()
        shot(page, f"present_{width}x{height}", full_page=False)
        # the fitted height belongs to Present: the Routes map keeps its own
        open_page(page, server)
        wait_for_map(page)
        assert page.locator(MAP_IFRAME).first.bounding_box()["height"] == 650


def test_insights_draws_offline_and_shows_markup_as_text(page, server, home) -> None:
    open_page(page, server, "insights", f"ds={home[1]}&k=0")
    assert page.locator(EXCEPTION).count() == 0
    sankey = page.locator(".js-plotly-plot .sankey").first
    sankey.wait_for(timeout=30000)
    labels = page.locator(".js-plotly-plot .sankey .node-label")
    texts = labels.all_text_contents()
    assert "<b>Atlantis</b>" in texts
    assert "<i>Karachi</i>" in texts
    assert page.locator(".js-plotly-plot .sankey .node-label b").count() == 0
    assert page.locator(".js-plotly-plot .sankey .node-label i").count() == 0
    shot(page, "present_insights_markup")
    open_page(page, server, "insights")
    page.locator(".js-plotly-plot .sankey").first.wait_for(timeout=30000)
    assert page.locator(".js-plotly-plot").count() >= 4  # Sankey, trend, breakdowns
    page.wait_for_timeout(500)
    shot(page, "present_insights_demo")


def test_nothing_left_the_machine() -> None:
    """Presenting (a dark map included) and the charts asked for nothing outside."""
    assert sorted(set(OUTSIDE)) == []
