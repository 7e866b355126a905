"""Size limits every reader checks, so one hostile or careless upload cannot exhaust the machine.

The limits are checked as early as possible: the byte size before anything is read, the
row count from file metadata (Parquet, Excel) or as the rows are parsed (CSV, JSON), and
the decompressed size of an xlsx/ods zip before it is opened (zip bombs).
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What a reader accepts; a file beyond ``max_bytes``/``max_rows``/zip limits is refused.

    ``max_cell_chars`` is softer: a longer cell is truncated to that many characters and
    the truncation is reported on its row (``kept=True``), so one runaway cell does not
    cost the whole file.
    """

    max_bytes: int = 200 * MB
    max_rows: int = 5_000_000
    max_cell_chars: int = 100_000
    max_xlsx_uncompressed: int = 500 * MB
    # Uncompressed/compressed ratio of one zip member. Real sheets compress 5-50x; a run of
    # zeros compresses ~1000x. Members smaller than ``zip_ratio_floor`` are not judged, as a
    # tiny XML part can have any ratio harmlessly.
    max_zip_ratio: float = 200.0
    zip_ratio_floor: int = 1 * MB


DEFAULT_LIMITS = Limits()
