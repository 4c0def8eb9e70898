"""The microscope's static site: plain HTML and PNG files, no script, no network, for any browser.

``index.html`` lists the layers in network order, each with its first channels; a page per layer
shows all its painted channels as a grid; a page per channel shows its picture large, what it is,
what the network sees in it, and its neighbours in the layer.
"""
from __future__ import annotations

import re
from html import escape
from pathlib import Path

from ..files import publish, write_text
from .build import Channel, Layer

NEIGHBOURS = 6  # channels shown on either side on a channel's page
PREVIEW = 16  # channels of each layer on the index page

STYLE = """
body { background: #161616; color: #e8e8e8; font: 15px/1.4 system-ui, sans-serif; margin: 24px; }
a { color: #9cc7ff; text-decoration: none; } a:hover { text-decoration: underline; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; }
.meta { color: #a8a8a8; margin: 0 0 10px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(112px, 1fr)); gap: 8px; }
.grid a { display: block; text-align: center; color: #cfcfcf; font-size: 12px; }
.grid img, .strip img { width: 100%; display: block; border-radius: 3px; }
.channel { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
.channel > img { width: 448px; max-width: 100%; border-radius: 4px; }
table { border-collapse: collapse; } td { padding: 3px 12px 3px 0; vertical-align: top; }
td:first-child { color: #a8a8a8; }
.bar { background: #3d6fb0; height: 8px; border-radius: 2px; margin-top: 3px; }
.strip { display: grid; grid-template-columns: repeat(13, 1fr); gap: 6px; margin-top: 24px; max-width: 1100px; }
.strip a { font-size: 11px; text-align: center; color: #bcbcbc; }
.strip .here img { outline: 3px solid #ffd45a; }
nav { margin-bottom: 14px; color: #a8a8a8; }
"""


def _slug(layer: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", layer)


def _page(title: str, root: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="stylesheet" href="{root}style.css"></head>\n<body>\n{body}\n</body></html>\n')


def _thumb(channel: Channel, layer: Layer, href: str, src: str, extra: str = "") -> str:
    return (f'<a href="{href}"{extra} title="{escape(layer.name)} channel {channel.index}">'
            f'<img src="{src}" alt="{escape(layer.name)} channel {channel.index}" loading="lazy">{channel.index}</a>')


def _describe(layer: Layer) -> str:
    hint = f"; {escape(layer.hint)}" if layer.hint else ""
    return (f"{len(layer.painted)} of {layer.channels} channels shown; stride {layer.stride} (its positions are "
            f"{layer.stride} px apart in the picture){hint}")


def write_site(folder: Path, model: str, layers: list[Layer]) -> Path:
    """Write the site into ``folder`` (pictures copied in, so it can be moved or zipped); its index page."""
    folder.mkdir(exist_ok=True)
    write_text(folder / "style.css", STYLE.lstrip())
    sections = []
    for layer in layers:
        slug = _slug(layer.name)
        (folder / "img" / slug).mkdir(parents=True, exist_ok=True)
        (folder / slug).mkdir(exist_ok=True)
        for channel in layer.painted:
            publish(folder / "img" / slug / channel.picture.name, channel.picture.read_bytes())
        _layer_page(folder, model, layer, slug)
        for position in range(len(layer.painted)):
            _channel_page(folder, model, layer, slug, position)
        thumbs = "".join(_thumb(c, layer, f"{slug}/{c.index}.html", f"img/{slug}/{c.picture.name}")
                         for c in layer.painted[:PREVIEW])
        sections.append(f'<h2><a href="{slug}.html">{escape(layer.name)}</a></h2>'
                        f'<p class="meta">{_describe(layer)}</p><div class="grid">{thumbs}</div>')
    body = (f"<h1>{escape(model)}: what each channel responds to</h1>"
            f'<p class="meta">Layers in network order, from edges and textures to parts of objects. Each picture '
            f"is painted from noise to excite one channel as strongly as possible.</p>{''.join(sections)}")
    index = folder / "index.html"
    write_text(index, _page(f"{model} microscope", "", body))
    return index


def _layer_page(folder: Path, model: str, layer: Layer, slug: str) -> None:
    thumbs = "".join(_thumb(c, layer, f"{slug}/{c.index}.html", f"img/{slug}/{c.picture.name}") for c in layer.painted)
    body = (f'<nav><a href="index.html">{escape(model)}</a> › {escape(layer.name)}</nav>'
            f"<h1>{escape(layer.name)}</h1><p class=\"meta\">{_describe(layer)}</p><div class=\"grid\">{thumbs}</div>")
    write_text(folder / f"{slug}.html", _page(f"{model} {layer.name}", "", body))


def _channel_page(folder: Path, model: str, layer: Layer, slug: str, position: int) -> None:
    channel = layer.painted[position]
    near = layer.painted[max(0, position - NEIGHBOURS):position + NEIGHBOURS + 1]
    strip = "".join(_thumb(c, layer, f"{c.index}.html", f"../img/{slug}/{c.picture.name}",
                           ' class="here"' if c is channel else "") for c in near)
    classes = "".join(f"<div>{escape(label)} {p:.1%}<div class=\"bar\" style=\"width:{max(2, round(240 * p))}px\">"
                      f"</div></div>" for label, p in channel.classes)
    previous = (f'<a href="{layer.painted[position - 1].index}.html">‹ channel {layer.painted[position - 1].index}</a>'
                if position else "")
    following = (f'<a href="{layer.painted[position + 1].index}.html">channel {layer.painted[position + 1].index} ›</a>'
                 if position + 1 < len(layer.painted) else "")
    body = (f'<nav><a href="../index.html">{escape(model)}</a> › <a href="../{slug}.html">{escape(layer.name)}</a> › '
            f"channel {channel.index} &nbsp; {previous} &nbsp; {following}</nav>"
            f'<div class="channel"><img src="../img/{slug}/{channel.picture.name}" '
            f'alt="{escape(layer.name)} channel {channel.index}"><table>'
            f"<tr><td>model</td><td>{escape(model)}</td></tr>"
            f"<tr><td>layer</td><td>{escape(layer.name)}{' — ' + escape(layer.hint) if layer.hint else ''}</td></tr>"
            f"<tr><td>channel</td><td>{channel.index} of {layer.channels} (0–{layer.channels - 1})</td></tr>"
            f"<tr><td>stride</td><td>{layer.stride}: positions {layer.stride} px apart in the picture</td></tr>"
            f"<tr><td>the network sees</td><td>{classes}</td></tr></table></div>"
            f'<div class="strip">{strip}</div>')
    write_text(folder / slug / f"{channel.index}.html", _page(f"{layer.name} channel {channel.index}", "../", body))
