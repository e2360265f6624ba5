"""``python -m textures_nb {run,batch,notebooks} ...``: see :mod:`textures_nb.runner.cli`."""

from __future__ import annotations

import sys

from textures_nb.runner.cli import main

if __name__ == "__main__":
    sys.exit(main())
