"""The analyst's journey in a real browser (DESIGN §1, §7), across a server restart.

Acceptance: "An analyst uploads a file with misspelt places, fixes them in the review,
saves; after a restart the dataset and the fixes are there." One ``routemap serve`` on a
temporary ROUTEMAP_HOME takes the upload, the three kinds of fix (the suggestion, a
gazetteer search, coordinates) and the save; a second server on the same home must show
the saved dataset (its map draws) and apply the fixes to the same file uploaded again.
Requests off this machine are aborted and recorded; there must be none.
"""

from __future__ import annotations

import re
from pathlib import Path

from _browser import (
    EXCEPTION,
    NEEDS_SERVER,
    metric,
    offline_page,
    open_page,
    serve,
    settle,
    shot,
    upload,
    wait_for_map,
)

from loaders.aliases import load_aliases
from loaders.gazetteer import get_gazetteer
from loaders.library import Library
from loaders.load import load_dataset

pytestmark = NEEDS_SERVER

# Karachee: a suggestion only (score < 85); Saudia Arabiya: a fuzzy match (>= 85);
# Zzyzx Springs: nothing close. Dubay and Kuala Lumpor are alternate spellings the
# gazetteer already knows, so they never reach the review.
CSV = (b"origin,transit,destination,count,year\n"
       b"Karachee,Dubay,Saudia Arabiya,12,2019\n"
       b"Dhaka,Karachee,Kuala Lumpor,9,2020\n"
       b"Zzyzx Springs,,Dubay,7,2021\n"
       b"Kathmandu,Delhi,Saudia Arabiya,5,2021\n")
WIDTH, HEIGHT = 1440, 2800  # tall: Streamlit scrolls an inner block, not the page


def open_list(page, key: str, text: str = "") -> None:
    """Open the selectbox ``key`` until its options (with ``text``) show: on a busy
    machine the first click can land while Streamlit is still redrawing the widget."""
    option = page.locator('[role="option"]', has_text=text).first
    for _ in range(4):
        page.locator(f'.st-key-{key} button[aria-label="Open"]').click()
        try:
            option.wait_for(timeout=5000)
            return
        except Exception:  # closed again by a rerun: settle and retry
            page.keyboard.press("Escape")
            settle(page)
    option.wait_for(timeout=5000)


def review_labels(page) -> list[str]:
    """The places the review offers to fix, as the 'Place to fix' list shows them."""
    open_list(page, "fix_pick")
    options = page.locator('[role="option"]')
    labels = options.all_inner_texts()
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    return labels


def pick(page, text: str) -> None:
    """Choose the place to fix whose label starts with ``text``."""
    open_list(page, "fix_pick", text)
    page.locator('[role="option"]', has_text=text).first.click()
    settle(page)


def click(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    settle(page)


def type_into(page, label: str, value: str) -> None:
    """Fill a text or number input and commit it (Streamlit reruns on Enter)."""
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    settle(page)


def expect_flash(page, expect: str) -> None:
    text = flash(page, expect)
    assert expect in text, text


def flash(page, expect: str = "", tries: int = 40) -> str:
    """The messages shown; with ``expect``, wait (a rerun on a busy machine can land
    after the status widget has come and gone) until one of them holds it."""
    for _ in range(tries):
        text = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())
        if expect in text:
            break
        page.wait_for_timeout(250)
    return text


def no_exception(page) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()


def test_upload_fix_save_restart_and_the_fixes_are_kept(browser, tmp_path: Path) -> None:
    home, outside = tmp_path / "home", []
    home.mkdir()
    csv = tmp_path / "cases.csv"
    csv.write_bytes(CSV)

    with serve(browser, home, tmp_path / "serve1.log") as url, \
            offline_page(browser, outside, WIDTH, HEIGHT) as page:
        open_page(page, url, "data")
        upload(page, csv)
        no_exception(page)
        labels = review_labels(page)
        assert labels == ["Zzyzx Springs — not found, 1 row", "Karachee — not found, 2 rows",
                          "Saudia Arabiya — guessed, 2 rows"]
        assert metric(page, "Places not found") == "2"
        shot(page, "analyst_1_uploaded")

        # 1. the suggestion, in one click
        pick(page, "Karachee")
        said = page.locator('[data-testid="stMarkdownContainer"]',
                            has_text="was not found. The closest name is").inner_text()
        assert "Karachee" in said
        assert "Karachi (city, PAK)" in said
        shot(page, "analyst_2_suggestion")
        click(page, "Use Karachi (city, PAK)")
        no_exception(page)
        expect_flash(page, "Fixed: Karachee is now Karachi (city, PAK)")
        assert metric(page, "Places not found") == "1"

        # 2. a gazetteer search for the guessed one
        pick(page, "Saudia Arabiya")
        assert page.get_by_role("button", name="Confirm Saudi Arabia (country, SAU)").count()
        type_into(page, "Search for a place by name", "Saudi Arabia")
        page.get_by_text(re.compile(r"^Saudi Arabia \(country, SAU\) at [-0-9.]+, [-0-9.]+,"
                                    r" similarity 100$")).click()
        settle(page)
        click(page, "Use this place")
        no_exception(page)
        expect_flash(page, "Fixed: Saudia Arabiya is now Saudi Arabia (country, SAU)")
        assert review_labels(page) == ["Zzyzx Springs — not found, 1 row"]

        # 3. coordinates for a place no gazetteer has
        page.get_by_role("tab", name="Enter coordinates").click()
        click(page, "Use these coordinates")  # nothing entered: a clear error, no fix
        expect_flash(page, "Enter both a latitude and a longitude")
        type_into(page, "Latitude", "35.1436")
        type_into(page, "Longitude", "-116.1042")
        shot(page, "analyst_3_coordinates")
        click(page, "Use these coordinates")
        no_exception(page)
        expect_flash(page, "Zzyzx Springs is now Zzyzx Springs at 35.1436, -116.1042")
        assert metric(page, "Places not found") == "0"
        assert metric(page, "Places resolved") == "8"
        assert page.get_by_text("Nothing to review: every place was found.").count() == 1

        for label, value in [("Name", "Gulf routes 2019-21"),
                             ("Source", "Field office interviews"), ("Licence", "CC BY 4.0")]:
            page.get_by_label(label, exact=True).fill(value)
            page.get_by_label(label, exact=True).press("Enter")  # must not save yet
        settle(page)
        assert Library(home).list() == []
        click(page, "Save")
        no_exception(page)
        expect_flash(page, "Saved 'Gulf routes 2019-21' to the library")
        expect_flash(page, "already in the library as 'Gulf routes 2019-21'")
        shot(page, "analyst_4_saved")

    [entry] = Library(home).list()
    assert (entry.name, entry.source, entry.licence) == ("Gulf routes 2019-21",
                                                         "Field office interviews", "CC BY 4.0")
    assert entry.report["places_resolved"] == entry.report["places_unique"] == 8

    with serve(browser, home, tmp_path / "serve2.log") as url, \
            offline_page(browser, outside, WIDTH, HEIGHT) as page:
        open_page(page, url, "data")
        page.get_by_text("Gulf routes 2019-21 — 4 records").click()
        settle(page)  # a click on the button while the page still reran was lost (CI)
        shot(page, "analyst_5_library_after_restart")
        page.get_by_role("button", name="Show it on the map pages").click()
        page.locator("h1", has_text="Routes").first.wait_for(timeout=60000)
        settle(page)
        no_exception(page)
        assert f"ds={entry.id}" in page.url
        assert metric(page, "Records") == "fewer than 5"  # its 4 records, withheld at K=5
        assert wait_for_map(page, 15) >= 15  # 8 places and 7 arcs at least
        shot(page, "analyst_6_routes_after_restart")

        open_page(page, url, "data")
        upload(page, csv)
        no_exception(page)
        assert metric(page, "Places not found") == "0"
        assert page.get_by_text("Nothing to review: every place was found.").count() == 1
        shot(page, "analyst_7_same_file_again")

        # a fix can be undone: forget Zzyzx Springs and it is back in the review
        page.get_by_text("Your place fixes (3)").click()
        settle(page)
        open_list(page, "forget_pick", "zzyzx springs")
        page.locator('[role="option"]', has_text="zzyzx springs").first.click()
        settle(page)
        click(page, "Forget this fix")
        no_exception(page)
        expect_flash(page, "Forgot the fix of zzyzx springs")
        assert page.get_by_text("Your place fixes (2)").count() == 1
        shot(page, "analyst_8_fix_forgotten")
        assert review_labels(page) == ["Zzyzx Springs — not found, 1 row"]

    assert outside == []


def test_another_session_renaming_the_dataset_keeps_this_view(browser, tmp_path: Path) -> None:
    """The dataset picker sends back the label it shows. Another analyst renamed the
    dataset of this view, then saved one under its new name (both change its label):
    the next setting changed here sent a stale label, the sidebar took it for a pick of
    no dataset, and the view fell back to the demo saying its dataset was gone."""
    home, outside = tmp_path / "home", []
    lib = Library(home)
    data = b"origin,destination,count,year\nDhaka,Dubai,12,2019\nKathmandu,Doha,30,2020\n"
    entry = lib.save(load_dataset(data, name="gulf.csv", aliases=None), data, "gulf.csv",
                     name="Gulf")
    with serve(browser, home, tmp_path / "serve.log") as url, \
            offline_page(browser, outside, 1440, 1000) as page:
        open_page(page, url, "", f"ds={entry.id}")
        wait_for_map(page, 2)
        page.get_by_text("Map settings", exact=True).click()
        minimum = page.get_by_label("Minimum cases on a corridor")
        for value, elsewhere in (("3", lambda: lib.rename(entry.id, "Gulf states")),
                                 ("4", lambda: lib.save(load_dataset(
                                     data, name="gulf.csv", aliases=None), data, "gulf.csv",
                                     name="Gulf states"))):
            elsewhere()
            minimum.fill(value)
            minimum.press("Enter")
            settle(page)
            assert f"min={value}" in page.url
            assert f"ds={entry.id}" in page.url
            assert page.get_by_text("no longer in the library").count() == 0
            assert page.locator(EXCEPTION).count() == 0
        assert page.get_by_label("Dataset").input_value().startswith("Gulf states (saved")
    assert outside == []


def test_a_search_result_fixes_the_namesake_picked(browser, tmp_path: Path) -> None:
    """Eight US cities are called Springfield, and the results list sends back the label
    it shows. With one label for all, "Use this place" fixed the name to the last of
    them (Springfield, Oregon) whichever was picked; the label now gives the position."""
    home, outside = tmp_path / "home", []
    home.mkdir()
    csv = tmp_path / "spring.csv"
    csv.write_text("origin,destination,count,year\nZzspringfeldq,Dubai,12,2019\n", "utf-8")
    hits = get_gazetteer().search("Springfield", 10)
    with serve(browser, home, tmp_path / "serve.log") as url, \
            offline_page(browser, outside, WIDTH, HEIGHT) as page:
        open_page(page, url, "data")
        upload(page, csv)
        type_into(page, "Search for a place by name", "Springfield")
        second = hits.iloc[1]  # Springfield, Missouri: the results list is in this order
        options = page.locator('[data-testid="stRadio"] [role="radiogroup"] label')
        assert options.count() == len(hits)
        options.nth(1).click()
        settle(page)
        click(page, "Use this place")
        no_exception(page)
    assert load_aliases(home)["zzspringfeldq"].key == second.key
    assert outside == []


def test_a_second_search_fixes_its_own_first_result(browser, tmp_path: Path) -> None:
    """The results list keeps its pick by label: after a second search that finds the
    same place with another similarity, the first search's label came back as the pick
    and "Use this place" crashed the page (KeyError)."""
    home, outside = tmp_path / "home", []
    home.mkdir()
    csv = tmp_path / "lahre.csv"
    csv.write_text("origin,destination,count,year\nZzspringfeldq,Dubai,12,2019\n", "utf-8")
    first = get_gazetteer().search("Lahre", 10).iloc[0]  # Lahore, less similar than to "Lahore"
    with serve(browser, home, tmp_path / "serve.log") as url, \
            offline_page(browser, outside, WIDTH, HEIGHT) as page:
        open_page(page, url, "data")
        upload(page, csv)
        type_into(page, "Search for a place by name", "Lahore")
        type_into(page, "Search for a place by name", "Lahre")
        click(page, "Use this place")
        no_exception(page)
        expect_flash(page, "Fixed: Zzspringfeldq is now Lahore (city, PAK)")
    assert load_aliases(home)["zzspringfeldq"].key == first.key
    assert outside == []
