"""`python -m connectors.wattzon ...`: see connectors/wattzon/cli.py."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
