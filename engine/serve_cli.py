"""The ``serve`` subcommand: the engine for editors on other machines (see ``serve.py``)."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dreamlayer.protocol import DEFAULT_PORT

from .cli import backend_arguments
from .token import default_token_file, read_or_make_token


def run_serve(args: argparse.Namespace) -> int:
    from . import serve

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="dreamlayer serve: %(message)s")
    path = args.token_file or default_token_file()
    token, made = read_or_make_token(path)

    def announce(line: str) -> None:
        print(line, flush=True)

    if not made:
        announce(f"token: the one in {path}")
    return serve.run(args.host, args.port, token, announce, str(path) if made else None, args.backend,
                     args.providers)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (0 to 65535)")
    return int(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="be the dream engine for editors on other machines",
                       description="Serve the dream engine to Krita dialogs elsewhere (Engine: Remote). It listens "
                                   "on this machine only unless --host says otherwise; reach it from another "
                                   "machine through an SSH tunnel (see the README's Remote engine section).")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; anything else is unencrypted)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"TCP port (default {DEFAULT_PORT}; 0: any free one)")
    p.add_argument("--token-file", type=Path, metavar="FILE",
                   help=f"file holding the token editors must show; made (mode 0600) if missing "
                        f"(default {default_token_file()})")
    backend_arguments(p)
    p.set_defaults(func=run_serve)
