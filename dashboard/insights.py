"""The data behind the Insights page: a Sankey of routes, the trend by year, breakdowns.

Pure (pandas, numpy and plotly figures; no streamlit), so every number is unit-tested.
Each function takes the dataset and a boolean mask of the records the sidebar selects
(:func:`dashboard.state.record_mask`), and ``k``, the suppression threshold: counts
below ``k`` are withheld here as on the maps (DESIGN §9), and every result says how
much it withheld so the page can say so.

Counting rules follow the flows: a record's ``count`` is its cases; a record reported
without a number counts as a record, never as one case.

Plotly renders a few HTML tags (``<b>``, ``<a href>``, ``<br>``) and entities inside
SVG text, so every dataset string goes through :func:`plot_text` first: ``<b>`` in a
place name then shows as the characters ``<b>``.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.maps._grouping import pair_keys
from dashboard.maps.flows import ordered_stops, record_positions
from dashboard.maps.suppression import (
    below_k,
    cases_once,
    complementary,
    records_text,
    records_withheld,
    withheld_cases,
    withhold_with_them,
)
from dashboard.maps.wording import counted
from loaders.model import ROLES, Dataset

SANKEY_TOP = 30
BREAKDOWN_TOP = 12
MAX_BREAKDOWN_VALUES = 60  # columns with more distinct values are not broken down
PREFERRED = ("exploitation", "gender", "age_group")
NOT_STATED = "(not stated)"
OTHER = "All other values"
ORIGIN, DESTINATION = "Origin", "Destination"
STAGE_COLOURS = {ORIGIN: "#D55E00", DESTINATION: "#009E73"}  # flow_map's node colours
TRANSIT_COLOUR = "#E69F00"
CASES_COLOUR, RECORDS_COLOUR = "#0072B2", "#E69F00"


def plot_text(text: object) -> str:
    """Dataset text made literal for plotly (which reads ``<b>``, ``<a>``, ``&lt;``)."""
    return html.escape(str(text), quote=False)


def _cases(dataset: Dataset, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cases of each selected record (0 where reported without a number) and that flag."""
    count = pd.array(dataset.records["count"], dtype="Int64")[mask]
    nocount = np.asarray(count.isna(), dtype=bool)
    return count.to_numpy(dtype="float64", na_value=0.0).astype(np.int64), nocount


# ---- Sankey -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SankeyData:
    """Nodes and links of the route Sankey; node ``i`` is ``labels[i]`` at ``stages[i]``.

    A node is a place at one stage of the route (origin, n-th transit, destination), so
    a place that is both an origin and a transit appears twice and the diagram has no
    cycles. ``labels`` are raw dataset text (escape with :func:`plot_text` to draw).
    """

    labels: list[str]
    stages: list[str]
    source: list[int]
    target: list[int]
    value: list[int]
    records: list[int]
    k: int
    links_total: int  # links with cases, before suppression and top-N
    withheld_links: int = 0
    withheld_cases: int = 0
    uncounted_records: int = 0  # selected records without a number: drawn nowhere here
    notes: list[str] = field(default_factory=list)

    @property
    def links_shown(self) -> int:
        return len(self.value)

    def note(self) -> str:
        """One line saying what is shown and what is withheld."""
        parts = [f"{self.links_shown:,} of {self.links_total:,} links shown (largest first)"]
        if self.k > 1:
            parts.append(f"{counted(self.withheld_links, 'link')} and "
                         f"{withheld_cases(self.withheld_cases, self.k)} withheld (counts "
                         f"below {self.k})")
        else:
            parts.append("no small-count suppression applied")
        if self.uncounted_records:
            parts.append(f"{records_text(self.uncounted_records, self.k)} reported without a "
                         "number, not counted")
        return "; ".join(parts) + "."


def place_nodes(dataset: Dataset, level: str = "country",
                countries: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(node key, label) for every row of ``dataset.places`` at ``level``.

    ``place`` keeps each place; ``country`` rolls places up to their country (named from
    ``countries``, the gazetteer's table, when given); ``region`` to the UN subregion.
    Places without a country keep their own key at every level.
    """
    p = dataset.places
    name = p["name"].astype(str).to_numpy(dtype=object)
    query = p["query"].astype(str).to_numpy(dtype=object)
    label = np.where(name != "", name, query)
    key = p["key"].astype(str).to_numpy(dtype=object)
    if level == "place":
        return key, label
    iso = p["iso3"].astype(str).fillna("").to_numpy(dtype=object)
    iso = np.where(np.isin(iso, ["", "nan", "None", "<NA>"]), "", iso)
    has = (iso != "") & (p["kind"].astype(str).to_numpy() != "region")
    names, subregions = {}, {}
    if countries is not None and len(countries):
        names = dict(zip(countries["iso3"], countries["name"], strict=False))
        if "subregion" in countries:
            subregions = dict(zip(countries["iso3"], countries["subregion"], strict=False))
    country_label = np.array([names.get(i, i) for i in iso], dtype=object)
    if level == "region":
        sub = np.array([subregions.get(i, "") or "" for i in iso], dtype=object)
        in_region = has & (sub != "")
        out_key = np.where(in_region, "region:" + sub.astype(str), np.where(has, "country:" +
                                                                            iso.astype(str), key))
        out_label = np.where(in_region, sub, np.where(has, country_label, label))
        return out_key, out_label
    return np.where(has, "country:" + iso.astype(str), key), np.where(has, country_label, label)


def _stage_name(stage: int) -> str:
    if stage == 0:
        return ORIGIN
    if stage < 0:
        return DESTINATION
    return "Transit" if stage == 1 else f"Transit {stage}"


def sankey_data(dataset: Dataset, mask: np.ndarray, *, level: str = "country", k: int = 5,
                top: int = SANKEY_TOP, countries: pd.DataFrame | None = None) -> SankeyData:
    """Links origin -> transit 1 -> ... -> destination of the selected records, in cases.

    Consecutive stops that fall in the same node at ``level`` (Karachi -> Lahore at
    country level) merge into one. Links whose cases are below ``k`` are withheld (when
    ``k`` > 1); of the rest the ``top`` largest are kept.
    """
    cases, nocount = _cases(dataset, mask)
    node_key, node_label = place_nodes(dataset, level, countries)
    # stops as integer arrays in route order (the flows' walk): nodes are coded per place,
    # so nothing below builds a Python object per stop
    key_code, keys = pd.factorize(pd.Series(node_key, dtype=object))
    rid, pid, rc = ordered_stops(dataset)
    pos = record_positions(dataset.records, rid)
    ok = (pid >= 0) & (pid < len(node_key)) & (pos >= 0)
    ok[ok] = mask[pos[ok]]
    rid, pid, rc = rid[ok], pid[ok].astype(np.int64), rc[ok]
    pos = (np.cumsum(mask) - 1)[pos[ok]]  # each stop's record among the selected ones
    key = key_code[pid]
    keep = np.ones(len(rid), dtype=bool)  # drop a stop in the same node as the one before
    keep[1:] = ~((rid[1:] == rid[:-1]) & (key[1:] == key[:-1]))
    rid, pid, rc, key, pos = rid[keep], pid[keep], rc[keep], key[keep], pos[keep]
    is_transit = rc == ROLES.index("transit")
    transit_no = pd.Series(is_transit.astype(np.int64)).groupby(rid).cumsum().to_numpy()
    stage = np.where(rc == ROLES.index("origin"), 0,
                     np.where(rc == ROLES.index("destination"), -1, transit_no))

    w = cases[pos]
    same = rid[1:] == rid[:-1]
    counted = same & ~nocount[pos[:-1]]
    node_of_stop = (stage + 1) * max(len(keys), 1) + key  # (stage, node key) as one code
    legs = pd.DataFrame({
        "s": node_of_stop[:-1][counted], "t": node_of_stop[1:][counted],
        "cases": w[1:][counted], "records": 1,
    })
    links = legs.groupby(["s", "t"], sort=False, as_index=False).sum()
    links = links[links["cases"] > 0]
    total = len(links)
    withheld_links = withheld_cases = 0
    if k > 1:
        # and with them the smallest shown into (out of) a node whose hidden links add up
        # to 1..k-1: plotly sizes a node by the links drawn, so Tehran at 43 with 40 drawn
        # in gave back the withheld 3
        _, also = withhold_with_them(links["s"].to_numpy(), links["t"].to_numpy(),
                                     links["cases"].to_numpy(), (links["cases"] >= k).to_numpy(),
                                     np.zeros(len(links), dtype=bool), k)
        small = links["cases"] < k
        small.iloc[also] = True
        withheld_links = int(small.sum())
        # the cases of the records with a withheld link, each once: adding up the links
        # counted a case on two of them twice (6 withheld of a view of fewer than 5)
        width = int(node_of_stop.max()) + 1 if len(node_of_stop) else 1
        hidden = np.isin(pair_keys(legs["s"].to_numpy(), legs["t"].to_numpy(), width),
                         pair_keys(links.loc[small, "s"].to_numpy(),
                                   links.loc[small, "t"].to_numpy(), width))
        withheld_cases = cases_once(cases, pos[:-1][counted][hidden])
        links = links[~small]
    links = links.sort_values(["cases", "records"], ascending=False, kind="stable").head(top)
    used = pd.unique(np.concatenate([links["s"].to_numpy(), links["t"].to_numpy()]))
    remap = {int(n): i for i, n in enumerate(used)}
    # a node key shared by places of different text is labelled as its last stop
    label_pid = pd.Series(pid).groupby(key).last()
    width = max(len(keys), 1)
    labels = [str(node_label[label_pid[int(n) % width]]) for n in used]
    stages = [_stage_name(int(n) // width - 1) for n in used]
    return SankeyData(
        labels=labels, stages=stages,
        source=[remap[int(s)] for s in links["s"]], target=[remap[int(t)] for t in links["t"]],
        value=[int(v) for v in links["cases"]], records=[int(r) for r in links["records"]],
        k=k, links_total=total, withheld_links=withheld_links, withheld_cases=withheld_cases,
        uncounted_records=int(nocount.sum()),
    )


def _stage_order(stage: str) -> int:
    if stage == ORIGIN:
        return 0
    if stage == DESTINATION:
        return 10**6
    return int(stage.rsplit(" ", 1)[-1]) if stage != "Transit" else 1


SANKEY_PAD = 14  # px between the nodes of a column
SANKEY_ROW = 36  # px a node needs at least, label included: a taller figure for many


def node_positions(data: SankeyData, plot_height: float = 620
                   ) -> tuple[list[float], list[float]]:
    """(x, y) of each node in 0..1: a column per stage (origins left, destinations right,
    the n-th transit between), stacked by size within the column.

    Without them plotly puts a node in the column of its longest path, so a transit
    whose onward links were withheld would stand among the destinations. The stacking
    counts the gaps between nodes as plotly draws them (``plot_height`` px): stacked by
    value alone, the last nodes of a long column ran off the bottom ('India', 'Oman').
    """
    n = len(data.labels)
    size = np.zeros(n)
    np.add.at(size, np.asarray(data.source, dtype=int), data.value)
    inflow = np.zeros(n)
    np.add.at(inflow, np.asarray(data.target, dtype=int), data.value)
    size = np.maximum(size, inflow)
    columns = sorted({_stage_order(s) for s in data.stages})
    col_of = {c: i for i, c in enumerate(columns)}
    members = {c: sorted((i for i in range(n) if _stage_order(data.stages[i]) == c),
                         key=lambda i: -size[i]) for c in columns}
    # px per case: as plotly scales, so that the fullest column fits with its gaps
    scale = min((plot_height - SANKEY_PAD * (len(m) - 1)) / max(float(size[m].sum()), 1.0)
                for m in members.values()) if members else 1.0
    x, y = [0.0] * n, [0.0] * n
    for c in columns:
        acc = 0.0
        for i in members[c]:
            h = size[i] * scale
            y[i] = min(max((acc + h / 2) / plot_height, 0.001), 0.999)
            acc += h + SANKEY_PAD
            x[i] = 0.01 + 0.98 * (col_of[c] / max(len(columns) - 1, 1))
    return x, y


def sankey_height(data: SankeyData, least: int = 640) -> int:
    """Figure height in px: ``least``, or more where a column holds many nodes."""
    per_column = Counter(_stage_order(s) for s in data.stages)
    return max(least, SANKEY_ROW * max(per_column.values(), default=0) + 60)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def sankey_figure(data: SankeyData, *, title: str = "", height: int | None = None) -> go.Figure:
    """A plotly Sankey of ``data``; every dataset label escaped, hover text plain.

    Links take the colour of the stage they leave (origin, transit), faded.
    """
    colours = [STAGE_COLOURS.get(s, TRANSIT_COLOUR) for s in data.stages]
    labels = [plot_text(lb) for lb in data.labels]
    node_text = [f"{lb} ({s.lower()})" for lb, s in zip(labels, data.stages, strict=True)]
    height = height or sankey_height(data)
    top = 40 if title else 10
    x, y = node_positions(data, height - top - 10)
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        textfont={"size": 15, "color": "#1b1b1b"},
        node={"label": labels, "color": colours, "pad": 14, "thickness": 18, "x": x, "y": y,
              "customdata": node_text, "line": {"width": 0},
              "hovertemplate": "%{customdata}<br>%{value:,} cases<extra></extra>"},
        link={"source": data.source, "target": data.target, "value": data.value,
              "customdata": [records_text(r, data.k) for r in data.records],
              "color": [_rgba(colours[s], 0.35) for s in data.source],
              "hovertemplate": "%{source.customdata} → %{target.customdata}<br>"
                               "%{value:,} cases, %{customdata}<extra></extra>"},
    ))
    fig.update_layout(title=plot_text(title) if title else None, height=height,
                      font={"size": 15}, margin={"l": 10, "r": 10, "t": top, "b": 10})
    return fig


# ---- trend ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trend:
    """Cases and records per year; ``cases``/``records`` are <NA> where withheld."""

    table: pd.DataFrame  # year, cases (Int64), records (Int64), withheld (bool)
    k: int
    unknown_year_records: int = 0
    withheld_years: int = 0  # years with records whose figures are withheld

    def note(self) -> str:
        parts = []
        if self.k > 1 and self.withheld_years and len(self.table):
            parts.append(f"years with fewer than {self.k} cases are not shown (nor the "
                         "next smallest where needed, so the cases figure less the years "
                         "shown gives none back)")
        # years whose cases are shown but whose records are few: the line's other gaps
        few_records = int((~self.table["withheld"] & self.table["records"].isna()
                           & (self.table["cases"].fillna(0) > 0)).sum()) if self.k > 1 else 0
        if few_records:
            parts.append(f"{counted(few_records, 'year')} with fewer than {self.k} records:"
                         " their records withheld (gaps in the line)")
        if self.unknown_year_records:
            said = records_text(self.unknown_year_records, self.k)
            parts.append(f"{said} of those selected "
                         f"{'has' if said == '1 record' else 'have'} no year")
        return ("; ".join(parts) + ".") if parts else ""


def trend(dataset: Dataset, mask: np.ndarray, *, k: int = 5) -> Trend:
    """Cases and records per year of the selected records.

    With suppression on (``k`` > 1) a year with fewer than ``k`` cases, none included,
    is a gap: a 0 beside the gaps said which years held the few cases. With the cases
    figure shown, the gaps add up to 0 or at least ``k`` (the next smallest year joins
    them), and the years run from the first shown to the last, so no end of the line
    dates a withheld case. Without suppression every year in the range shows, 0 or not.
    """
    year = pd.array(dataset.records["year"], dtype="Int64")[mask]
    cases, _ = _cases(dataset, mask)
    known = ~np.asarray(year.isna(), dtype=bool)
    y = year.to_numpy(dtype="float64", na_value=np.nan)[known].astype(np.int64)
    df = pd.DataFrame({"year": y, "cases": cases[known], "records": 1})
    g = df.groupby("year").sum()
    withheld = np.zeros(len(g), dtype=bool)
    if len(g) and (below_k(len(year), k) or below_k(int(cases.sum()), k)):
        # a selection of fewer than K records (or cases) keeps its years to itself, as
        # the figures row above ("Years: withheld") and the map's caveat do
        withheld[:] = True
        g = g.iloc[:0]
    elif k > 1 and len(g):
        # the cases with no year are one more cell the Cases figure less the years shown
        # gives back: with 3 of them undated, 76 less the bars' 73 was their count
        no_year = int(cases[~known].sum())
        values = np.append(g["cases"].to_numpy(), no_year)
        small = np.append(g["cases"].to_numpy() < k, 0 < no_year < k)
        withheld = complementary(values, small, k)[:-1]
        g = g[~withheld]
    if len(g):
        g = g.reindex(range(int(g.index.min()), int(g.index.max()) + 1),
                      fill_value=pd.NA if k > 1 else 0)
    g = g.rename_axis("year").reset_index()
    table = pd.DataFrame({
        "year": g["year"].astype(np.int64),
        "cases": pd.array(g["cases"], dtype="Int64").copy(),
        "records": pd.array(g["records"], dtype="Int64").copy(),
        "withheld": g["cases"].isna().to_numpy(dtype=bool),
    })
    # a year's records below K are withheld too (the line's gap), as they are elsewhere
    table["records"] = records_withheld(table["records"], k).to_numpy()
    return Trend(table=table, k=k, unknown_year_records=int((~known).sum()),
                 withheld_years=int(withheld.sum()))


def trend_figure(data: Trend, *, height: int = 380) -> go.Figure:
    """Cases as bars and records as a line, by year (withheld years are gaps)."""
    t = data.table
    years = t["year"].tolist()
    cases = [None if pd.isna(v) else int(v) for v in t["cases"]]
    records = [None if pd.isna(v) else int(v) for v in t["records"]]
    fig = go.Figure()
    fig.add_bar(x=years, y=cases, name="Cases", marker_color=CASES_COLOUR,
                hovertemplate="%{x}: %{y:,} cases<extra></extra>")
    fig.add_scatter(x=years, y=records, name="Records", mode="lines+markers",
                    line={"color": RECORDS_COLOUR, "width": 3}, connectgaps=False,
                    hovertemplate="%{x}: %{y:,} records<extra></extra>")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h", "y": 1.08}, font={"size": 14},
                      xaxis={"title": "Year", "tickformat": "d", "dtick": 1 if len(years) <= 20
                             else None},
                      yaxis={"title": "Count", "rangemode": "tozero"})
    return fig


# ---- breakdowns -----------------------------------------------------------------------------


def breakdown_columns(dataset: Dataset) -> list[str]:
    """Attribute columns worth a bar chart: 2..MAX_BREAKDOWN_VALUES distinct values.

    Exploitation, gender and age group come first when present; a column with one value
    (e.g. ``source``) says nothing by itself and is left out.
    """
    rec = dataset.records
    cols = []
    for col in dataset.attributes:
        n = rec[col].astype(str).replace({"": NOT_STATED}).nunique(dropna=False)
        if 2 <= n <= MAX_BREAKDOWN_VALUES:
            cols.append(col)
    first = [c for c in PREFERRED if c in cols]
    return first + [c for c in cols if c not in first]


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Cases and records per value of one attribute, largest first, withheld ones pooled."""

    column: str
    table: pd.DataFrame  # value, cases, records
    k: int
    withheld_values: int = 0
    withheld_cases: int = 0
    withheld_with_them: int = 0  # values of K or more withheld so the small ones stay so

    def note(self) -> str:
        if not (self.k > 1 and self.withheld_values):
            return ""
        # their sum is said only from K up: below it, it is one small count or a few
        total = (f" ({counted(self.withheld_cases, 'case')} in all)"
                 if self.withheld_cases >= self.k else "")
        small = self.withheld_values - self.withheld_with_them
        line = f"{counted(small, 'value')} with fewer than {self.k} cases withheld{total}"
        if self.withheld_with_them:
            line += (f", and the next smallest with {'it' if small == 1 else 'them'}: the "
                     "cases figure less the values shown would give a small one back")
        return line + "."


def breakdown(dataset: Dataset, mask: np.ndarray, column: str, *, k: int = 5,
              top: int = BREAKDOWN_TOP) -> Breakdown:
    """Cases per value of ``column`` among the selected records.

    Values beyond the ``top`` largest are pooled as "Other"; then values (and a pool)
    whose cases are below ``k`` are withheld. Missing values show as "(not stated)".
    """
    cases, _ = _cases(dataset, mask)
    raw = dataset.records[column][mask]
    values = raw.astype(object).where(raw.notna(), "").astype(str).replace({"": NOT_STATED})
    df = pd.DataFrame({"value": values.to_numpy(dtype=object), "cases": cases, "records": 1})
    g = (df.groupby("value", sort=False, as_index=False).sum()
         .sort_values(["cases", "records", "value"], ascending=[False, False, True],
                      kind="stable"))
    if len(g) > top:
        head, rest = g.iloc[: top - 1], g.iloc[top - 1:]
        other = pd.DataFrame({"value": [OTHER], "cases": [int(rest["cases"].sum())],
                              "records": [int(rest["records"].sum())]})
        g = pd.concat([head, other], ignore_index=True)
    withheld_values = withheld_cases = with_them = 0
    if k > 1:
        # the cases figure is shown: with one value withheld, it less the values shown
        # would give that value back, so the next smallest is withheld with it
        primary = below_k(g["cases"].to_numpy(), k)
        small = complementary(g["cases"].to_numpy(), primary, k)
        withheld_values, withheld_cases = int(small.sum()), int(g.loc[small, "cases"].sum())
        with_them = int(small.sum() - primary.sum())
        g = g[~small]
    return Breakdown(column=column, table=g.reset_index(drop=True), k=k,
                     withheld_values=withheld_values, withheld_cases=withheld_cases,
                     withheld_with_them=with_them)


def breakdown_figure(data: Breakdown, *, height: int | None = None) -> go.Figure:
    """Horizontal bars of cases per value, largest on top; labels escaped."""
    t = data.table.iloc[::-1]
    labels = [plot_text(v) for v in t["value"]]
    fig = go.Figure(go.Bar(
        x=t["cases"].astype(int).tolist(), y=labels, orientation="h",
        marker_color=CASES_COLOUR,
        customdata=[records_text(int(r), data.k) for r in t["records"]],
        hovertemplate="%{y}: %{x:,} cases, %{customdata}<extra></extra>",
    ))
    fig.update_layout(height=height or 90 + 32 * max(len(t), 1), font={"size": 14},
                      margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"title": "Cases", "rangemode": "tozero"},
                      yaxis={"automargin": True, "type": "category"})
    return fig
