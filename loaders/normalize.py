"""The matching key of a place name: one spelling per place, whatever the typing habits.

Every lookup in the gazetteer, the user aliases and the geocoder goes through
:func:`normalise`, so "U.A.E.", "uae" and " The  U.A.E " all meet at one key, and
"Côte d’Ivoire" meets "Cote d'Ivoire". Accents are stripped from Latin letters only:
in Arabic, Devanagari or Bengali the combining marks are part of the letters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼʻ′"), None)
# Arabic-script letters typed in more than one form (Arabic vs Persian/Urdu yeh and kaf),
# the tatweel and the short-vowel marks, which writers add or leave out at will.
_ARABIC = {
    0x064A: "ی", 0x0649: "ی", 0x0643: "ک", 0x0629: "ه", 0x0623: "ا", 0x0625: "ا",
    0x0622: "ا", 0x0640: None,
    **dict.fromkeys(range(0x064B, 0x0653), None),
}
_ABBREVIATION = re.compile(r"^(?:\w\.){2,}\w?$")  # U.A.E. / U.S.A / D.R.C.
_ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_LEADING_THE = re.compile(r"^the\s+")


def _is_latin_base(ch: str) -> bool:
    o = ord(ch)
    return o < 0x0370 or 0x1E00 <= o < 0x1F00


def _strip_latin_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed.isascii():
        return decomposed
    out: list[str] = []
    base = ""
    for ch in decomposed:
        if unicodedata.combining(ch):
            if base and _is_latin_base(base):
                continue
        else:
            base = ch
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Return the matching key of ``text``.

    NFKC, casefold, Latin accents stripped, apostrophes dropped, dotted abbreviations
    closed up ("u.a.e." -> "uae"), "&" read as "and", every other run of punctuation or
    space made one space, a leading "the" dropped. Other scripts are kept as written
    (after unifying Arabic-script letter variants).
    """
    if not isinstance(text, str) or not text:
        return ""
    s = unicodedata.normalize("NFKC", text).casefold()
    s = s.translate(_APOSTROPHES).replace("&", " and ")
    if not s.isascii():
        s = _strip_latin_accents(s).translate(_ARABIC)
    tokens = []
    for token in s.split():
        if "." in token and _ABBREVIATION.match(token.rstrip(".") + "."):
            token = token.replace(".", "")
        tokens.append(token)
    s = " ".join(tokens)
    if s.isascii():
        s = _ASCII_SEPARATORS.sub(" ", s).strip()
    else:
        # Punctuation, symbols and controls separate words; letters, digits and the
        # combining marks of Indic and other scripts do not.
        s = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in s)
        s = _SPACES.sub(" ", s).strip()
    return _LEADING_THE.sub("", s)


def normalise_many(values: Iterable[str] | pd.Series | np.ndarray) -> pd.Series:
    """Normalise an array of strings, computing each distinct value once.

    Accepts a pandas Series, a numpy or pyarrow array or any iterable; missing values
    give "". Returns a Series of Python strings aligned with the input.
    """
    if hasattr(values, "to_pandas"):  # pyarrow Array / ChunkedArray
        values = values.to_pandas()
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = np.array([normalise(str(v)) for v in uniques] + [""], dtype=object)
    return pd.Series(keys[codes], index=series.index, dtype=object)
