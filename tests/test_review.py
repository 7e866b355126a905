"""The Data page's review logic without a browser: what is listed, how it reads, and that
a fix is kept as an alias that a later load applies."""

from __future__ import annotations

import pytest

from dashboard import review
from loaders.gazetteer import get_gazetteer
from loaders.load import load_dataset

CSV = (b"origin,destination,count,year\n"
       b"Karachee,Saudia Arabiya,3,2019\n"
       b"Karachee,Dubai,2,2020\n"
       b"Zzyzx Springs,Doha,1,2021\n")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTEMAP_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def dataset(home):
    return load_dataset(CSV, name="cases.csv")


def test_review_lists_unresolved_first_then_guesses(dataset):
    todo = review.review_frame(dataset)
    assert todo["match"].tolist()[:2] == ["unresolved", "unresolved"]
    assert set(todo["text"]) >= {"Karachee", "Zzyzx Springs"}
    karachee = todo[todo["text"] == "Karachee"].iloc[0]
    assert karachee["rows"] == 2
    guessed = todo[todo["match"] == "fuzzy"]
    assert "Saudia Arabiya" in guessed["text"].tolist()
    assert guessed.iloc[0]["matched"] == "Saudi Arabia"


def test_review_table_says_what_is_wrong_in_words(dataset):
    table = review.review_table(review.review_frame(dataset))
    by_text = table.set_index("text")
    assert by_text.loc["Karachee", "problem"] == "not found; closest name Karachi"
    assert by_text.loc["Saudia Arabiya", "problem"] == "guessed as Saudi Arabia: please check"


def test_suggestion_becomes_a_gazetteer_place(dataset):
    todo = review.review_frame(dataset)
    row = todo[todo["text"] == "Karachee"].iloc[0]
    key, label = review.suggested_place(row, get_gazetteer())
    assert label == "Karachi (city, PAK)"
    assert key.startswith("city:")


def test_a_saved_fix_resolves_the_place_on_the_next_load(dataset, home):
    row = review.review_frame(dataset).query("text == 'Karachee'").iloc[0]
    key, _ = review.suggested_place(row, get_gazetteer())
    review.save_fix("Karachee", "", key=key)
    review.save_fix("Zzyzx Springs", "", name="Zzyzx Springs", lat=35.1436, lon=-116.1042)
    again = load_dataset(CSV, name="cases.csv")
    places = again.places.set_index("query")
    assert places.loc["Karachee", "match"] == "user"
    assert places.loc["Karachee", "iso3"] == "PAK"
    assert places.loc["Zzyzx Springs", "lat"] == pytest.approx(35.1436)
    assert set(review.fixes_frame()["text"]) == {"karachee", "zzyzx springs"}


def test_search_results_tell_namesakes_apart():
    """Eight US cities are called Springfield. The results list sends back the label it
    shows, so with one label for all of them, the fix went to the last one whichever
    the analyst picked (Springfield, Oregon, for Springfield, Illinois)."""
    hits = get_gazetteer().search("Springfield", 10)
    labels = review.search_hit_labels(hits)
    assert len(set(labels.values())) == len(labels) == len(hits)
    illinois = hits.loc[(hits["lon"] - -89.64).abs() < 0.01, "key"].item()
    assert labels[illinois] == "Springfield (city, USA) at 39.80, -89.64, similarity 100"


def test_problem_text_for_a_place_with_no_close_name():
    assert review.problem_text("unresolved", "") == "not found; no name is close"


def test_a_notice_about_the_whole_file_has_empty_line_and_column_cells():
    from loaders.report import LoadReport, Problem

    report = LoadReport(layout="routes", problems=[
        Problem(None, None, "read sheet 'cases', the largest of 2 sheets", kept=True),
        Problem(12, "count", "negative count")])
    frame = review.problems_frame(report)
    assert frame["line"].tolist() == ["", "12"]
    assert frame["column"].tolist() == ["", "count"]
    assert "None" not in frame.astype(str).to_numpy().ravel().tolist()


def test_a_place_found_in_another_country_says_so_in_the_review(tmp_path):
    source = tmp_path / "cases.csv"
    source.write_text("origin,origin_country,destination\nKarachi,India,Dubai\n"
                      "Lahore,Pakistan,Dubai\n", encoding="utf-8")
    dataset = load_dataset(source)
    table = review.review_table(review.review_frame(dataset))
    assert table["text"].tolist() == ["Karachi"]
    assert table["problem"].tolist() == [
        "found as Karachi, not in India as written beside it: please check"]
