"""The `dreamlayer` command: a thin argparse front over each part's subcommands."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from dreamlayer import __version__
from dreamlayer.quick_exit import run_then_exit


def build_parser() -> argparse.ArgumentParser:
    from dreamlayer.engine.cli import register as register_engine
    from dreamlayer.engine.cluster.cli import register as register_cluster
    from dreamlayer.engine.microscope.cli import register as register_microscope
    from dreamlayer.engine.serve_cli import register as register_serve
    from dreamlayer.engine.video.cli import register as register_video
    from dreamlayer.engine.visualize.cli import register as register_visualize
    from dreamlayer.engine.zoom.cli import register as register_zoom
    from dreamlayer.installer.cli import register as register_installer

    parser = argparse.ArgumentParser(prog="dreamlayer", description="DeepDream for painters: dream on pictures, "
                                     "see what a network sees, and install the Krita filter.")
    parser.add_argument("--version", action="version", version=f"dreamlayer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register_engine(sub)
    register_serve(sub)
    register_visualize(sub)
    register_zoom(sub)
    register_video(sub)
    register_cluster(sub)
    register_microscope(sub)
    register_installer(sub)
    return parser


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad input or environment: one line, no traceback."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from dreamlayer.engine.download import DownloadError
        from dreamlayer.engine.errors import DreamCancelled, DreamError
        from dreamlayer.engine.imageio import ImageReadError, ImageWriteError
        errors += [DreamError, DreamCancelled, DownloadError, ImageReadError, ImageWriteError]
    except ImportError:  # engine extra not installed: only the installer commands work
        pass
    return tuple(errors)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from dreamlayer.engine import runtime

    runtime.configure()  # before any command imports torch
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # long renders record how they were made
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("dreamlayer: interrupted", file=sys.stderr)
        return 130
    except ImportError as exc:
        print(f"dreamlayer: {exc}; install the engine with: pip install 'dreamlayer[engine]'", file=sys.stderr)
        return 2
    except _user_errors() as exc:
        print(f"dreamlayer: {exc}", file=sys.stderr)
        return 2


def run() -> int:
    """The ``dreamlayer`` command: ``main``, then an exit without the interpreter's teardown."""
    return run_then_exit(main)


if __name__ == "__main__":
    sys.exit(run())
