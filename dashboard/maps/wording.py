"""How the maps' text words a count: "1 corridor", "2,476 cases"."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """``n`` with thousands separators, then ``noun``, plural (with an s) unless ``n`` is 1."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
