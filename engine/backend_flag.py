"""The ``--backend`` flag, parsed in one place for every command that dreams on a backend."""
from __future__ import annotations

import argparse

BACKENDS = ("torch",)


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0],
                        help=f"what computes the dream (default {BACKENDS[0]}; one of {', '.join(BACKENDS)})")
