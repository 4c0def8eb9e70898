"""`dreamlayer zoom`: the endless dream, from a picture, noise or grey. Torch loads only when it runs."""
from __future__ import annotations

import argparse
from pathlib import Path

from dreamlayer.objective import GRAMMAR

from ..video.options import dream_options, finish, parse_size, recipe, settings_from
from .path import EASINGS
from .settings import COLOUR_HOLD, FROM_CHOICES, ZOOM_FACTOR, ZOOM_FPS, ZOOM_FRAMES, ZOOM_OCTAVES, ZOOM_STEPS

EPILOG = """\
camera keyframes (--key, repeatable): "FRAME name=value ...", names zoom, rotate, shift, center, ease
  e.g. --key "120 zoom=1.02 center=0.3,0.6 ease=in-out": values glide from the previous keyframe
  (or the --zoom/--rotate/--shift/--center start) to these by frame 120, then stay.
  ease: linear, in, out, in-out, step.
objective changes (--objective-at, repeatable): FRAME=EXPR switches, FIRST..LAST=EXPR fades
  e.g. --objective-at "90..150=class:goldfish" travels from the first objective into goldfish.

objective expressions:
""" + GRAMMAR


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("zoom", help="the endless dream: dream, zoom, dream again",
                       description="Feed each dreamed frame back into the dream, moved by a camera (zoom, "
                                   "rotation, shift around a centre), in float and with a colour hold. "
                                   "Writes .mp4, .webm, .gif, .webp or a folder of numbered PNG frames.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", nargs="?", type=Path, help="the first picture (or use --from)")
    p.add_argument("--from", dest="start", choices=FROM_CHOICES, help="start from noise or grey instead")
    p.add_argument("-o", "--output", type=Path, required=True, help="OUT.mp4|.webm|.gif|.webp or a folder")
    p.add_argument("--frames", type=int, default=ZOOM_FRAMES, help=f"frames to make (default {ZOOM_FRAMES})")
    p.add_argument("--zoom", type=float, default=ZOOM_FACTOR, help=f"magnification per frame (default {ZOOM_FACTOR})")
    p.add_argument("--rotate", type=float, default=0.0, metavar="DEG", help="turn per frame, degrees (default 0)")
    p.add_argument("--shift", default="0,0", metavar="DX,DY", help="move per frame, pixels (default 0,0)")
    p.add_argument("--center", default="0.5,0.5", metavar="X,Y",
                   help="the point the zoom heads for, as fractions of width and height (default 0.5,0.5)")
    p.add_argument("--key", action="append", default=[], metavar='"FRAME name=value ..."',
                   help="camera keyframe, repeatable (see below)")
    p.add_argument("--objective-at", action="append", default=[], metavar="FRAME[..LAST]=EXPR",
                   help="change the objective at a frame, or fade to it over frames (see below)")
    p.add_argument("--ease", choices=EASINGS, default="in-out", help="easing of objective fades (default in-out)")
    p.add_argument("--size", type=parse_size, metavar="WxH",
                   help="frame size (default: the input's; required with --from)")
    p.add_argument("--colour-hold", "--color-hold", dest="colour_hold", type=float, default=COLOUR_HOLD,
                   metavar="S", help=f"pull each frame's colour statistics this share of the way back to the "
                                     f"reference: 0 off, 1 exact (default {COLOUR_HOLD})")
    p.add_argument("--palette", type=Path, metavar="IMAGE",
                   help="hold the colours of this picture instead of the first dreamed frame")
    dream_options(p, "--steps-per-frame", ZOOM_STEPS, ZOOM_OCTAVES)
    p.set_defaults(func=run_zoom)


def run_zoom(args: argparse.Namespace) -> int:
    import numpy as np

    from ..errors import DreamError
    from ..imageio import read_image
    from .. import catalogue
    from ..video.io import VIDEO_CODECS, output_kind
    from ..video.needs import need
    from ..video.render import render
    from .loop import ZoomJob
    from .path import Camera, CameraPath, parse_key, parse_pair
    from .schedule import Schedule, check, parse_change
    from .warp import fit

    need("cv2")  # before minutes of dreaming, not after the first frame
    if output_kind(args.output) in VIDEO_CODECS:
        need("imageio_ffmpeg")
    if (args.input is None) == (args.start is None):
        raise DreamError("give an INPUT picture or --from noise|grey, not both or neither")
    if args.start and not args.size:
        raise DreamError(f"--from {args.start} needs --size WxH")
    if args.frames < 1 or args.fps is not None and args.fps <= 0 or not 0 <= args.colour_hold <= 1:
        raise DreamError("--frames must be 1 or more, --fps positive, --colour-hold between 0 and 1")
    camera = Camera(zoom=args.zoom, rotate=args.rotate, shift=parse_pair(args.shift, "--shift"),
                    center=parse_pair(args.center, "--center"))
    path = CameraPath(camera, [parse_key(k) for k in args.key])
    first = args.objective or " + ".join(args.layers or []) or catalogue.default_layer(args.model)
    changes = [parse_change(c) for c in args.objective_at]
    for expression in [first] + [c.objective for c in changes]:
        check(expression)
    schedule = Schedule(first, changes, args.ease)
    if args.input is not None:
        start = read_image(args.input).rgb
        start = fit(start, args.size) if args.size else start
    else:
        width, height = args.size
        start = (np.full((height, width, 3), 0.5, np.float32) if args.start == "grey"
                 else np.random.default_rng(args.seed).random((height, width, 3), dtype=np.float32))
    palette = read_image(args.palette).rgb if args.palette else None
    job = ZoomJob(start, settings_from(args), path, schedule, args.colour_hold, palette)
    fps = args.fps or ZOOM_FPS
    rendered = render(args.output, job, args.frames, fps, recipe(args), resume=args.resume, label="zoom")
    return finish(rendered, args.frames, (start.shape[1], start.shape[0]))
