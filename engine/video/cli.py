"""`dreamlayer dream-video`: dream a clip with the dream following the motion. Torch loads only when it runs."""
from __future__ import annotations

import argparse
from pathlib import Path

from dreamlayer.objective import GRAMMAR

from ..zoom.settings import FLOW_METHODS, VIDEO_BLEND, VIDEO_OCTAVES, VIDEO_STEP_SIZE, VIDEO_STEPS
from .options import dream_options, finish, recipe, settings_from


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dream-video", help="dream a video without flicker",
                       description="Dream a clip frame by frame: each frame starts from the previous dream "
                                   "warped along the clip's optical flow, blended with the fresh frame, and "
                                   "from the fresh frame where something was hidden before. The sound is kept.",
                       epilog="objective expressions:\n" + GRAMMAR,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="a video (anything ffmpeg reads: .mp4, .webm, .mov, .gif, ...)")
    p.add_argument("-o", "--output", type=Path, required=True, help="OUT.mp4|.webm|.gif|.webp or a folder")
    p.add_argument("--blend", type=float, default=VIDEO_BLEND,
                   help=f"weight of the fresh frame against the carried dream: 0 all carried (smears), "
                        f"1 every frame dreamed alone (flickers) (default {VIDEO_BLEND})")
    p.add_argument("--flow", nargs="?", const="dis", default="dis", choices=FLOW_METHODS,
                   help="optical flow that carries the dream: dis (default), farneback, or none (plain blend)")
    p.add_argument("--frames", type=int, help="dream only the first N frames")
    dream_options(p, "--steps", VIDEO_STEPS, VIDEO_OCTAVES, VIDEO_STEP_SIZE)
    p.set_defaults(func=run_dream_video)


def run_dream_video(args: argparse.Namespace) -> int:
    from ..errors import DreamError
    from .dream_video import VideoJob
    from .io import open_clip, output_kind
    from .needs import need
    from .render import render

    need("cv2")
    need("imageio_ffmpeg")
    if not 0 <= args.blend <= 1:
        raise DreamError(f"--blend is between 0 and 1, not {args.blend}")
    if args.frames is not None and args.frames < 1 or args.fps is not None and args.fps <= 0:
        raise DreamError("--frames must be 1 or more and --fps positive")
    kind = output_kind(args.output)
    clip = open_clip(args.input)
    total = min(clip.frames, args.frames or clip.frames)
    audio = clip.path if clip.has_audio and kind in (".mp4", ".webm") else None
    job = VideoJob(clip, settings_from(args), args.blend, args.flow)
    rendered = render(args.output, job, total, args.fps or clip.fps, recipe(args), resume=args.resume,
                      audio=audio, label="dream-video")
    return finish(rendered, total, clip.size)
