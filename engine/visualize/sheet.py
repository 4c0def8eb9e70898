"""Labelled contact sheets: many small pictures in one grid, each with its caption underneath."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..imageio import quantize

BACKGROUND = (24, 24, 24)
INK = (235, 235, 235)


def to_pil(picture: np.ndarray | Image.Image) -> Image.Image:
    """A float [0, 1] or uint8 H x W x 3 array, or a Pillow image, as an 8-bit RGB Pillow image."""
    if isinstance(picture, Image.Image):
        return picture.convert("RGB")
    if picture.dtype == np.uint8:
        return Image.fromarray(picture).convert("RGB")
    return Image.fromarray(quantize(picture, 8)).convert("RGB")


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: int) -> str:
    """Shorten ``text`` with an ellipsis until it fits ``width`` px."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def contact_sheet(pictures: Sequence[np.ndarray | Image.Image], captions: Sequence[str], *, cell: int = 160,
                  columns: int | None = None, title: str | None = None, lines: int = 1) -> Image.Image:
    """A grid of ``pictures`` scaled to ``cell`` px squares with ``captions`` (up to ``lines`` lines each)."""
    if len(pictures) != len(captions):
        raise ValueError(f"{len(pictures)} pictures but {len(captions)} captions")
    count = max(1, len(pictures))
    columns = columns or min(count, max(1, round(count ** 0.5 * 1.3)))
    rows = -(-count // columns)
    font_size = max(10, cell // 12)
    font = ImageFont.load_default(size=font_size)
    line_height = font_size + 3
    gap = 6
    top = line_height + 2 * gap if title else gap
    caption_height = lines * line_height + gap
    sheet = Image.new("RGB", (columns * (cell + gap) + gap, top + rows * (cell + caption_height + gap)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((gap, gap), _fit(draw, title, font, sheet.width - 2 * gap), fill=INK, font=font)
    for i, (picture, caption) in enumerate(zip(pictures, captions)):
        row, column = divmod(i, columns)
        x = gap + column * (cell + gap)
        y = top + row * (cell + caption_height + gap)
        image = to_pil(picture)
        image.thumbnail((cell, cell), Image.Resampling.LANCZOS)
        sheet.paste(image, (x + (cell - image.width) // 2, y + (cell - image.height) // 2))
        for j, line in enumerate(caption.split("\n")[:lines]):
            draw.text((x, y + cell + 2 + j * line_height), _fit(draw, line, font, cell), fill=INK, font=font)
    return sheet
