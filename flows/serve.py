"""Serve the scheduled sweeps of configs/service.yaml (the same as ``abm serve``).

prefect server start                                   # another terminal
export PREFECT_API_URL=http://127.0.0.1:4200/api
python flows/serve.py [configs/service.yaml]
"""

from __future__ import annotations

import sys

from abm.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
