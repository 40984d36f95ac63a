"""A run's HTML pages as one small site that opens the same anywhere, with no network.

Every page gets a real ``<title>``, a navigation bar between the run's pages and its index, a table
of contents of its headings and a link back to the index; long tables become sortable and
filterable, and short cells never wrap one character a line (a few lines of inline JavaScript);
the Chinese font is embedded: one subset of the bundled Noto Sans CJK SC (``viz.style.cjk_font_path``,
made with fontTools) holding every character the run's pages use, inlined as a data URI in each page
and in each map frame, so a page renders the same on a machine without Chinese fonts. Links to
web pages (a cited source, Leaflet's attribution) are kept as text without their scheme, and no
page loads anything from the network (``network_references`` lists what would; tests use it).

    finish_site(run_dir, pages, "临平区亩均效益评价报告")   # after the pages and index.html are written
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fontTools import subset
from fontTools.ttLib import TTFont

from helpers.core import paths
from helpers.viz.style import cjk_font_path

FONT_FAMILY = "MujunCJK"  # the embedded subset's family name in the pages' CSS
INDEX = "index.html"
LONG_TABLE_ROWS = 15  # tables with more body rows than this get a filter box

_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_HEADING = re.compile(r'<h([1-3]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_SRCDOC = re.compile(r'(<iframe[^>]*?\bsrcdoc=")([^"]*)(")', re.S)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_STYLE_BLOCK = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
_LINK = re.compile(r'<a\b[^>]*\bhref=(["\'])(https?://[^"\']*)\1[^>]*>(.*?)</a>', re.S | re.I)
_SCHEME = re.compile(r"\bhttps?://", re.I)
_SCRIPT_BLOCK = re.compile(r"(<script\b[^>]*>.*?</script>)", re.S | re.I)
# scripts and map frames; the tag and attribute names case-blind in ASCII as HTML's are: spelt as character
# classes (not re.I), the scan skips ahead to a "<", "s" or "S" at C speed (0.64 → 0.33 s over a sample report)
_OPAQUE = re.compile(
    r"(<[sS][cC][rR][iI][pP][tT]\b[^>]*>.*?</[sS][cC][rR][iI][pP][tT]>|[sS](?<!\w[sS])[rR][cC][dD][oO][cC]=\"[^\"]*\")", re.S
)
_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink")
# what would make a browser fetch from the network: an element's src/href, a CSS url() or @import
_NETWORK = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import\s+["']?(?:https?:)?//)""",
    re.I,
)


@dataclass(frozen=True)
class Page:
    """A page of the run: its file name and the short label the navigation shows."""

    file: str
    label: str


# the entities html.escape writes, and &nbsp;, each with its character; &amp; last, so that what it
# gives is not decoded again
_COMMON_ENTITIES = (
    ("&quot;", '"'),
    ("&#x27;", "'"),
    ("&#39;", "'"),
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&nbsp;", "\xa0"),
    ("&amp;", "&"),
)
# where html.unescape would look for a reference other than those (its own pattern starts at an "&"
# before any character but tab, newline, form feed, space, "<", "&" or ";"): "&&" in a script is not one
_OTHER_REFERENCE = re.compile(r"&(?!(?:quot|#x27|#39|lt|gt|nbsp|amp);)[^\t\n\f <&;]")


def unescape(text: str) -> str:
    """``html.unescape(text)``, the same string: where every ``&`` starts one of the common entities
    (``_COMMON_ENTITIES``) they are replaced in C, not by a Python call each (a map frame's document
    holds 150,000 ``&quot;``: 0.2 s of a report's finishing); any other text goes to ``html.unescape``."""
    if "&" not in text:
        return text
    if _OTHER_REFERENCE.search(text):
        return html.unescape(text)
    for entity, character in _COMMON_ENTITIES:
        if entity in text:
            text = text.replace(entity, character)
    return text


def visible_text(page_html: str) -> str:
    """Every character a page may draw: its HTML with data URIs left out, entities and JSON
    escapes decoded (map tooltips are JSON inside scripts)."""
    text = _DATA_URI.sub("", page_html) if "data:" in page_html else page_html
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\u" in text else text
    return unescape(unescape(text))  # a map frame's srcdoc is escaped twice


def characters(texts: list[str]) -> str:
    """The distinct characters of ``texts``, in code point order (a set of 6 million characters built
    in Python took 0.13 s; marked in an array of every code point, 0.05 s)."""
    seen = np.zeros(sys.maxunicode + 1, dtype=bool)
    for text in texts:
        seen[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")] = True
    return "".join(map(chr, np.flatnonzero(seen)))


FONT_CACHE = paths.CACHE_DIR / "font-subsets"


def font_subset(characters: str) -> bytes:
    """WOFF of the bundled CJK font reduced to ``characters`` (with its layout features, so
    punctuation and vertical forms keep their shapes). The same characters give the same bytes (the
    font's own timestamp and bounds are kept), so a subset is cached under ``.cache/font-subsets``
    by a hash of the font and the characters: re-running a report does not subset again (≈ 1.5 s)."""
    font_file = cjk_font_path()
    key = hashlib.sha256(
        f"{font_file.name}:{font_file.stat().st_size}:{SUBSET_VERSION}:".encode() + "".join(sorted(set(characters))).encode()
    ).hexdigest()[:32]
    cached = FONT_CACHE / f"{key}.woff"
    if cached.is_file():
        return cached.read_bytes()
    woff = _subset(font_file, characters)
    FONT_CACHE.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(woff)
    partial.replace(cached)  # atomic: two runs at once never read half a file
    return woff


SUBSET_VERSION = 1  # part of the cache key: change it when _subset's options change


def _subset(font_file: Path, characters: str) -> bytes:
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.name_IDs = ["*"]
    # bounds and timestamp as in the bundled font: recomputing them took a third of the time and
    # made every subset's bytes differ (a new timestamp)
    font = TTFont(font_file, recalcBBoxes=False, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def font_css(woff: bytes) -> str:
    """The ``@font-face`` of the embedded subset and the rules that put it first everywhere
    (JupyterLab's variables, tables, code), the system fonts after it."""
    data = base64.b64encode(woff).decode("ascii")
    stack = f'"{FONT_FAMILY}", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif'
    return (
        f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url(data:font/woff;base64,{data}) format("woff"); }}\n'
        f":root {{ --jp-content-font-family: {stack}; --jp-ui-font-family: {stack}; "
        f'--jp-code-font-family: monospace, "{FONT_FAMILY}"; }}\n'
        f"body, table, input, button, .leaflet-container {{ font-family: {stack}; }}\n"
        f'pre, code {{ font-family: monospace, "{FONT_FAMILY}"; }}\n'
    )


SITE_CSS = """
.site-nav { position: sticky; top: 0; z-index: 2000; background: #f4f6f8; border-bottom: 1px solid #c9d1d9;
  padding: .4rem 1rem; font-size: 14px; display: flex; flex-wrap: wrap; gap: .2rem 1.1rem; }
.site-nav a { color: #0b5cad; text-decoration: none; }
.site-nav a.current { color: #111; font-weight: bold; border-bottom: 2px solid #111; }
.site-toc { margin: 1rem auto; max-width: 1100px; padding: .5rem 1rem; border: 1px solid #d0d7de; background: #fafbfc;
  font-size: 14px; }
.site-toc summary { font-weight: bold; cursor: pointer; }
.site-toc ol { margin: .3rem 0 .2rem 1.2rem; padding: 0; columns: 2; }
.site-toc li.h3 { margin-left: 1.2rem; list-style: circle; }
.site-toc li.own-number { list-style: none; }
.site-back { margin: 2rem auto; max-width: 1100px; padding: 0 1rem; font-size: 14px; }
.table-filter { margin: .3rem 0; font-size: 13px; }
.table-filter input { font-size: 13px; padding: .15rem .4rem; width: 16rem; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable::after { content: " ⇅"; color: #999; font-size: 11px; }
.status-chip { display: inline-block; min-width: 4.5em; padding: .05rem .5rem; border-radius: .8rem; text-align: center;
  font-size: 13px; white-space: nowrap; }
.status-table th, .status-table td { text-align: left !important; vertical-align: top; }
.status-table td.num { text-align: right !important; }
@media print { .site-nav, .site-toc, .site-back, .table-filter { display: none; } th.sortable::after { content: ""; } }
"""

# Long tables: a filter box and sorting by a header click; every short cell kept on one line, a long one
# at least 7em wide.
SITE_JS = f"""
(function () {{
  function cellValue(td) {{
    var t = td.textContent.trim(), n = parseFloat(t.replace(/[,%\\s]/g, ''));
    return (t !== '' && !isNaN(n) && /^[-+\\u2212]?[\\d,.]+%?$/.test(t.replace(/\\s/g, ''))) ? n : t;
  }}
  document.querySelectorAll('table').forEach(function (table) {{
    table.querySelectorAll('td, th').forEach(function (c) {{
      if (c.textContent.trim().length <= 12) c.style.whiteSpace = 'nowrap';
      else c.style.minWidth = '7em';  // a long header or reason wraps, but never one character a line
    }});
    var body = table.tBodies[0];
    if (!body || body.rows.length <= {LONG_TABLE_ROWS} || !table.tHead) return;
    var box = document.createElement('div');
    box.className = 'table-filter';
    box.innerHTML = '筛选 filter: <input type="search" placeholder="输入任意文字 type to filter rows">';
    table.parentNode.insertBefore(box, table);
    var count = document.createElement('span');
    box.appendChild(count);
    var input = box.querySelector('input');
    function show() {{
      var q = input.value.trim().toLowerCase(), shown = 0;
      Array.prototype.forEach.call(body.rows, function (r) {{
        var ok = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
        r.style.display = ok ? '' : 'none';
        if (ok) shown++;
      }});
      count.textContent = ' ' + shown + ' / ' + body.rows.length + ' 行 rows';
    }}
    input.addEventListener('input', show);
    show();
    var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(heads, function (th, col) {{
      th.classList.add('sortable');
      th.addEventListener('click', function () {{
        var rows = Array.prototype.slice.call(body.rows), dir = th.dataset.dir === 'asc' ? -1 : 1;
        th.dataset.dir = dir === 1 ? 'asc' : 'desc';
        rows.sort(function (a, b) {{
          var x = a.cells[col] ? cellValue(a.cells[col]) : '', y = b.cells[col] ? cellValue(b.cells[col]) : '';
          if (typeof x === 'number' && typeof y === 'number') return dir * (x - y);
          return dir * String(x).localeCompare(String(y), 'zh');
        }});
        rows.forEach(function (r) {{ body.appendChild(r); }});
      }});
    }});
  }});
}})();
"""


def plain_links(page_html: str) -> str:
    """Links to web pages as their text and the address without its scheme (a reader can still
    look the source up; the page points the browser nowhere), any other address in the text
    likewise, and CSS comments (which cite web pages) dropped. Scripts are left as they are (an XML
    namespace such as the SVG one is an identifier the script needs, not an address), and so are map
    frames (``with_font_in_frames`` treats their documents on their own)."""

    def text(m: re.Match) -> str:
        label, address = m.group(3), _SCHEME.sub("", m.group(2))
        return label if _SCHEME.sub("", html.unescape(_TAG.sub("", label))) == address else f"{label} ({address})"

    # Each pattern runs only where the text holds what it needs (a page of a thousand portraits is
    # 100 MB of path data: Python's regular expressions took 8 s to find nothing in it).
    ascii_folded = page_html.encode("utf-8", "surrogatepass").lower()  # for the case-blind patterns
    opaque = b"<script" in ascii_folded or b"srcdoc=" in ascii_folded
    parts = _OPAQUE.split(page_html) if opaque else [page_html]
    for i in range(0, len(parts), 2):  # the parts between scripts and frames
        out = parts[i]
        if "://" in out:  # an address: the link's and the scheme's patterns both need it
            out = _LINK.sub(text, out)
        if "<style" in out:
            out = _STYLE_BLOCK.sub(lambda m: m.group(1) + _CSS_COMMENT.sub("", m.group(2)) + m.group(3), out)
        parts[i] = _SCHEME.sub("", out) if "://" in out else out
    return "".join(parts)


def network_references(page_html: str) -> list[str]:
    """What in ``page_html`` would make a browser fetch from the network or point it there: outside
    scripts, an element's ``src`` or ``href``, a CSS ``url()`` or ``@import`` with an http(s) or
    protocol-relative address; inside scripts, any http(s) address but XML namespaces. Map frames
    (``srcdoc``) are looked into. Each find with some context."""
    found = []
    for text in [page_html, *(html.unescape(m.group(2)) for m in _SRCDOC.finditer(page_html))]:
        parts = _SCRIPT_BLOCK.split(text)
        for i, part in enumerate(parts):
            if i % 2 == 0:
                found += [part[max(0, m.start() - 40) : m.end() + 60] for m in _NETWORK.finditer(part)]
            else:
                for ns in _NAMESPACES:
                    part = part.replace(ns, "")
                found += [part[max(0, m.start() - 40) : m.end() + 60] for m in _SCHEME.finditer(part)]
    return found


def headings(page_html: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of the page's h1–h3 headings, in order."""
    out = []
    for m in _HEADING.finditer(page_html):
        text = html.unescape(_TAG.sub("", m.group(3))).replace("¶", "").strip()
        out.append((int(m.group(1)), m.group(2), text))
    return out


def page_label(page_html: str, fallback: str) -> str:
    """The page's first h1 up to its first colon or slash: the navigation's label."""
    first = next((text for level, _, text in headings(page_html) if level == 1), fallback)
    label = re.split(r"[：:/]| (?=[A-Za-z])", first)[0].strip()
    return label or fallback


def nav_html(pages: list[Page], current: str) -> str:
    links = [(INDEX, "首页 Index")] + [(p.file, p.label) for p in pages]
    items = "".join(
        f'<a href="{html.escape(f)}"{" class=" + chr(34) + "current" + chr(34) if f == current else ""}>{html.escape(label)}</a>'
        for f, label in links
    )
    return f'<nav class="site-nav" aria-label="报告导航 report pages">{items}</nav>'


# a heading that numbers itself: "2. 宗地分类…", "10、…", "3.1 …" (not "1.5倍…", not "2023 年…")
OWN_NUMBER = re.compile(r"\d+(\.\d+)+\s+|\d+[.、]\s*(?!\d)")


def toc_html(page_html: str) -> str:
    """The page's contents: its h2 and h3 headings as a numbered list; a heading that carries its own
    number shows that number alone (the list's own would read "1. 2. 宗地分类…")."""
    entries = [(level, hid, text) for level, hid, text in headings(page_html) if level in (2, 3)]
    if not entries:
        return ""
    items = "".join(
        f'<li class="h{level}{" own-number" if OWN_NUMBER.match(text) else ""}">'
        f'<a href="#{html.escape(hid)}">{html.escape(text)}</a></li>'
        for level, hid, text in entries
    )
    return f'<details class="site-toc" open><summary>本页目录 Contents</summary><ol>{items}</ol></details>'


def with_font_in_frames(page_html: str, style: str) -> str:
    """Each map frame (``iframe srcdoc``) with the font's style last in its own head: a frame is a
    document of its own and sees none of the page's CSS, and Leaflet's stylesheet in that head sets
    ``.leaflet-container`` (the layer control, the legend) to Helvetica and Arial, which would win over
    a rule before it and draw every Chinese label as empty boxes where no Chinese system font is."""

    def add(m: re.Match) -> str:
        doc = plain_links(unescape(m.group(2)))
        rule = f"<style>{style}</style>"
        if "</head>" in doc:
            doc = doc.replace("</head>", rule + "</head>", 1)
        elif "<head>" in doc:
            doc = doc.replace("<head>", "<head>" + rule, 1)
        else:
            doc = rule + doc
        return m.group(1) + html.escape(doc, quote=True) + m.group(3)

    return _SRCDOC.sub(add, page_html) if "<iframe" in page_html else page_html


# folium's note for an untrusted notebook, under every map frame: meaningless on a page, and it is
# printed into the PDF's text and found by a search
_TRUST_NOTE = re.compile(
    r'<span style="color:#565656">Make this Notebook Trusted to load map: File (?:-&gt;|->) Trust Notebook</span>'
)


def own_parts(page_html: str, style: str, contents: bool = True) -> str:
    """What a page needs of the site that depends on nothing but the page: folium's trust note gone,
    the font's ``style`` in each map frame, links as text, the site's CSS after ``style``, its contents
    under its title (``contents``; the index lists the pages itself), the way back and the table
    script. The title and the navigation name the other pages: ``with_title_and_nav`` adds them."""
    out = _TRUST_NOTE.sub("", page_html) if "Make this Notebook Trusted" in page_html else page_html
    out = plain_links(with_font_in_frames(out, style))
    out = out.replace("</head>", f"<style>{style}{SITE_CSS}</style>\n</head>", 1)
    if contents:
        out = re.sub(r"(</h1>)", lambda m: m.group(1) + toc_html(out), out, count=1)
    back = f'<p class="site-back"><a href="#">↑ 回到页首 top</a> · <a href="{INDEX}">返回首页 back to the index</a></p>'
    return out.replace("</body>", f"{back}<script>{SITE_JS}</script></body>", 1)


def finish_page(page_html: str, title: str, pages: list[Page], current: str, style: str) -> str:
    """One page as part of the site: title, font, navigation, contents, back link, table script."""
    return with_title_and_nav(own_parts(page_html, style, contents=current != INDEX), title, pages, current)


def _title_tag(title: str) -> str:
    return f"<title>{html.escape(title)}</title>"


def with_title_and_nav(page_html: str, title: str, pages: list[Page], current: str) -> str:
    """``page_html`` with its ``<title>`` and the navigation bar at the top of its body."""
    out = _TITLE.sub(lambda m: _title_tag(title), page_html, count=1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav_html(pages, current), out, count=1)


FONT_PLACEHOLDER = "/*mujun-font*/"
_STAND_IN = "data:mujun/stand-in;base64,"  # + the URI's number: itself a data URI, that visible_text leaves out
_STOOD_IN = re.compile(re.escape(_STAND_IN) + r"(\d+)")


def without_data_uris(page_html: str) -> tuple[str, list[str]]:
    """``page_html`` with each data URI (the charts: half of a report's characters) replaced by a
    short stand-in, and the URIs in order, for ``with_data_uris`` to put back: finishing a page then
    scans half the text. A data URI holds no character that escaping or unescaping changes, and what
    follows it is never a letter or digit, so the stand-in (a data URI too) is treated as it is."""
    if "data:" not in page_html:
        return page_html, []
    uris: list[str] = []

    def stand_in(m: re.Match) -> str:
        uris.append(m.group(0))
        return f"{_STAND_IN}{len(uris) - 1}"

    return _DATA_URI.sub(stand_in, page_html), uris


def with_data_uris(text: str, uris: list[str]) -> str:
    """``text`` with the stand-ins of ``without_data_uris`` replaced by their URIs."""
    return _STOOD_IN.sub(lambda m: uris[int(m.group(1))], text) if uris else text


NOTE_SUFFIX = ".site.json"  # beside a prepared page: its label and characters (removed by finish_site)


def _note_path(page: Path) -> Path:
    return page.with_name(f".{page.name}{NOTE_SUFFIX}")


def _prepared(page_html: str, fallback_label: str, contents: bool) -> tuple[str, str, str]:
    """A page (its data URIs stood aside) with its own parts done; its label; its characters (the
    title's left for ``finish_site``, which sets it)."""
    done = own_parts(page_html, FONT_PLACEHOLDER, contents)
    untitled = _TITLE.sub("<title></title>", done, count=1)
    return done, page_label(page_html, fallback_label), characters([visible_text(untitled)])


def prepare_page(page: Path) -> None:
    """Do the own parts of the page at ``page`` (``own_parts``) where it was written, and note its label
    and characters beside it, for ``finish_site`` to add only the title, navigation and font. The
    runner's workers prepare each notebook's page as soon as it is rendered, while other notebooks
    still run: finishing a sample report's site after the last notebook took 0.53 s, most of it
    these parts (the site is the same, tests/test_site.py)."""
    text, uris = without_data_uris(page.read_text(encoding="utf-8"))
    done, label, chars = _prepared(text, page.stem, contents=page.name != INDEX)
    page.write_text(with_data_uris(done, uris), encoding="utf-8")
    note = {"label": label, "characters": chars, "bytes": page.stat().st_size}
    _note_path(page).write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")


def _taken_note(page: Path) -> dict | None:
    """The note ``prepare_page`` left beside ``page``, removed; None for a page not prepared."""
    note_file = _note_path(page)
    if not note_file.is_file():
        return None
    note = json.loads(note_file.read_text(encoding="utf-8"))
    note_file.unlink()
    if note["bytes"] != page.stat().st_size:
        raise RuntimeError(f"{page.name} changed after it was prepared for the site")
    return note


def finish_site(run_dir: Path, page_files: list[str], run_title: str) -> list[Page]:
    """Rewrite ``index.html`` and each page of ``page_files`` (names in ``run_dir``) as one site;
    the font subset is made once, from every character of every finished page (navigation and
    contents included). A page ``prepare_page`` prepared gets only its title, navigation and font."""
    texts: dict[str, str] = {}
    uris: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    chars: list[str] = []
    for f in [INDEX, *page_files]:
        page = run_dir / f
        if not page.is_file():
            continue
        note = _taken_note(page)
        if note is not None:
            texts[f], uris[f], labels[f] = page.read_text(encoding="utf-8"), [], note["label"]
            chars.append(note["characters"])
        else:
            text, uris[f] = without_data_uris(page.read_text(encoding="utf-8"))
            texts[f], labels[f], own_chars = _prepared(text, Path(f).stem, contents=f != INDEX)
            chars.append(own_chars)
    pages = [Page(f, labels[f]) for f in page_files if f in texts]
    finished = {}
    for f, text in texts.items():
        label = next((p.label for p in pages if p.file == f), "")
        title = run_title if f == INDEX else f"{label} · {run_title}"
        finished[f] = with_title_and_nav(text, title, pages, f)
        chars.append(visible_text(_title_tag(title) + nav_html(pages, f)))  # what with_title_and_nav added
    style = font_css(font_subset(characters(chars)))
    in_frames = html.escape(style, quote=True)  # a frame's document is an attribute value
    for f, text in finished.items():
        if "<iframe" in text:
            text = _SRCDOC.sub(lambda m: m.group(1) + m.group(2).replace(FONT_PLACEHOLDER, in_frames) + m.group(3), text)
        (run_dir / f).write_text(with_data_uris(text, uris[f]).replace(FONT_PLACEHOLDER, style), encoding="utf-8")
    return pages
