"""Exports: suppressed, formula-safe CSV and GeoJSON; standalone HTML; a PNG for slides."""

from __future__ import annotations

import csv
import json

import pytest
from _maps_data import PLACES, make_countries, make_dataset, make_places
from PIL import Image

from dashboard.maps.exports import (
    neutralise,
    write_flow_png,
    write_flows_csv,
    write_flows_geojson,
    write_hotspot_png,
    write_html,
    write_places_csv,
    write_places_geojson,
)
from dashboard.maps.flow_map import FlowMapOptions, flow_map
from dashboard.maps.flows import FlowQuery, compute_flows
from dashboard.maps.hotspot_map import compute_hotspots

ROUTES = [([0, 4, 3], 10, 2015), ([2, 0], 2, 2018), ([6, 7], 8, 2020)]


def result(routes=ROUTES, places=None, **query):
    ds = make_dataset(routes, places, synthetic=True)
    return compute_flows(ds, FlowQuery(rollup_small=False, **query), countries=make_countries())


NEUTRALISED = [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("\t=1", "'\t=1"), ("-3\n=1", "'-3\n=1"),
    ("-2", "-2"), ("+44", "+44"), ("-3.5e-2", "-3.5e-2"), ("Karachi", "Karachi"), ("", ""),
]


@pytest.mark.parametrize(("value", "expected"), [*NEUTRALISED, (12, 12), (-3.5, -3.5)])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_geocode_and_the_map_exports_neutralise_alike():
    import pyarrow as pa

    from loaders.formulas import neutralise_column

    texts = [v for v, _ in NEUTRALISED]
    expected = [e for _, e in NEUTRALISED]
    assert neutralise_column(pa.array(texts)).to_pylist() == expected
    assert neutralise_column(pa.array(texts).dictionary_encode()).to_pylist() == expected


def test_flows_csv_is_suppressed_and_formula_safe(tmp_path):
    evil = make_places([(k, "=cmd|' /C calc'!A0" if i == 0 else n, kind, iso, lat, lon)
                        for i, (k, n, kind, iso, lat, lon) in enumerate(PLACES)])
    r = result(places=evil)
    path = write_flows_csv(r, tmp_path / "flows.csv")
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["count"] for row in rows} == {"10", "8"}  # the 2 is withheld
    names = {row["from_name"] for row in rows}
    assert "'=cmd|' /C calc'!A0" in names
    assert not any(v.startswith(("=", "+", "@")) for row in rows for v in row.values())


def test_places_csv_leaves_withheld_cells_empty(tmp_path):
    r = result()
    with write_places_csv(r, tmp_path / "places.csv").open(encoding="utf-8") as fh:
        rows = {row["key"]: row for row in csv.DictReader(fh)}
    assert rows["city:1"]["out"] == "10"
    assert rows["city:1"]["in"] == ""  # 2 from Bangladesh: withheld, not zero
    assert rows["city:4"]["lon"] == "120.98"
    # a total of the parts shown would read as the place's: withheld with any part
    assert rows["city:1"]["total"] == ""
    assert rows["city:3"]["total"] == "10"
    # Bangladesh's one count (2, in 2018) is withheld: its total read 0, its years 2018
    bgd = rows["country:BGD"]
    assert (bgd["out"], bgd["total"], bgd["year_min"], bgd["year_max"]) == ("", "", "", "")
    assert rows["city:3"]["year_min"] == "2015"


def test_geojson_exports_are_valid_and_cut_at_the_antimeridian(tmp_path):
    r = result()
    fc = json.loads(write_flows_geojson(r, tmp_path / "flows.geojson").read_text("utf-8"))
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == 3
    pacific = next(f for f in fc["features"] if f["properties"]["from_name"] == "Manila")
    assert pacific["geometry"]["type"] == "MultiLineString"
    for line in pacific["geometry"]["coordinates"]:
        assert all(-180 <= x <= 180 for x, _ in line)
    assert pacific["properties"]["count"] == 8
    pl = json.loads(write_places_geojson(r, tmp_path / "places.geojson").read_text("utf-8"))
    kar = next(f for f in pl["features"] if f["properties"]["key"] == "city:1")
    assert kar["geometry"]["coordinates"] == [67.01, 24.86]
    assert kar["properties"]["in"] is None


def test_standalone_html(tmp_path):
    r = result()
    m = flow_map(r, FlowMapOptions(countries=make_countries()))
    html = write_html(m, tmp_path / "map.html").read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "window.L" in html  # Leaflet itself is inside the file
    assert not list(tmp_path.glob(".tmp-*"))


def test_flow_png_for_slides(tmp_path):
    r = result()
    path = write_flow_png(r, tmp_path / "map.png", title="Routes", countries=make_countries())
    with Image.open(path) as img:
        px = img.convert("RGB")
    assert px.size == (1920, 1080)
    # the SYNTHETIC banner is drawn in red at the top centre
    assert px.getpixel((960, 30))[0] > 150
    assert px.getpixel((960, 30))[1] < 60
    # legend and caveat boxes are white, bottom left and bottom right
    assert px.getpixel((40, 1045)) == (255, 255, 255)
    assert px.getpixel((1880, 1045)) == (255, 255, 255)
    colours = {c for _, c in px.getcolors(1 << 20)}
    assert (0, 114, 178) in colours  # origin -> destination arcs drawn in Okabe-Ito blue



@pytest.mark.parametrize("title", [
    "Routes",
    "Routes to the Gulf, 2000-2024",  # reached the middle, where the banner sat over it
    "Routes from Bangladesh, Nepal and Pakistan through the Gulf States to Malaysia and "
    "beyond, every identified case of 2000-2024, from the synthetic demonstration data",
])
def test_a_slide_title_and_the_synthetic_banner_never_overlap(title):
    from PIL import ImageDraw

    from dashboard.maps.png import _header

    draw = ImageDraw.Draw(Image.new("RGB", (3840, 2160)))
    header = _header(draw, title, True, 3840, 2.0)  # as a 1920x1080 slide is drawn
    x0, _, x1, _ = header.banner
    assert header.title_end + 30 <= x0
    assert x1 <= 3840
    assert 1 <= len(header.lines) <= 2
    shown = " ".join(header.lines)
    assert shown == title or (shown.endswith("…") and title.startswith(shown[:-1].rstrip()))
    if len(title) < 10:  # a short title leaves the banner in the middle, as before
        assert abs((x0 + x1) / 2 - 1920) < 1


def _capture_layout(monkeypatch):
    """Record what the PNG renderer passes to its label step: labels, projection, boxes."""
    from dashboard.maps import png

    seen = {}
    real = png._draw_labels

    def spy(draw, labels, proj, s, blocked, frame):
        seen.update(labels=list(labels), proj=proj, s=s, blocked=blocked, frame=frame)
        seen["written"] = real(draw, labels, proj, s, blocked, frame)
        return seen["written"]

    monkeypatch.setattr(png, "_draw_labels", spy)
    return seen


def test_flow_png_fits_every_place_clear_of_the_boxes_and_names_the_largest(tmp_path,
                                                                           monkeypatch):
    seen = _capture_layout(monkeypatch)
    r = result(suppress=0)  # Karachi ... Kuala Lumpur, Manila -> Lima across the Pacific
    write_flow_png(r, tmp_path / "map.png", countries=make_countries())
    s = seen["s"]
    w, h = 1920 * 2, 1080 * 2
    names = [lab.text for lab in seen["labels"]]
    assert {"Kuala Lumpur", "Manila", "Lima", "Karachi"} <= set(names)
    assert seen["written"] >= 4
    for lab in seen["labels"]:
        x, y = seen["proj"]([[lab.lon, lab.lat]])[0]
        assert 20 * s < x < w - 20 * s, lab.text  # in the frame
        assert 20 * s < y < h - 20 * s, lab.text
        for x0, y0, x1, y1 in seen["blocked"]:  # and under no legend, caveat or banner
            assert not (x0 - 10 * s < x < x1 + 10 * s and y0 - 10 * s < y < y1 + 10 * s), lab.text


def test_flow_png_breaks_a_long_source_url_inside_its_box(tmp_path, monkeypatch):
    seen = _capture_layout(monkeypatch)
    url = "https://data.example.org/" + "very-long-segment/" * 12 + "cases.csv"
    ds = make_dataset(ROUTES, name=url)
    r = compute_flows(ds, FlowQuery(rollup_small=False), countries=make_countries())
    write_flow_png(r, tmp_path / "map.png", countries=make_countries())
    w, h = 1920 * seen["s"], 1080 * seen["s"]
    assert len(seen["blocked"]) >= 2  # legend and caveat
    for x0, y0, x1, y1 in seen["blocked"]:  # every box stays its size and on the slide
        assert x1 - x0 <= 0.4 * w
        assert 0 <= x0 < x1 <= w
        assert 0 <= y0 < y1 <= h


def test_flow_png_draws_only_the_top_corridors_and_says_so(tmp_path, monkeypatch):
    from dashboard.maps import png

    lines = []
    real = png.render_png

    def spy(layers, spec, caveat, path, **kw):
        lines.extend(caveat.lines())
        assert len(layers[0]["features"]) == 2  # arcs
        return real(layers, spec, caveat, path, **kw)

    monkeypatch.setattr(png, "render_png", spy)
    r = result(suppress=0)
    assert r.summary.flows_shown == 4
    write_flow_png(r, tmp_path / "map.png", countries=make_countries(), max_corridors=2)
    assert "top 2 of 4 corridors shown (largest first)" in lines
    top = png.top_corridors(r, 2).shown_flows
    assert top["count"].tolist() == sorted(r.shown_flows["count"], reverse=True)[:2]
    assert png.top_corridors(r, None) is r


def test_hotspot_png_fits_countries_across_the_antimeridian():
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, box

    from dashboard.maps.hotspot_map import hotspot_bounds

    # Russia-like: a big part east to +180 and a sliver west of -180's edge
    rus = MultiPolygon([box(27, 41, 180, 78), box(-180, 64, -169, 70)])
    hot = type("H", (), {})()
    hot.countries = gpd.GeoDataFrame({"value": [5, 3]}, geometry=[rus, box(100, 1, 104, 7)],
                                     crs="EPSG:4326")
    hot.cells = gpd.GeoDataFrame({"value": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    pts = hotspot_bounds(hot)
    assert pts[:, 0].min() == 27  # not -180..180: the whole world
    assert pts[:, 0].max() == 180
    assert pts[:, 1].min() == 1


def test_hotspot_png(tmp_path):
    h = compute_hotspots(make_dataset(ROUTES), FlowQuery(suppress=0), countries=make_countries())
    with Image.open(write_hotspot_png(h, tmp_path / "hot.png", countries=make_countries())) as im:
        assert im.size == (1920, 1080)


def test_cli_map_writes_html_and_exports(tmp_path, monkeypatch, capsys):
    import argparse

    import loaders.load
    from dashboard.maps import cli_map

    ds = make_dataset(ROUTES, synthetic=True)
    monkeypatch.setattr(loaders.load, "load_dataset", lambda source, **kw: ds)
    monkeypatch.setattr("dashboard.maps.offline.default_countries", make_countries)
    parser = argparse.ArgumentParser()
    cli_map.add_map_parser(parser.add_subparsers())
    out = tmp_path / "m.html"
    args = parser.parse_args(["map", "x.csv", "-o", str(out), "--years", "2015-2020",
                              "--suppress", "5", "--flows-csv", str(tmp_path / "f.csv"),
                              "--places-csv", str(tmp_path / "p.csv"),
                              "--flows-geojson", str(tmp_path / "f.geojson")])
    assert args.run(args) == 0
    assert "SYNTHETIC DATA" in out.read_text("utf-8")
    assert (tmp_path / "f.csv").read_text("utf-8").count("\n") == 4  # header + 3 flows
    err = capsys.readouterr().err
    assert "1 corridor and fewer than 5 cases withheld" in err
    assert "3 corridors drawn" in err
    args = parser.parse_args(["map", "x.csv", "-o", str(out), "--top", "1"])
    assert args.run(args) == 0
    assert "1 corridor drawn;" in capsys.readouterr().err
    args = parser.parse_args(["map", "x.csv", "-o", str(out), "--colour-by", "nope"])
    assert args.run(args) == 2
    assert capsys.readouterr().err.strip() == "routemap: no attribute column 'nope' in this dataset"
    args = parser.parse_args(["map", "x.csv", "-o", str(out), "--kind", "hotspots",
                              "--role", "origin"])
    assert args.run(args) == 0
    err = capsys.readouterr().err
    assert "places ranked (origin)" in err  # not "0 corridors drawn"
    assert "1 place total withheld (counts below 5)" in err
    assert "corridor" not in err  # none is drawn on a hotspot map


def test_a_corridors_records_below_k_are_withheld_as_a_places_are(tmp_path):
    """Laos -> Thailand read "19 cases, 2 records" while Laos's records were withheld:
    records below K are left empty in the flows export too."""
    r = result([([0, 3], 19, 2019), ([0, 3], 1, 2019), ([1, 3], 6, 2019)] + [
        ([2, 3], 1, 2020)] * 6)
    with write_flows_csv(r, tmp_path / "f.csv").open(encoding="utf-8") as fh:
        rows = {(row["from_name"], row["to_name"]): row for row in csv.DictReader(fh)}
    assert rows[("Karachi", "Kuala Lumpur")]["count"] == "20"
    assert rows[("Karachi", "Kuala Lumpur")]["records"] == ""  # 2 records
    assert rows[("Bangladesh", "Kuala Lumpur")]["records"] == "6"


def test_the_flows_export_marks_the_corridors_the_map_draws(tmp_path):
    """With --top 1 the map draws one corridor, and the CSV has them all: its drawn
    column tells them apart."""
    r = result(top=1)
    with write_flows_csv(r, tmp_path / "f.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == r.summary.flows_total > 1
    assert [row["drawn"] for row in rows].count("True") == r.summary.flows_shown == 1


def test_records_without_a_number_are_withheld_below_k_like_records():
    """The flows CSV and GeoJSON gave 'uncounted 2' on a corridor whose records (3) were
    withheld: the same small count of records, under another name."""
    import pandas as pd

    from dashboard.maps.exports import flows_table, places_table
    from dashboard.maps.flow_map import arc_features

    ds = make_dataset([([0, 3], 10, 2019), ([0, 3], None, 2019), ([0, 3], None, 2020)])
    r = compute_flows(ds, FlowQuery(rollup_small=False), countries=make_countries())
    f = flows_table(r).iloc[0]
    assert (f["count"], pd.isna(f["records"]), pd.isna(f["uncounted"])) == (10, True, True)
    karachi = places_table(r).set_index("key").loc["city:1"]
    assert pd.isna(karachi["uncounted"])
    fc, _ = arc_features(r, FlowMapOptions(countries=make_countries()))
    tip = fc["features"][0]["properties"]["tip"]
    assert "fewer than 5 reported without a number (not counted)" in tip
    assert not any(line.startswith("2 ") for line in tip)


def test_every_located_corridor_has_its_line_in_the_geojson():
    """Corridors past the top N, and every corridor of a hotspot map, were written with
    no geometry: opened in a GIS they were an empty layer."""
    from dashboard.maps.exports import flows_geojson

    ds = make_dataset([([0, 4, 3], 10, 2015), ([2, 0], 8, 2018), ([6, 7], 9, 2020),
                       ([0, 5], 7, 2019)])
    r = compute_flows(ds, FlowQuery(rollup_small=False, top=1), countries=make_countries())
    feats = {(f["properties"]["from_key"], f["properties"]["to_key"]): f["geometry"]
             for f in flows_geojson(r)["features"]}
    assert int(r.flows["shown"].sum()) == 1
    assert len(feats) == 5
    assert feats[("city:1", "unresolved:atlantis")] is None  # an end not located
    located = [g for k, g in feats.items() if "unresolved:atlantis" not in k]
    assert all(g is not None and g["type"] in ("LineString", "MultiLineString")
               for g in located)
    pacific = feats[("city:4", "city:5")]  # Manila -> Lima, cut at the antimeridian
    assert pacific["type"] == "MultiLineString"


def test_a_place_known_only_from_records_without_a_number_keeps_its_years_to_itself():
    """Its counts are 0, not withheld, so its years (2020-2021) were written beside its
    withheld records: they named the two records."""
    import pandas as pd

    from dashboard.maps.exports import places_table

    ds = make_dataset([([0, 3], 40, 2019), ([6, 3], None, 2020), ([6, 3], None, 2021)])
    r = compute_flows(ds, FlowQuery(rollup_small=False), countries=make_countries())
    manila = places_table(r).set_index("key").loc["city:4"]
    assert pd.isna(manila["records"])
    assert pd.isna(manila["year_min"])
    assert pd.isna(manila["year_max"])
    assert places_table(r).set_index("key").loc["city:1", "year_min"] == 2019  # a count shown
