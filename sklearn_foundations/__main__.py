"""Command line: ``python -m sklearn_foundations compare``."""

import sys

from ._compare import main

if __name__ == "__main__":
    sys.exit(main())
