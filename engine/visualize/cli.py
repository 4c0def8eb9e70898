"""The `visualize` and `atlas` subcommands. Torch is imported only when a command runs on it."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional, Sequence

from dreamlayer.objective import GRAMMAR

from ..cli import backend_arguments, force_argument
from .settings import PARAMETRIZATIONS, STARTS, TRANSFORM_NAMES, AtlasSettings, VisualizeSettings

_V = VisualizeSettings()
_A = AtlasSettings()


def _transforms(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "none":
        return ()
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in TRANSFORM_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown transform {unknown[0]!r}: use some of "
                                         f"{','.join(TRANSFORM_NAMES)} or none")
    return names


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _check_output(path: Path, extensions: Sequence[str], inputs: Sequence[Optional[Path]], force: bool,
                  report: Optional[Path] = None) -> None:
    """Fail before minutes of painting, not after, when the result could not or should not be written."""
    from ..errors import DreamError
    from ..files import check_outputs

    if path.suffix.lower() not in extensions:
        raise DreamError(f"cannot write {path}: use one of {', '.join(extensions)}")
    check_outputs([path], inputs, force=force, report=report)


def _check_numbers(settings: VisualizeSettings | AtlasSettings) -> None:
    from ..errors import DreamError

    problems = settings.problems()
    if problems:
        raise DreamError(problems[0])


def render_arguments(p: argparse.ArgumentParser, steps: int, seed: int, lr: float) -> None:
    p.add_argument("--steps", type=int, default=steps, help=f"optimisation steps (default {steps})")
    p.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    p.add_argument("--lr", type=float, default=lr, help=f"Adam learning rate (default {lr})")
    p.add_argument("--param", choices=PARAMETRIZATIONS, default=_V.param,
                   help="image parametrization: fourier (smooth, default) or pixel (raw)")
    p.add_argument("--no-decorrelate", dest="decorrelate", action="store_false",
                   help="optimise plain RGB instead of decorrelated colour")
    p.add_argument("--transforms", type=_transforms, default=TRANSFORM_NAMES, metavar="LIST",
                   help=f"random transforms each step, comma-separated from {','.join(TRANSFORM_NAMES)}, "
                        "or none (default: all)")
    p.add_argument("--device", default=_V.device, help="auto, cpu, cuda, cuda:N or mps (default auto)")
    force_argument(p)


def _visualize_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("visualize", help="paint what a class, channel or layer looks for, from scratch",
                       description="Paint, from a grey canvas, noise or a picture, what the network looks for: "
                                   "a class, a channel, a neuron or any objective expression.",
                       epilog="objective expressions:\n" + GRAMMAR,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", type=Path, required=True, help="where to write the picture")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--class", dest="class_name", metavar="NAME|INDEX",
                      help='an ImageNet class: "tabby", "tabby cat", "Tabby Cat" or 281')
    what.add_argument("--objective", metavar="EXPR", help="an objective expression (see below)")
    p.add_argument("--model", default=_V.model, help=f"network (default {_V.model})")
    p.add_argument("--from", dest="start", default=_V.start, metavar="grey|noise|IMAGE",
                   help=f"start picture (default {_V.start})")
    p.add_argument("--size", type=_positive, help="picture size in px (default: the model's input size; "
                                                  "a start picture keeps its aspect)")
    render_arguments(p, _V.steps, _V.seed, _V.lr)
    p.add_argument("--views", type=_positive, default=_V.views, metavar="N",
                   help=f"transformed copies the network sees per step: more are slower but recognised more "
                        f"widely (default {_V.views})")
    p.add_argument("--tv", type=float, default=_V.tv, metavar="W", help="total-variation penalty weight (default 0)")
    p.add_argument("--blur", type=float, default=_V.blur, metavar="W", help="blur penalty weight (default 0)")
    p.add_argument("--l2", type=float, default=_V.l2, metavar="W", help="pull towards grey, weight (default 0)")
    p.add_argument("--method", default=_V.method, help=f"how to paint (default {_V.method}; some models add others)")
    backend_arguments(p)
    p.add_argument("--report", type=Path, metavar="FILE.json", help="write figures of the run as JSON")
    p.set_defaults(func=run_visualize)


def run_visualize(args: argparse.Namespace) -> int:
    from ..cli import write_report
    from ..imageio import FORMATS, Picture, write_image
    from ..progress import ProgressBar
    from .api import visualize

    settings = VisualizeSettings(
        model=args.model, objective=args.objective, class_name=args.class_name, start=args.start, size=args.size,
        steps=args.steps, lr=args.lr, seed=args.seed, param=args.param, decorrelate=args.decorrelate,
        transforms=args.transforms, views=args.views, tv=args.tv, blur=args.blur, l2=args.l2,
        method=args.method, device=args.device, backend=args.backend, providers=args.providers)
    _check_numbers(settings)
    start = Path(args.start) if args.start not in STARTS else None
    _check_output(args.output, list(FORMATS), [start], args.force, args.report)
    with ProgressBar("visualizing") as bar:
        result = visualize(settings, progress=bar.update)
    write_image(args.output, Picture(result.image, None, 8, False, None))
    scores = "".join(f", {s.label} p={s.probability:.3f} (rank {s.rank})" for s in result.targets)
    print(f"{args.output}: {result.width}x{result.height}, {result.objective} {result.objective_before:.3f} -> "
          f"{result.objective_after:.3f}{scores} in {result.seconds:.1f} s")
    write_report(args.report, result.report())
    return 0


def _atlas_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("atlas", help="a labelled grid of what each channel of a layer responds to",
                       description="Paint every chosen channel of a layer (cached on disk, so repeating is "
                                   "instant), or with --layers one picture per layer from low to high.")
    p.add_argument("model", help="model name (see `dreamlayer models list`)")
    p.add_argument("layer", nargs="?", help="layer name (see `dreamlayer layers MODEL`)")
    p.add_argument("-o", "--output", type=Path, required=True, help="where to write the sheet")
    p.add_argument("--layers", action="store_true", help="one picture per layer, in network order")
    p.add_argument("--channels", default="0-63", metavar="LIST",
                   help="channels as 0-63 or 0,3,8-11 (default 0-63, cut to the layer's channels)")
    p.add_argument("--columns", type=_positive, help="pictures per row (default: 8, or 6 with --layers)")
    atlas_arguments(p)
    backend_arguments(p)
    p.set_defaults(func=run_atlas)


def atlas_arguments(p: argparse.ArgumentParser) -> None:
    """How channel pictures are painted: `atlas`'s options, which `microscope` shares (and its cache)."""
    p.add_argument("--size", type=_positive, default=_A.size, help=f"px per picture (default {_A.size})")
    render_arguments(p, _A.steps, _A.seed, _A.lr)


def atlas_settings(args: argparse.Namespace) -> AtlasSettings:
    """The AtlasSettings of `atlas`'s options (`microscope` has the same), checked."""
    settings = AtlasSettings(size=args.size, steps=args.steps, lr=args.lr, seed=args.seed, param=args.param,
                             decorrelate=args.decorrelate, transforms=args.transforms)
    _check_numbers(settings)
    return settings


def run_atlas(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .. import catalogue
    from ..errors import DreamError
    from . import atlas

    if bool(args.layers) == bool(args.layer):
        raise DreamError("give a LAYER, or --layers for one picture per layer")
    settings = atlas_settings(args)
    _check_output(args.output, list(atlas.SHEET_FORMATS), [], args.force)
    with tqdm(desc="painting", unit="picture", dynamic_ncols=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        if args.layers:
            pictures = atlas.layer_pictures(args.model, settings, args.device, progress, backend=args.backend,
                                            providers=args.providers)
            sheet = atlas.layers_sheet(args.model, pictures, columns=args.columns)
        else:
            info = {i.name: i for i in catalogue.layer_infos(args.model)}.get(args.layer)
            if info is None:
                raise DreamError(f"model {args.model} has no layer {args.layer!r}; "
                                 f"see `dreamlayer layers {args.model}`")
            channels = atlas.parse_channels(_cut(args.channels, info.channels), info.channels)
            paths = atlas.channel_pictures(args.model, args.layer, channels, settings, args.device, progress,
                                           backend=args.backend, providers=args.providers)
            sheet = atlas.atlas_sheet(args.model, args.layer, channels, paths, columns=args.columns)
    atlas.write_sheet(sheet, args.output)
    print(f"{args.output}: {sheet.width}x{sheet.height}; pictures cached in {atlas.atlas_dir(args.model)}")
    return 0


def _cut(text: str, count: int) -> str:
    """The default range 0-63 shrinks to a smaller layer's channels; explicit lists are checked as given."""
    return f"0-{min(63, count - 1)}" if text == "0-63" else text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `visualize` and `atlas` to the root parser."""
    _visualize_parser(sub)
    _atlas_parser(sub)
