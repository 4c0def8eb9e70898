import sys

from dreamlayer.cli import run

sys.exit(run())
