"""Latin hypercube designs: SciPy's ``qmc`` for new sweeps, the hand-written one kept.

A store records its points' SHA-256 in its config hash; a Latin hypercube store written
before SciPy's generator came in (no ``method`` in its design) must never be resumed with
the new points, and must resume with ``method: strata``. Nothing here simulates: the
stores are templates (:func:`abm.sweep.run.plan_sweep`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy.stats import qmc

from abm.config import ConfigError
from abm.sweep import LhsDesign, SweepError, SweepLock, latin_hypercube, load_sweep
from abm.sweep.design import generate, points_digest, scale
from abm.sweep.run import plan_sweep

ROOT = Path(__file__).resolve().parents[1]
OTL = ROOT / "configs" / "scenarios" / "otl.yaml"
BOX = ((0.0, -2.0), (1.0, 3.0))
#: points_digest of the hand-written generator's 9 points (seed 3) in the unit square,
#: computed with the code before ``method`` existed: the points older stores hold.
LEGACY_DIGEST = "f70f0dc8a572c274dca0f9f93e8d35f3c0abd73a3bf52c9771984824dc4aae8a"


def _write(tmp_path: Path, design: dict[str, Any], name: str = "lhs.yaml") -> Path:
    data = {
        "sweep": "test_lhs",
        "scenario": str(OTL),
        "vary": {
            "purge_severity": {"low": 0.0, "high": 1.0},
            "united_front_uptake": {"low": 0.0, "high": 1.0},
        },
        "design": design,
        "runs_per_point": 8,
        "chunk_size": 64,
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _design(sweep: Any) -> dict[str, Any]:
    return yaml.safe_load(sweep.resolved_text())["design"]


def test_default_lhs_is_scipy_qmc() -> None:
    pts = generate(LhsDesign(16, 5), *BOX)
    unit = qmc.LatinHypercube(d=2, rng=5).random(16)
    np.testing.assert_array_equal(pts, scale(unit, *BOX))
    assert LhsDesign(16, 5).method == "qmc"
    assert not np.array_equal(pts, generate(LhsDesign(16, 5, "strata"), *BOX))
    for j in range(2):  # still one point per stratum
        lo, hi = BOX[0][j], BOX[1][j]
        strata = np.clip(np.floor((pts[:, j] - lo) / (hi - lo) * 16).astype(int), 0, 15)
        assert sorted(strata) == list(range(16))


def test_strata_method_is_the_old_generator() -> None:
    pts = generate(LhsDesign(9, 3, "strata"), *BOX)
    np.testing.assert_array_equal(pts, scale(latin_hypercube(9, 2, 3), *BOX))
    unit = generate(LhsDesign(9, 3, "strata"), (0.0, 0.0), (1.0, 1.0))
    assert points_digest(unit) == LEGACY_DIGEST
    with pytest.raises(ValueError, match="unknown Latin hypercube method"):
        generate(LhsDesign(9, 3, "sobol"), *BOX)


def test_method_in_the_sweep_file(tmp_path: Path) -> None:
    new = load_sweep(_write(tmp_path, {"kind": "lhs", "n": 9, "seed": 3}))
    assert new.design == LhsDesign(9, 3, "qmc")
    assert _design(new) == {"kind": "lhs", "n": 9, "seed": 3, "method": "qmc"}
    old = load_sweep(_write(tmp_path, {"kind": "lhs", "n": 9, "seed": 3, "method": "strata"}))
    assert old.design == LhsDesign(9, 3, "strata")
    # Resolved exactly as before `method` existed: the older stores' config hash.
    assert _design(old) == {"kind": "lhs", "n": 9, "seed": 3}
    assert yaml.safe_load(old.resolved_text())["points_sha256"] == LEGACY_DIGEST
    assert old.config_hash() != new.config_hash()
    path = _write(tmp_path, {"kind": "lhs", "n": 9, "method": "strat"}, "bad.yaml")
    with pytest.raises(ConfigError, match="unknown Latin hypercube method") as info:
        load_sweep(path)
    assert info.value.field == "design.method"
    assert "did you mean" in str(info.value).lower()


def test_an_older_lhs_store_is_refused_with_new_points_and_resumes_with_strata(
    tmp_path: Path,
) -> None:
    out = tmp_path / "old.zarr"
    legacy = load_sweep(_write(tmp_path, {"kind": "lhs", "n": 9, "seed": 3, "method": "strata"}))
    with SweepLock(out):
        first = plan_sweep(legacy, out, batch_points=3)
    new = load_sweep(_write(tmp_path, {"kind": "lhs", "n": 9, "seed": 3}, "new.yaml"))
    with SweepLock(out), pytest.raises(SweepError, match="config_hash") as info:
        plan_sweep(new, out)
    assert "method: strata" in str(info.value)
    with SweepLock(out):
        again = plan_sweep(legacy, out)  # resumes: same store, every batch still to run
    assert again.store_uid == first.store_uid and again.todo == (0, 1, 2)
    # A store of SciPy's points is refused with the old generator, without the hint.
    out2 = tmp_path / "new.zarr"
    with SweepLock(out2):
        plan_sweep(new, out2, batch_points=3)
    with SweepLock(out2), pytest.raises(SweepError, match="config_hash") as info:
        plan_sweep(legacy, out2)
    assert "method: strata" not in str(info.value)
