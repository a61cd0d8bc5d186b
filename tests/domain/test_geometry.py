import json

import pytest

from skotsel.domain.errors import ValidationError
from skotsel.domain.geometry import MAX_POSITIONS, centroid, distance_to_geometry_m, parse_geometry, point

# Möckelns badplats, Älmhult (DOMAIN.md).
MOCKELN = [14.15356, 56.58061]
SQUARE = [[14.1, 56.5], [14.2, 56.5], [14.2, 56.6], [14.1, 56.6], [14.1, 56.5]]
HOLE = [[14.12, 56.52], [14.12, 56.58], [14.18, 56.58], [14.18, 56.52], [14.12, 56.52]]
SQUARE_POLYGON = {"type": "Polygon", "coordinates": [SQUARE]}


def _feature(geometry):
    return {"type": "Feature", "properties": {"name": "Badplats"}, "geometry": geometry}


ACCEPTED = [
    ("bare-point", {"type": "Point", "coordinates": MOCKELN}, {"type": "Point", "coordinates": MOCKELN}),
    ("json-text", json.dumps({"type": "Point", "coordinates": MOCKELN}), {"type": "Point", "coordinates": MOCKELN}),
    ("feature", _feature({"type": "Point", "coordinates": MOCKELN}), {"type": "Point", "coordinates": MOCKELN}),
    ("feature-collection-of-one", {"type": "FeatureCollection", "features": [_feature(SQUARE_POLYGON)]},
     SQUARE_POLYGON),
    ("whole-numbers-become-floats", {"type": "Point", "coordinates": [14, 56]},
     {"type": "Point", "coordinates": [14.0, 56.0]}),
    ("rounded-to-seven-decimals", {"type": "Point", "coordinates": [14.123456789, 56.987654321]},
     {"type": "Point", "coordinates": [14.1234568, 56.9876543]}),
    ("altitude-dropped", {"type": "Point", "coordinates": [14.15356, 56.58061, 142.0]},
     {"type": "Point", "coordinates": MOCKELN}),
    ("polygon", SQUARE_POLYGON, SQUARE_POLYGON),
    ("polygon-with-hole", {"type": "Polygon", "coordinates": [SQUARE, HOLE]},
     {"type": "Polygon", "coordinates": [SQUARE, HOLE]}),
    ("repeated-corner-dropped", {"type": "Polygon", "coordinates": [[*SQUARE[:2], SQUARE[1], *SQUARE[2:]]]},
     SQUARE_POLYGON),
    ("foreign-members-dropped", {"type": "Point", "coordinates": MOCKELN, "bbox": [0, 0, 1, 1], "crs": "x"},
     {"type": "Point", "coordinates": MOCKELN}),
    ("triangle", {"type": "Polygon", "coordinates": [[[14.1, 56.5], [14.2, 56.5], [14.1, 56.6], [14.1, 56.5]]]},
     {"type": "Polygon", "coordinates": [[[14.1, 56.5], [14.2, 56.5], [14.1, 56.6], [14.1, 56.5]]]}),
]


@pytest.mark.parametrize(("value", "normalised"), [row[1:] for row in ACCEPTED], ids=[row[0] for row in ACCEPTED])
def test_parse_geometry_returns_a_normalised_point_or_polygon(value, normalised):
    assert parse_geometry(value) == normalised


BOW_TIE = [[14.1, 56.5], [14.2, 56.6], [14.2, 56.5], [14.1, 56.6], [14.1, 56.5]]
FIGURE_EIGHT = [[14.1, 56.5], [14.2, 56.5], [14.15, 56.55], [14.2, 56.6], [14.1, 56.6], [14.15, 56.55],
                [14.1, 56.5]]
SPIKE = [[14.1, 56.5], [14.2, 56.5], [14.3, 56.5], [14.25, 56.5], [14.2, 56.6], [14.1, 56.5]]
FLAT = [[14.1, 56.5], [14.2, 56.5], [14.3, 56.5], [14.1, 56.5]]
TOO_MANY = [[14.1 + index * 1e-5, 56.5] for index in range(MAX_POSITIONS)] + [[14.1, 56.6], [14.1, 56.5]]

REFUSED = [
    ("not-json", "{'type': 'Point'", "Geometrin är inte giltig JSON."),
    ("not-an-object", "[14.1, 56.5]", "Geometrin ska vara ett GeoJSON-objekt med type och coordinates."),
    ("not-text-or-dict", 42, "Geometrin ska vara GeoJSON."),
    ("no-type", {"coordinates": MOCKELN}, "Geometrin saknar type."),
    ("line", {"type": "LineString", "coordinates": [MOCKELN, [14.2, 56.6]]},
     "Geometritypen LineString stöds inte; rita en punkt (Point) eller en yta (Polygon)."),
    ("multipolygon", {"type": "MultiPolygon", "coordinates": [[SQUARE]]},
     "Geometritypen MultiPolygon stöds inte; rita en punkt (Point) eller en yta (Polygon)."),
    ("empty-collection", {"type": "FeatureCollection", "features": []},
     "Samlingen innehåller inget objekt; rita en punkt eller en yta."),
    ("two-features", {"type": "FeatureCollection", "features": [_feature(SQUARE_POLYGON)] * 2},
     "Samlingen innehåller 2 objekt; ett skötselobjekt har en punkt eller en yta."),
    ("feature-without-geometry", _feature(None), "Objektet saknar geometri."),
    ("one-number", {"type": "Point", "coordinates": [14.1]}, "En position ska skrivas [longitud, latitud]."),
    ("no-coordinates", {"type": "Point"}, "En position ska skrivas [longitud, latitud]."),
    ("text-numbers", {"type": "Point", "coordinates": ["14.1", "56.5"]},
     'Koordinaterna i ["14.1", "56.5"] ska vara tal.'),
    ("booleans", {"type": "Point", "coordinates": [True, 56.5]}, "Koordinaterna i [true, 56.5] ska vara tal."),
    ("not-a-number", '{"type": "Point", "coordinates": [NaN, 56.5]}',
     "Koordinaterna i [NaN, 56.5] ska vara ändliga tal."),
    ("infinity", {"type": "Point", "coordinates": [14.1, float("inf")]},
     "Koordinaterna i [14.1, Infinity] ska vara ändliga tal."),
    ("null-island", {"type": "Point", "coordinates": [0, 0]}, "Positionen [0, 0] ligger utanför Sverige."),
    ("helsinki", {"type": "Point", "coordinates": [24.94, 60.17]},
     "Positionen [24.94, 60.17] ligger utanför Sverige."),
    ("swapped", {"type": "Point", "coordinates": [56.5, 14.1]},
     "Positionen [56.5, 14.1] ligger utanför Sverige. Har longitud och latitud bytt plats? "
     "GeoJSON skriver longitud först: [14.1, 56.5]."),
    ("swapped-corner", {"type": "Polygon", "coordinates": [[*SQUARE[:2], [56.6, 14.2], *SQUARE[3:]]]},
     "Positionen [56.6, 14.2] ligger utanför Sverige. Har longitud och latitud bytt plats? "
     "GeoJSON skriver longitud först: [14.2, 56.6]."),
    ("no-rings", {"type": "Polygon", "coordinates": []}, "En yta ska vara en lista med ringar av positioner."),
    ("ring-not-a-list", {"type": "Polygon", "coordinates": [MOCKELN]},
     "En position ska skrivas [longitud, latitud]."),
    ("unclosed", {"type": "Polygon", "coordinates": [SQUARE[:-1]]},
     "Ytans kant är inte sluten: första och sista positionen ska vara samma."),
    ("three-positions", {"type": "Polygon", "coordinates": [[*SQUARE[:2], SQUARE[0]]]},
     "Ytans kant behöver minst tre olika hörn."),
    ("two-distinct-corners", {"type": "Polygon", "coordinates": [[*SQUARE[:2], SQUARE[1], SQUARE[0]]]},
     "Ytans kant behöver minst tre olika hörn."),
    ("bow-tie", {"type": "Polygon", "coordinates": [BOW_TIE]},
     "Ytans kant korsar sig själv; rita om den så att kanten inte korsar sig."),
    ("figure-eight", {"type": "Polygon", "coordinates": [FIGURE_EIGHT]},
     "Ytans kant korsar sig själv; rita om den så att kanten inte korsar sig."),
    ("spike", {"type": "Polygon", "coordinates": [SPIKE]},
     "Ytans kant korsar sig själv; rita om den så att kanten inte korsar sig."),
    ("flat", {"type": "Polygon", "coordinates": [FLAT]},
     "Ytans kant korsar sig själv; rita om den så att kanten inte korsar sig."),
    ("hole-outside-sweden", {"type": "Polygon", "coordinates": [SQUARE, [[0, 0], [1, 0], [1, 1], [0, 0]]]},
     "Positionen [0, 0] ligger utanför Sverige."),
    ("hole-crossing-itself", {"type": "Polygon", "coordinates": [SQUARE, BOW_TIE]},
     "Ett hål i ytan korsar sig självt; rita om det så att kanten inte korsar sig."),
    ("hole-unclosed", {"type": "Polygon", "coordinates": [SQUARE, HOLE[:-1]]},
     "Ett hål i ytan är inte slutet: första och sista positionen ska vara samma."),
    ("too-many-corners", {"type": "Polygon", "coordinates": [TOO_MANY]},
     f"Ytan har för många hörn; högst {MAX_POSITIONS} går."),
]


@pytest.mark.parametrize(("value", "message"), [row[1:] for row in REFUSED], ids=[row[0] for row in REFUSED])
def test_parse_geometry_refuses_with_a_swedish_message(value, message):
    with pytest.raises(ValidationError) as caught:
        parse_geometry(value)

    assert (str(caught.value), caught.value.field) == (message, "geometry")


def test_parse_geometry_hints_at_swapped_coordinates_in_english_too():
    with pytest.raises(ValidationError) as caught:
        parse_geometry(point(14.1, 56.5))

    assert caught.value.message_en == ("The position [56.5, 14.1] is outside Sweden. Are longitude and latitude "
                                       "swapped? GeoJSON puts longitude first: [14.1, 56.5].")


def test_parse_geometry_accepts_what_it_returned():
    normalised = parse_geometry({"type": "Polygon", "coordinates": [SQUARE, HOLE]})

    assert parse_geometry(normalised) == normalised
    assert parse_geometry(json.dumps(normalised)) == normalised


def test_point_puts_longitude_first():
    assert point(56.58061, 14.15356) == {"type": "Point", "coordinates": [14.15356, 56.58061]}


# An L of two equal rectangles: the area-weighted centre (14.0075, 56.0125) differs from the corners' mean.
L_SHAPE = [[14.0, 56.0], [14.02, 56.0], [14.02, 56.01], [14.01, 56.01], [14.01, 56.03], [14.0, 56.03],
           [14.0, 56.0]]


@pytest.mark.parametrize(("geometry", "lat_lon"), [
    ({"type": "Point", "coordinates": MOCKELN}, (56.58061, 14.15356)),
    (SQUARE_POLYGON, (56.55, 14.15)),
    ({"type": "Polygon", "coordinates": [SQUARE, HOLE]}, (56.55, 14.15)),
    ({"type": "Polygon", "coordinates": [L_SHAPE]}, (56.0125, 14.0075)),
    ({"type": "Polygon", "coordinates": [L_SHAPE[::-1]]}, (56.0125, 14.0075)),
], ids=["point", "square", "square-with-hole-uses-outer-ring", "l-shape", "l-shape-clockwise"])
def test_centroid_is_the_point_or_the_area_weighted_centre_of_the_outer_ring(geometry, lat_lon):
    assert centroid(parse_geometry(geometry)) == lat_lon


@pytest.mark.parametrize(("lat", "lon", "metres"), [
    (56.5806, 14.1536, 0),  # inside the square
    (56.5806, 14.1600, 306),  # 0.005° of longitude east of it: 306 m at this latitude
])
def test_distance_to_a_polygon_is_zero_inside_and_to_the_nearest_edge_outside(lat, lon, metres):
    square = {"type": "Polygon", "coordinates": [[[14.15, 56.58], [14.155, 56.58], [14.155, 56.582],
                                                  [14.15, 56.582], [14.15, 56.58]]]}
    assert distance_to_geometry_m(lat, lon, square, fallback=(0, 0)) == pytest.approx(metres, abs=5)


def test_distance_to_a_point_is_the_great_circle_distance():
    mockeln = {"type": "Point", "coordinates": [14.15356, 56.58061]}
    # One hundredth of a degree of latitude is about 1.1 km anywhere.
    assert distance_to_geometry_m(56.59061, 14.15356, mockeln, fallback=(0, 0)) == pytest.approx(1112, abs=2)
    assert distance_to_geometry_m(56.59061, 14.15356, None, fallback=(56.58061, 14.15356)) == pytest.approx(1112, abs=2)
