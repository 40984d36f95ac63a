"""``helpers.viz``: Drawing: the house style, charts, static and interactive maps.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate``, ``helpers.plan``,
``helpers.policy``, ``helpers.progress`` — never a layer above it (tests/test_architecture.py).

Modules:

- ``style``          the CJK font, class colours, the footer tying a figure to the plan and to synthetic data,
                     the legibility checks (smallest text, legends on data) and level unit labels
- ``charts``         the project's chart types
- ``maps``           static maps on the real district boundary (EPSG:4549)
- ``rings``          polygon outlines as flat coordinate arrays, for drawing many polygons at once
- ``rasterise``      parcels as a class raster, for maps of more parcels than can be drawn one by one
- ``interactive``    offline folium/Leaflet parcel maps: views (class, clearance, hot spots), 街道 lines, search
- ``qgis_style``     the QGIS style (QML) of the parcel layer, stored in its GeoPackage
- ``svg_map``        small parcel maps as inline SVG, for the enterprise portraits
- ``text_metrics``   a font's height metrics for Agg text layout, found once per font, size and dpi
"""
