"""``python -m neuralcoref``: the ``neuralcoref`` command line."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
