"""Shared test set-up: strict JAX promotion, a compilation cache, small shared runs."""

from __future__ import annotations

import os
from pathlib import Path

import jax
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
TROTSKY = ROOT / "configs" / "scenarios" / "trotsky.yaml"

# Strict promotion: no silent float64 or rank broadcasting in the model code.
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


def pytest_configure(config: pytest.Config) -> None:
    cache = os.environ.get("ABM_TEST_JAX_CACHE") or str(ROOT / ".pytest_cache" / "jax")
    jax.config.update("jax_compilation_cache_dir", cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


@pytest.fixture(scope="session")
def otl_scenario():
    from abm.config import load_scenario

    return load_scenario(OTL)


def tallies_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """Names of tallies that differ."""
    assert a.keys() == b.keys()
    return [k for k in a if not np.array_equal(a[k], b[k])]
