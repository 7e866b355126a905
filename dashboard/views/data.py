"""Data: upload a file, check how it was read, fix places, save it to the library.

The analyst's page (DESIGN §1, §6). Everything an action changes happens in an
``on_click`` callback, which Streamlit runs before the script: a place fix saved there
is already in the aliases file when the page reloads the upload below, so the fix shows
at once. Dataset text reaches the screen only through st.dataframe (text cells) or
:func:`md`; never through HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import review
from dashboard.views import data_cache
from dashboard.views.sidebar import md, select_dataset
from loaders.errors import RoutemapError
from loaders.gazetteer import get_gazetteer
from loaders.layouts import LAYOUTS
from loaders.library import Library
from loaders.model import Dataset

UPLOAD = "data_upload"  # {"name", "data", "digest"} of the file being worked on
OVERRIDE = "data_override"  # {"layout": str | None, "columns": dict | None}
FLASH = "data_flash"  # (kind, message) shown once after an action
TYPES = ["csv", "tsv", "txt", "xlsx", "json", "geojson", "parquet"]


def accept_upload(data: bytes, name: str) -> None:
    """Make (data, name) the file the page works on; a new file drops the old override."""
    digest = data_cache.digest(data)
    current = st.session_state.get(UPLOAD)
    if current and current["digest"] == digest and current["name"] == name:
        return
    st.session_state[UPLOAD] = {"name": name, "data": data, "digest": digest}
    st.session_state[OVERRIDE] = {"layout": None, "columns": None}
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("map_")]:
        del st.session_state[key]


def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH] = (kind, message)


# ---- callbacks ----------------------------------------------------------------------------


def _apply_override(names: list[str]) -> None:
    ss = st.session_state
    roles = {r: list(ss.get(f"map_{r}", [])) for r in review.ROLE_LABELS}
    single = {k: ss.get(f"map_{k}", review.NONE) for k in review.SINGLE_ROLES}
    ss[OVERRIDE] = {"layout": ss.get("map_layout"),
                    "columns": review.override_columns(roles, single)}


def _reset_override() -> None:
    st.session_state[OVERRIDE] = {"layout": None, "columns": None}
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("map_")]:
        del st.session_state[key]


def _fix(text: str, country: str, **target: Any) -> None:
    try:
        review.save_fix(text, country, **target)
    except RoutemapError as e:
        _flash("error", str(e))
    else:
        _flash("success", f"Saved: {text!r} is now resolved that way in this and later uploads.")


def _fix_from_search(text: str, country: str, results_key: str) -> None:
    key = st.session_state.get(results_key)
    if not key:
        _flash("error", "Pick a place from the search results first.")
        return
    _fix(text, country, key=key)


def _fix_from_coordinates(text: str, country: str, i: int) -> None:
    ss = st.session_state
    _fix(text, country, name=ss.get(f"fix_name_{i}", ""), lat=ss.get(f"fix_lat_{i}"),
         lon=ss.get(f"fix_lon_{i}"))


def _save_to_library(dataset: Dataset) -> None:
    ss, upload = st.session_state, st.session_state[UPLOAD]
    try:
        entry = Library().save(dataset, upload["data"], upload["name"], name=ss["save_name"],
                               source=ss.get("save_source", ""),
                               licence=ss.get("save_licence", ""),
                               synthetic=bool(ss.get("save_synthetic")))
    except RoutemapError as e:
        _flash("error", str(e))
        return
    select_dataset(entry.id)
    _flash("success", f"Saved {entry.name!r} to the library; the map pages now show it.")


def _rename(dataset_id: str) -> None:
    try:
        entry = Library().rename(dataset_id, st.session_state.get(f"rename_{dataset_id}", ""))
    except RoutemapError as e:
        _flash("error", str(e))
    else:
        _flash("success", f"Renamed to {entry.name!r}.")


def _delete(dataset_id: str) -> None:
    if not st.session_state.get(f"confirm_{dataset_id}"):
        _flash("error", "Tick the box to confirm the deletion first.")
        return
    try:
        Library().delete(dataset_id)
    except RoutemapError as e:
        _flash("error", str(e))
    else:
        _flash("success", "Deleted from the library.")


# ---- sections -----------------------------------------------------------------------------


def _load(upload: dict[str, Any]) -> Dataset | None:
    override = st.session_state.get(OVERRIDE) or {}
    try:
        return data_cache.load_upload(upload["data"], upload["name"],
                                      layout=override.get("layout"),
                                      columns=override.get("columns"))
    except RoutemapError as e:
        st.error(str(e))
        if override.get("layout") or override.get("columns"):
            st.button("Back to the detected layout", on_click=_reset_override)
        return None


def _mapping(dataset: Dataset | None, names: list[str]) -> None:
    st.subheader("Layout and columns")
    if dataset is not None:
        st.write(f"Detected layout: **{md(dataset.report.layout)}** "
                 f"({md(dataset.report.file_format)})")
        st.dataframe(review.mapping_rows(dataset.report.columns), hide_index=True)
    with st.expander("Override the layout or columns",
                     expanded=dataset is None or bool(st.session_state[OVERRIDE]["layout"])):
        cols = dataset.report.columns if dataset is not None else {}
        start = review.mapping_defaults(cols, names)
        layout = dataset.report.layout if dataset is not None else LAYOUTS[0]
        st.selectbox("Layout", LAYOUTS, index=LAYOUTS.index(layout) if layout in LAYOUTS
                     else 0, key="map_layout")
        for role, label in review.ROLE_LABELS.items():
            st.multiselect(f"{label} column(s)", names, default=start[role], key=f"map_{role}")
        for key, label in review.SINGLE_ROLES.items():
            options = [review.NONE, *names]
            st.selectbox(f"{label} column", options, index=options.index(start[key]),
                         key=f"map_{key}")
        c1, c2 = st.columns(2)
        c1.button("Reload with these columns", on_click=_apply_override, args=(names,),
                  type="primary")
        c2.button("Back to the detected layout", on_click=_reset_override,
                  key="reset_override")


def _report(dataset: Dataset) -> None:
    rep = dataset.report
    st.subheader("Report")
    c = st.columns(5)
    c[0].metric("Rows read", f"{rep.rows_read:,}")
    c[1].metric("Rows kept", f"{rep.rows_kept:,}")
    c[2].metric("Rows rejected", f"{rep.rows_rejected:,}")
    c[3].metric("Places", f"{rep.places_unique:,}")
    c[4].metric("Places resolved", f"{rep.places_resolved:,}")
    left, right = st.columns([2, 1])
    with left:
        st.caption("Problems (line in the file)")
        st.dataframe(review.problems_frame(rep), hide_index=True, height=240)
    with right:
        st.caption("Places by method")
        st.dataframe(review.methods_frame(rep), hide_index=True)
    if rep.set_aside:
        st.caption("Set aside (aggregate rows): " + md(", ".join(rep.set_aside)))


def _review(dataset: Dataset) -> None:
    st.subheader("Review places")
    todo = review.review_frame(dataset)
    if todo.empty:
        st.success("Every place was resolved exactly.")
        return
    st.dataframe(todo.drop(columns=["place_id"]), hide_index=True, height=240)
    # widgets are keyed on the place id, which a reload after a fix does not change
    labels = {int(r.place_id): f"{r.text}" + (f" ({r.country})" if r.country else "")
              + f" — {r.match}, {r.rows} rows" for r in todo.itertuples()}
    i = st.selectbox("Place to fix", list(labels), format_func=labels.get, key="fix_pick")
    row = todo.set_index("place_id").loc[i]
    text, country = str(row["text"]), str(row["country"])
    if row["matched"]:
        st.write(f"Matched to **{md(row['matched'])}** with score {row['score']:.0f}.")
    elif row["suggestion"]:
        st.write(f"Suggestion: **{md(row['suggestion'])}**.")
    search, coords = st.tabs(["Search the gazetteer", "Enter coordinates"])
    with search:
        q = st.text_input("Search", value=str(row["suggestion"] or text), key=f"fix_q_{i}")
        try:
            hits = get_gazetteer().search(q, 10, country=country or None)
        except RoutemapError as e:
            st.error(str(e))
            hits = None
        if hits is None or hits.empty:
            st.caption("No place found; try another spelling, or enter coordinates.")
        else:
            options = dict(zip(hits["key"], hits.itertuples(), strict=True))
            st.radio("Results", list(options), key=f"fix_hit_{i}",
                     format_func=lambda k: f"{options[k].name} ({options[k].kind}, "
                     f"{options[k].iso3 or '-'}) score {options[k].score:.0f}")
            st.button("Use this place", on_click=_fix_from_search,
                      args=(text, country, f"fix_hit_{i}"), type="primary")
    with coords:
        st.text_input("Name to show", value=text, key=f"fix_name_{i}")
        c1, c2 = st.columns(2)
        c1.number_input("Latitude", min_value=-90.0, max_value=90.0, value=0.0,
                        format="%.4f", key=f"fix_lat_{i}")
        c2.number_input("Longitude", min_value=-180.0, max_value=180.0, value=0.0,
                        format="%.4f", key=f"fix_lon_{i}")
        st.button("Use these coordinates", on_click=_fix_from_coordinates,
                  args=(text, country, i))


def _save(dataset: Dataset, upload: dict[str, Any]) -> None:
    st.subheader("Save to the library")
    with st.form("save_form"):
        st.text_input("Name", value=Path(upload["name"]).stem, key="save_name")
        st.text_input("Source", value=dataset.meta.source, key="save_source")
        st.text_input("Licence", value=dataset.meta.licence, key="save_licence")
        st.checkbox("Synthetic data (not real cases)", value=dataset.meta.synthetic,
                    key="save_synthetic")
        st.form_submit_button("Save", on_click=_save_to_library, args=(dataset,),
                              type="primary")


def _library() -> None:
    st.header("Library")
    library = Library()
    entries, skipped = library.scan()
    for s in skipped:
        st.warning("Skipped an incomplete saved dataset: " + md(s))
    if not entries:
        st.caption("No saved datasets yet.")
    for e in entries:
        rows = e.rows
        with st.expander(f"{e.name} — {e.records:,} records, saved {e.created[:10]}"):
            st.write(md(f"Source: {e.source or 'not given'} · Licence: {e.licence or 'not given'}"
                        f" · File: {e.original_name} · Layout: {e.layout}"
                        + (" · SYNTHETIC" if e.synthetic else "")))
            st.caption(md(f"Rows read {rows['read']:,}, kept {rows['kept']:,}, rejected "
                          f"{rows['rejected']:,}; places "
                          f"{e.report.get('places_resolved', 0):,} of "
                          f"{e.report.get('places_unique', 0):,} resolved; sha256 "
                          f"{e.checksum[:12]}…"))
            c1, c2 = st.columns(2)
            with c1:
                st.text_input("New name", value=e.name, key=f"rename_{e.id}")
                st.button("Rename", key=f"do_rename_{e.id}", on_click=_rename, args=(e.id,))
            with c2:
                st.checkbox("Yes, delete this dataset", key=f"confirm_{e.id}")
                st.button("Delete", key=f"do_delete_{e.id}", on_click=_delete, args=(e.id,))


# ---- the page -----------------------------------------------------------------------------

st.title("Data")
if FLASH in st.session_state:
    kind, message = st.session_state.pop(FLASH)
    (st.success if kind == "success" else st.error)(md(message))

file = st.file_uploader("Upload a dataset (CSV, TSV, Excel, JSON, GeoJSON, Parquet)",
                        type=TYPES, key="data_file")
if file is not None:
    accept_upload(file.getvalue(), file.name)

upload = st.session_state.get(UPLOAD)
if upload is None:
    st.caption("Upload a file to check it, fix its places and save it for everyone here. "
               "Nothing leaves this machine.")
else:
    st.caption(md(f"Working on {upload['name']} ({len(upload['data']):,} bytes)"))
    try:
        head, names = data_cache.preview(upload["data"], upload["name"])
    except RoutemapError as e:
        st.error(str(e))
    else:
        with st.expander(f"Preview: the first {len(head):,} rows as read", expanded=False):
            st.dataframe(head, hide_index=True)
        dataset = _load(upload)
        _mapping(dataset, names)
        if dataset is not None:
            _report(dataset)
            _review(dataset)
            _save(dataset, upload)

_library()
