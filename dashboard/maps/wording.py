"""How the text people read words a count ("1 corridor", "2,476 cases") and tells
options apart."""

from __future__ import annotations

from collections import Counter


def counted(n: int, noun: str) -> str:
    """``n`` with thousands separators, then ``noun``, plural (with an s) unless ``n`` is 1."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def distinct_labels(labels: dict[str, str]) -> dict[str, str]:
    """``labels`` (key -> label) with the key added to every label that repeats.

    Streamlit's selectbox and radio send back the label the browser shows and map it
    to the last option that has it, so a repeated label makes its options unpickable.
    """
    uses = Counter(labels.values())
    return {k: f"{label} · {k}" if uses[label] > 1 else label for k, label in labels.items()}
