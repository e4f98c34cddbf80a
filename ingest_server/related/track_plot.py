"""A GPS track as a plain plot for the clip page: SVG coordinates, no map tiles (the server has
no internet) and no JavaScript. Pure: points in, numbers out; the template draws them.

Projection: equirectangular around the track's mean latitude (longitude scaled by its
cosine), so a track of a few kilometres keeps its shape; north is up; the track is fitted
into the box with its aspect ratio kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT, PAD = 480, 320, 20


@dataclass(frozen=True)
class TrackPlot:
    width: int
    height: int
    polyline: str  # "x,y x,y ..." for <polyline points=...>
    start: tuple[float, float]
    end: tuple[float, float]
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    points: int
    first: datetime
    last: datetime
    span_m: float  # the larger side of the extent, in metres (for the scale words)


def plot(
    track: list[tuple[datetime, float, float]], width: int = WIDTH, height: int = HEIGHT
) -> TrackPlot | None:
    if not track:
        return None
    track = sorted(track)
    lats, lons = [p[1] for p in track], [p[2] for p in track]
    lat0 = math.radians((min(lats) + max(lats)) / 2)
    xs = [lon * math.cos(lat0) for lon in lons]
    ys = lats
    dx, dy = max(xs) - min(xs), max(ys) - min(ys)
    scale = min((width - 2 * PAD) / dx if dx else math.inf, (height - 2 * PAD) / dy if dy else math.inf)
    if math.isinf(scale):  # one place only
        scale = 0.0
    off_x = (width - dx * scale) / 2
    off_y = (height - dy * scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return round(off_x + (x - min(xs)) * scale, 1), round(height - off_y - (y - min(ys)) * scale, 1)

    coords = [at(x, y) for x, y in zip(xs, ys, strict=True)]
    return TrackPlot(
        width=width,
        height=height,
        polyline=" ".join(f"{x},{y}" for x, y in coords),
        start=coords[0],
        end=coords[-1],
        lat_min=min(lats),
        lat_max=max(lats),
        lon_min=min(lons),
        lon_max=max(lons),
        points=len(track),
        first=track[0][0],
        last=track[-1][0],
        span_m=max(dx, dy) * 111_320,
    )
