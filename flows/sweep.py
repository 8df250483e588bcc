r"""Run a sweep as the ``abm-sweep`` Prefect flow (the same code as ``abm sweep``).

    python flows/sweep.py configs/sweeps/purge_x_united_front.yaml \\
        --out results/sweeps/purge_x_united_front.zarr [--runs N] [--dask-address ADDR]

Without ``PREFECT_API_URL`` Prefect starts a temporary local server (about 20 s); with it
set, the run, its tasks, logs and artifacts appear in that server's UI.
"""

from __future__ import annotations

import sys

from abm.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["sweep", "--prefect", *sys.argv[1:]]))
