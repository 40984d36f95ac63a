"""Static maps on the real district boundary, drawn in EPSG:4549 (metres) so that the scale bar
is true. Parcels are coloured by evaluation class; the indicative 街道 zones are dashed and say
they are not official; the boundary's credit is printed on the map."""

from __future__ import annotations

import warnings

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.collections import Collection, PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path

from helpers.core.geography import BOUNDARY_CREDITS, SYNTHETIC_ZONES_NOTE
from helpers.core.units import AREA_CRS
from helpers.viz.rasterise import RASTER_ABOVE, class_grid
from helpers.viz.rings import polygon_rings
from helpers.viz.style import CLASS_COLORS, UNRATED_COLOR, finish, without_idle_redraws

UNRATED_LABEL = "未参评/闲置 not rated or idle"
CLEARANCE_LABEL = "出清线以下 below the clearance line"
FADED_ALPHA = 0.3  # parcels that are not marked, when a map marks some
MARK_EDGE, MARK_EDGE_WIDTH = "#252525", 0.3  # hairline: thicker outlines blot parcels of a few pixels
COMPOUND_ABOVE = 20_000  # polygons drawn in one call: geopandas' patch per polygon up to this, one path above


def _ring_codes(ring_starts: np.ndarray, n_coords: int) -> np.ndarray:
    """matplotlib path codes for rings laid end to end (``viz.rings``): each ring a move, its segments,
    a close, as ``Path(ring, closed=True)`` codes one ring."""
    first, end = ring_starts[:-1], ring_starts[1:]
    drawn = end > first  # every ring that has a coordinate
    codes = np.full(n_coords, Path.LINETO, dtype=Path.code_type)
    codes[first[drawn]] = Path.MOVETO
    codes[end[drawn] - 1] = Path.CLOSEPOLY
    return codes


def polygons_path(geoms) -> Path:
    """Every ring of the (multi)polygons ``geoms`` as one compound matplotlib path: each ring a
    move, its segments, a close. Built from the rings' coordinate arrays (``viz.rings``), not a
    patch per polygon."""
    coords, ring_starts, _ = polygon_rings(geoms)
    return Path(coords, _ring_codes(ring_starts, len(coords)))


def polygon_paths(geoms) -> list[Path]:
    """One compound path per (multi)polygon of ``geoms``, its rings in order: the paths geopandas
    gives a ``PatchCollection`` (one ``PathPatch`` per geometry), made from the rings' coordinate
    arrays without a patch each."""
    coords, ring_starts, geometry_rings = polygon_rings(geoms)
    codes = _ring_codes(ring_starts, len(coords))
    bounds = ring_starts[geometry_rings]
    return [Path(coords[a:b], codes[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _drawn_as_geopandas_draws(layer: gpd.GeoDataFrame) -> bool:
    """Every geometry of ``layer`` a non-empty polygon or multipolygon: the layers ``draw_polygons``
    draws itself; anything else (a line, a point, a collection, an empty or missing geometry) is
    left to geopandas."""
    geoms = layer.geometry.array
    kinds = shapely.get_type_id(geoms)
    polygonal = (kinds == shapely.GeometryType.POLYGON) | (kinds == shapely.GeometryType.MULTIPOLYGON)
    return bool(polygonal.all() and not shapely.is_empty(geoms).any())


def _axis_labels_as_geopandas(ax, crs) -> None:
    """The axis labels geopandas' ``plot`` gives an axes without labels: the CRS's axis names and
    units, easting first (a map with its axes off shows none, but they count in a tight crop)."""
    x_label, y_label = "x", "y"
    if crs:
        x_label, y_label = (f"{a.name} [{a.unit_name}]" for a in crs.axis_info[:2])
        if crs.axis_info[0].direction == "north":
            x_label, y_label = y_label, x_label
    if ax.get_xlabel() == "":
        ax.set_xlabel(x_label, fontsize="small")
    if ax.get_ylabel() == "":
        ax.set_ylabel(y_label, fontsize="small")


def draw_polygons(
    ax, layer: gpd.GeoDataFrame, color=None, facecolor=None, edgecolor=None, lw: float = 0, of: int | None = None, **style
) -> None:
    """``layer.plot(ax=ax, ...)`` for a polygon layer, with geopandas' meaning of ``color`` (face and
    edge). When the map draws more than ``COMPOUND_ABOVE`` polygons (``of``: how many it draws in
    all, over its calls; default this layer's) the layer is drawn as one compound path (one patch
    instead of one per polygon: a fraction of a second instead of tens of seconds at 100,000
    parcels; the same fill, the same edges). Otherwise it is drawn as geopandas draws it — the
    geometries normalised, one path each in a ``PatchCollection`` with geopandas' arguments, the
    aspect equal in a projected CRS, its axis labels — with the paths made from coordinate arrays
    instead of a ``PathPatch`` per polygon, which cost 0.1 ms each (the same pixels,
    tests/test_plotting.py)."""
    face = color if color is not None else facecolor
    if (len(layer) if of is None else of) > COMPOUND_ABOVE:
        edge = color if color is not None else (edgecolor if edgecolor is not None else face)
        path = polygons_path(layer.geometry.array)
        # add_artist, not add_patch: add_patch finds the data limits segment by segment in Python
        ax.add_artist(PathPatch(path, facecolor=face, edgecolor=edge, linewidth=lw, **style))
        if len(layer):
            minx, miny, maxx, maxy = shapely.total_bounds(layer.geometry.array)
            ax.update_datalim([(minx, miny), (maxx, maxy)])
        ax.autoscale_view()
        return
    # geopandas takes ``color`` as the face colour, with no edge colour of its own
    edge = {} if color is not None else {"edgecolor": edgecolor}
    geographic = layer.crs is not None and layer.crs.is_geographic
    if geographic or not len(layer) or not _drawn_as_geopandas_draws(layer):
        layer.plot(ax=ax, lw=lw, **({"color": color} if color is not None else {"facecolor": facecolor}), **edge, **style)
        return
    _axis_labels_as_geopandas(ax, layer.crs)
    ax.set_aspect("equal")  # geopandas' aspect in a projected CRS
    collection = PatchCollection([], facecolor=face, lw=lw, **edge, **style)
    Collection.set_paths(collection, polygon_paths(shapely.normalize(layer.geometry.array)))  # paths, not patches
    ax.add_collection(collection, autolim=True)
    ax.autoscale_view()


def nice_length(span_m: float) -> float:
    """A round scale-bar length of about a fifth of the map width."""
    target = span_m / 5
    for step in (100, 200, 500, 1000, 2000, 5000, 10000, 20000):
        if step >= target:
            return float(step)
    return 50000.0


def add_scale_bar(ax, length_m: float | None = None) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = length_m or nice_length(x1 - x0)
    bx, by, h = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0), 0.012 * (y1 - y0)
    half = length / 2
    ax.add_patch(Rectangle((bx, by), half, h, facecolor="black", edgecolor="black", lw=0.6, zorder=5))
    ax.add_patch(Rectangle((bx + half, by), half, h, facecolor="white", edgecolor="black", lw=0.6, zorder=5))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + 1.6 * h, label, ha="center", va="bottom", fontsize=8, zorder=5)


def add_north_arrow(ax) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        arrowprops=dict(facecolor="black", width=3, headwidth=9, headlength=9),
    )


HOTSPOT_COLORS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", 0: "#f0f0f0", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}


def base_map(boundary: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None, label_zones: bool = True):
    """Figure with the district boundary and the dashed synthetic 街道 zones, in EPSG:4549."""
    fig, ax = plt.subplots(figsize=(10, 8))
    without_idle_redraws(fig)
    boundary.to_crs(AREA_CRS).plot(ax=ax, facecolor="#f7f7f7", edgecolor="#252525", lw=1.2, zorder=1)
    if zones is not None:
        z = zones.to_crs(AREA_CRS)
        z.boundary.plot(ax=ax, color="#737373", lw=0.7, ls="--", zorder=2)
        if label_zones:
            label_streets(ax, z)
    return fig, ax


def label_streets(ax, zones_m: gpd.GeoDataFrame) -> None:
    for row in zones_m.itertuples():
        pt = row.geometry.representative_point()
        ax.text(
            pt.x,
            pt.y,
            f"{row.street_name}\n(示意分区)",
            ha="center",
            va="center",
            fontsize=8,
            color="#252525",
            zorder=6,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
        )


def finish_map(
    fig, ax, handles, title: str, plan_ref: str, synthetic: bool, boundary_source: str, extra_source: str | None = None
) -> None:
    """Legend outside the map, scale bar, north arrow, credits."""
    handles = list(handles) + [Line2D([], [], color="#737373", ls="--", label="街道分区（示意）indicative zones")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 0.6), fontsize=8, frameon=False)
    ax.set_axis_off()
    ax.set_aspect("equal")
    add_scale_bar(ax)
    add_north_arrow(ax)
    source = f"{BOUNDARY_CREDITS[boundary_source]}；{SYNTHETIC_ZONES_NOTE}；投影 EPSG:4549"
    if extra_source:
        source = f"{extra_source}；{source}"
    finish(fig, title, plan_ref, synthetic, source=source)


def class_map(
    parcels: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    title: str,
    plan_ref: str,
    synthetic: bool,
    boundary_source: str = "tianditu",
    class_column: str = "class",
    highlight: pd.Series | None = None,
    raster_above: int = RASTER_ABOVE,
    highlight_label: str = CLEARANCE_LABEL,
):
    """Parcels by A/B/C/D class on the district boundary, with the synthetic 街道 zones; parcels
    in ``highlight`` (a boolean Series, named ``highlight_label`` in the legend) are drawn in full
    colour with a hairline edge and the others faded. Above ``raster_above`` parcels the
    classes are drawn as a grid (``helpers.viz.rasterise``) and the map says so."""
    fig, ax = base_map(boundary, zones)
    handles = [Patch(facecolor=c, label=f"{k}类") for k, c in CLASS_COLORS.items()]
    handles.append(Patch(facecolor=UNRATED_COLOR, label=UNRATED_LABEL))
    if len(parcels) > raster_above:
        grid = class_grid(parcels, AREA_CRS, class_column)
        ax.imshow(grid.rgba(), extent=grid.extent, origin="upper", interpolation="nearest", zorder=3)
        ax.text(
            0.0,
            -0.02,
            grid.caption()
            + (
                "；出清线标注仅在逐宗地图中显示 / clearance-line outlines only on parcel-by-parcel maps"
                if highlight is not None
                else ""
            ),
            transform=ax.transAxes,
            fontsize=7,
            va="top",
            wrap=True,
        )
        finish_map(fig, ax, handles, title, plan_ref, synthetic, boundary_source)
        return fig
    p = parcels.to_crs(AREA_CRS)
    cls = p[class_column].astype("string")
    marked = highlight.to_numpy(dtype=bool) if highlight is not None and highlight.any() else None
    for c, color in [(None, UNRATED_COLOR), *CLASS_COLORS.items()]:
        sel = cls.isna().to_numpy() if c is None else (cls == c).fillna(False).to_numpy()
        if marked is None:
            if sel.any():
                draw_polygons(ax, p[sel], color=color, zorder=3 if c is None else 4, of=len(p))
            continue
        # marked parcels in full colour with a hairline edge, the others faded: a small parcel keeps
        # its colour at district scale instead of vanishing under a thick outline
        if (sel & ~marked).any():
            draw_polygons(ax, p[sel & ~marked], color=color, alpha=FADED_ALPHA, zorder=3, of=len(p))
        if (sel & marked).any():
            draw_polygons(ax, p[sel & marked], facecolor=color, edgecolor=MARK_EDGE, lw=MARK_EDGE_WIDTH, zorder=4, of=len(p))
    if marked is not None:
        handles.append(Patch(facecolor="#d6d6d6", edgecolor=MARK_EDGE, lw=MARK_EDGE_WIDTH, label=f"{highlight_label}（实色）"))
        handles.append(Patch(facecolor="#d6d6d6", alpha=FADED_ALPHA, label="其余宗地（淡色）other parcels (faded)"))
    finish_map(fig, ax, handles, title, plan_ref, synthetic, boundary_source)
    return fig


def hotspot_map(
    parcels: gpd.GeoDataFrame,
    bins: pd.Series,
    boundary: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    title: str,
    plan_ref: str,
    synthetic: bool,
    boundary_source: str = "tianditu",
    method_note: str = "",
):
    """Parcels coloured by Gi* confidence bin (hot 99/95/90 %, not significant, cold 90/95/99 %)."""
    from helpers.evaluate.hotspots import BIN_LABELS

    fig, ax = base_map(boundary, zones)
    p = parcels.to_crs(AREA_CRS)
    for b, color in HOTSPOT_COLORS.items():
        sel = (bins == b).to_numpy()
        if sel.any():
            draw_polygons(ax, p[sel], color=color, zorder=3 if b == 0 else 4, of=len(p))
    handles = [Patch(facecolor=HOTSPOT_COLORS[b], label=BIN_LABELS[b]) for b in sorted(HOTSPOT_COLORS, reverse=True)]
    finish_map(fig, ax, handles, title, plan_ref, synthetic, boundary_source, method_note)
    return fig


def choropleth_map(
    zones: gpd.GeoDataFrame,
    column: str,
    boundary: gpd.GeoDataFrame,
    title: str,
    legend_title: str,
    plan_ref: str,
    synthetic: bool,
    scheme: str = "FisherJenks",
    k: int = 4,
    cmap: str = "OrRd",
    boundary_source: str = "tianditu",
    fmt: str = "{:.1f}",
):
    """街道 zones shaded by ``column`` with a mapclassify scheme; the legend shows the classes."""
    fig, ax = base_map(boundary, None)
    z = zones.to_crs(AREA_CRS)
    k = min(k, z[column].nunique())
    with warnings.catch_warnings():
        # mapclassify's pure-Python Fisher-Jenks is fine for a handful of zones; numba is not needed
        warnings.filterwarnings("ignore", message="Numba not installed")
        z.plot(
            ax=ax,
            column=column,
            scheme=scheme,
            k=k,
            cmap=cmap,
            edgecolor="#525252",
            lw=0.7,
            zorder=2,
            legend=True,
            legend_kwds={
                "loc": "upper left",
                "bbox_to_anchor": (1.0, 0.95),
                "fontsize": 8,
                "title": f"{legend_title}\n({scheme}, k={k})",
                "title_fontsize": 8,
                "fmt": fmt,
                "frameon": False,
            },
        )
    label_streets(ax, z)
    for row in z.itertuples():
        pt = row.geometry.representative_point()
        ax.text(
            pt.x,
            pt.y - 900,
            fmt.format(getattr(row, column)),
            ha="center",
            va="top",
            fontsize=8,
            zorder=6,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
        )
    ax.set_axis_off()
    ax.set_aspect("equal")
    add_scale_bar(ax)
    add_north_arrow(ax)
    finish(
        fig,
        title,
        plan_ref,
        synthetic,
        source=f"{BOUNDARY_CREDITS[boundary_source]}；{SYNTHETIC_ZONES_NOTE}；分级 mapclassify {scheme}",
    )
    return fig


def street_class_maps(
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    title: str,
    plan_ref: str,
    synthetic: bool,
    boundary_source: str = "tianditu",
    class_column: str = "class",
):
    """One small map per 街道 (synthetic zone), parcels by class, each with its own scale bar."""
    z = zones.to_crs(AREA_CRS).reset_index(drop=True)
    p = parcels.to_crs(AREA_CRS)
    ncols = min(4, len(z))
    nrows = -(-len(z) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.4 * nrows), squeeze=False)
    without_idle_redraws(fig)
    cls = p[class_column].astype("string")
    for ax, zone in zip(axes.flat, z.itertuples()):
        gpd.GeoSeries([zone.geometry], crs=AREA_CRS).plot(ax=ax, facecolor="#f7f7f7", edgecolor="#737373", lw=0.8, ls="--")
        mine = (p["street_code"] == zone.street_code).to_numpy()
        for c, color in [*CLASS_COLORS.items(), (None, UNRATED_COLOR)]:
            sel = mine & ((cls == c).fillna(False).to_numpy() if c else cls.isna().to_numpy())
            if sel.any():
                draw_polygons(ax, p[sel], color=color, of=len(p))
        ax.set_title(f"{zone.street_name}（示意分区）", fontsize=9)
        ax.set_axis_off()
        ax.set_aspect("equal")
        add_scale_bar(ax)
    for ax in axes.flat[len(z) :]:
        ax.set_axis_off()
    add_north_arrow(axes.flat[0])
    handles = [Patch(facecolor=c, label=f"{k}类") for k, c in CLASS_COLORS.items()]
    handles.append(Patch(facecolor=UNRATED_COLOR, label=UNRATED_LABEL))
    fig.legend(handles=handles, loc="upper right", ncol=5, fontsize=8, frameon=False, bbox_to_anchor=(1.0, 0.97))
    finish(fig, title, plan_ref, synthetic, source=f"{BOUNDARY_CREDITS[boundary_source]}；{SYNTHETIC_ZONES_NOTE}；投影 EPSG:4549")
    return fig


def parks_map(
    parks: gpd.GeoDataFrame,
    stars: pd.Series,
    parcels: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    title: str,
    plan_ref: str,
    synthetic: bool,
    boundary_source: str = "tianditu",
):
    """Small-enterprise parks shaded by star rating over the parcels (grey)."""
    fig, ax = base_map(boundary, zones, label_zones=False)
    draw_polygons(ax, parcels.to_crs(AREA_CRS), color="#d9d9d9", zorder=2)
    z = parks.to_crs(AREA_CRS).assign(stars=stars.to_numpy())
    palette = {1: "#fee5d9", 2: "#fcae91", 3: "#fb6a4a", 4: "#de2d26", 5: "#a50f15"}
    for s, color in palette.items():
        sel = (z["stars"] == s).to_numpy()
        if sel.any():
            z[sel].plot(ax=ax, facecolor=color, edgecolor="#252525", lw=0.8, alpha=0.85, zorder=4)
    for row in z.itertuples():
        pt = row.geometry.representative_point()
        ax.text(
            pt.x,
            pt.y,
            f"{row.park_id}\n{int(row.stars)}★",
            ha="center",
            va="center",
            fontsize=7,
            zorder=6,
            path_effects=[patheffects.withStroke(linewidth=2, foreground="white")],
        )
    handles = [Patch(facecolor=c, edgecolor="#252525", label=f"{s}星级") for s, c in palette.items()]
    minx, miny, maxx, maxy = z.total_bounds  # zoom to the parks: they are small at district scale
    ax.set_xlim(minx - 1500, maxx + 1500)
    ax.set_ylim(miny - 1500, maxy + 1500)
    finish_map(fig, ax, handles, title, plan_ref, synthetic, boundary_source)
    return fig
