"""The `batch` subcommand: `dream`'s own options, many inputs, and where to run them."""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from dreamlayer.objective import GRAMMAR

from ..cli import dream_arguments
from .connect import cluster_arguments


def _batch_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("batch", help="dream many pictures in parallel, resumably",
                       description="Dream every picture with the same settings on parallel workers that load the "
                                   "network once. Outputs are named STEM.KEY.EXT, KEY standing for the input's "
                                   "bytes and the settings, so running the same command again skips what is "
                                   "done; a picture that fails is reported and the others go on.",
                       epilog="objective expressions:\n" + GRAMMAR,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", type=Path, nargs="+", metavar="INPUT", help="pictures, or folders of pictures")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR", help="folder for the results")
    p.add_argument("--format", choices=("png", "jpg", "tif", "webp"),
                   help="write every result in this format (default: each input's own)")
    dream_arguments(p)
    cluster_arguments(p)
    p.set_defaults(func=run_batch)


def run_batch(args: argparse.Namespace) -> int:
    from ..cli import dream_settings, write_report
    from ..errors import DreamError
    from ..files import check_outputs, check_writable
    from . import batch
    from .connect import connect, options_from
    from .tally import Tally, duration

    settings = dream_settings(args)
    options = options_from(args)
    if options.gpus and settings.device == "auto":
        settings = replace(settings, device="cuda")
    if args.output.exists() and not args.output.is_dir():
        raise DreamError(f"{args.output} is a file; -o names the folder for the results")
    args.output.mkdir(exist_ok=True)
    check_writable(args.output / "probe")
    check_outputs([], list(args.inputs), force=args.force, report=args.report)
    failures: list[str] = []

    def fail(path: Path, why: str) -> None:
        failures.append(str(path))
        print(f"FAILED {path}: {why}", file=sys.stderr)

    items = batch.plan(args.inputs, args.output, settings, args.format and "." + args.format, fail)
    tally = Tally(len(items))
    try:
        with connect(options) as client:
            outcome = batch.run(client, items, settings, options, tally, force=args.force)
    except KeyboardInterrupt:
        print(f"dreamlayer: stopped with {tally.done} dreamed and {tally.left} left; run the same command "
              "again to go on", file=sys.stderr)
        return 130
    failed = outcome.failed + len(failures)
    print(f"{args.output}: {outcome.dreamed} dreamed, {outcome.skipped} already there, {failed} failed, "
          f"in {duration(time.perf_counter() - tally.started)}")
    write_report(args.report, {"dreamed": outcome.dreamed, "skipped": outcome.skipped, "failed": failed,
                               "pictures": outcome.reports})
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `batch` to the root parser."""
    _batch_parser(sub)
