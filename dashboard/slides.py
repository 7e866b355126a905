"""Saved views for presenters: named filter states stepped through like slides.

A slide is ``{"name": str, "state": to_query_params(state)}``: the same parameters a
link carries, so a slide is restored exactly as a link is, through
:func:`dashboard.state.from_query_params`, and a slide that names a value the data no
longer has gives a notice, never an error. Slides are stored with their dataset: in the
library manifest for a saved dataset, in ``home/views/<sample>.json`` for a bundled
sample (:func:`load_slides`, :func:`store_slides`).

Every edit returns a new list (the caller stores it), so a failed store leaves nothing
half-changed. Slide positions in links are 1-based (``slide=3`` is the third slide).

Pure: no streamlit import (tests/test_slides.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dashboard.maps.suppression import SHARED_MIN_K
from dashboard.state import Facets, ViewState, from_query_params, to_query_params
from loaders.errors import RoutemapError
from loaders.library import Library
from loaders.samples import is_sample

Slide = dict[str, Any]

SLIDE_PARAM = "slide"
PRESENT_MIN_K = SHARED_MIN_K  # suppression is always on when presenting (DESIGN §9)
MAX_SLIDES = 100
MAX_NAME = 120


class SlideError(RoutemapError):
    """A slide edit cannot be done: no such slide, an empty or too long name, too many."""


# ---- storage ---------------------------------------------------------------------------


def load_slides(library: Library, dataset_id: str) -> list[Slide]:
    """The slides stored with ``dataset_id`` (a sample name or a library id)."""
    if is_sample(dataset_id):
        return library.sample_views(dataset_id)
    return library.saved_views(dataset_id)


def store_slides(library: Library, dataset_id: str, slides: Sequence[Slide]) -> None:
    """Replace the slides stored with ``dataset_id`` (atomic, locked: see the library)."""
    if is_sample(dataset_id):
        library.save_sample_views(dataset_id, list(slides))
    else:
        library.save_views(dataset_id, list(slides))


# ---- editing ---------------------------------------------------------------------------


def clean_name(name: object) -> str:
    """A slide name with its whitespace collapsed; SlideError if empty or too long."""
    text = " ".join(str(name).split())
    if not text:
        raise SlideError("A slide needs a name.")
    if len(text) > MAX_NAME:
        raise SlideError(f"A slide name can be at most {MAX_NAME} characters.")
    return text


def _check(slides: Sequence[Slide], index: int) -> None:
    if not 0 <= index < len(slides):
        raise SlideError(f"There is no slide {index + 1} (there are {len(slides)}).")


def default_name(state: ViewState, focus_label: str | None = None) -> str:
    """A name that says what the view selects, e.g. "2015–2020 · gender: female ·
    focus Dhaka"; ``focus_label`` names the focus place (else its key's last part)."""
    parts = []
    if state.years is not None:
        a, b = state.years
        parts.append(str(a) if a == b else f"{a}–{b}")
    else:
        parts.append("All years")
    for col in sorted(state.filters):
        parts.append(f"{col.replace('_', ' ')}: {', '.join(state.filters[col])}")
    if state.focus:
        # "Dhaka (city, BGD)" as the focus picker labels it: the name says enough here
        named = focus_label.split(" (")[0] if focus_label else ""
        parts.append(f"focus {named or state.focus.split(':', 1)[-1]}")
    name = " · ".join(parts)
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def make_slide(state: ViewState, name: str | None = None) -> Slide:
    """The stored form of ``state`` under ``name`` (its default name when None)."""
    return {"name": clean_name(default_name(state) if name is None else name),
            "state": to_query_params(state)}


def add_slide(slides: Sequence[Slide], state: ViewState, name: str | None = None) -> list[Slide]:
    """``slides`` with ``state`` appended as a new slide."""
    if len(slides) >= MAX_SLIDES:
        raise SlideError(f"A dataset can keep at most {MAX_SLIDES} slides.")
    return [*slides, make_slide(state, name)]


def update_slide(slides: Sequence[Slide], index: int, state: ViewState) -> list[Slide]:
    """``slides`` with slide ``index`` (0-based) showing ``state``; its name stays."""
    _check(slides, index)
    out = list(slides)
    out[index] = {"name": slides[index]["name"], "state": to_query_params(state)}
    return out


def rename_slide(slides: Sequence[Slide], index: int, name: str) -> list[Slide]:
    """``slides`` with slide ``index`` (0-based) renamed."""
    _check(slides, index)
    out = list(slides)
    out[index] = {**slides[index], "name": clean_name(name)}
    return out


def delete_slide(slides: Sequence[Slide], index: int) -> list[Slide]:
    """``slides`` without slide ``index`` (0-based)."""
    _check(slides, index)
    return [s for i, s in enumerate(slides) if i != index]


def move_slide(slides: Sequence[Slide], index: int, delta: int) -> list[Slide]:
    """``slides`` with slide ``index`` moved ``delta`` places (clamped to the ends)."""
    _check(slides, index)
    out = list(slides)
    item = out.pop(index)
    out.insert(max(0, min(len(out), index + delta)), item)
    return out


# ---- stepping and links ----------------------------------------------------------------


def step(index: int | None, count: int, delta: int) -> int | None:
    """The slide ``delta`` steps from ``index`` (0-based), stopping at the first and last.

    From no slide (None), Next opens the first and Previous the last.
    """
    if count <= 0:
        return None
    if index is None:
        return 0 if delta >= 0 else count - 1
    return max(0, min(count - 1, index + delta))


def position(index: int | None, count: int) -> str:
    """ "3 / 7" for the third of seven slides; "– / 7" when none is open."""
    return f"{'–' if index is None else index + 1} / {count}"


def parse_slide_param(raw: str | Sequence[str] | None, count: int
                      ) -> tuple[int | None, list[str]]:
    """The 0-based slide a link's ``slide=N`` (1-based) opens, and a notice if ignored."""
    if raw is None:
        return None, []
    text = raw if isinstance(raw, str) else (str(raw[-1]) if len(raw) else "")
    text = text.strip()
    shown = repr(text if len(text) <= 20 else text[:17] + "...")
    if not re.fullmatch(r"\d{1,6}", text):
        return None, [f"Ignored slide={shown} from the link: expected a slide number."]
    n = int(text)
    if not 1 <= n <= count:
        have = f"there are {count}" if count else "this dataset has no saved slides"
        return None, [f"Ignored slide={shown} from the link: {have}."]
    return n - 1, []


def slide_param(index: int | None) -> dict[str, str]:
    """The link parameter of slide ``index`` (0-based): {"slide": "N"}, or {} for none."""
    return {} if index is None else {SLIDE_PARAM: str(index + 1)}


# ---- restoring -------------------------------------------------------------------------


def restore_slide(slide: Slide, facets: Facets, dataset_id: str
                  ) -> tuple[ViewState, list[str]]:
    """The view state of ``slide`` on ``dataset_id``, validated like a link.

    The slide's own ``ds`` is ignored (slides are stored with their dataset); a value
    the data no longer has is dropped with a notice naming the slide.
    """
    params = {k: v for k, v in dict(slide.get("state") or {}).items() if k != "ds"}
    state, notices = from_query_params(params, facets)
    name = str(slide.get("name", ""))
    return state.with_(dataset=dataset_id), [f"Slide {name!r}: {n}" for n in notices]


def present_k(k: int) -> tuple[int, str | None]:
    """K for presenting: at least :data:`PRESENT_MIN_K`, with a notice when raised."""
    if k >= PRESENT_MIN_K:
        return k, None
    return PRESENT_MIN_K, (f"Suppression is always on when presenting: counts below "
                           f"{PRESENT_MIN_K} are withheld (this view asked for K={k}).")


def same_view(a: ViewState, b: ViewState) -> bool:
    """True when two states make the same link (what a slide stores)."""
    return to_query_params(a) == to_query_params(b)
