"""Command-line pieces shared by `zoom` and `dream-video`: dream options, sizes, recipes, the end line."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dreamlayer import __version__
from dreamlayer.settings import DreamSettings

from ..cli import backend_arguments

if TYPE_CHECKING:
    from .render import Rendered

_D = DreamSettings()
NOT_RECIPE = ("func", "output", "resume", "command", "argv")  # how and where, not what


def dream_options(p: argparse.ArgumentParser, steps_flag: str, steps: int, octaves: int,
                  step_size: float = _D.step_size) -> None:
    """The dream's options, as `dreamlayer dream` has them, with per-frame defaults."""
    p.add_argument("--model", default=_D.model, help=f"network (default {_D.model})")
    p.add_argument("--layer", action="append", dest="layers", metavar="L", help="layer to amplify, repeatable")
    p.add_argument("--objective", metavar="EXPR", help="objective expression (overrides --layer)")
    p.add_argument(steps_flag, dest="steps", type=int, default=steps,
                   help=f"gradient steps per octave for each frame (default {steps})")
    p.add_argument("--step-size", type=float, default=step_size, help=f"step length (default {step_size})")
    p.add_argument("--octaves", type=int, default=octaves, help=f"pyramid levels per frame (default {octaves})")
    p.add_argument("--octave-scale", type=float, default=_D.octave_scale,
                   help=f"size ratio between octaves (default {_D.octave_scale})")
    p.add_argument("--jitter", type=int, default=_D.jitter, help=f"max random shift per step, px (default {_D.jitter})")
    p.add_argument("--tile", type=int, metavar="PX", help="tiles of at most PX*PX pixels (default: automatic)")
    p.add_argument("--seed", type=int, default=_D.seed, help=f"random seed (default {_D.seed})")
    p.add_argument("--device", default=_D.device, help="auto, cpu, cuda, cuda:N or mps (default auto)")
    backend_arguments(p)
    p.add_argument("--fps", type=float, help="frames per second of the output")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted render (same command) from its last frame")


def settings_from(args: argparse.Namespace) -> DreamSettings:
    return DreamSettings(model=args.model, layers=args.layers or [], objective=args.objective, octaves=args.octaves,
                         octave_scale=args.octave_scale, steps=args.steps, step_size=args.step_size,
                         jitter=args.jitter, seed=args.seed, tile=args.tile, device=args.device,
                         backend=args.backend, providers=args.providers)


def parse_size(text: str) -> tuple[int, int]:
    """``"WxH"`` as (width, height)."""
    width, sep, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < 16:
        raise argparse.ArgumentTypeError(f"size is WxH with sides of 16 px or more, as in 512x384, not {text!r}")
    return size


def recipe(args: argparse.Namespace) -> dict:
    """Every setting that decides the frames, JSON-able: enough to make the result again."""
    values = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in NOT_RECIPE}
    made = {"dreamlayer": __version__, "command": args.command, **values}
    if getattr(args, "argv", None):  # what to type to make it again (minus --resume)
        made["command_line"] = shlex.join(["dreamlayer", *(a for a in args.argv if a != "--resume")])
    return made


def finish(rendered: Rendered, total: int, size: tuple[int, int]) -> int:
    """The closing line; 130 when Ctrl-C stopped the render early."""
    speed = f", {rendered.seconds_per_frame:.2f} s/frame" if rendered.seconds_per_frame else ""
    if rendered.complete:
        print(f"{rendered.output}: {rendered.frames} frames, {size[0]}x{size[1]}{speed}")
        return 0
    print(f"dreamlayer: interrupted after {rendered.frames} of {total} frames; {rendered.output} holds them "
          f"(playable). Run the same command with --resume to go on.", file=sys.stderr)
    return 130
