"""Data: upload a file, check how it was read, fix places, save it to the library.

The analyst's page (DESIGN §1, §6). Everything an action changes happens in an
``on_click`` callback, which Streamlit runs before the script: a place fix saved there
is already in the aliases file when the page reloads the upload below, so the fix shows
at once. Dataset text reaches the screen only through st.dataframe (text cells) or
:func:`md`; never through HTML.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import review
from dashboard.views import data_cache
from dashboard.views.sidebar import md, select_dataset
from loaders.aliases import remove_alias
from loaders.errors import RoutemapError
from loaders.gazetteer import get_gazetteer
from loaders.layouts import LAYOUTS
from loaders.library import Entry, Library
from loaders.model import Dataset
from loaders.report import row_word, shortened

UPLOAD = "data_upload"  # {"name", "data", "digest"} of the file being worked on
OVERRIDE = "data_override"  # {"layout": str | None, "columns": dict | None}
FLASH = "data_flash"  # (kind, message, section) shown once after an action, where it was made
OPEN = "data_open"  # a library id to show on the Routes page (set by a button's callback)
LIKELY = 80.0  # a suggestion this similar gets the primary button
TYPES = ["csv", "tsv", "txt", "xlsx", "json", "geojson", "parquet"]
SAVE_FIELDS = ("save_name", "save_source", "save_licence", "save_synthetic")


def accept_upload(data: bytes, name: str) -> None:
    """Make (data, name) the file the page works on; a new file drops the old override."""
    digest = data_cache.digest(data)
    current = st.session_state.get(UPLOAD)
    if current and current["digest"] == digest and current["name"] == name:
        return
    st.session_state[UPLOAD] = {"name": name, "data": data, "digest": digest}
    _reset_override()
    # the save form's fields keep what was typed for the last file unless cleared: a
    # second upload was saved under the first one's name, source, licence and flag
    for key in SAVE_FIELDS:
        st.session_state.pop(key, None)


def _flash(kind: str, message: str, section: str) -> None:
    st.session_state[FLASH] = (kind, message, section)


def _show_flash(section: str) -> None:
    """The message of the last action, shown in the section where the button was: a
    message at the top of a long page goes unseen by someone working at the bottom.

    Always one element, shown or not: a message that comes and goes must not shift what
    follows, or Streamlit remounts it and a tab the analyst chose jumps back to the first.
    """
    slot = st.empty()
    flash = st.session_state.get(FLASH)
    if flash and flash[2] == section:
        del st.session_state[FLASH]
        kind, message, _ = flash
        (slot.success if kind == "success" else slot.error)(md(message))


# ---- callbacks ----------------------------------------------------------------------------


def _apply_override() -> None:
    ss = st.session_state
    roles = {r: list(ss.get(f"map_{r}", [])) for r in review.ROLE_LABELS}
    single = {k: ss.get(f"map_{k}", review.NONE) for k in review.SINGLE_ROLES}
    ss[OVERRIDE] = {"layout": ss.get("map_layout"),
                    "columns": review.override_columns(roles, single)}


def _reset_override() -> None:
    st.session_state[OVERRIDE] = {"layout": None, "columns": None}
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("map_")]:
        del st.session_state[key]


def _fix(text: str, country: str, label: str, **target: Any) -> None:
    try:
        review.save_fix(text, country, **target)
    except RoutemapError as e:
        _flash("error", str(e), "review")
    else:
        beside = f" next to {country}" if country else ""
        message = f"Fixed: {text}{beside} is now {label}, here and in every later upload."
        upload = st.session_state.get(UPLOAD)
        if upload and any(e.checksum == upload["digest"] for e in Library().list()):
            # a saved dataset keeps the places it was saved with: the fix did not reach
            # the maps of the saved copy, and nothing said so
            message += (" The copy already saved keeps the places it was saved with: save "
                        "this file again to map it with the fix.")
        _flash("success", message, "review")


def _fix_from_search(text: str, country: str, results_key: str, offered: list[str]) -> None:
    key = st.session_state.get(results_key)
    if key not in offered:
        _flash("error", "Pick a place from the search results first.", "review")
        return
    p = get_gazetteer().places.loc[key]
    _fix(text, country, review.place_label(p["name"], p["kind"], p["iso3"]), key=key)


def _fix_from_coordinates(text: str, country: str, i: int) -> None:
    ss = st.session_state
    lat, lon = ss.get(f"fix_lat_{i}"), ss.get(f"fix_lon_{i}")
    if lat is None or lon is None:
        _flash("error", "Enter both a latitude and a longitude, in decimal degrees "
               "(Karachi is 24.86, 67.01).", "review")
        return
    name = str(ss.get(f"fix_name_{i}", "")).strip() or text
    _fix(text, country, f"{name} at {lat:.4f}, {lon:.4f}", name=name, lat=lat, lon=lon)


def _save_to_library(dataset: Dataset) -> None:
    ss, upload = st.session_state, st.session_state[UPLOAD]
    try:
        entry = Library().save(dataset, upload["data"], upload["name"], name=ss["save_name"],
                               source=ss.get("save_source", ""),
                               licence=ss.get("save_licence", ""),
                               synthetic=bool(ss.get("save_synthetic")))
    except RoutemapError as e:
        _flash("error", str(e), "save")
        return
    select_dataset(entry.id)
    _flash("success", f"Saved {entry.name!r} to the library; the map pages now show it.",
           "save")


def _rename(dataset_id: str) -> None:
    try:
        entry = Library().rename(dataset_id, st.session_state.get(f"rename_{dataset_id}", ""))
    except RoutemapError as e:
        _flash("error", str(e), "library")
    else:
        _flash("success", f"Renamed to {entry.name!r}.", "library")


def _delete(dataset_id: str) -> None:
    if not st.session_state.get(f"confirm_{dataset_id}"):
        _flash("error", "Tick the box to confirm the deletion first.", "library")
        return
    try:
        Library().delete(dataset_id)
    except RoutemapError as e:
        _flash("error", str(e), "library")
    else:
        _flash("success", "Deleted from the library.", "library")


def _forget(fixes: dict[str, tuple[str, str]]) -> None:
    key = st.session_state.get("forget_pick")
    if key not in fixes:
        return
    text, country = fixes[key]
    try:
        remove_alias(text, country_hint=country)
    except RoutemapError as e:
        _flash("error", str(e), "fixes")
    else:
        _flash("success", f"Forgot the fix of {text}; later uploads read it afresh.", "fixes")


def _open(dataset_id: str) -> None:
    select_dataset(dataset_id)
    st.session_state[OPEN] = dataset_id


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
        c1.button("Reload with these columns", on_click=_apply_override, type="primary")
        c2.button("Back to the detected layout", on_click=_reset_override,
                  key="reset_override")


def _report(dataset: Dataset) -> None:
    rep = dataset.report
    st.subheader("Report")
    c = st.columns(6)
    c[0].metric("Rows read", f"{rep.rows_read:,}")
    c[1].metric("Rows kept", f"{rep.rows_kept:,}")
    c[2].metric("Rows rejected", f"{rep.rows_rejected:,}")
    c[3].metric("Places", f"{rep.places_unique:,}")
    c[4].metric("Places resolved", f"{rep.places_resolved:,}")
    c[5].metric("Places not found", f"{rep.places_unique - rep.places_resolved:,}")
    left, right = st.columns([2, 1])
    with left:
        problems = review.problems_frame(rep)
        if problems.empty:
            st.caption("Problems: none; every row was read as it stands.")
        else:
            st.caption(f"Problems ({row_word(rep.file_format)} in the file)")
            st.dataframe(problems, hide_index=True, height=min(240, 38 + 35 * len(problems)))
    with right:
        st.caption("Places by method")
        st.dataframe(review.methods_frame(rep), hide_index=True)
    if rep.set_aside:
        st.caption("Set aside (aggregate rows): " + md(", ".join(rep.set_aside)))


_REVIEW_COLUMNS = {
    "text": st.column_config.TextColumn("Place as written"),
    "country": st.column_config.TextColumn("Country beside it"),
    "rows": st.column_config.NumberColumn("Rows", format="%d"),
    "problem": st.column_config.TextColumn("What is wrong", width="large"),
    "suggestion": st.column_config.TextColumn("Best guess"),
    "score": st.column_config.NumberColumn("Similarity (of 100)", format="%.0f"),
}


def _review(dataset: Dataset) -> None:
    st.subheader("Review places")
    _show_flash("review")
    todo = review.review_frame(dataset)
    if todo.empty:
        st.success("Nothing to review: every place was found.")
        return
    st.caption("A place **not found** is left off the map (its rows are kept). A **guessed** "
               "place is drawn where the guess puts it, which may be wrong. Fix each one "
               "once: the fix is kept on this machine and applied to every later upload.")
    table = review.review_table(todo)
    columns = {k: v for k, v in _REVIEW_COLUMNS.items()
               if k != "country" or table["country"].ne("").any()}
    st.dataframe(table, hide_index=True, column_order=list(columns), column_config=columns,
                 height=min(240, 38 + 35 * len(table)))
    # widgets are keyed on the place id, which a reload after a fix does not change
    labels = {int(r.place_id): shortened(str(r.text))
              + (f" ({shortened(str(r.country))})" if r.country else "")
              + f" — {_review_word(r)}, "
              + (f"{r.rows} rows" if r.rows != 1 else "1 row") for r in todo.itertuples()}
    i = st.selectbox("Place to fix", list(labels), format_func=labels.get, key="fix_pick")
    row = todo.set_index("place_id").loc[i]
    text, country = str(row["text"]), str(row["country"])
    gazetteer = get_gazetteer()
    guess = review.suggested_place(row, gazetteer)
    written = f"**{md(shortened(text))}**" + (f" (next to {md(shortened(country))})"
                                             if country else "")
    if row["match"] == "fuzzy" and row.get("elsewhere"):
        st.write(f"{written} was found as **{md(guess[1] if guess else row['matched'])}**, "
                 f"which is not in {md(country)}. If the place is right and the country "
                 "beside it wrong, confirm it; if not, choose the right place below.")
    elif row["match"] == "fuzzy" and str(row["suggestion"] or ""):  # a namesake elsewhere
        st.write(f"{written} is the name of more than one place. It was taken as "
                 f"**{md(guess[1] if guess else row['matched'])}**, the larger; "
                 f"**{md(str(row['suggestion']))}** has this name too. If that is right, "
                 "confirm it; if not, choose the right place below.")
    elif row["match"] == "fuzzy":
        st.write(f"{written} was not found as written and was guessed to be "
                 f"**{md(guess[1] if guess else row['matched'])}** (similarity "
                 f"{row['score']:.0f} of 100). If that is right, confirm it; if not, "
                 "choose the right place below.")
    elif guess:
        st.write(f"{written} was not found. The closest name is **{md(guess[1])}** "
                 f"(similarity {row['score']:.0f} of 100). Use it if it is the place meant; "
                 "otherwise search below, or enter its coordinates.")
    else:
        st.write(f"{written} was not found and no name is close to it. Search for it "
                 "under another spelling below, or enter its coordinates.")
    with st.container():  # one element either way, so the tabs below keep their place
        if guess:
            # a far suggestion ("Springs" for "Zzyzx Springs") is offered, not pushed
            likely = row["match"] == "fuzzy" or row["score"] >= LIKELY
            st.button(f"{'Confirm' if row['match'] == 'fuzzy' else 'Use'} {guess[1]}",
                      on_click=_fix, args=(text, country, guess[1]), kwargs={"key": guess[0]},
                      type="primary" if likely else "secondary", key=f"fix_guess_{i}")
    search, coords = st.tabs(["Search the gazetteer", "Enter coordinates"])
    with search:
        # a guess is searched as written (its suggestion names the namesake it was not
        # taken as: searched, that label found neither); a place not found by its
        # closest name
        start = text if row["match"] == "fuzzy" else str(row["suggestion"] or text)
        q = st.text_input("Search for a place by name", value=start, key=f"fix_q_{i}")
        try:
            hits = gazetteer.search(q, 10, country=country or None)
        except RoutemapError as e:
            st.error(str(e))
            hits = None
        if hits is None or hits.empty:
            st.caption("No place found; try another spelling, or enter coordinates.")
        else:
            options = review.search_hit_labels(hits)
            # a new search gets a new widget: Streamlit keeps a radio's value by its label,
            # and the old search's label came back as the pick, not a place key (KeyError)
            hit_key = f"fix_hit_{i}_{hashlib.sha1(q.encode()).hexdigest()[:12]}"
            st.radio("Results", list(options), key=hit_key, format_func=options.get)
            st.button("Use this place", on_click=_fix_from_search,
                      args=(text, country, hit_key, list(options)))
    with coords:
        st.caption("For a place the gazetteer does not have: give the name to show on the "
                   "map and its position in decimal degrees (north and east positive).")
        st.text_input("Name to show", value=text, key=f"fix_name_{i}")
        c1, c2 = st.columns(2)
        c1.number_input("Latitude", min_value=-90.0, max_value=90.0, value=None,
                        format="%.4f", placeholder="e.g. 24.8608", key=f"fix_lat_{i}")
        c2.number_input("Longitude", min_value=-180.0, max_value=180.0, value=None,
                        format="%.4f", placeholder="e.g. 67.0104", key=f"fix_lon_{i}")
        st.button("Use these coordinates", on_click=_fix_from_coordinates,
                  args=(text, country, i))


def _review_word(row: Any) -> str:
    if row.match != "fuzzy":
        return "not found"
    return "in another country" if getattr(row, "elsewhere", False) else "guessed"


def _save(dataset: Dataset, upload: dict[str, Any], entries: list[Entry]) -> None:
    st.subheader("Save to the library")
    _show_flash("save")
    same = [e for e in entries if e.checksum == upload["digest"]]
    if same:
        st.info(md("This file is already in the library as " + ", ".join(
            f"'{e.name}' (saved {e.created[:10]})" for e in same)
            + "; saving it again adds another copy."))
    # Enter in a field must not save: an analyst types the name, presses Enter, and the
    # dataset was saved without its source and licence (and again at the next Enter).
    with st.form("save_form", enter_to_submit=False):
        st.text_input("Name", value=Path(upload["name"]).stem, key="save_name")
        st.text_input("Source", value=dataset.meta.source, key="save_source")
        st.text_input("Licence", value=dataset.meta.licence, key="save_licence")
        st.checkbox("Synthetic data (not real cases)", value=dataset.meta.synthetic,
                    key="save_synthetic")
        st.form_submit_button("Save", on_click=_save_to_library, args=(dataset,),
                              type="primary")


def _fixes() -> None:
    """The fixes kept so far, so a wrong one (a hasty "Use Springs") can be undone."""
    try:
        fixes = review.fixes_frame()
    except RoutemapError as e:
        st.error(str(e))
        return
    with st.expander(f"Your place fixes ({len(fixes)})",
                     expanded=FLASH in st.session_state
                     and st.session_state[FLASH][2] == "fixes"):
        _show_flash("fixes")
        if fixes.empty:
            st.caption("None yet: fixes made in the review are listed here.")
            return
        places = get_gazetteer().places
        fixes["means"] = [review.place_label(*places.loc[m, ["name", "kind", "iso3"]])
                          if m in places.index else m for m in fixes["means"]]
        st.dataframe(fixes.drop(columns=["key"]), hide_index=True, column_config={
            "text": "Place as written", "country": "Only beside", "means": "Now means"})
        by_key = {r.key: (r.text, r.country) for r in fixes.itertuples()}
        st.selectbox("Fix to forget", list(by_key), key="forget_pick",
                     format_func=lambda k: by_key[k][0] + (f" (beside {by_key[k][1]})"
                                                           if by_key[k][1] else ""))
        st.button("Forget this fix", on_click=_forget, args=(by_key,))


def _library(entries: list[Entry], skipped: list[str]) -> None:
    st.header("Library")
    _show_flash("library")
    for s in skipped:
        st.warning("Skipped an incomplete saved dataset: " + md(s))
    if not entries:
        st.caption("No saved datasets yet.")
    for e in entries:
        rows = e.rows
        with st.expander(md(f"{e.name} — {e.records:,} records, saved {e.created[:10]}")):
            st.write(md(f"Source: {e.source or 'not given'} · Licence: {e.licence or 'not given'}"
                        f" · File: {e.original_name} · Layout: {e.layout}"
                        + (" · SYNTHETIC" if e.synthetic else "")))
            st.caption(md(f"Rows read {rows['read']:,}, kept {rows['kept']:,}, rejected "
                          f"{rows['rejected']:,}; places "
                          f"{e.report.get('places_resolved', 0):,} of "
                          f"{e.report.get('places_unique', 0):,} resolved; sha256 "
                          f"{e.checksum[:12]}…"))
            st.button("Show it on the map pages", key=f"do_open_{e.id}", on_click=_open,
                      args=(e.id,), type="primary")
            c1, c2 = st.columns(2)
            with c1:
                st.text_input("New name", value=e.name, key=f"rename_{e.id}")
                st.button("Rename", key=f"do_rename_{e.id}", on_click=_rename, args=(e.id,))
            with c2:
                st.checkbox("Yes, delete this dataset", key=f"confirm_{e.id}")
                st.button("Delete", key=f"do_delete_{e.id}", on_click=_delete, args=(e.id,))


# ---- the page -----------------------------------------------------------------------------

if st.session_state.pop(OPEN, None):
    st.switch_page("views/routes.py")
st.title("Data")
entries, skipped = Library().scan()  # once: the save section and the library list share it

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
            _save(dataset, upload, entries)

_fixes()
_library(entries, skipped)
if FLASH in st.session_state:  # its section was not drawn (the upload is gone)
    kind, message, _ = st.session_state.pop(FLASH)
    (st.success if kind == "success" else st.error)(md(message))
