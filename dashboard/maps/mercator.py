"""Web Mercator, the projection Leaflet draws in, on the unit sphere (x and y in radians).

Latitudes are clipped to ±85°, just inside the square world's edge (85.05°), so the
poles stay finite. Callers scale the plane as they need: by the Earth's radius for metres
(hexagon bins), to degrees so a bend compares with longitude (arcs), or to fit a pixel
box (slides).
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_LAT = 85.0
EARTH_RADIUS_M = 6378137.0  # the sphere Web Mercator (EPSG:3857) is defined on


def project(lon: Any, lat: Any) -> tuple[Any, Any]:
    """(x, y) on the unit sphere's Web Mercator plane of ``lon``, ``lat`` in degrees."""
    lat = np.clip(lat, -MAX_LAT, MAX_LAT)
    return np.radians(lon), np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def unproject(x: Any, y: Any) -> tuple[Any, Any]:
    """(lon, lat) in degrees of a point on the unit sphere's Web Mercator plane."""
    return np.degrees(x), np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)
