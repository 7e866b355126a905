"""The process ``routemap serve`` starts: Streamlit's server, with the app's heavy work
begun before anyone connects.

The first page a visitor opens imports folium, geopandas and the views and reads the
gazetteer, before it can draw a map. This process does both on a background thread as
soon as the server runs, so a browser opened a moment later finds them done.
"""

from __future__ import annotations

import sys
import threading
import time


def warm_up(wait_s: float = 30.0) -> None:
    """Once the server is running, import what the pages use and read the gazetteer
    (the process keeps both). Starting sooner slowed the server's own start up."""
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + wait_s
    while not Runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        from dashboard.views import data_cache, exports_ui, map_cache, sidebar  # noqa: F401
        from loaders.gazetteer import get_gazetteer

        get_gazetteer().warm()
    except Exception:  # the first page does this again, and reports what went wrong
        pass


def main() -> None:
    """``python -m dashboard.server run APP [streamlit options]``: as ``streamlit``.

    The warm-up starts once Streamlit is imported here: begun before, it imported
    ``streamlit`` on its thread while this one did, and a server in a test run exited at
    start with "DeltaGeneratorSingleton instance already exists!" (the package ran
    twice). It waits for the server to run anyway, so it loses nothing.
    """
    from streamlit.web import cli

    threading.Thread(target=warm_up, name="routemap-warm-up", daemon=True).start()
    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
