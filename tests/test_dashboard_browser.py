"""The dashboard as a user sees it: ``routemap serve`` driven by a real headless Chromium.

One server for the session (the ``routemap`` console script beside this Python, with a
temporary ROUTEMAP_HOME), Debian's /usr/bin/chromium through Playwright (never a
downloaded browser). Every request that is not to this machine is aborted and recorded,
so "nothing leaves the machine" is measured, not assumed. Screenshots go to /tmp/shots/.
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
    serve,
    settle,
    shot,
    upload,
    wait_for_map,
    wait_until,
)
from _browser import open_page as _open_page

PAGES = {"Routes": "", "Hotspots": "hotspots", "Insights": "insights", "Data": "data",
         "Present": "present", "About": "about"}
CSV = (b"origin,transit,destination,count,year\n"
       b"Dhaka,Kolkata,Karachi,12,2019\n"
       b"Kathmandu,,Delhi,9,2020\n"
       b"Bishkek,,Moscow,7,2021\n")

pytestmark = NEEDS_SERVER

# the centre of the largest place circle that nothing (legend, caveat box) covers
BIGGEST_VISIBLE_CIRCLE = """() => {
    let best = null, area = 0;
    document.querySelectorAll(".leaflet-overlay-pane path.leaflet-interactive").forEach(el => {
        const r = el.getBoundingClientRect();
        if (r.width > 60 || Math.abs(r.width - r.height) > 2) { return; }
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (document.elementFromPoint(x, y) !== el) { return; }
        if (r.width * r.height > area) { area = r.width * r.height; best = [x, y]; }
    });
    return best;
}"""

# how far each permanent label's centre is from its place, across (px)
LABEL_OFFSETS = """() => {
    const out = [];
    window.map.eachLayer(l => {
        if (!(l instanceof L.Tooltip) || !l.options.permanent) { return; }
        const p = window.map.latLngToContainerPoint(l.getLatLng());
        const r = l.getElement().getBoundingClientRect();
        out.push(Math.abs(r.left + r.width / 2 - p.x));
    });
    return out;
}"""
VIEW = "() => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]"

OUTSIDE: list[str] = []  # every request the pages tried to send off this machine


@pytest.fixture(scope="session")
def server(browser, tmp_path_factory: pytest.TempPathFactory):
    """``routemap serve --port N`` with an empty library; its base URL once healthy."""
    home = tmp_path_factory.mktemp("routemap_home")
    with serve(browser, home, tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


@pytest.fixture
def page(browser, server):
    """A fresh page whose requests off this machine are aborted and recorded."""
    with offline_page(browser, OUTSIDE, 1440, 1300) as pg:
        yield pg


def open_page(page, server: str, path: str = "", query: str = "") -> None:
    """Go to a page and wait until Streamlit has drawn its sidebar and finished running."""
    _open_page(page, server, path, query)
    page.locator('[data-testid="stSidebarNav"], [data-testid="stSidebar"]').first.wait_for(
        timeout=30000)


def test_routes_map_draws_on_the_first_page(page, server) -> None:
    open_page(page, server)
    assert page.locator(EXCEPTION).count() == 0
    assert wait_for_map(page, 20) >= 20  # arcs and places of the demo
    frame = page.frame_locator(MAP_IFRAME).first
    assert frame.locator(".leaflet-basemap-pane path").count() > 100  # vector countries
    assert "not prevalence" in frame.locator(".rm-caveat").inner_text()
    assert frame.locator(".rm-banner").is_visible()  # SYNTHETIC on the demo
    assert "Top corridors" in page.locator("h3").all_inner_texts()
    assert page.get_by_text("withheld (counts below 5)").count() >= 1
    shot(page, "routes")


@pytest.mark.parametrize("name", ["Routes", "Hotspots"])
def test_a_laptop_screen_opens_on_the_map(browser, server, name: str) -> None:
    """On a 1366x768 laptop most of the first screen under the figures is map: it used
    to start 464 px down, under Streamlit's roomy spacing and a repeated caveat."""
    with offline_page(browser, OUTSIDE, 1366, 768) as page:
        open_page(page, server, PAGES[name])
        wait_for_map(page, 10)
        top = page.locator(MAP_IFRAME).first.bounding_box()["y"]
        assert 768 - top >= 400, top
        # what moved off the top is still on the page: the figures and the caveat
        assert metric(page, "Records") == "4,000"
        assert page.get_by_text("not how much trafficking there is").count() == 1


def test_clicking_a_place_focuses_on_its_routes(page, server) -> None:
    open_page(page, server)
    wait_for_map(page, 20)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    at = frame.evaluate(BIGGEST_VISIBLE_CIRCLE)
    assert at is not None
    box = page.locator(MAP_IFRAME).first.bounding_box()
    page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    wait_until(page, lambda: "focus=" in page.url, 80)
    assert "focus=" in page.url
    settle(page)
    assert page.get_by_text("Showing the routes through").count() == 1
    assert page.locator(EXCEPTION).count() == 0
    shot(page, "routes_focused")


def test_a_filter_change_redraws_in_place_and_keeps_the_view(page, server) -> None:
    open_page(page, server)
    wait_for_map(page, 20)
    iframe = page.locator(MAP_IFRAME).first.element_handle()
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.evaluate("() => window.map.setView([25, 70], 5)")  # the user zooms in
    caveat = frame.locator(".rm-caveat")
    assert "30+" not in caveat.inner_text()
    page.get_by_text("Map settings").click()
    box = page.get_by_label("Minimum cases on a corridor")
    box.fill("30")
    box.press("Enter")
    assert wait_until(page, lambda: "30+" in caveat.inner_text(), 80)  # the new view's box
    settle(page)
    assert page.evaluate("([a, b]) => a === b",
                         [iframe, page.locator(MAP_IFRAME).first.element_handle()])
    # where the user left it: the same zoom, and the centre within a pixel (Leaflet may
    # re-centre by a fraction of one when the page around the map reflows)
    zoom, lat, lon = frame.evaluate(VIEW)
    assert zoom == 5
    assert (lat, lon) == (pytest.approx(25, abs=0.05), pytest.approx(70, abs=0.05))
    assert frame.locator(".rm-legend").count() == 1  # the old view's boxes are gone
    assert frame.locator(".rm-caveat").count() == 1
    # focusing on a place is a new view: the same map opens on that place's routes
    at = frame.evaluate(BIGGEST_VISIBLE_CIRCLE)
    assert at is not None
    box = page.locator(MAP_IFRAME).first.bounding_box()
    page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    assert wait_until(page, lambda: "focus=" in page.url, 80)
    settle(page)
    # fitted anew (India's routes open at zoom 4.25); a popup's autopan keeps the zoom
    assert wait_until(page, lambda: frame.evaluate(VIEW)[0] != 5, 40)
    assert page.evaluate("([a, b]) => a === b",
                         [iframe, page.locator(MAP_IFRAME).first.element_handle()])
    assert page.locator(EXCEPTION).count() == 0


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_opens_without_an_exception(page, server, name: str) -> None:
    open_page(page, server, PAGES[name])
    assert page.locator(EXCEPTION).count() == 0, name
    if name == "Hotspots":
        assert wait_for_map(page, 10) >= 10  # countries of the choropleth
        frame = next(f for f in page.frames if "streamlit_folium" in f.url)
        offsets = frame.evaluate(LABEL_OFFSETS)  # country names, centred on the country
        assert offsets
        assert max(offsets) < 3, offsets
    shot(page, f"page_{name.lower()}")


def test_csv_upload_on_the_data_page_shows_its_rows(page, server, tmp_path: Path) -> None:
    open_page(page, server, "data")
    path = tmp_path / "routes.csv"
    path.write_bytes(CSV)
    upload(page, path)
    assert metric(page, "Rows read") == "3"
    assert metric(page, "Rows kept") == "3"
    assert page.get_by_text("routes.csv").count() >= 1
    assert page.locator(EXCEPTION).count() == 0
    shot(page, "data_upload")


# evaluated as a Jinja template it would read JINJA_RAN; as text it keeps "JINJA_R=1"
TEMPLATE = "{{ dict(JINJA_R=1)|first }}AN{% raw %}"
SCRIPT = "<img src=x onerror=window.__pwned=1>"


def test_an_upload_carrying_template_and_script_text_maps_as_text(page, server,
                                                                 tmp_path: Path) -> None:
    """The file name reaches the map's caveat box and the values its tooltips; drawing
    them must neither run them in the browser nor evaluate them on the server."""
    open_page(page, server, "data")
    path = tmp_path / f"cases {TEMPLATE}.csv"
    path.write_bytes(CSV.replace(b"year\n", b"year,sector\n").replace(
        b"2019\n", f"2019,{TEMPLATE} {SCRIPT}\n".encode()))
    upload(page, path)
    assert page.locator(EXCEPTION).count() == 0
    page.get_by_role("button", name="Save", exact=True).click()  # named after the file
    page.get_by_text("to the library; the map pages now show it").wait_for(timeout=30000)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Routes").first.click()
    settle(page)
    assert wait_for_map(page, 4) >= 4  # three corridors and their places
    assert page.locator(EXCEPTION).count() == 0
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    assert f"cases {TEMPLATE}" in frame.locator(".rm-caveat").inner_text()
    assert "JINJA_RAN" not in frame.content()
    assert "JINJA_RAN" not in page.content()
    assert frame.evaluate("typeof window.__pwned") == "undefined"
    shot(page, "routes_hostile_upload")


def test_nothing_left_the_machine() -> None:
    """With the default vector basemap no page asked for anything outside this machine
    (map tiles, the only allowed outside use, are opt-in and were not chosen)."""
    assert sorted(set(OUTSIDE)) == []
