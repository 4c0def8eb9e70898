"""``dreamlayer install krita`` and ``dreamlayer uninstall krita``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dreamlayer.installer import gimp
from dreamlayer.installer.krita import InstallError, Locations, default_locations, install, uninstall


def _locations(args: argparse.Namespace) -> Locations:
    default = default_locations()
    return Locations(args.pykrita or default.pykrita, args.kritarc or default.kritarc)


def _add_location_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pykrita", type=Path, metavar="DIR",
                        help="Krita's pykrita folder (default: the per-user one)")
    parser.add_argument("--kritarc", type=Path, metavar="FILE",
                        help="Krita's settings file (default: the per-user kritarc)")


def _add_gimp_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plug-ins", type=Path, metavar="DIR",
                        help="GIMP's plug-ins folder (default: the per-user one of the newest GIMP 3)")


def _install_krita(args: argparse.Namespace) -> int:
    locations = _locations(args)
    try:
        folder = install(locations, args.engine_python, check=not args.no_check)
    except (InstallError, OSError) as error:
        print(f"dreamlayer: {error}", file=sys.stderr)
        return 1
    print(f"Installed the Krita plugin in {folder} (engine: {args.engine_python}).")
    print("Restart Krita; the command is Filter > Dream….")
    return 0


def _uninstall_krita(args: argparse.Namespace) -> int:
    locations = _locations(args)
    try:
        found = uninstall(locations)
    except OSError as error:
        print(f"dreamlayer: {error}", file=sys.stderr)
        return 1
    print(f"Removed the Krita plugin from {locations.pykrita}." if found
          else f"The Krita plugin was not installed in {locations.pykrita}; nothing to do.")
    return 0


def _gimp_locations(args: argparse.Namespace) -> gimp.Locations:
    default = gimp.default_locations()
    return gimp.Locations(args.plug_ins or default.plug_ins, default.home)


def _install_gimp(args: argparse.Namespace) -> int:
    locations = _gimp_locations(args)
    try:
        folder = gimp.install(locations, args.engine_python, check=not args.no_check)
    except (InstallError, OSError) as error:
        print(f"dreamlayer: {error}", file=sys.stderr)
        return 1
    print(f"Installed the GIMP plug-in in {folder} (engine: {args.engine_python}).")
    print("Restart GIMP; the command is Filters > Artistic > Dream…. If it is missing, see "
          "Edit > Preferences > Folders > Plug-ins: the folder above must be listed.")
    for note in gimp.sandboxed_gimps(locations):
        print(f"Note: {note}")
    return 0


def _uninstall_gimp(args: argparse.Namespace) -> int:
    locations = _gimp_locations(args)
    try:
        found = gimp.uninstall(locations)
    except OSError as error:
        print(f"dreamlayer: {error}", file=sys.stderr)
        return 1
    print(f"Removed the GIMP plug-in from {locations.plug_ins}." if found
          else f"The GIMP plug-in was not installed in {locations.plug_ins}; nothing to do.")
    return 0


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    """The engine's Python, which every editor's plugin starts."""
    parser.add_argument("--engine-python", default=sys.executable, metavar="PATH",
                        help="the Python that runs the dream engine (default: this one, %(default)s)")
    parser.add_argument("--no-check", action="store_true",
                        help="skip checking that the engine's Python can import dreamlayer's engine "
                             "(with torch or ONNX Runtime)")


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``install`` and ``uninstall`` (each with an editor: ``krita`` or ``gimp``)."""
    install_parser = subparsers.add_parser("install", help="install an editor plugin")
    editors = install_parser.add_subparsers(dest="editor", metavar="EDITOR", required=True)
    krita = editors.add_parser("krita", help="install the Krita plugin (Filter > Dream…)")
    _add_engine_options(krita)
    _add_location_options(krita)
    krita.set_defaults(func=_install_krita)
    gimp_parser = editors.add_parser("gimp", help="install the GIMP 3 plug-in (Filters > Artistic > Dream…)")
    _add_engine_options(gimp_parser)
    _add_gimp_options(gimp_parser)
    gimp_parser.set_defaults(func=_install_gimp)

    uninstall_parser = subparsers.add_parser("uninstall", help="remove an editor plugin")
    editors = uninstall_parser.add_subparsers(dest="editor", metavar="EDITOR", required=True)
    krita = editors.add_parser("krita", help="remove the Krita plugin and its kritarc switch")
    _add_location_options(krita)
    krita.set_defaults(func=_uninstall_krita)
    gimp_parser = editors.add_parser("gimp", help="remove the GIMP 3 plug-in")
    _add_gimp_options(gimp_parser)
    gimp_parser.set_defaults(func=_uninstall_gimp)

