"""Where ``abm bench`` finds its scenario, the peers and the compilation cache.

Paths are relative to the repository root: the working directory's, or that of abm's
own checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Scenario benchmarked when none is given (relative to the repository root).
DEFAULT_CONFIG = Path("configs") / "scenarios" / "otl.yaml"
PEERS_DIR = Path("benchmarks") / "peers"
DEFAULT_RESULTS = Path("results") / "bench"


def repo_candidates() -> list[Path]:
    """The working directory and the root of abm's own checkout, in that order."""
    import abm

    return [Path.cwd(), Path(abm.__file__).resolve().parents[2]]


def default_config() -> Path:
    """``configs/scenarios/otl.yaml`` of the working directory or of abm's checkout."""
    for root in repo_candidates():
        if (root / DEFAULT_CONFIG).exists():
            return root / DEFAULT_CONFIG
    return DEFAULT_CONFIG


def find_peers(config: Path) -> Path | None:
    """``benchmarks/peers`` next to the scenario's repository, or of abm's checkout."""
    roots = [config.resolve().parents[2]] if len(config.resolve().parents) > 2 else []
    for root in roots + repo_candidates():
        if (root / PEERS_DIR / "numpy_germany.py").exists():
            return root / PEERS_DIR
    return None


def shared_cache_dir(cache_dir: str | Path | None, work: Path) -> Path:
    """The persistent compilation cache the workers share (``abm run``'s by default)."""
    path = str(cache_dir) if cache_dir else os.environ.get("ABM_JAX_CACHE") or ""
    if not path:
        path = os.path.join(os.path.expanduser("~"), ".cache", "abm", "jax")
    if path.lower() in ("0", "off", "none"):
        return work / "cache"
    return Path(path)
