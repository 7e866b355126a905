"""Curved flow arcs, vectorised over all flows at once (DESIGN §5).

Each arc starts from the great circle between its ends, with longitudes unwrapped so a
Pacific leg (Manila -> Honolulu -> Lima) crosses the antimeridian instead of the whole
map, and is bowed gently (``BEND`` of the chord, as the map shows it) to the right of its
direction of travel, so A->B and B->A stay apart.
A chevron placed past the middle of each arc shows the direction.
"""

from __future__ import annotations

import numpy as np

from dashboard.maps.mercator import MAX_LAT, project, unproject

ARC_POINTS = 20
BEND = 0.15  # sideways offset at the middle, as a fraction of the chord (Mercator plane)


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def arc_coords(
    lon0: np.ndarray,
    lat0: np.ndarray,
    lon1: np.ndarray,
    lat1: np.ndarray,
    *,
    n: int = ARC_POINTS,
    bend: float = BEND,
) -> np.ndarray:
    """Coordinates of curved arcs, shape (flows, n, 2) as (lon, lat).

    The first point is exactly the start; later longitudes are unwrapped, so they may run
    past +-180 (Leaflet draws that continuously).
    """
    lon0, lat0, lon1, lat1 = (np.asarray(a, dtype="float64") for a in (lon0, lat0, lon1, lat1))
    a, b = _unit_vectors(lon0, lat0), _unit_vectors(lon1, lat1)
    dot = np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0)
    omega = np.arccos(dot)[:, None]
    t = np.linspace(0.0, 1.0, n)[None, :]
    sin_omega = np.sin(omega)
    tiny = sin_omega < 1e-9
    safe = np.where(tiny, 1.0, sin_omega)
    wa = np.where(tiny, 1.0 - t, np.sin((1.0 - t) * omega) / safe)
    wb = np.where(tiny, t, np.sin(t * omega) / safe)
    p = wa[..., None] * a[:, None, :] + wb[..., None] * b[:, None, :]
    p /= np.linalg.norm(p, axis=-1, keepdims=True).clip(1e-12)
    lat = np.degrees(np.arcsin(np.clip(p[..., 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(p[..., 1], p[..., 0]))
    lon = np.unwrap(lon, period=360.0, axis=1)
    lon += (lon0 - lon[:, 0])[:, None]  # start exactly where the place is, not a world away
    # Bow: measured and set in the Web Mercator plane the map shows. A great circle already
    # bows (strongly, at high latitudes), so its own sideways offset is taken out and the
    # arc is bent to exactly ``bend`` x chord at its middle, to the right of travel: A->B
    # and B->A then lie on opposite sides, and no arc sweeps far off its straight line.
    y = _merc_deg(lat)
    dx = (lon[:, -1] - lon[:, 0])[:, None]
    dy = (y[:, -1] - y[:, 0])[:, None]
    chord = np.hypot(dx, dy).clip(1e-9)
    nx, ny = dy / chord, -dx / chord  # unit normal to the right of travel (y up)
    side = (lon - lon[:, :1]) * nx + (y - y[:, :1]) * ny
    hump = np.sin(np.pi * t)
    own = (side * hump).sum(axis=1, keepdims=True) / (hump * hump).sum()
    shift = (bend * chord - own) * hump
    shift[:, [0, -1]] = 0.0  # the ends stay exactly on their places
    lon = lon + shift * nx
    bent = np.clip(_inv_merc_deg(y + shift * ny), -MAX_LAT, MAX_LAT)
    bent[:, [0, -1]] = lat[:, [0, -1]]  # not through a Mercator round trip
    lat = bent
    return np.stack([lon, lat], axis=-1)


def _merc_deg(lat: np.ndarray) -> np.ndarray:
    """Web Mercator y of ``lat``, in degree units (so it compares with longitude)."""
    return np.degrees(project(0.0, lat)[1])


def _inv_merc_deg(y: np.ndarray) -> np.ndarray:
    return unproject(0.0, np.radians(y))[1]


def chevrons(coords: np.ndarray, *, at: float = 0.6, scale: float = 0.06) -> np.ndarray:
    """Direction markers: for each arc, three points (left wing, tip, right wing).

    Size follows the chord length, clamped so short legs still show one and long legs
    do not get a giant one.
    """
    n = coords.shape[1]
    k = min(max(round(at * (n - 1)), 1), n - 2)
    tip = coords[:, k, :]
    d = coords[:, k + 1, :] - coords[:, k - 1, :]
    d /= np.linalg.norm(d, axis=1, keepdims=True).clip(1e-12)
    chord = np.linalg.norm(coords[:, -1, :] - coords[:, 0, :], axis=1)
    size = np.clip(chord * scale, 0.25, 3.0)[:, None]
    cos, sin = np.cos(np.radians(150.0)), np.sin(np.radians(150.0))
    left = np.stack([d[:, 0] * cos - d[:, 1] * sin, d[:, 0] * sin + d[:, 1] * cos], axis=1)
    right = np.stack([d[:, 0] * cos + d[:, 1] * sin, -d[:, 0] * sin + d[:, 1] * cos], axis=1)
    return np.stack([tip + size * left, tip, tip + size * right], axis=1)


def wrap_parts(line: np.ndarray) -> list[np.ndarray]:
    """Cut an unwrapped (lon may pass +-180) line at the antimeridian.

    Returns parts whose longitudes stay within [-180, 180], each ending (or starting)
    exactly on the antimeridian, so a Pacific leg leaves one edge of the map and comes
    back at the other instead of landing in a copy of the world beside the map.
    """
    lon, lat = line[:, 0], line[:, 1]
    if np.all((lon >= -180.0) & (lon <= 180.0)):
        return [line]
    parts: list[np.ndarray] = []
    shift = np.floor((lon + 180.0) / 360.0)  # which copy of the world each point is in
    current = [line[0] - [360.0 * shift[0], 0.0]]
    for i in range(1, len(line)):
        if shift[i] != shift[i - 1]:
            edge = 180.0 + 360.0 * min(shift[i], shift[i - 1])  # unwrapped boundary crossed
            f = (edge - lon[i - 1]) / (lon[i] - lon[i - 1])
            y = lat[i - 1] + f * (lat[i] - lat[i - 1])
            side = 180.0 if shift[i] > shift[i - 1] else -180.0
            current.append(np.array([side, y]))
            parts.append(np.array(current))
            current = [np.array([-side, y])]
        current.append(line[i] - [360.0 * shift[i], 0.0])
    parts.append(np.array(current))
    return parts
