"""The `microscope` subcommand: every channel of the chosen layers, painted across workers, as a site."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..cluster.connect import cluster_arguments
from ..visualize.cli import atlas_arguments


def _microscope_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("microscope", help="a browsable site of what every channel of a network responds to",
                       description="Paint every channel of the chosen layers (on parallel workers; cached like "
                                   "`atlas`, so a second run paints nothing) and write a static HTML site to "
                                   "browse them offline: DIR/index.html.")
    p.add_argument("model", help="model name (see `dreamlayer models list`)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="folder for the site")
    p.add_argument("--layers", metavar="L1,L2", help="layers to show, comma-separated (default: all of them)")
    p.add_argument("--channels", metavar="LIST", help="only these channels of each layer, as 0-63 or 0,3,8-11 "
                                                      "(default: all; numbers past a layer's channels are left out)")
    atlas_arguments(p)
    cluster_arguments(p)
    p.set_defaults(func=run_microscope)


def run_microscope(args: argparse.Namespace) -> int:
    from ..errors import DreamError
    from ..models import registry
    from ..visualize import atlas
    from ..visualize.cli import atlas_settings
    from . import build, site
    from ..cluster.connect import connect, options_from

    settings = atlas_settings(args)
    options = options_from(args)
    infos = {info.name: info for info in registry.layer_infos(args.model)}
    names = [n.strip() for n in args.layers.split(",") if n.strip()] if args.layers else list(infos)
    unknown = [n for n in names if n not in infos]
    if unknown or not names:
        raise DreamError(f"model {args.model} has no layer {unknown[0] if unknown else args.layers!r}; "
                         f"see `dreamlayer layers {args.model}`")
    names = sorted(dict.fromkeys(names), key=list(infos).index)  # network order, whatever order they came in
    widest = max(infos[n].channels for n in names)
    wanted = atlas.parse_channels(args.channels, widest) if args.channels else list(range(widest))
    chosen = {n: [c for c in wanted if c < infos[n].channels] for n in names}
    if args.output.exists() and any(args.output.iterdir()) and not (args.output / "index.html").is_file():
        raise DreamError(f"{args.output} holds other files; choose a new or empty folder for the site")
    args.output.mkdir(exist_ok=True)
    layers = [build.Layer(n, infos[n].channels, infos[n].stride, infos[n].hint) for n in names]
    with connect(options) as client:
        build.paint(client, args.model, layers, chosen, settings, "cuda" if options.gpus else args.device, options)
    index = site.write_site(args.output, args.model, layers)
    print(f"{index}: {sum(len(layer.painted) for layer in layers)} channels of {len(layers)} layers; "
          f"pictures cached in {atlas.atlas_dir(args.model)}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `microscope` to the root parser."""
    _microscope_parser(sub)
