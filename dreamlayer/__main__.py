import sys

from dreamlayer.cli import main

sys.exit(main())
