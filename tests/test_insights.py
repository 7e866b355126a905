"""The data behind the Insights charts: Sankey links, trend by year, breakdowns, escaping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _maps_data import PLACES, make_countries, make_dataset, make_places

from dashboard import insights as ins

# place ids: 0 Karachi, 1 Lahore, 2 Bangladesh, 3 Kuala Lumpur, 4 UAE, 5 Atlantis (unresolved),
# 6 Manila, 7 Lima
ROUTES = [
    ([2, 0, 3], 10, 2015),   # Bangladesh -> Karachi -> Kuala Lumpur
    ([2, 0, 3], 5, 2016),
    ([2, 0, 4, 3], 6, 2016),  # two transits
    ([6, 4], 3, 2018),       # small: withheld at K=5
    ([2, 3], None, 2018),    # reported without a number
    ([0, 1, 4], 7, 2020),    # Karachi -> Lahore: one node at country level
]


def dataset(**kw):
    return make_dataset(ROUTES, attrs={"gender": ["f", "f", "m", "f", "", "m"]}, **kw)


def everything(ds) -> np.ndarray:
    return np.ones(len(ds.records), dtype=bool)


def links(data: ins.SankeyData) -> dict[tuple[str, str], int]:
    name = [f"{lb}|{st}" for lb, st in zip(data.labels, data.stages, strict=True)]
    return {(name[s], name[t]): v for s, t, v in zip(data.source, data.target, data.value,
                                                      strict=True)}


def test_sankey_follows_each_route_through_its_transits_in_order() -> None:
    ds = dataset()
    got = links(ins.sankey_data(ds, everything(ds), level="place", k=0))
    assert got == {
        ("Bangladesh|Origin", "Karachi|Transit"): 21,
        ("Karachi|Transit", "Kuala Lumpur|Destination"): 15,
        ("Karachi|Transit", "United Arab Emirates|Transit 2"): 6,
        ("United Arab Emirates|Transit 2", "Kuala Lumpur|Destination"): 6,
        ("Manila|Origin", "United Arab Emirates|Destination"): 3,
        ("Karachi|Origin", "Lahore|Transit"): 7,
        ("Lahore|Transit", "United Arab Emirates|Destination"): 7,
    }


def test_sankey_at_country_level_merges_stops_in_one_country() -> None:
    ds = dataset()
    data = ins.sankey_data(ds, everything(ds), level="country", k=0,
                           countries=make_countries())
    got = links(data)
    # Karachi -> Lahore -> UAE becomes Pakistan -> UAE, the Pakistan stops merged
    assert got[("Pakistan|Origin", "United Arab Emirates|Destination")] == 7
    assert ("Pakistan|Origin", "Pakistan|Transit") not in got
    assert got[("Bangladesh|Origin", "Pakistan|Transit")] == 21


def test_sankey_withholds_links_below_k_and_says_so() -> None:
    ds = dataset()
    data = ins.sankey_data(ds, everything(ds), level="place", k=7)
    assert all(v >= 7 for v in data.value)
    # links below 7: KHI->UAE 6, UAE->KL 6, Manila->UAE 3  (Karachi->Lahore 7 stays);
    # with them the smallest drawn into KL and out of the UAE, whose hidden links held
    # 6 (a node's size less its drawn links gave them back); a case counts once
    assert (data.withheld_links, data.withheld_cases) == (5, 31)
    assert data.links_total == 7
    assert data.links_shown == 2
    assert data.uncounted_records == 1
    note = data.note()
    assert "5 links and 31 cases withheld (counts below 7)" in note
    assert "fewer than 7 records reported without a number, not counted" in note  # 1, below K


def test_sankey_keeps_the_top_links_and_the_filter() -> None:
    ds = dataset()
    data = ins.sankey_data(ds, everything(ds), level="place", k=0, top=2)
    assert sorted(data.value, reverse=True) == [21, 15]
    mask = ds.records["year"].to_numpy(dtype="float64", na_value=np.nan) == 2020
    only_2020 = links(ins.sankey_data(ds, mask, level="place", k=0))
    assert set(only_2020) == {("Karachi|Origin", "Lahore|Transit"),
                              ("Lahore|Transit", "United Arab Emirates|Destination")}


def test_sankey_labels_are_literal_in_the_figure() -> None:
    places = make_places([(k, ("<b>bold</b> &amp; " + n) if i == 2 else n, kind, iso, la, lo)
                          for i, (k, n, kind, iso, la, lo) in enumerate(PLACES)])
    ds = make_dataset(ROUTES, places)
    data = ins.sankey_data(ds, everything(ds), level="place", k=0)
    assert "<b>bold</b> &amp; Bangladesh" in data.labels  # the data stays as written
    fig = ins.sankey_figure(data)
    labels = list(fig.data[0].node.label)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;amp; Bangladesh" in labels
    assert not any("<b>" in lb for lb in labels)
    assert not any("<b>" in str(t) for t in fig.data[0].node.customdata)


def test_trend_counts_cases_and_records_and_withholds_small_years() -> None:
    ds = dataset()
    t = ins.trend(ds, everything(ds), k=0).table
    assert t["year"].tolist() == list(range(2015, 2021))  # 2017 and 2019 filled with 0
    assert t["cases"].tolist() == [10, 11, 0, 3, 0, 7]
    assert t["records"].tolist() == [1, 2, 0, 2, 0, 1]
    t5 = ins.trend(ds, everything(ds), k=5)
    # 2018's 3 cases withheld, and 2020's 7 with them: the cases figure (31) less the
    # years shown would have given 2018 back; the line ends at the last year shown
    assert t5.table["year"].tolist() == [2015, 2016]
    assert t5.table["cases"].tolist() == [10, 11]
    assert t5.withheld_years == 2
    assert "fewer than 5 cases are not shown" in t5.note()


def test_trend_gaps_add_up_to_k_and_zero_years_are_gaps_too() -> None:
    """Insights gave back a withheld year: 128 cases, the years shown added to 127 with
    one gap. And 0 beside the gaps dated the few cases (2003 and 2013 of 2003-2013)."""
    ds = make_dataset([([2, 0], 5, 2015), ([2, 0], 5, 2015), ([2, 0], 3, 2016),
                       ([2, 0], 12, 2018), ([2, 0], 8, 2019)])
    t = ins.trend(ds, everything(ds), k=5)
    assert t.table["year"].tolist() == [2015, 2016, 2017, 2018]
    assert t.table["cases"].isna().tolist() == [False, True, True, False]  # 2017: none
    shown = int(t.table["cases"].sum())
    assert 33 - shown >= 5  # the cases figure less the years shown
    few = make_dataset([([2, 0], 1, 2003), ([2, 0], 2, 2013)])
    t = ins.trend(few, everything(few), k=5)
    assert t.table.empty
    assert t.withheld_years == 2


def test_sankey_counts_a_withheld_case_once_however_many_links_it_crosses() -> None:
    """Greece's 2 cases, each on four small links, were '6 cases withheld'."""
    ds = make_dataset([([6, 4, 1, 3], 1, 2018), ([6, 4, 1, 3], 1, 2019)])
    data = ins.sankey_data(ds, everything(ds), level="place", k=5,
                           countries=make_countries())
    assert data.withheld_links == 3
    assert data.withheld_cases == 2
    assert "fewer than 5 cases withheld" in data.note()


def test_the_undated_cases_cannot_be_worked_out_from_the_trend() -> None:
    """Cases 76, bars 43 and 30: the 3 cases with no year were 76 - 73."""
    ds = make_dataset([([2, 0], 20, 2020), ([2, 0], 23, 2020), ([2, 0], 15, 2021),
                       ([2, 0], 15, 2021), ([2, 0], 3, None)])
    t = ins.trend(ds, everything(ds), k=5)
    shown = int(t.table["cases"].sum())
    assert 76 - shown >= 5
    assert t.table["year"].tolist() == [2020]  # 2021's 30 withheld with them


def test_a_sankey_node_does_not_give_a_withheld_link_back() -> None:
    """Lahore -> Tehran 40 drawn, Tehran -> Istanbul 43 drawn: the Tehran node read 43
    with 40 coming in, and 43 - 40 was the withheld Karachi -> Tehran 3."""
    ds = make_dataset([([0, 2, 3], 40, 2020), ([1, 2, 3], 3, 2020), ([6, 3], 30, 2021)])
    data = ins.sankey_data(ds, everything(ds), level="place", k=5,
                           countries=make_countries())
    into, out = {}, {}
    for s, t, v in zip(data.source, data.target, data.value, strict=True):
        out[s] = out.get(s, 0) + v
        into[t] = into.get(t, 0) + v
    for node in set(into) & set(out):  # a node drawn with links on both sides
        assert abs(into[node] - out[node]) in (0,) or abs(into[node] - out[node]) >= 5


def test_a_selection_of_fewer_than_k_records_has_no_trend() -> None:
    """'Records: fewer than 5, Years: withheld' above, and bars for 2020 and 2021 below."""
    ds = make_dataset([([2, 0], 40, 2020), ([2, 0], 30, 2021), ([2, 0], 6, 2021)])
    t = ins.trend(ds, everything(ds), k=5)
    assert t.table.empty
    assert t.withheld_years == 2
    assert not ins.trend(ds, everything(ds), k=3).table.empty


def test_trend_reports_records_without_a_year() -> None:
    ds = make_dataset([([2, 0], 6, None)] + [([2, 0], 6, 2019)] * 5)
    t = ins.trend(ds, everything(ds), k=5)
    assert t.table["year"].tolist() == [2019]
    assert t.unknown_year_records == 1
    assert "fewer than 5 records of those selected have no year" in t.note()
    assert "1 record of those selected has no year" in ins.trend(ds, everything(ds), k=0).note()


def test_a_years_records_below_k_are_withheld_though_its_cases_are_not() -> None:
    """Records, not cases, below K read '2001: 14 records' on the trend with K=20."""
    ds = make_dataset([([2, 0], 30, 2019), ([2, 0], 30, 2019), ([2, 0], 6, 2020)] +
                      [([2, 0], 1, 2020)] * 25)
    t = ins.trend(ds, everything(ds), k=20)
    by_year = t.table.set_index("year")
    assert by_year.loc[2019, "cases"] == 60
    assert pd.isna(by_year.loc[2019, "records"])  # 2 records
    assert by_year.loc[2020, "records"] == 26
    assert t.note() == "1 year with fewer than 20 records: their records withheld (gaps in " \
        "the line)."  # no year of few cases


def test_the_sankey_note_of_an_empty_selection_withholds_nothing() -> None:
    ds = dataset()
    data = ins.sankey_data(ds, np.zeros(len(ds.records), dtype=bool), level="place", k=5)
    assert "0 links and 0 cases withheld" in data.note()


def test_breakdown_pools_small_values_and_names_missing_ones() -> None:
    ds = dataset()
    b = ins.breakdown(ds, everything(ds), "gender", k=0)
    assert dict(zip(b.table["value"], b.table["cases"], strict=True)) == {
        "f": 18, "m": 13, ins.NOT_STATED: 0}
    b5 = ins.breakdown(ds, everything(ds), "gender", k=15)
    # m (13) withheld, and f (18) with it: 31 cases less f's 18 gave m back
    assert b5.table["value"].tolist() == [ins.NOT_STATED]  # 0 cases is no count to hide
    assert (b5.withheld_values, b5.withheld_cases, b5.withheld_with_them) == (2, 31, 1)
    assert b5.note().startswith("1 value with fewer than 15 cases withheld (31 cases in "
                                "all), and the next smallest with it")
    b10 = ins.breakdown(ds, everything(ds), "gender", k=10)
    assert b10.table["value"].tolist() == ["f", "m", ins.NOT_STATED]
    assert b10.note() == ""


def test_a_single_small_value_cannot_be_worked_out_from_the_cases_figure() -> None:
    """36 records, 128 cases, "female" 127: the one male case was 128 - 127."""
    genders = ["female"] * 35 + ["male"]
    ds = make_dataset([([2, 0], 3 if i < 20 else 6 if i < 35 else 1, 2015 + i % 5)
                       for i in range(36)], attrs={"gender": genders})
    b = ins.breakdown(ds, everything(ds), "gender", k=5)
    total = int(ds.records["count"].sum())
    shown = int(b.table["cases"].sum())
    assert total - shown == 0 or total - shown >= 5


def test_breakdown_top_values_then_other() -> None:
    values = [f"v{i}" for i in range(6)]
    ds = make_dataset([([2, 0], 10 - i, 2019) for i in range(6)], attrs={"kind": values})
    b = ins.breakdown(ds, everything(ds), "kind", k=0, top=3)
    assert b.table["value"].tolist() == ["v0", "v1", ins.OTHER]
    assert b.table["cases"].tolist() == [10, 9, 8 + 7 + 6 + 5]


def test_breakdown_columns_skip_single_value_and_put_known_first() -> None:
    ds = make_dataset([([2, 0], 5, 2019), ([2, 0], 5, 2020)],
                      attrs={"zone": ["a", "b"], "source": ["x", "x"], "gender": ["f", "m"]})
    assert ins.breakdown_columns(ds) == ["gender", "zone"]


def test_breakdown_figure_escapes_values() -> None:
    ds = make_dataset([([2, 0], 5, 2019), ([2, 0], 6, 2020)],
                      attrs={"gender": ["<i>x</i>", "f"]})
    fig = ins.breakdown_figure(ins.breakdown(ds, everything(ds), "gender", k=0))
    assert "&lt;i&gt;x&lt;/i&gt;" in list(fig.data[0].y)


def test_trend_figure_leaves_gaps_where_withheld() -> None:
    ds = make_dataset([([2, 0], 5, 2015), ([2, 0], 5, 2015), ([2, 0], 3, 2016),
                       ([2, 0], 12, 2017), ([2, 0], 8, 2018)])
    fig = ins.trend_figure(ins.trend(ds, everything(ds), k=5))
    by_year = dict(zip(fig.data[0].x, fig.data[0].y, strict=True))
    assert by_year == {2015: 10, 2016: None, 2017: 12}


@pytest.mark.parametrize("level", ["place", "country", "region"])
def test_empty_selection_gives_empty_charts(level: str) -> None:
    ds = dataset()
    none = np.zeros(len(ds.records), dtype=bool)
    data = ins.sankey_data(ds, none, level=level, countries=make_countries())
    assert data.value == []
    assert data.links_total == 0
    assert ins.trend(ds, none).table.empty
    assert ins.breakdown(ds, none, "gender").table.empty
    ins.sankey_figure(data)
    ins.trend_figure(ins.trend(ds, none))


def test_plot_text_escapes_markup_only() -> None:
    assert ins.plot_text("<a href='x'>K&L</a>") == "&lt;a href='x'&gt;K&amp;L&lt;/a&gt;"
    assert ins.plot_text("Côte d'Ivoire") == "Côte d'Ivoire"
    assert isinstance(pd.Series(["x"]).map(ins.plot_text).iloc[0], str)


def test_sankey_columns_follow_the_stage_not_the_longest_path() -> None:
    ds = dataset()
    data = ins.sankey_data(ds, everything(ds), level="place", k=0)
    x, y = ins.node_positions(data)
    col = {(lb, st): xi for lb, st, xi in zip(data.labels, data.stages, x, strict=True)}
    assert col[("Bangladesh", "Origin")] < col[("Karachi", "Transit")] < \
        col[("United Arab Emirates", "Transit 2")] < col[("Kuala Lumpur", "Destination")]
    # a destination reached straight from an origin still stands with the destinations
    assert col[("United Arab Emirates", "Destination")] == col[("Kuala Lumpur", "Destination")]
    assert all(0 < v < 1 for v in x + y)


def test_a_long_column_of_the_sankey_stays_inside_the_figure() -> None:
    """Stacked by value alone, the gaps plotly puts between nodes pushed the last origins
    ('India') and destinations ('Oman') of the demo off the bottom of the figure."""
    from loaders.load import load_dataset

    ds = load_dataset("demo")
    data = ins.sankey_data(ds, everything(ds), level="country", k=5)
    height = ins.sankey_height(data)
    plot = height - 20
    _, y = ins.node_positions(data, plot)
    for stage in set(data.stages):
        col = sorted((y[i], i) for i, s in enumerate(data.stages) if s == stage)
        gaps = np.diff([v for v, _ in col]) * plot
        assert (gaps >= ins.SANKEY_PAD - 1e-6).all()  # room for plotly's gap between nodes
        assert col[-1][0] < 1
    assert height >= 640


def test_the_trend_note_explains_every_gap_in_the_records_line() -> None:
    """Two years with enough cases but fewer than 5 records had gaps in the Records line
    that the note, naming only the years of few cases, did not explain."""
    from dashboard.state import ViewState, record_mask
    from loaders.load import load_dataset

    ds = load_dataset("demo")
    t = ins.trend(ds, record_mask(ds, ViewState(focus="city:1172451", years=(2018, 2024))))
    assert t.note() == ("years with fewer than 5 cases are not shown (nor the next smallest "
                        "where needed, so the cases figure less the years shown gives none "
                        "back); 2 years with fewer than 5 records: their records withheld "
                        "(gaps in the line).")
