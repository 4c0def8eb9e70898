"""Engine subcommands: dream, layers, models. Torch is imported only when a command runs."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dreamlayer.objective import GRAMMAR
from dreamlayer.settings import BACKENDS, DreamSettings

from .errors import DreamError
from .preprocess import PREPROCESS_HELP

_DEFAULTS = DreamSettings()


def _settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every command that dreams, with defaults from DreamSettings."""
    d = _DEFAULTS
    parser.add_argument("--model", default=d.model, help=f"network (default {d.model}; see `dreamlayer models list`)")
    parser.add_argument("--layer", action="append", dest="layers", metavar="L",
                        help="layer to amplify, repeatable (default: the model's mid layer; see `dreamlayer layers`)")
    parser.add_argument("--objective", metavar="EXPR", help="objective expression (overrides --layer); see below")
    parser.add_argument("--steps", type=int, default=d.steps, help=f"gradient steps per octave (default {d.steps})")
    parser.add_argument("--step-size", type=float, default=d.step_size,
                        help=f"step length in units of the 0..1 pixel range (default {d.step_size})")
    parser.add_argument("--seed", type=int, default=d.seed, help=f"random seed for jitter (default {d.seed})")
    parser.add_argument("--device", default=d.device, help="auto, cpu, cuda, cuda:N or mps (default auto)")
    backend_arguments(parser)
    parser.add_argument("--report", type=Path, metavar="FILE.json", help="write figures of the run as JSON")
    force_argument(parser)


def backend_arguments(parser: argparse.ArgumentParser) -> None:
    """--backend and --providers, for every command that dreams."""
    d = _DEFAULTS
    parser.add_argument("--backend", default=d.backend, choices=BACKENDS,
                        help="what computes the gradients: torch, onnx (ONNX Runtime on a graph from "
                             "`dreamlayer export-onnx`, no torch needed) or auto (torch where installed; default)")
    parser.add_argument("--providers", type=_providers, default=d.providers, metavar="P[,P...]",
                        help="ONNX Runtime execution providers in order of preference, e.g. "
                             "CUDAExecutionProvider,CPUExecutionProvider (default: the best available; "
                             "`dreamlayer models providers` lists them)")


def _providers(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def force_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace an existing output, even the input picture (never with the report)")


def _dream_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dream", help="dream on a picture", description="Dream on a picture (DeepDream).",
                       epilog="objective expressions:\n" + GRAMMAR,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="picture to dream on (PNG, JPEG, TIFF, WebP, BMP; 8 or 16 bit)")
    p.add_argument("-o", "--output", type=Path, required=True, help="where to write the result")
    dream_arguments(p)
    p.add_argument("--mask", type=Path, help="greyscale picture: white dreams fully, black leaves pixels untouched")
    p.set_defaults(func=run_dream)


def dream_arguments(p: argparse.ArgumentParser) -> None:
    """Every option of `dream` that decides how a picture is dreamed; `batch` takes the same ones."""
    d = _DEFAULTS
    _settings_arguments(p)
    p.add_argument("--pattern-size", type=float, default=d.pattern_size, metavar="X",
                   help=f"size of the dream's patterns relative to the picture, the same at any picture size "
                        f"(default {d.pattern_size}: the classic look; 2 = twice as large)")
    p.add_argument("--octaves", type=int, default=d.octaves,
                   help="a fixed number of image pyramid levels instead of --pattern-size (patterns are then "
                        "a fixed size in pixels: large on small pictures, fine on big ones)")
    p.add_argument("--octave-scale", type=float, default=d.octave_scale,
                   help=f"size ratio between octaves (default {d.octave_scale})")
    p.add_argument("--jitter", type=int, default=d.jitter, help=f"max random shift per step, px (default {d.jitter})")
    p.add_argument("--tile", type=int, metavar="PX",
                   help="big pictures are dreamed in tiles of at most PX*PX pixels (default: automatic)")


def dream_settings(args: argparse.Namespace) -> DreamSettings:
    """The DreamSettings the options of :func:`dream_arguments` ask for, checked."""
    from .deepdream import check_settings

    settings = DreamSettings(model=args.model, layers=args.layers or [], objective=args.objective,
                             pattern_size=args.pattern_size, octaves=args.octaves, octave_scale=args.octave_scale,
                             steps=args.steps,
                             step_size=args.step_size, jitter=args.jitter, seed=args.seed, tile=args.tile,
                             device=args.device, backend=args.backend, providers=args.providers)
    check_settings(settings)
    return settings


def run_dream(args: argparse.Namespace) -> int:
    from .deepdream import dream
    from .files import check_outputs
    from .imageio import Picture, output_format, read_image, read_mask, write_image
    from .progress import ProgressBar
    from .region import nothing_selected

    settings = dream_settings(args)
    fmt = output_format(args.output)
    check_outputs([args.output], [args.input, args.mask], force=args.force, report=args.report)
    picture = read_image(args.input)
    mask = read_mask(args.mask, picture.size) if args.mask else None
    if mask is not None and nothing_selected(mask):
        raise DreamError(f"the mask {args.mask} is black everywhere, so there is nothing to dream "
                         "(white areas are dreamed); nothing was written")
    if mask is not None and fmt == "JPEG":
        print(f"dreamlayer: warning: JPEG re-compresses the whole picture, so pixels outside the mask will not "
              f"stay byte-identical; write {args.output.with_suffix('.png').name} to keep them", file=sys.stderr)
    with ProgressBar("dreaming") as bar:
        result = dream(picture.rgb, settings, mask=mask, progress=bar.update)
    write_image(args.output, Picture(result.image, None, picture.bits, False, None), original=picture)
    gain = result.objective_after - result.objective_before
    print(f"{args.output}: {result.width}x{result.height}, {result.objective} "
          f"{result.objective_before:.3f} -> {result.objective_after:.3f} ({gain:+.3f}) in {result.seconds:.1f} s "
          f"({result.backend}, {result.device})")
    write_report(args.report, result.report())
    return 0


def write_report(path: Path | None, report: dict) -> None:
    """The --report file, written atomically."""
    from .files import write_text

    if path:
        write_text(path, json.dumps(report, indent=2) + "\n")


def _layers_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("layers", help="list a model's dreamable layers",
                       description="Dreamable layers in network order: name (for --layer), channels, "
                                   "output stride, what it tends to produce.")
    p.add_argument("model", nargs="?", default=_DEFAULTS.model, help=f"model name (default {_DEFAULTS.model})")
    p.set_defaults(func=run_layers)


def run_layers(args: argparse.Namespace) -> int:
    from . import catalogue

    default = catalogue.default_layer(args.model)
    for info in catalogue.layer_infos(args.model):
        mark = "  (default)" if info.name == default else ""
        print(f"{info.name:<16} {info.channels:>5} ch  stride {info.stride:>2}  {info.hint}{mark}")
    return 0


def _models_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("models", help="list, download, import and verify networks",
                       description="Manage network weights in the per-user cache "
                                   "(move it with $DREAMLAYER_CACHE).")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="COMMAND")
    msub.add_parser("list", help="every known model: size, installed or not, where").set_defaults(func=run_models_list)
    pull = msub.add_parser("pull", help="download a model's weights (resumable, sha256-checked)")
    pull.add_argument("name")
    pull.set_defaults(func=run_models_pull)
    imp = msub.add_parser("import", help="install a weight file or an ONNX graph, from a file or a URL",
                          description="Install a weight file fetched on another machine, a gradient graph made by "
                                      "`dreamlayer export-onnx` (for the onnx backend, no torch needed), from a "
                                      "file or an http(s) URL (with --sha256), or your own ONNX image classifier "
                                      "(its layers are found in the graph; give it a name with --as).")
    imp.add_argument("file", help="the file, or an http(s) URL of a graph")
    imp.add_argument("--as", dest="name", help="model name (default: guessed from the file name or the graph)")
    imp.add_argument("--sha256", help="the expected sha256 of a URL's file (required for URLs)")
    imp.add_argument("--size", type=int, default=0, help="the URL's file size in bytes, if known (caps the download)")
    imp.add_argument("--preprocess", metavar="P",
                     help="for your own ONNX classifier: how it expects pictures; " + PREPROCESS_HELP)
    imp.set_defaults(func=run_models_import)
    msub.add_parser("verify", help="re-check the sha256 of every installed model").set_defaults(func=run_models_verify)
    msub.add_parser("providers", help="the ONNX Runtime execution providers this machine has, best first"
                    ).set_defaults(func=run_models_providers)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n else "?"


def run_models_list(args: argparse.Namespace) -> int:
    from . import catalogue

    for m in catalogue.list_models():
        state = "installed" if m.installed else "not installed (dreamlayer models pull " + m.name + ")"
        print(f"{m.name:<20} {_size(m.size_bytes):>9}  {'+'.join(m.backends):<10} {state}"
              + (f"  {m.path}" if m.path else ""))
    return 0


def run_models_pull(args: argparse.Namespace) -> int:
    from .models import registry

    print(registry.pull(args.name))
    return 0


def run_models_import(args: argparse.Namespace) -> int:
    from . import graphs

    if args.file.startswith(("http://", "https://")):
        if not args.sha256:
            raise DreamError("a URL needs --sha256 (the file's expected sha256), so what arrives is checked")
        graph = graphs.pull_graph(args.file, args.sha256, args.size, args.name)
        print(f"{graph.path}: {graph.model} up to {graph.deepest} (onnx backend)")
        return 0
    path = Path(args.file)
    if path.suffix.lower() == ".onnx":
        from .import_classifier import import_classifier, is_dreamlayer_graph

        if is_dreamlayer_graph(path) is False:  # a plain classifier: its gradient graph is made here
            graph = import_classifier(path, args.name or path.stem, args.preprocess or "imagenet")
            found = [layer for layer in graph.layers if layer.name != graphs.LOGITS]
            print(f"{graph.path}: {graph.model}, {len(found)} layers found, default {graph.default_layer}"
                  f"; preprocessing {args.preprocess or 'imagenet'} (onnx backend; torch too where installed)")
            return 0
        if args.preprocess:
            raise DreamError("--preprocess is for plain classifiers; a dreamlayer graph has its own")
        graph = graphs.import_graph(path, args.name)
        print(f"{graph.path}: {graph.model} up to {graph.deepest} (onnx backend)")
        return 0
    return _import_weights(path, args.name)


def _import_weights(path: Path, name: str | None) -> int:
    from .models import registry

    name = name or next((s for s in registry.names()
                              if registry.get(s).weights.filename == path.name), None)
    if name is None:
        print(f"dreamlayer: cannot tell which model {path.name} is; name it with --as "
              f"({', '.join(registry.names())})", file=sys.stderr)
        return 2
    print(registry.import_file(path, name))
    return 0


def run_models_providers(args: argparse.Namespace) -> int:
    from .backends.onnx_backend import CPU, PREFERRED, available_providers

    have = available_providers()
    for name in sorted(have, key=lambda p: (p == CPU, PREFERRED.index(p) if p in PREFERRED else len(PREFERRED))):
        print(name)
    return 0


def run_models_verify(args: argparse.Namespace) -> int:
    from .models import registry

    bad = 0
    for name, status in registry.verify():
        print(f"{name:<20} {status}")
        bad += status.startswith("CORRUPT")
    return 1 if bad else 0


def _export_onnx_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export-onnx", help="write a model's gradient graph for ONNX Runtime",
                       description="Write an ONNX graph that computes the objective and its gradient with respect "
                                   "to the picture, so ONNX Runtime alone can dream with it (needs the onnx extra).")
    p.add_argument("model", help="model name (see `dreamlayer models list`)")
    p.add_argument("-o", "--output", type=Path, required=True, help="the .onnx file to write")
    p.add_argument("--up-to", metavar="LAYER", help="deepest layer in the graph (default: all; shallower is faster)")
    force_argument(p)
    p.set_defaults(func=run_export_onnx)


def run_export_onnx(args: argparse.Namespace) -> int:
    from .files import check_outputs
    from .onnx_export import export_onnx

    check_outputs([args.output], [], force=args.force)
    layers = export_onnx(args.model, args.output, args.up_to)
    print(f"{args.output}: {args.model} up to {layers[-1].name} ({len(layers)} layers), "
          f"{args.output.stat().st_size / 2**20:.1f} MB")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the engine's subcommands to the root parser."""
    _dream_parser(sub)
    _layers_parser(sub)
    _models_parser(sub)
    _export_onnx_parser(sub)
