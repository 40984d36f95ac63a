"""A QGIS layer style (QML) for the evaluated parcels: filled by A–D class in the report's colours,
labelled with the class and the main user when zoomed in, with Chinese field aliases. Stored in
the GeoPackage's ``layer_styles`` table (``report.exports.style_gpkg``), QGIS opens the layer
coloured and labelled instead of grey.

The QML is written without a DOCTYPE (whose identifier is a web address): QGIS reads it as is.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from matplotlib.colors import to_rgb

from helpers.viz.style import CLASS_COLORS, UNRATED_COLOR

QGIS_VERSION = "3.28.0-Firenze"  # the long-term release the style was written against
LABEL_SCALE_DENOMINATOR = 10_000  # labels appear from 1:10,000 inwards: at district scale they would bury the parcels
LABEL_FONT = "Noto Sans CJK SC"


def _rgba(colour: str) -> str:
    r, g, b = (round(255 * c) for c in to_rgb(colour))
    return f"{r},{g},{b},255"


def _fill_symbol(name: str, colour: str) -> str:
    options = {
        "color": _rgba(colour),
        "outline_color": "80,80,80,255",
        "outline_style": "solid",
        "outline_width": "0.1",
        "outline_width_unit": "MM",
        "style": "solid",
    }
    body = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in options.items())
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" pass="0" locked="0"><Option type="Map">{body}</Option></layer></symbol>'
    )


def parcel_style_qml(aliases: dict[str, str], class_column: str = "class", label_column: str | None = "main_user_name") -> str:
    """The QML of the parcel layer: a categorised renderer on ``class_column`` (A–D, and 未参评 for an
    empty class), ``aliases`` {field: Chinese name}, labels "<class>类 <label_column>" from
    1:``LABEL_SCALE_DENOMINATOR``."""
    categories = [(k, f"{k}类", c) for k, c in CLASS_COLORS.items()] + [("", "未参评/闲置 not rated or idle", UNRATED_COLOR)]
    cats = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(value)} label={quoteattr(label)}/>'
        for i, (value, label, _) in enumerate(categories)
    )
    symbols = "".join(_fill_symbol(str(i), colour) for i, (_, _, colour) in enumerate(categories))
    field_aliases = "".join(
        f"<alias field={quoteattr(field)} index={quoteattr(str(i))} name={quoteattr(name)}/>"
        for i, (field, name) in enumerate(aliases.items())
    )
    label = ""
    if label_column:
        expression = f"concat(\"{class_column}\", '类 ', coalesce(\"{label_column}\", ''))"
        label = (
            '<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(expression)} isExpression="1" fontFamily={quoteattr(LABEL_FONT)} '
            'fontSize="8" fontSizeUnit="Point" textColor="37,37,37,255" textOpacity="1">'
            '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="1"/>'
            "</text-style>"
            '<placement placement="1" placementFlags="10" priority="5"/>'
            f'<rendering scaleVisibility="1" scaleMin="{LABEL_SCALE_DENOMINATOR}" scaleMax="0" obstacle="1" fontLimitPixelSize="0"/>'
            "</settings></labeling>"
        )
    return (
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling|Fields" labelsEnabled="{int(bool(label_column))}">'
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(class_column)} symbollevels="0" enableorderby="0" forceraster="0">'
        f"<categories>{cats}</categories><symbols>{symbols}</symbols></renderer-v2>"
        f"{label}<aliases>{field_aliases}</aliases>"
        "</qgis>"
    )


__all__ = ["LABEL_SCALE_DENOMINATOR", "parcel_style_qml"]
