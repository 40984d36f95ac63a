"""Which coordinate system a parcel layer is really in, checked against where Linping is.

Chinese land data arrive in CGCS2000 geographic (EPSG:4490), WGS84 (4326), CGCS2000 3° Gauss-Kruger
CM 120E (4549, easting ≈ 5.2e5) or the same grid with the zone number in front of the easting
(4528, easting ≈ 4.05e7), and web-map data in GCJ-02, which has no EPSG code and sits a few hundred
metres off (about 430 m E, 270 m S here). ``place_layer`` takes a layer as read, infers or checks
its CRS from the coordinates' range, converts GCJ-02 when it is declared or detected, and returns
it in EPSG:4490 with notes of what it did. Thresholds are data (``data/reference/validation.yaml``).
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import prcoords
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError

from helpers.core.errors import Problem
from helpers.core.geography import load_boundary
from helpers.core.memory import collector_paused
from helpers.core.units import AREA_CRS, BOUNDARY_CRS, m2_to_mu

GCJ02_WORDS = {"gcj02", "gcj-02", "gcj", "mars", "火星坐标", "高德"}
CRS_NOTE = "坐标系 CRS"  # the prefix of the one note per layer saying which CRS was taken and why
# Older national grids still found in cadastral archives. PROJ has no public 7-parameter
# transformation from them to CGCS2000 for China (only a "ballpark" one: same latitude and
# longitude on another ellipsoid); the remaining offset is of the order of tens of metres.
OLD_DATUMS = {"Xian 1980": "西安80", "Beijing 1954": "北京54"}
OLD_DATUM_OFFSET = "数十米 tens of metres (no public 7-parameter set for this area; PROJ's ballpark transformation)"
WGS84_WORDS = {"wgs84", "none", "cgcs2000", "true"}
GCJ02_TEST_POINTS = 5000  # parcels sampled (seeded) to test for GCJ-02


def has_geometry(geoms: gpd.GeoSeries) -> np.ndarray:
    """True where a geometry is neither missing nor empty."""
    return ~(shapely.is_missing(geoms.array) | geoms.is_empty.to_numpy())


COORDINATE_CHUNK = 100_000  # geometries whose coordinates are taken at a time (not a million parcels' at once)


def finite_coordinates(geoms: gpd.GeoSeries) -> np.ndarray:
    """False where a geometry holds a NaN or infinite x or y (a broken export); True elsewhere,
    missing geometries included (they are reported as missing). Taken ``COORDINATE_CHUNK``
    geometries at a time; which geometry a coordinate belongs to is asked only of a chunk that holds
    a broken one (at a million parcels, none: 0.09 s instead of 0.16 s)."""
    array = np.asarray(geoms.array)
    out = np.ones(len(array), dtype=bool)
    for start in range(0, len(array), COORDINATE_CHUNK):
        chunk = array[start : start + COORDINATE_CHUNK]
        if np.isfinite(shapely.get_coordinates(chunk)).all():
            continue
        coords, which = shapely.get_coordinates(chunk, return_index=True)
        bad = ~np.isfinite(coords).all(axis=1)
        out[start + np.unique(which[bad])] = False
    return out


def guess_crs(bounds) -> str | None:
    """The CRS the coordinates' range points to, or "swapped" for northing-first projected data."""
    minx, miny, maxx, maxy = bounds
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return "EPSG:4490"
    northing = 2e6 <= miny and maxy <= 6e6
    if northing and 4.0e7 <= minx and maxx < 4.1e7:
        return "EPSG:4528"
    if northing and 2e5 <= minx and maxx <= 8e5:
        return "EPSG:4549"
    if 2e6 <= minx and maxx <= 6e6 and (4.0e7 <= miny and maxy < 4.1e7 or 2e5 <= miny and maxy <= 8e5):
        return "swapped"
    return None


@cache
def _district_m():
    return load_boundary().to_crs(AREA_CRS).geometry.union_all()


@cache
def _near_district_wkb(km: float) -> bytes:
    """Linping and the ``km`` around it (EPSG:4549), as WKB."""
    return shapely.to_wkb(_district_m().buffer(km * 1000))


def _near_district_m(km: float):
    """``_near_district_wkb`` as a geometry of this call's own, prepared for many point tests (a
    prepared geometry is not shared: GEOS's prepared geometries are not safe across threads, and
    layers are read in threads)."""
    area = shapely.from_wkb(_near_district_wkb(float(km)))
    shapely.prepare(area)
    return area


BOX_MARGIN_M = 100.0  # a transformed bounding box, widened so that its curved edges stay inside it


def share_near_district(geoms: gpd.GeoSeries, km: float) -> float:
    """Share of the geometries whose centroid lies within ``km`` of Linping. Centroids are taken in
    the layer's own CRS and only the points projected (for a parcel, a centroid taken in degrees
    lies well under a metre from the projected one: nothing to a test in kilometres). When the
    layer's bounding box, projected and widened by ``BOX_MARGIN_M``, lies within that distance
    whole, so does every centroid (a centroid lies in its geometry's box): 1.0 without a point
    taken (a million parcels are not each projected to learn that all of them are near)."""
    if not len(geoms):
        return 1.0
    area = _near_district_m(float(km))
    if geoms.crs is not None:
        try:
            box = shapely.box(*transform_bounds(geoms.crs, geoms.total_bounds)).buffer(BOX_MARGIN_M, join_style="mitre")
        except (ProjError, ValueError):  # a box PROJ cannot project: the points decide
            box = None
        if box is not None and shapely.contains(area, box):
            return 1.0
    centres = gpd.GeoSeries(shapely.centroid(np.asarray(geoms.array)), crs=geoms.crs).to_crs(AREA_CRS).array
    return float(shapely.contains_xy(area, shapely.get_x(centres), shapely.get_y(centres)).mean())


def transform_bounds(crs, bounds) -> tuple[float, float, float, float]:
    """The box (EPSG:4549) that holds the box ``bounds`` of ``crs`` once projected (PROJ samples
    each edge densely; ``BOX_MARGIN_M`` covers what bends between samples)."""
    from pyproj import Transformer

    minx, miny, maxx, maxy = (float(b) for b in bounds)
    return Transformer.from_crs(crs, AREA_CRS, always_xy=True).transform_bounds(minx, miny, maxx, maxy, densify_pts=101)


def _outside_share(geoms: gpd.GeoSeries) -> float:
    return 1.0 - share_near_district(geoms, 0.0)


def _gcj_to_wgs(xy: np.ndarray) -> np.ndarray:
    out = [prcoords.gcj_wgs_bored((lat, lon)) for lon, lat in xy]
    return np.array([(c.lon, c.lat) for c in out]).reshape(-1, 2)


def gcj02_to_wgs84(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """GCJ-02 lon/lat → WGS84 (prcoords' iterative inverse, about 1 m accurate)."""
    return gpd.GeoSeries(shapely.transform(geoms.to_crs(BOUNDARY_CRS).values, _gcj_to_wgs), index=geoms.index, crs=BOUNDARY_CRS)


def old_datum(crs: CRS) -> str | None:
    """ "Xian 1980" or "Beijing 1954" when ``crs`` is on one of the older national datums."""
    geodetic = crs.geodetic_crs
    name = f"{crs.datum.name if crs.datum else ''} {geodetic.name if geodetic else ''}"
    return next((d for d in OLD_DATUMS if d in name), None)


def own_grid_area_mu(geoms: gpd.GeoSeries) -> np.ndarray:
    """Each geometry's area (亩) in its own CRS: planar in a projected grid (exact for the surveyed
    figures), geodesic on the CRS's own ellipsoid for longitude/latitude."""
    from pyproj import Geod

    crs = CRS.from_user_input(geoms.crs)
    if crs.is_projected:
        m2 = shapely.area(np.asarray(geoms.array))
    else:
        ellipsoid = crs.ellipsoid
        assert ellipsoid is not None, "a geographic CRS has an ellipsoid"
        geod = Geod(a=ellipsoid.semi_major_metre, rf=ellipsoid.inverse_flattening)
        m2 = np.array([abs(geod.geometry_area_perimeter(g)[0]) if g is not None and not g.is_empty else np.nan for g in geoms])
    return m2_to_mu(m2)


def _describe(bounds) -> str:
    minx, miny, maxx, maxy = bounds
    return f"x {minx:,.4f} … {maxx:,.4f}, y {miny:,.4f} … {maxy:,.4f}"


@collector_paused()  # a layer transformed to EPSG:4490 (helpers.core.memory)
def place_layer(
    gdf: gpd.GeoDataFrame, label: str, settings: dict, declared_crs: str | None = None, declared_coordinates: str | None = None
) -> tuple[gpd.GeoDataFrame | None, list[str], list[Problem]]:
    """(layer in EPSG:4490 or None, notes, problems) for a layer as read from ``label``."""
    notes: list[str] = []
    valid = has_geometry(gdf.geometry) & finite_coordinates(gdf.geometry)  # broken ones are the check's to report
    if not valid.any():
        return None, notes, []  # empty geometries are reported by the geometry check
    bounds = gdf.geometry[valid].total_bounds
    guess = guess_crs(bounds)
    if guess == "swapped":
        return (
            None,
            notes,
            [
                Problem(
                    label,
                    f"the coordinates put the northing first ({_describe(bounds)})",
                    column="geometry",
                    expected="easting as x and northing as y; swap the two "
                    "columns (Chinese surveying writes X = northing, Y = easting)",
                )
            ],
        )
    crs = CRS.from_user_input(declared_crs) if declared_crs else gdf.crs
    source = "dataset.yaml `crs:`" if declared_crs else "the file (.prj or its own CRS)"
    if crs is None:
        if guess is None:
            return (
                None,
                notes,
                [
                    Problem(
                        label,
                        f"the layer has no CRS and its coordinates ({_describe(bounds)}) match none this project knows",
                        column="geometry",
                        expected="a .prj file, or `crs:` for the table in dataset.yaml (EPSG:4490, 4326, 4549 or 4528)",
                    )
                ],
            )
        crs = CRS.from_user_input(guess)
        source = "guessed from the coordinates' range (no .prj)"
        notes.append(f"{label}: no CRS given; {guess} inferred from the coordinates ({_describe(bounds)})")
    gdf = gdf.set_crs(crs, allow_override=True)
    km = settings["max_distance_km"]
    near = share_near_district(gdf.geometry[valid], km)
    if near < 0.5:
        hint = f"; the range looks like {guess}" if guess and CRS.from_user_input(guess) != crs else ""
        return (
            None,
            notes,
            [
                Problem(
                    label,
                    f"in {crs.to_string()} only {near:.0%} of the parcels lie within "
                    f"{km:g} km of Linping (coordinates {_describe(bounds)}){hint}",
                    column="geometry",
                    expected="parcels in Linping in the declared CRS: fix the .prj or set `crs:` "
                    "in dataset.yaml (a zone-prefixed easting such as 40 523 123 is EPSG:4528); "
                    "for a larger study area set `max_distance_km:` for the table there",
                )
            ],
        )
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    notes.append(f"{label}: {CRS_NOTE} {crs.name}" + (f" (EPSG:{epsg})" if epsg else "") + f", taken from {source}")
    old = old_datum(crs)
    own_area = own_grid_area_mu(gdf.geometry) if old else None
    out = gdf.copy() if crs == CRS.from_user_input(BOUNDARY_CRS) else gdf.to_crs(BOUNDARY_CRS)  # no identity transform
    if own_area is not None:
        out["geom_area_mu"] = own_area  # measured where the figures were surveyed, before any transformation
        notes.append(
            f"{label}: {CRS_NOTE} ⚠️ {OLD_DATUMS[old or '']}坐标系 {old}: areas measured in its own grid (exact); "
            f"positions placed in CGCS2000 with a remaining offset of {OLD_DATUM_OFFSET}. Maps of these parcels are "
            "good to that offset; the 亩均 figures do not depend on it"
        )
    word = str(declared_coordinates or "").strip().lower()
    if crs.is_geographic and word in GCJ02_WORDS:
        out = out.set_geometry(gcj02_to_wgs84(out.geometry))
        notes.append(f"{label}: coordinates declared GCJ-02, converted to WGS84/CGCS2000")
    elif crs.is_geographic and word not in WGS84_WORDS:
        tested = out.geometry[valid]
        if len(tested) > GCJ02_TEST_POINTS:  # the test needs a sample, not every parcel
            tested = tested.sample(GCJ02_TEST_POINTS, random_state=0)
        centres = tested.representative_point()  # of the sample only
        before = _outside_share(centres)
        if before >= settings["gcj02_min_outside_share"]:
            after = _outside_share(gcj02_to_wgs84(centres))
            if after <= before * settings["gcj02_max_outside_after"]:
                out.loc[valid, out.geometry.name] = gcj02_to_wgs84(out.geometry[valid]).values
                notes.append(
                    f"{label}: coordinates look like GCJ-02 ({before:.1%} of parcels outside Linping as "
                    f"read, {after:.1%} after conversion); converted to WGS84/CGCS2000. "
                    "Declare `coordinates: wgs84` in dataset.yaml if they are not"
                )
            elif looks_like_web_map(crs, source):
                notes.append(gcj02_caution(label))
        elif looks_like_web_map(crs, source):
            notes.append(gcj02_caution(label))
    return out, notes, []


def looks_like_web_map(crs: CRS, source: str) -> bool:
    """WGS84 longitude/latitude, declared or guessed: what a layer drawn on a Chinese web map (in
    GCJ-02, a few hundred metres off) also looks like. CGCS2000 and projected grids come from surveys."""
    return crs.is_geographic and (crs.to_epsg() == 4326 or crs.name.startswith("WGS 84") or source.startswith("guessed"))


def gcj02_caution(label: str) -> str:
    """The caution for a WGS84-looking layer whose parcels all sit in the district as read."""
    return (
        f"{label}: {CRS_NOTE} ⚠️ 可能为GCJ-02 could be GCJ-02: longitude/latitude taken as WGS84. If the outlines were "
        "drawn on Amap (高德) or another Chinese web map they are GCJ-02 and every parcel lies about 500 m off; the "
        "coordinates cannot tell when all parcels sit inside the district. Settle it in dataset.yaml: "
        "`tables: {parcels: {coordinates: gcj02}}` (converts) or `coordinates: wgs84` (they are WGS84)"
    )
