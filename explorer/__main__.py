"""``python -m explorer``: the command line (:mod:`explorer.cli`); Ctrl-C while it loads exits quietly with 130."""

import sys

try:
    from explorer.cli import entry
except KeyboardInterrupt:
    print("explorer: interrupted", file=sys.stderr)
    sys.exit(130)

entry()
