"""How a classifier wants its pictures, named: a user says "inception", not its mean and deviation."""
from __future__ import annotations

import re

from .errors import DreamError

# name -> (mean, std, bgr) for a picture in [0, 1]
PREPROCESS: dict[str, tuple[tuple[float, ...], tuple[float, ...], bool]] = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), False),  # torchvision's models
    "inception": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5), False),  # x / 127.5 - 1: TensorFlow's MobileNets, Inception
    "unit": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), False),  # the picture in [0, 1] as it is
    "caffe": ((103.939 / 255, 116.779 / 255, 123.68 / 255), (1 / 255,) * 3, True),  # BGR, 0..255 minus the mean
}
PREPROCESS_HELP = ("imagenet (default), inception (x/127.5-1), unit ([0, 1]), caffe (BGR, 0..255 minus mean), "
                   "or mean=R,G,B,std=R,G,B[,bgr] for a picture in [0, 1]")


def parse_preprocess(text: str) -> tuple[tuple[float, ...], tuple[float, ...], bool]:
    """A preset name or ``mean=R,G,B,std=R,G,B[,bgr]``; DreamError otherwise."""
    if text in PREPROCESS:
        return PREPROCESS[text]
    match = re.fullmatch(r"mean=([^=]+),std=([^=]+?)(,bgr)?", text.replace(" ", ""))
    try:
        if match:
            mean = tuple(float(v) for v in match.group(1).split(","))
            std = tuple(float(v) for v in match.group(2).split(","))
            if len(mean) == len(std) == 3 and all(s != 0 for s in std):
                return mean, std, bool(match.group(3))
    except ValueError:
        pass
    raise DreamError(f"unknown preprocessing {text!r}: use {PREPROCESS_HELP}")
