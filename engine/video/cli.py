"""`dreamlayer dream-video`: dream a clip with the dream following the motion. Torch loads only when it runs."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from dreamlayer.objective import GRAMMAR

from ..cluster.connect import cluster_arguments
from ..zoom.settings import (FLOW_METHODS, SHOT_CUT, SHOT_FADE_FRAMES, SHOT_PIECE_FRAMES, VIDEO_BLEND, VIDEO_OCTAVES,
                             VIDEO_STEP_SIZE, VIDEO_STEPS)
from .options import dream_options, finish, recipe, settings_from

if TYPE_CHECKING:
    from .io import Clip


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
    shots = p.add_argument_group("by shots on a cluster (--cluster or --address)",
                                 "The clip is cut at scene changes and long shots into pieces, dreamed side by "
                                 "side; a piece that continues a shot fades in over the one before.")
    cluster_arguments(shots)
    shots.add_argument("--piece-frames", type=int, default=SHOT_PIECE_FRAMES, metavar="N",
                       help=f"most frames dreamed in one chain (default {SHOT_PIECE_FRAMES})")
    shots.add_argument("--fade-frames", type=int, default=SHOT_FADE_FRAMES, metavar="N",
                       help=f"frames faded where a piece continues a shot (default {SHOT_FADE_FRAMES})")
    shots.add_argument("--cut", type=float, default=SHOT_CUT, metavar="D",
                       help=f"colour histogram distance (0-1) that counts as a scene change (default {SHOT_CUT})")
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
    if args.cluster or args.address:
        return _by_shots(args, clip, total, audio)
    job = VideoJob(clip, settings_from(args), args.blend, args.flow)
    rendered = render(args.output, job, total, args.fps or clip.fps, recipe(args), resume=args.resume,
                      audio=audio, label="dream-video")
    return finish(rendered, total, clip.size)


def _by_shots(args: argparse.Namespace, clip: Clip, total: int, audio: Path | None) -> int:
    """dream-video on a cluster: see engine.cluster.shots."""
    import time

    from ..cluster.connect import connect, options_from
    from ..cluster.shots import dream_shots
    from ..errors import DreamError
    from .io import output_kind
    from .render import CHECKPOINT, Rendered, begin, finish as finish_render, work_folder

    if args.resume:
        raise DreamError("--resume is for a render on this machine; a render by shots starts afresh")
    if args.piece_frames < 1 or args.fade_frames < 0 or args.fade_frames >= args.piece_frames:
        raise DreamError("--piece-frames must be 1 or more, --fade-frames 0 or more and fewer than it")
    options = options_from(args)
    made = recipe(args)
    work = work_folder(args.output)
    begin(work, work / CHECKPOINT, made, False, output_kind(args.output))
    settings = settings_from(args)
    started = time.perf_counter()
    with connect(options) as client:
        dream_shots(client, clip, total, settings, args.blend, args.flow, options, work, made,
                    longest=args.piece_frames, overlap=args.fade_frames, threshold=args.cut)
    seconds = (time.perf_counter() - started) / total
    finish_render(args.output, work, total, True, args.fps or clip.fps, made, audio, [seconds])
    return finish(Rendered(args.output, total, True, seconds), total, clip.size)
