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


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM", "'@SUM"),
     ("Karachi", "Karachi"), (12, 12), (-3.5, -3.5), ("", "")],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


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
    assert "1 corridor and 2 cases withheld" in capsys.readouterr().err
    args = parser.parse_args(["map", "x.csv", "-o", str(out), "--colour-by", "nope"])
    assert args.run(args) == 2
    assert capsys.readouterr().err.strip() == "routemap: no attribute column 'nope' in this dataset"
    args = parser.parse_args(["map", "x.csv", "-o", str(out), "--kind", "hotspots",
                              "--role", "origin"])
    assert args.run(args) == 0
