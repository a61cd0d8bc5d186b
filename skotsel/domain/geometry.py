"""Where a site is: a GeoJSON point or polygon in WGS84, checked to lie in Sweden and to be drawn sensibly."""
from __future__ import annotations

import json
import math
from typing import Any

from skotsel.domain.errors import ValidationError

# Sweden's bounding box with a small margin; anything outside is a typo or swapped coordinates.
MIN_LON, MAX_LON = 10.5, 24.5
MIN_LAT, MAX_LAT = 55.0, 69.5
# A kartskiss has tens of corners; the cap keeps the pairwise crossing check quick.
MAX_POSITIONS = 1000
# Seven decimals is about a centimetre; more is noise from the drawing tool.
_DECIMALS = 7

Position = list[float]


def parse_geometry(value: str | dict) -> dict:
    """A normalised {"type", "coordinates"} from GeoJSON text or dict: a Point or Polygon, maybe in a Feature."""
    geometry = _unwrap(_load(value))
    kind = geometry.get("type")
    if kind == "Point":
        return {"type": "Point", "coordinates": _position(geometry.get("coordinates"))}
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": _polygon(geometry.get("coordinates"))}
    if kind is None:
        raise _invalid("Geometrin saknar type.", "The geometry has no type.")
    raise _invalid(f"Geometritypen {kind} stöds inte; rita en punkt (Point) eller en yta (Polygon).",
                   f"Geometry type {kind} is not supported; draw a point (Point) or an area (Polygon).")


def point(lat: float, lon: float) -> dict:
    """A GeoJSON point; note that GeoJSON puts longitude first. Check it with parse_geometry."""
    return {"type": "Point", "coordinates": [lon, lat]}


def centroid(geometry: dict) -> tuple[float, float]:
    """(lat, lon) of a parsed geometry: the point itself, or the area-weighted centre of the outer ring."""
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"]
        return lat, lon
    ring = geometry["coordinates"][0]
    # Plane geometry on degrees is good enough for a village green; measured from the first corner for precision.
    origin_lon, origin_lat = ring[0]
    points = [(lon - origin_lon, lat - origin_lat) for lon, lat in ring]
    area = lon_moment = lat_moment = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        cross = x1 * y2 - x2 * y1
        area += cross
        lon_moment += (x1 + x2) * cross
        lat_moment += (y1 + y2) * cross
    if area == 0:
        corners = ring[:-1]
        return (round(sum(lat for _, lat in corners) / len(corners), _DECIMALS),
                round(sum(lon for lon, _ in corners) / len(corners), _DECIMALS))
    return (round(origin_lat + lat_moment / (3 * area), _DECIMALS),
            round(origin_lon + lon_moment / (3 * area), _DECIMALS))


def _load(value: str | dict) -> Any:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise _invalid("Geometrin ska vara GeoJSON.", "The geometry must be GeoJSON.")
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        raise _invalid("Geometrin är inte giltig JSON.", "The geometry is not valid JSON.") from error


def _unwrap(data: Any) -> dict:
    # Drawing tools and GIS exports wrap the one shape a site has in a Feature or a FeatureCollection.
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise _invalid("Samlingen innehåller inget objekt; rita en punkt eller en yta.",
                           "The collection holds no feature; draw a point or an area.")
        if len(features) > 1:
            raise _invalid(f"Samlingen innehåller {len(features)} objekt; "
                           "ett skötselobjekt har en punkt eller en yta.",
                           f"The collection holds {len(features)} features; a site has one point or one area.")
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
        if data is None:
            raise _invalid("Objektet saknar geometri.", "The feature has no geometry.")
    if not isinstance(data, dict):
        raise _invalid("Geometrin ska vara ett GeoJSON-objekt med type och coordinates.",
                       "The geometry must be a GeoJSON object with type and coordinates.")
    return data


def _position(value: Any) -> Position:
    # A third number is an altitude from GPS or GIS exports; a site on a map does not need it.
    if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
        raise _invalid("En position ska skrivas [longitud, latitud].",
                       "A position must be written [longitude, latitude].")
    if not all(isinstance(number, (int, float)) and not isinstance(number, bool) for number in value):
        raise _invalid(f"Koordinaterna i {_text(value)} ska vara tal.",
                       f"The coordinates in {_text(value)} must be numbers.")
    if not all(math.isfinite(number) for number in value):
        raise _invalid(f"Koordinaterna i {_text(value)} ska vara ändliga tal.",
                       f"The coordinates in {_text(value)} must be finite numbers.")
    lon, lat = value[0], value[1]
    if not _in_sweden(lon, lat):
        hint_sv = hint_en = ""
        if _in_sweden(lat, lon):
            hint_sv = f" Har longitud och latitud bytt plats? GeoJSON skriver longitud först: [{lat}, {lon}]."
            hint_en = f" Are longitude and latitude swapped? GeoJSON puts longitude first: [{lat}, {lon}]."
        raise _invalid(f"Positionen [{lon}, {lat}] ligger utanför Sverige.{hint_sv}",
                       f"The position [{lon}, {lat}] is outside Sweden.{hint_en}")
    return [round(float(lon), _DECIMALS), round(float(lat), _DECIMALS)]


def _in_sweden(lon: float, lat: float) -> bool:
    return MIN_LON <= lon <= MAX_LON and MIN_LAT <= lat <= MAX_LAT


def _polygon(rings: Any) -> list[list[Position]]:
    if not isinstance(rings, list) or not rings or not all(isinstance(ring, list) for ring in rings):
        raise _invalid("En yta ska vara en lista med ringar av positioner.",
                       "An area must be a list of rings of positions.")
    if sum(map(len, rings)) > MAX_POSITIONS:
        raise _invalid(f"Ytan har för många hörn; högst {MAX_POSITIONS} går.",
                       f"The area has too many corners; at most {MAX_POSITIONS} are allowed.")
    return [_ring(ring, is_outer=index == 0) for index, ring in enumerate(rings)]


def _ring(raw: list, is_outer: bool) -> list[Position]:
    ring: list[Position] = []
    for position in map(_position, raw):
        # A double click in the drawing tool repeats a corner; the repeat adds nothing.
        if not ring or position != ring[-1]:
            ring.append(position)
    # Swedish agrees with the noun: "kanten är sluten" but "hålet är slutet".
    what_sv, closed_sv, itself_sv, it_sv = ("Ytans kant", "sluten", "själv", "den") if is_outer \
        else ("Ett hål i ytan", "slutet", "självt", "det")
    what_en = "The area's edge" if is_outer else "A hole in the area"
    if len(ring) < 2 or ring[0] != ring[-1]:
        raise _invalid(f"{what_sv} är inte {closed_sv}: första och sista positionen ska vara samma.",
                       f"{what_en} is not closed: the first and last position must be the same.")
    if len(ring) < 4 or len({tuple(position) for position in ring}) < 3:
        raise _invalid(f"{what_sv} behöver minst tre olika hörn.",
                       f"{what_en} needs at least three different corners.")
    if _crosses_itself(ring):
        raise _invalid(f"{what_sv} korsar sig {itself_sv}; rita om {it_sv} så att kanten inte korsar sig.",
                       f"{what_en} crosses itself; redraw it so that the edge does not cross.")
    return ring


def _crosses_itself(ring: list[Position]) -> bool:
    segments = list(zip(ring, ring[1:]))
    count = len(segments)
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                shared = segments[i][1] if j == i + 1 else segments[i][0]
                if _doubles_back(segments[i], segments[j], shared):
                    return True
            elif _segments_meet(*segments[i], *segments[j]):
                return True
    return False


def _doubles_back(first: tuple[Position, Position], second: tuple[Position, Position], shared: Position) -> bool:
    # Neighbouring edges always share a corner; they overlap only when they run the same way out of it.
    a = first[0] if first[1] == shared else first[1]
    b = second[1] if second[0] == shared else second[0]
    if _orientation(shared, a, b) != 0:
        return False
    return (a[0] - shared[0]) * (b[0] - shared[0]) + (a[1] - shared[1]) * (b[1] - shared[1]) > 0


def _segments_meet(p1: Position, p2: Position, q1: Position, q2: Position) -> bool:
    if max(p1[0], p2[0]) < min(q1[0], q2[0]) or max(q1[0], q2[0]) < min(p1[0], p2[0]) \
            or max(p1[1], p2[1]) < min(q1[1], q2[1]) or max(q1[1], q2[1]) < min(p1[1], p2[1]):
        return False
    o1, o2 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    o3, o4 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    if o1 != o2 and o3 != o4:
        return True
    # Touching or overlapping: an end point lies on the other segment's line, within its extent.
    return (o1 == 0 and _within_box(p1, p2, q1)) or (o2 == 0 and _within_box(p1, p2, q2)) \
        or (o3 == 0 and _within_box(q1, q2, p1)) or (o4 == 0 and _within_box(q1, q2, p2))


def _orientation(a: Position, b: Position, c: Position) -> int:
    value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (value > 0) - (value < 0)


def _within_box(a: Position, b: Position, p: Position) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _text(value: Any) -> str:
    return json.dumps(value, default=str)


def _invalid(message_sv: str, message_en: str) -> ValidationError:
    return ValidationError(message_sv, message_en, field="geometry")


# --- distances ----------------------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8


def distance_to_geometry_m(lat: float, lon: float, geometry: object, *, fallback: tuple[float, float]) -> float:
    """Metres from (lat, lon) to a site's GeoJSON: to its point, or 0 inside its polygon and else to the nearest
    edge; to `fallback` (lat, lon) when the geometry cannot be read."""
    geometry = geometry if isinstance(geometry, dict) else {}
    if geometry.get("type") == "Polygon":
        try:
            rings = [[(float(x), float(y)) for x, y, *_ in ring] for ring in geometry["coordinates"]]
        except (KeyError, TypeError, ValueError):
            rings = []
        if rings and all(len(ring) >= 4 for ring in rings):
            return _distance_to_polygon_m(lat, lon, rings)
    if geometry.get("type") == "Point":
        try:
            site_lon, site_lat = (float(value) for value in geometry["coordinates"][:2])
            return haversine_m(lat, lon, site_lat, site_lon)
        except (KeyError, TypeError, ValueError):
            pass
    return haversine_m(lat, lon, *fallback)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _distance_to_polygon_m(lat: float, lon: float, rings: list[list[tuple[float, float]]]) -> float:
    # Inside the outer ring and in no hole is on the site. Edges are measured on a flat map centred on the photo,
    # which is exact enough at the scale of a village (and "cirka" anyway further away).
    inside = _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:])
    if inside:
        return 0.0
    scale_x = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(lat))
    scale_y = math.radians(1) * EARTH_RADIUS_M

    def flat(position: tuple[float, float]) -> tuple[float, float]:
        return (position[0] - lon) * scale_x, (position[1] - lat) * scale_y

    return min(_distance_to_segment(flat(a), flat(b)) for ring in rings for a, b in zip(ring, ring[1:]))


def _in_ring(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _distance_to_segment(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance from the origin to the segment a–b in the plane."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length_squared = dx * dx + dy * dy
    t = 0.0 if length_squared == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length_squared))
    return math.hypot(ax + t * dx, ay + t * dy)


# Names and files
